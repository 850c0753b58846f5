//! Whether an email is queued at all: the event type's email settings, and changes that fail.

use super::mime::Mail;
use super::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn event_email_settings_silence_attendees_or_hosts() {
    let flow = Flow::start(
        json!({ "title": "Quiet attendees", "slug": "quiet-attendees", "lengthInMinutes": 30,
        "emailSettings": { "disableEmailsToAttendees": true } }),
    )
    .await;
    let quiet_hosts = flow
        .event_type(
            json!({ "title": "Quiet hosts", "slug": "quiet-hosts", "lengthInMinutes": 30,
            "emailSettings": { "disableEmailsToHosts": true } }),
        )
        .await;
    let first = flow
        .try_book(flow.event, MONDAY_10, ("Ann", "ann@example.test", "UTC"), &[])
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    let second = flow
        .try_book(
            quiet_hosts,
            "2030-01-07T11:00:00Z",
            ("Ben", "ben@example.test", "UTC"),
            &[],
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    let kinds_and_recipients = |mails: &[Mail]| {
        let mut out: Vec<(String, String)> = mails
            .iter()
            .map(|m| (m.row.kind.to_string(), m.row.to_email.clone()))
            .collect();
        out.sort();
        out
    };
    let mails = flow.send().await;
    assert_eq!(
        kinds_and_recipients(&mails),
        [
            (KIND_SCHEDULED_ATTENDEE.to_owned(), "ben@example.test".to_owned()),
            (KIND_SCHEDULED_ORGANIZER.to_owned(), HOST.to_owned()),
        ]
    );
    let to_host = mails.iter().find(|m| m.row.to_email == HOST).expect("to the host");
    assert_eq!(to_host.row.reply_to_email.as_deref(), Some("ann@example.test"));

    for booking in [&first, &second] {
        flow.act(&uid_of(booking), "cancel", json!({}))
            .await
            .expect_success(StatusCode::OK);
    }
    let mails = flow.send().await;
    assert_eq!(
        kinds_and_recipients(&mails),
        [
            ("booking_cancelled_attendee".to_owned(), "ben@example.test".to_owned()),
            ("booking_cancelled_organizer".to_owned(), HOST.to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_change_that_fails_queues_no_email() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let uid = uid_of(&booking);
    assert_eq!(flow.send().await.len(), 2);
    let before = flow.outbox_rows().await.len();
    assert_eq!(before, 2);

    // The slot is taken.
    flow.try_book(flow.event, MONDAY_10, ("Late", "late@example.test", "UTC"), &[])
        .await
        .expect_error(StatusCode::CONFLICT);
    // Only pending bookings can be confirmed or declined.
    flow.act(&uid, "confirm", json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);
    flow.act(&uid, "decline", json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);
    // A guest already on the booking.
    flow.act(&uid, "guests", json!({ "guests": [{ "email": BOOKER }] }))
        .await
        .expect_field_error("guests[0].email");
    // Marking absences fails after the first update ran inside the transaction: both must roll back.
    flow.act(
        &uid,
        "mark-absent",
        json!({ "attendees": [{ "email": BOOKER, "absent": true }, { "email": "stranger@example.test", "absent": true }] }),
    )
    .await
    .expect_field_error("attendees");
    let now = flow
        .app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&flow.host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    assert_eq!(
        now.expect_success(StatusCode::OK)["attendees"][0]["absent"],
        false,
        "the failed request left no trace"
    );

    assert_eq!(flow.outbox_rows().await.len(), before, "no email was queued");
    assert!(flow.send().await.is_empty());
    assert_eq!(flow.smtp.messages().len(), 2);

    // A cancellation of a cancelled booking fails too, after the successful one queued its pair.
    flow.act(&uid, "cancel", json!({})).await.expect_success(StatusCode::OK);
    flow.act(&uid, "cancel", json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);
    assert_eq!(flow.send().await.len(), 2);
    assert_eq!(flow.outbox_rows().await.len(), before + 2);
}
