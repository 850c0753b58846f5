//! The booking actions without `cal-api-version` (Cal.com's `2024-04-15` answers) and with the current one:
//! cancel answers `{bookingId, bookingUid, onlyRemovedAttendee}`, marking no-shows takes and answers
//! `MarkNoShow*_2024_04_15`, and confirm, decline and reschedule answer the legacy booking (`startTime`,
//! upper-case `status`, `responses`), as get and create do.

use crate::helpers::{Answer, Person, TestApp};
use crate::scheduling::{BOOKINGS, book, host_with_event, weekdays_9_to_5};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, key: Option<&str>, body: Value, version: Option<&str>) -> Answer {
    app.versioned(Method::POST, path, key, Some(body), version).await
}

/// Books `event` at `start`; the booking's current output.
async fn booked(app: &TestApp, event: i64, start: &str, email: &str) -> Value {
    book(app, event, start, email)
        .await
        .expect_success(StatusCode::CREATED)
        .clone()
}

fn uid(b: &Value) -> &str {
    b["uid"].as_str().expect("uid")
}

async fn host(app: &TestApp, email: &str, confirm: bool) -> (Person, i64) {
    let mut event = json!({ "title": "Chat", "slug": "chat", "lengthInMinutes": 30 });
    if confirm {
        event["confirmationPolicy"] = json!({ "type": "always", "blockUnconfirmedBookingsInBooker": true });
    }
    host_with_event(app, email, "UTC", weekdays_9_to_5(), event).await
}

#[tokio::test]
async fn cancel_without_a_header_names_the_booking_and_with_it_answers_the_booking() {
    let app = TestApp::spawn().await;
    let (_, event) = host(&app, "cancel.legacy@example.test", false).await;
    let b = booked(&app, event, "2030-01-07T10:00:00Z", "ann@example.test").await;
    let legacy = post(
        &app,
        &format!("/v2/bookings/{}/cancel", uid(&b)),
        None,
        json!({ "cancellationReason": "Plans changed" }),
        None,
    )
    .await;
    assert_eq!(
        legacy.expect_success(StatusCode::OK),
        &json!({ "bookingId": b["id"], "bookingUid": b["uid"], "onlyRemovedAttendee": false })
    );

    let b = booked(&app, event, "2030-01-07T11:00:00Z", "ann@example.test").await;
    let current = post(
        &app,
        &format!("/v2/bookings/{}/cancel", uid(&b)),
        None,
        json!({ "cancellationReason": "Plans changed" }),
        Some(BOOKINGS),
    )
    .await;
    let current = current.expect_success(StatusCode::OK);
    assert_eq!((&current["uid"], &current["status"]), (&b["uid"], &json!("cancelled")));
    assert_eq!(current["cancellationReason"], "Plans changed");
}

#[tokio::test]
async fn reschedule_without_a_header_answers_the_new_legacy_booking() {
    let app = TestApp::spawn().await;
    let (_, event) = host(&app, "move.legacy@example.test", false).await;
    let b = booked(&app, event, "2030-01-07T10:00:00Z", "bo@example.test").await;
    let legacy = post(
        &app,
        &format!("/v2/bookings/{}/reschedule", uid(&b)),
        None,
        json!({ "start": "2030-01-08T11:00:00Z", "reschedulingReason": "Clash" }),
        None,
    )
    .await;
    let legacy = legacy.expect_success(StatusCode::CREATED);
    assert_eq!(legacy["startTime"], "2030-01-08T11:00:00.000Z", "{legacy}");
    assert_eq!(legacy["status"], "ACCEPTED");
    assert_eq!(legacy["fromReschedule"], b["uid"]);
    assert_eq!(legacy["responses"]["email"], "bo@example.test");
    assert!(legacy.get("start").is_none(), "{legacy}");

    let current = post(
        &app,
        &format!("/v2/bookings/{}/reschedule", legacy["uid"].as_str().expect("uid")),
        None,
        json!({ "start": "2030-01-09T12:00:00Z" }),
        Some(BOOKINGS),
    )
    .await;
    let current = current.expect_success(StatusCode::CREATED);
    assert_eq!(current["start"], "2030-01-09T12:00:00.000Z", "{current}");
    assert_eq!(current["status"], "accepted");
    assert!(current.get("startTime").is_none(), "{current}");
}

