//! Cancelling, rescheduling and asking for a new time: the same invite, cancelled or moved, with a growing
//! SEQUENCE and the reason given.

use super::mime::assert_emails;
use super::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn cancelling_sends_both_sides_a_cancel_of_the_same_invite() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    flow.act(&uid_of(&booking), "cancel", json!({ "cancellationReason": "Sick" }))
        .await
        .expect_success(StatusCode::OK);
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_cancelled_attendee",
                BOOKER,
                HOST,
                &format!("Cancelled: {t} with {HOST_NAME}"),
            ),
            (
                "booking_cancelled_organizer",
                HOST,
                BOOKER,
                &format!("Cancelled: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("CANCEL", "CANCELLED"));
        assert_eq!(ics.uid, original.uid, "the cancel names the invite it removes");
        assert!(
            ics.sequence > original.sequence,
            "{} > {}",
            ics.sequence,
            original.sequence
        );
        assert_eq!(
            (ics.start.as_str(), ics.end.as_str()),
            (original.start.as_str(), original.end.as_str())
        );
        assert_eq!(ics.organizer, HOST);
        assert_eq!(ics.attendees, [BOOKER]);
        let text = mail.text();
        assert!(text.contains("Reason: Sick"), "{text}");
        assert!(text.starts_with("This event has been cancelled"), "{text}");
    }
}

#[tokio::test]
async fn rescheduling_updates_the_same_invite_with_a_higher_sequence_each_time() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    assert_eq!(original.sequence, 0);

    // The booker moves it (anonymously, with the booking's uid), from 10:00 to 11:00 UTC.
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
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_rescheduled_attendee",
                BOOKER,
                HOST,
                &format!("Rescheduled: {t} with {HOST_NAME}"),
            ),
            (
                "booking_rescheduled_organizer",
                HOST,
                BOOKER,
                &format!("Rescheduled: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    let mut first_move = None;
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("REQUEST", "CONFIRMED"));
        assert_eq!(ics.uid, original.uid, "calendars update the event rather than add one");
        assert!(
            ics.sequence > original.sequence,
            "{} > {}",
            ics.sequence,
            original.sequence
        );
        assert_eq!(ics.start, ics_time(&moved["start"]));
        assert_eq!(
            (ics.start.as_str(), ics.end.as_str()),
            ("20300107T110000Z", "20300107T113000Z")
        );
        first_move = Some(ics.sequence);
        // Each reader sees the new and the old time in their own zone: the booker Paris, the host London.
        let text = mail.text();
        let (now, before) = if mail.row.to_email == BOOKER {
            (
                "When: Monday, 7 January 2030, 12:00 – 12:30 (Europe/Paris)",
                "Previously: Monday, 7 January 2030, 11:00 – 11:30 (Europe/Paris)",
            )
        } else {
            (
                "When: Monday, 7 January 2030, 11:00 – 11:30 (Europe/London)",
                "Previously: Monday, 7 January 2030, 10:00 – 10:30 (Europe/London)",
            )
        };
        assert!(text.contains(now) && text.contains(before), "{text}");
    }
    let first_move = first_move.expect("invites");

    // Moving it again raises the sequence again.
    flow.act(
        &uid_of(&moved),
        "reschedule",
        json!({ "start": "2030-01-08T09:00:00Z" }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!(ics.uid, original.uid);
        assert!(ics.sequence > first_move, "{} > {first_move}", ics.sequence);
        assert_eq!(ics.start, "20300108T090000Z");
    }
}

#[tokio::test]
async fn rescheduled_emails_carry_the_reason() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "reschedule",
        json!({ "start": "2030-01-07T11:00:00Z", "reschedulingReason": "Train delayed" }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let text = mail.text();
        assert!(text.contains("Reason: Train delayed"), "{}: {text}", mail.kind());
    }
}

#[tokio::test]
async fn requesting_a_reschedule_cancels_the_invite_on_both_sides() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    flow.act(&uid_of(&booking), "request-reschedule", json!({}))
        .await
        .expect_success(StatusCode::OK);
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_reschedule_requested_attendee",
                BOOKER,
                HOST,
                &format!("Please pick a new time: {t} with {HOST_NAME}"),
            ),
            (
                "booking_reschedule_requested_organizer",
                HOST,
                BOOKER,
                &format!("Reschedule requested: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("CANCEL", "CANCELLED"));
        assert_eq!(ics.uid, original.uid);
        assert!(ics.sequence > original.sequence);
    }
    let to_booker = mails.iter().find(|m| m.row.to_email == BOOKER).expect("to the booker");
    let text = to_booker.text();
    assert!(text.contains(&format!("Please book again with {HOST_NAME}")), "{text}");
}

#[tokio::test]
async fn reschedule_requests_carry_the_hosts_reason() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "request-reschedule",
        json!({ "reschedulingReason": "Conflict came up" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let text = mail.text();
        assert!(text.contains("Reason: Conflict came up"), "{}: {text}", mail.kind());
    }
}
