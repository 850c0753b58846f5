//! mark-absent, guests, calendar-links and request-reschedule.

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, book, host_with_event, weekdays_9_to_5};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, key: &str, body: Value, version: Option<&str>) -> crate::helpers::Answer {
    app.versioned(Method::POST, path, Some(key), Some(body), version).await
}

#[tokio::test]
async fn the_host_marks_who_was_absent() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "abs@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let uid = book(&app, event, "2030-01-07T10:00:00Z", "gone@example.test")
        .await
        .data()["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let path = format!("/v2/bookings/{uid}/mark-absent");
    let attendee = app.user("gone@example.test").await;
    post(&app, &path, &attendee.key, json!({ "host": true }), Some(BOOKINGS))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let marked = post(
        &app,
        &path,
        &host.key,
        json!({ "attendees": [{ "email": "gone@example.test", "absent": true }] }),
        Some(BOOKINGS),
    )
    .await;
    let b = marked.expect_success(StatusCode::OK);
    assert_eq!(b["attendees"][0]["absent"], true);
    assert_eq!(b["absentHost"], false);
    assert_eq!(
        post(&app, &path, &host.key, json!({ "host": true }), Some(BOOKINGS))
            .await
            .data()["absentHost"],
        true
    );
    post(
        &app,
        &path,
        &host.key,
        json!({ "attendees": [{ "email": "stranger@example.test", "absent": true }] }),
        Some(BOOKINGS),
    )
    .await
    .expect_field_error("attendees");
    post(&app, &path, &host.key, json!({}), Some(BOOKINGS))
        .await
        .expect_field_error("attendees");
    post(
        &app,
        &path,
        &host.key,
        json!({ "attendees": [{ "email": "gone@example.test" }] }),
        Some(BOOKINGS),
    )
    .await
    .expect_field_error("attendees[0].absent");
}

#[tokio::test]
async fn guests_are_added_by_those_involved_and_bump_the_invite() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "gh@example.test",
        "Europe/Paris",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let uid = book(&app, event, "2030-01-07T10:00:00Z", "main@example.test")
        .await
        .data()["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let path = format!("/v2/bookings/{uid}/guests");
    // Cal.com documents a 404 for this endpoint without its version header.
    post(
        &app,
        &path,
        &host.key,
        json!({ "guests": [{ "email": "g1@example.test" }] }),
        None,
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    let added = post(
        &app,
        &path,
        &host.key,
        json!({ "guests": [{ "email": "G1@example.test" }, { "email": "g2@example.test", "name": "Gee Two" }] }),
        Some(BOOKINGS),
    )
    .await;
    let b = added.expect_success(StatusCode::OK);
    assert_eq!(b["guests"], json!(["g1@example.test", "g2@example.test"]));
    post(
        &app,
        &path,
        &host.key,
        json!({ "guests": [{ "email": "g1@example.test" }] }),
        Some(BOOKINGS),
    )
    .await
    .expect_field_error("guests[0].email");
    post(&app, &path, &host.key, json!({ "guests": [] }), Some(BOOKINGS))
        .await
        .expect_field_error("guests");
    post(
        &app,
        &path,
        &host.key,
        json!({ "guests": [{ "email": "not-an-email" }] }),
        Some(BOOKINGS),
    )
    .await
    .expect_field_error("guests[0].email");
    let stranger = app.user("stranger-g@example.test").await;
    post(
        &app,
        &path,
        &stranger.key,
        json!({ "guests": [{ "email": "g3@example.test" }] }),
        Some(BOOKINGS),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn calendar_links_cover_google_outlook_office_and_ics() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "links@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Demo, with commas", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let b = book(&app, event, "2030-01-07T10:00:00Z", "viewer@example.test")
        .await
        .data()
        .clone();
    let uid = b["uid"].as_str().expect("uid");
    let links = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}/calendar-links"),
            Some(&host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    let list = links.expect_success(StatusCode::OK).as_array().expect("array").clone();
    let labels: Vec<&str> = list.iter().map(|l| l["label"].as_str().unwrap_or("")).collect();
    assert_eq!(labels, vec!["Google", "Microsoft Outlook", "Microsoft Office", "ICS"]);
    assert!(
        list[0]["link"]
            .as_str()
            .is_some_and(|l| l.contains("dates=20300107T100000Z/20300107T103000Z"))
    );
    let ics_link = list[3]["link"].as_str().expect("ics").to_owned();
    let encoded = ics_link.strip_prefix("data:text/calendar,").expect("data URL");
    let ics: String = form_urlencoded::parse(format!("x={encoded}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .collect();
    assert!(
        ics.contains(&format!("UID:{}", b["icsUid"].as_str().expect("icsUid"))),
        "{ics}"
    );
    assert!(
        ics.contains("DTSTART:20300107T100000Z") && ics.contains("SUMMARY:Demo\\, with commas"),
        "{ics}"
    );
    let stranger = app.user("stranger-l@example.test").await;
    app.versioned(
        Method::GET,
        &format!("/v2/bookings/{uid}/calendar-links"),
        Some(&stranger.key),
        None,
        Some(BOOKINGS),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn requesting_a_reschedule_cancels_and_frees_the_slot() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "rr@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let uid = book(&app, event, "2030-01-07T10:00:00Z", "attendee-rr@example.test")
        .await
        .data()["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let path = format!("/v2/bookings/{uid}/request-reschedule");
    let attendee = app.user("attendee-rr@example.test").await;
    post(&app, &path, &attendee.key, json!({}), Some(BOOKINGS))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let done = post(
        &app,
        &path,
        &host.key,
        json!({ "reschedulingReason": "Conflict came up" }),
        Some(BOOKINGS),
    )
    .await;
    let b = done.expect_success(StatusCode::OK);
    assert_eq!(b["status"], "cancelled");
    assert_eq!(b["cancellationReason"], "Conflict came up");
    post(&app, &path, &host.key, json!({}), Some(BOOKINGS))
        .await
        .expect_error(StatusCode::BAD_REQUEST);
    book(&app, event, "2030-01-07T10:00:00Z", "attendee-rr@example.test")
        .await
        .expect_success(StatusCode::CREATED);
}