#[tokio::test]
async fn marking_no_shows_without_a_header_takes_and_answers_the_legacy_shapes() {
    let app = TestApp::spawn().await;
    let (host, event) = host(&app, "noshow.legacy@example.test", false).await;
    let b = booked(&app, event, "2030-01-07T10:00:00Z", "cy@example.test").await;
    let path = format!("/v2/bookings/{}/mark-absent", uid(&b));
    let legacy = post(
        &app,
        &path,
        Some(&host.key),
        json!({ "noShowHost": true, "attendees": [{ "email": "cy@example.test", "noShow": true }] }),
        None,
    )
    .await;
    assert_eq!(
        legacy.expect_success(StatusCode::OK),
        &json!({ "message": "No-show updated", "noShowHost": true,
                 "attendees": [{ "email": "cy@example.test", "noShow": true }] })
    );
    // The legacy names were read: both marks are on the booking.
    let stored = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{}", uid(&b)),
            Some(&host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    let stored = stored.expect_success(StatusCode::OK);
    assert_eq!(
        (&stored["absentHost"], &stored["attendees"][0]["absent"]),
        (&json!(true), &json!(true))
    );
    // Only what was marked is answered.
    let host_only = post(&app, &path, Some(&host.key), json!({ "noShowHost": false }), None).await;
    assert_eq!(
        host_only.expect_success(StatusCode::OK),
        &json!({ "message": "No-show updated", "noShowHost": false })
    );

    // Cal.com's legacy path for the same marks.
    let legacy_path = format!("/v2/bookings/{}/mark-no-show", uid(&b));
    let via_legacy_path = post(
        &app,
        &legacy_path,
        Some(&host.key),
        json!({ "attendees": [{ "email": "cy@example.test", "noShow": false }] }),
        None,
    )
    .await;
    assert_eq!(
        via_legacy_path.expect_success(StatusCode::OK),
        &json!({ "message": "No-show updated", "attendees": [{ "email": "cy@example.test", "noShow": false }] })
    );
    let stranger = app.user("not.the.host@example.test").await;
    post(
        &app,
        &legacy_path,
        Some(&stranger.key),
        json!({ "noShowHost": true }),
        None,
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);

    let current = post(
        &app,
        &path,
        Some(&host.key),
        json!({ "attendees": [{ "email": "cy@example.test", "absent": false }] }),
        Some(BOOKINGS),
    )
    .await;
    let current = current.expect_success(StatusCode::OK);
    assert_eq!(current["uid"], b["uid"]);
    assert_eq!(current["attendees"][0]["absent"], false);
    assert_eq!(current["absentHost"], false);
}

#[tokio::test]
async fn confirm_and_decline_without_a_header_answer_the_legacy_booking() {
    let app = TestApp::spawn().await;
    let (host, event) = host(&app, "confirm.legacy@example.test", true).await;
    let key = Some(host.key.as_str());
    let mut pending = Vec::new();
    for start in [
        "2030-01-07T10:00:00Z",
        "2030-01-07T11:00:00Z",
        "2030-01-07T12:00:00Z",
        "2030-01-07T13:00:00Z",
    ] {
        let b = booked(&app, event, start, "di@example.test").await;
        assert_eq!(b["status"], "pending", "{b}");
        pending.push(uid(&b).to_owned());
    }

    let legacy = post(
        &app,
        &format!("/v2/bookings/{}/confirm", pending[0]),
        key,
        json!({}),
        None,
    )
    .await;
    let legacy = legacy.expect_success(StatusCode::OK);
    assert_eq!(
        (&legacy["status"], &legacy["startTime"]),
        (&json!("ACCEPTED"), &json!("2030-01-07T10:00:00.000Z"))
    );
    let current = post(
        &app,
        &format!("/v2/bookings/{}/confirm", pending[1]),
        key,
        json!({}),
        Some(BOOKINGS),
    )
    .await;
    let current = current.expect_success(StatusCode::OK);
    assert_eq!(
        (&current["status"], &current["start"]),
        (&json!("accepted"), &json!("2030-01-07T11:00:00.000Z"))
    );

    let body = json!({ "reason": "Fully booked" });
    let legacy = post(
        &app,
        &format!("/v2/bookings/{}/decline", pending[2]),
        key,
        body.clone(),
        None,
    )
    .await;
    let legacy = legacy.expect_success(StatusCode::OK);
    assert_eq!(
        (&legacy["status"], &legacy["rejectionReason"]),
        (&json!("REJECTED"), &json!("Fully booked"))
    );
    assert_eq!(legacy["cancellationReason"], Value::Null);
    let current = post(
        &app,
        &format!("/v2/bookings/{}/decline", pending[3]),
        key,
        body,
        Some(BOOKINGS),
    )
    .await;
    let current = current.expect_success(StatusCode::OK);
    assert_eq!(current["status"], "rejected");
    assert!(current.get("startTime").is_none(), "{current}");
}
