//! Guests added to a booking, and requests that stay unconfirmed: no confirmed invite before the host approves.

use super::mime::{Mail, assert_emails};
use super::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn adding_guests_invites_them_and_tells_everyone_else() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    flow.act(
        &uid_of(&booking),
        "guests",
        json!({ "guests": [{ "email": "gee@example.test", "name": "Gee One", "timeZone": "Asia/Tokyo" }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let t = title("Intro");
    let mails = flow.send().await;
    let added = "Guests added: ".to_owned() + &t;
    assert_emails(
        &mails,
        &[
            (
                "booking_guest_invited",
                "gee@example.test",
                HOST,
                &format!("Invitation: {t} with {HOST_NAME}"),
            ),
            ("booking_guests_added", BOOKER, HOST, &added),
            ("booking_guests_added", HOST, BOOKER, &added),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("REQUEST", "CONFIRMED"));
        assert_eq!(ics.uid, original.uid);
        assert!(
            ics.sequence > original.sequence,
            "the updated invite supersedes the first"
        );
        assert_eq!(ics.attendees, [BOOKER, "gee@example.test"]);
        if mail.kind() == "booking_guests_added" {
            let text = mail.text();
            assert!(text.contains("Added: Gee One."), "{text}");
        }
    }
    let guest = mails
        .iter()
        .find(|m| m.kind() == "booking_guest_invited")
        .expect("the invitation");
    assert_eq!(guest.row.to_name.as_deref(), Some("Gee One"));
    let text = guest.text();
    assert!(
        text.contains("When: Monday, 7 January 2030, 19:00 – 19:30 (Asia/Tokyo)"),
        "the guest reads their own zone: {text}"
    );
}

#[tokio::test]
async fn guests_of_an_unconfirmed_booking_get_no_confirmed_invite() {
    let flow = Flow::start(needs_approval()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    assert_eq!(booking["status"], "pending");
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "guests",
        json!({ "guests": [{ "email": "gee@example.test" }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 3);
    let confirmed: Vec<String> = mails
        .iter()
        .filter(|m| m.has_ics() && m.ics().status == "CONFIRMED")
        .map(|m| format!("{} to {}", m.kind(), m.row.to_email))
        .collect();
    assert!(
        confirmed.is_empty(),
        "confirmed invites before the host approved: {confirmed:?}"
    );
}

#[tokio::test]
async fn rescheduling_a_request_asks_the_host_to_approve_again() {
    let flow = Flow::start(needs_approval()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    // The booker moves their request (anonymously, with the booking's uid).
    let moved = flow
        .app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{}/reschedule", uid_of(&booking)),
            None,
            Some(json!({ "start": "2030-01-07T11:00:00Z" })),
            Some(BOOKINGS),
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    assert_eq!(moved["status"], "pending");
    let mails = flow.send().await;
    let kinds: Vec<&str> = mails.iter().map(Mail::kind).collect();
    assert!(
        kinds.contains(&"booking_awaiting_approval_organizer"),
        "the host must approve the new time: {kinds:?}"
    );
    assert!(
        mails.iter().all(|m| !m.has_ics() || m.ics().status != "CONFIRMED"),
        "no confirmed invite for a pending booking: {kinds:?}"
    );
}
