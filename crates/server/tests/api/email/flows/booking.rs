//! A booking, a request the host confirms or declines, and an absence marked afterwards.

use super::mime::assert_emails;
use super::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_booking_emails_every_attendee_and_the_organizer_an_invitation() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "locations": [{ "type": "link", "link": "https://meet.example.com/intro", "public": true }] }))
    .await;
    let booking = flow.book(MONDAY_10, &["gus@example.test"]).await;
    assert_eq!(booking["status"], "accepted");
    let t = title("Intro");
    let to_attendee = format!("Confirmed: {t} with {HOST_NAME}");
    let to_organizer = format!("New booking: {t} with {BOOKER_NAME}");

    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (KIND_SCHEDULED_ATTENDEE, BOOKER, HOST, &to_attendee),
            (KIND_SCHEDULED_ATTENDEE, "gus@example.test", HOST, &to_attendee),
            (KIND_SCHEDULED_ORGANIZER, HOST, BOOKER, &to_organizer),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!(ics.method, "REQUEST");
        assert_eq!(ics.uid, booking["icsUid"].as_str().expect("icsUid"));
        assert_eq!(ics.sequence, 0);
        assert_eq!(ics.status, "CONFIRMED");
        assert_eq!(ics.start, ics_time(&booking["start"]));
        assert_eq!(ics.end, ics_time(&booking["end"]));
        assert_eq!(
            (ics.start.as_str(), ics.end.as_str()),
            ("20300107T100000Z", "20300107T103000Z")
        );
        assert_eq!(ics.summary, t);
        assert_eq!(ics.organizer, HOST);
        assert_eq!(ics.attendees, [BOOKER, "gus@example.test"]);

        let text = mail.text();
        assert!(text.contains(&format!("What: {t}")), "{text}");
        assert!(text.contains("Where: https://meet.example.com/intro"), "{text}");
        assert!(
            text.contains(&format!("Booking reference: {}", uid_of(&booking))),
            "{text}"
        );
        // Plain text is not HTML-escaped; the HTML alternative is.
        assert!(text.contains(&format!("{HOST_NAME} <{HOST}> (organizer)")), "{text}");
        let html = mail.html();
        assert!(
            html.contains(&format!("{HOST_NAME} &#60;{HOST}&#62; (organizer)"))
                || html.contains(&format!("{HOST_NAME} &lt;{HOST}&gt; (organizer)")),
            "{html}"
        );
        assert!(!html.contains(&format!("<{HOST}>")), "{html}");
    }
    let text = mails
        .iter()
        .find(|m| m.kind() == KIND_SCHEDULED_ATTENDEE)
        .expect("attendee email")
        .text();
    assert!(text.starts_with("Your booking is confirmed"), "{text}");
}

#[tokio::test]
async fn a_request_asks_the_host_to_approve_and_confirming_sends_the_invitations() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    assert_eq!(booking["status"], "pending");
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_requested_attendee",
                BOOKER,
                HOST,
                &format!("Request sent: {t} with {HOST_NAME}"),
            ),
            (
                "booking_awaiting_approval_organizer",
                HOST,
                BOOKER,
                &format!("Action needed: {BOOKER_NAME} requested {t}"),
            ),
        ],
    );
    assert!(
        mails.iter().all(|m| !m.has_ics()),
        "nothing goes into calendars before the host decides"
    );

    let uid = uid_of(&booking);
    flow.act(&uid, "confirm", json!({}))
        .await
        .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                KIND_SCHEDULED_ATTENDEE,
                BOOKER,
                HOST,
                &format!("Confirmed: {t} with {HOST_NAME}"),
            ),
            (
                KIND_SCHEDULED_ORGANIZER,
                HOST,
                BOOKER,
                &format!("New booking: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("REQUEST", "CONFIRMED"));
        assert_eq!(ics.uid, booking["icsUid"].as_str().expect("icsUid"));
        assert_eq!(ics.start, ics_time(&booking["start"]));
    }
}

#[tokio::test]
async fn declining_a_request_tells_only_the_attendee_why() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    assert_eq!(flow.send().await.len(), 2);
    flow.act(
        &uid_of(&booking),
        "decline",
        json!({ "reason": "Fully booked that week" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[(
            "booking_declined_attendee",
            BOOKER,
            HOST,
            &format!("Declined: {} with {HOST_NAME}", title("Intro")),
        )],
    );
    assert!(
        !mails[0].has_ics(),
        "a request never reached a calendar, so there is nothing to cancel"
    );
    let text = mails[0].text();
    assert!(text.contains("Reason: Fully booked that week"), "{text}");
}

#[tokio::test]
async fn marking_an_absence_tells_the_organizer() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "mark-absent",
        json!({ "attendees": [{ "email": BOOKER, "absent": true }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[(
            "booking_no_show_marked_organizer",
            HOST,
            BOOKER,
            &format!("Attendance updated: {} with {BOOKER_NAME}", title("Intro")),
        )],
    );
    assert!(!mails[0].has_ics(), "attendance changes nothing in calendars");
    let text = mails[0].text();
    assert!(text.contains(&format!("Marked as absent: {BOOKER_NAME}.")), "{text}");
}
