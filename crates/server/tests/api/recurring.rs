//! Recurring event types: a booking books the series in one go, with one invite carrying its RRULE; the series
//! is cancelled together, or one occurrence (or it and the later ones) alone. Availability as Cal.com checks it.

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, book, host_with_event, weekdays_9_to_5};
use convene_core::UserId;
use convene_store::outbox::{self, Filter, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WEEKLY: &str = "2024-06-14";

/// A host with a weekly event type (4 occurrences) and a plain one; returns (host, weekly, plain).
async fn weekly_event(app: &TestApp) -> (crate::helpers::Person, i64, i64) {
    let (host, weekly) = host_with_event(
        app,
        "series-host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Coaching", "slug": "coaching", "lengthInMinutes": 30,
                "recurrence": { "frequency": "weekly", "interval": 1, "occurrences": 4 } }),
    )
    .await;
    let plain = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(json!({ "title": "Call", "slug": "call", "lengthInMinutes": 30 })),
            Some(WEEKLY),
        )
        .await;
    let plain = plain.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    (host, weekly, plain)
}

async fn book_series(app: &TestApp, event: i64, start: &str, count: Option<i64>) -> crate::helpers::Answer {
    let mut body = json!({ "eventTypeId": event, "start": start,
        "attendee": { "name": "Sam Series", "email": "sam@example.test", "timeZone": "UTC" } });
    if let Some(n) = count {
        body["recurrenceCount"] = json!(n);
    }
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
}

async fn emails_of(app: &TestApp, host: i64, kind: &str) -> Vec<outbox::EmailRecord> {
    let filter = Filter {
        kind: Some(kind.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    outbox::list(&app.db, Scope::User { id: UserId(host) }, &filter, 50)
        .await
        .expect("outbox")
}

fn starts(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["start"].as_str())
        .collect()
}

async fn cancel(app: &TestApp, uid: &str, body: Value) -> crate::helpers::Answer {
    let path = format!("/v2/bookings/{uid}/cancel");
    app.versioned(Method::POST, &path, None, Some(body), Some(BOOKINGS))
        .await
}

async fn status(app: &TestApp, uid: String) -> Value {
    app.versioned(Method::GET, &format!("/v2/bookings/{uid}"), None, None, Some(BOOKINGS))
        .await
        .expect_success(StatusCode::OK)["status"]
        .clone()
}

#[tokio::test]
async fn a_weekly_series_with_a_conflict_in_week_three_is_booked_whole_as_cal_com_does() {
    let app = TestApp::spawn().await;
    let (host, weekly, plain) = weekly_event(&app).await;
    // Week 3 (2030-01-21) at 10:00 is taken by another booking of the host.
    book(&app, plain, "2030-01-21T10:00:00Z", "other@example.test")
        .await
        .expect_success(StatusCode::CREATED);

    let series = book_series(&app, weekly, "2030-01-07T10:00:00Z", Some(4)).await;
    let series = series.expect_success(StatusCode::CREATED).clone();
    // Cal.com checks the first occurrence only: all four are booked, the third over the conflict.
    assert_eq!(
        starts(&series),
        [
            "2030-01-07T10:00:00.000Z",
            "2030-01-14T10:00:00.000Z",
            "2030-01-21T10:00:00.000Z",
            "2030-01-28T10:00:00.000Z"
        ]
    );
    let uid = series[0]["recurringBookingUid"]
        .as_str()
        .expect("series uid")
        .to_owned();
    assert!(
        series
            .as_array()
            .into_iter()
            .flatten()
            .all(|b| b["recurringBookingUid"] == uid)
    );

    // One invite for the series, with its rule.
    let invites: Vec<_> = emails_of(&app, host.id, "booking_scheduled_attendee")
        .await
        .into_iter()
        .filter(|e| e.to_email == "sam@example.test")
        .collect();
    assert_eq!(invites.len(), 1, "one invite for the whole series");
    let ics = invites[0].ics.clone().unwrap_or_default();
    assert!(ics.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=4"), "{ics}");

    // The series is what the `recurring` filter lists.
    let listed = app
        .versioned(
            Method::GET,
            "/v2/bookings?status=recurring",
            Some(&host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    assert_eq!(listed.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn a_series_whose_first_occurrence_is_taken_is_refused_whole() {
    let app = TestApp::spawn().await;
    let (_, weekly, plain) = weekly_event(&app).await;
    book(&app, plain, "2030-01-07T10:00:00Z", "other@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    book_series(&app, weekly, "2030-01-07T10:00:00Z", None)
        .await
        .expect_error(StatusCode::CONFLICT);
    assert_eq!(app.count_rows("bookings").await, 1, "nothing of the series was booked");
    book_series(&app, weekly, "2030-01-08T10:00:00Z", Some(5))
        .await
        .expect_field_error("recurrenceCount");
}

#[tokio::test]
async fn one_occurrence_cancels_alone_or_with_the_later_ones_and_the_series_together() {
    let app = TestApp::spawn().await;
    let (host, weekly, _) = weekly_event(&app).await;
    let series = book_series(&app, weekly, "2030-01-07T10:00:00Z", None).await;
    let series = series.expect_success(StatusCode::CREATED).clone();
    assert_eq!(starts(&series).len(), 4, "the event type's occurrences by default");
    let uid_of = |i: usize| series[i]["uid"].as_str().expect("uid").to_owned();
    let status_of = |i: usize| status(&app, uid_of(i));
    // The second occurrence alone: the others stay; its cancellation names that occurrence only.
    cancel(&app, &uid_of(1), json!({})).await.expect_success(StatusCode::OK);
    assert_eq!(status_of(0).await, "accepted");
    assert_eq!(status_of(1).await, "cancelled");
    assert_eq!(status_of(2).await, "accepted");
    let told = emails_of(&app, host.id, "booking_cancelled_attendee").await;
    let ics = told[0].ics.clone().unwrap_or_default();
    assert!(
        ics.contains("RECURRENCE-ID:20300114T100000Z") && !ics.contains("RRULE"),
        "{ics}"
    );

    // The fourth and any later: only the fourth.
    let later = cancel(&app, &uid_of(3), json!({ "cancelSubsequentBookings": true })).await;
    assert_eq!(later.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(1));
    assert_eq!(status_of(2).await, "accepted");

    // The series by its uid: what is left of it (the first and third).
    let series_uid = series[0]["recurringBookingUid"]
        .as_str()
        .expect("series uid")
        .to_owned();
    let all = cancel(&app, &series_uid, json!({ "cancellationReason": "moving away" })).await;
    assert_eq!(
        starts(all.expect_success(StatusCode::OK)),
        ["2030-01-07T10:00:00.000Z", "2030-01-21T10:00:00.000Z"]
    );
    assert_eq!(status_of(0).await, "cancelled");
    assert_eq!(status_of(2).await, "cancelled");
    let told = emails_of(&app, host.id, "booking_cancelled_attendee").await;
    assert!(
        told.iter().any(|e| e
            .ics
            .as_deref()
            .is_some_and(|ics| ics.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=4"))),
        "the series is cancelled by one cancellation with its rule"
    );
}
