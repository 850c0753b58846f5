//! Workflows on a seated event type: each seat holder gets their own reminder (the host one per booking), an
//! attendee's calendar invitation names only them, and a seat given up or moved takes its holder's reminder with
//! it while the others keep theirs; the last seat given up cancels what is left.

use crate::scheduling::BOOKINGS;
use crate::workflows::Team;
use convene_store::outbox::EmailRecord;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const START: &str = "2030-01-07T10:00:00Z";

async fn seated_team(seats: i64) -> Team {
    let t = Team::start(false).await;
    t.app()
        .patch(
            &format!("/v2/organizations/{}/teams/{}/event-types/{}", t.org, t.team, t.event),
            &t.owner.key,
            json!({ "seats": { "seatsPerTimeSlot": seats, "showAttendeeInfo": false, "showAvailabilityCount": true } }),
        )
        .await
        .expect_success(StatusCode::OK);
    let mut body = t.reminder(24);
    body["steps"][0]["includeCalendarEvent"] = json!(true);
    t.create(body).await;
    t
}

async fn take_seat(t: &Team, start: &str, email: &str) -> Value {
    let body = json!({ "eventTypeId": t.event, "start": start,
        "attendee": { "name": email, "email": email, "timeZone": "Europe/Paris" } });
    t.app()
        .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED)
        .clone()
}

async fn seat_change(t: &Team, path: &str, body: Value, status: StatusCode) -> Value {
    t.app()
        .versioned(Method::POST, path, None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(status)
        .clone()
}

/// (recipient, due) of the pending reminders, sorted.
fn due(pending: &[EmailRecord]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = pending
        .iter()
        .map(|e| (e.to_email.clone(), e.not_before.as_millisecond()))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn each_seat_holder_is_reminded_alone_and_leaving_takes_only_their_reminder() {
    let t = seated_team(3).await;
    let host = "member@acme.test".to_owned();
    let seats = [
        take_seat(&t, START, "a@example.test").await,
        take_seat(&t, START, "b@example.test").await,
        take_seat(&t, START, "c@example.test").await,
    ];
    let uid = seats[0]["uid"].as_str().expect("uid").to_owned();
    assert!(
        seats.iter().all(|s| s["uid"] == uid.as_str()),
        "one booking, three seats"
    );
    let at = jiff::Timestamp::from_millisecond(1_894_010_400_000).expect("10:00 on 7 January 2030");
    assert_eq!(at.to_string(), "2030-01-07T10:00:00Z");
    let day_before = at.as_millisecond() - 24 * 3_600_000;
    let pending = t.pending().await;
    assert_eq!(
        due(&pending),
        [
            ("a@example.test".to_owned(), day_before),
            ("b@example.test".to_owned(), day_before),
            ("c@example.test".to_owned(), day_before),
            (host.clone(), day_before),
        ],
        "a reminder for each seat, and one for the host"
    );
    // Each holder's invitation names them and nobody else of the seats.
    for holder in ["a@example.test", "b@example.test", "c@example.test"] {
        let mine = pending.iter().find(|e| e.to_email == holder).expect("their reminder");
        let ics = mine.ics.clone().unwrap_or_default();
        let named: Vec<&str> = ["a@example.test", "b@example.test", "c@example.test"]
            .into_iter()
            .filter(|other| ics.contains(&format!("mailto:{other}")))
            .collect();
        assert_eq!(named, [holder], "{ics}");
    }

    // b gives up their seat: their reminder goes, the others' stay.
    let cancel = format!("/v2/bookings/{uid}/cancel");
    seat_change(&t, &cancel, json!({ "seatUid": seats[1]["seatUid"] }), StatusCode::OK).await;
    let left: Vec<String> = due(&t.pending().await).into_iter().map(|(to, _)| to).collect();
    assert_eq!(left, ["a@example.test", "c@example.test", host.as_str()]);

    // c moves to another start: the reminder follows the seat, due a day before the new start.
    let moved = seat_change(
        &t,
        &format!("/v2/bookings/{uid}/reschedule"),
        json!({ "start": "2030-01-07T14:00:00Z", "seatUid": seats[2]["seatUid"] }),
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(moved["uid"], uid.as_str());
    let later = at.as_millisecond() + 4 * 3_600_000 - 24 * 3_600_000;
    let pending = due(&t.pending().await);
    assert!(pending.contains(&("c@example.test".to_owned(), later)), "{pending:?}");
    assert!(
        !pending.contains(&("c@example.test".to_owned(), day_before)),
        "{pending:?}"
    );
    assert!(
        pending.contains(&("a@example.test".to_owned(), day_before)),
        "{pending:?}"
    );

    // a, the last seat of the first booking, gives it up: the booking is cancelled with all it had pending.
    let last = seat_change(&t, &cancel, json!({ "seatUid": seats[0]["seatUid"] }), StatusCode::OK).await;
    assert_eq!(last["status"], "cancelled");
    let pending = due(&t.pending().await);
    assert!(
        pending.iter().all(|(_, when)| *when == later),
        "only the moved seat's booking still has reminders: {pending:?}"
    );
    assert_eq!(pending.len(), 2, "c's and the host's, for the new start: {pending:?}");
}
