//! Schedules, event types, slots and bookings through the API.

use crate::helpers::{Person, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const SCHEDULES: &str = "2024-06-11";
pub const EVENT_TYPES: &str = "2024-06-14";
pub const SLOTS: &str = "2024-09-04";
pub const BOOKINGS: &str = "2024-08-13";

/// A host with a schedule in `zone` and one event type; returns (host, event type id).
pub async fn host_with_event(
    app: &TestApp,
    email: &str,
    zone: &str,
    availability: Value,
    event: Value,
) -> (Person, i64) {
    let host = app.user(email).await;
    let schedule = app
        .versioned(
            Method::POST,
            "/v2/schedules",
            Some(&host.key),
            Some(json!({ "name": "Work", "timeZone": zone, "isDefault": true, "availability": availability })),
            Some(SCHEDULES),
        )
        .await;
    schedule.expect_success(StatusCode::CREATED);
    let created = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(event),
            Some(EVENT_TYPES),
        )
        .await;
    let id = created.expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("event type id");
    (host, id)
}

pub fn weekdays_9_to_5() -> Value {
    json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "startTime": "09:00", "endTime": "17:00" }])
}

pub async fn slots(app: &TestApp, query: &str) -> crate::helpers::Answer {
    app.versioned(Method::GET, &format!("/v2/slots?{query}"), None, None, Some(SLOTS))
        .await
}

/// Start times (as returned) of all slots in a slots answer, in date order.
pub fn starts(answer: &crate::helpers::Answer) -> Vec<String> {
    let data = answer.expect_success(StatusCode::OK);
    let mut out = Vec::new();
    if let Some(map) = data.as_object() {
        for list in map.values() {
            for slot in list.as_array().into_iter().flatten() {
                out.push(slot["start"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    out
}

pub async fn book(app: &TestApp, event: i64, start: &str, email: &str) -> crate::helpers::Answer {
    let body = json!({ "eventTypeId": event, "start": start, "attendee": { "name": "Alex Attendee", "email": email, "timeZone": "America/Los_Angeles" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
}

#[tokio::test]
async fn versioned_endpoints_answer_every_version_as_cal_com_does() {
    let app = TestApp::spawn().await;
    let person = app.user("versions@example.test").await;
    // No header, or another resource's version: the legacy 2024-04-15 shapes, never a 400.
    for version in [None, Some("2024-06-14")] {
        let legacy = app
            .versioned(Method::GET, "/v2/schedules", Some(&person.key), None, version)
            .await;
        assert!(legacy.expect_success(StatusCode::OK).is_array());
    }
    let legacy = app
        .versioned(Method::GET, "/v2/event-types", Some(&person.key), None, None)
        .await;
    assert!(legacy.expect_success(StatusCode::OK)["eventTypeGroups"].is_array());
    app.versioned(Method::GET, "/v2/schedules", Some(&person.key), None, Some(SCHEDULES))
        .await
        .expect_success(StatusCode::OK);
    // Bookings answer in their 2024-08-13 shapes whatever the version.
    for version in [None, Some("2024-04-15")] {
        app.versioned(Method::GET, "/v2/bookings", Some(&person.key), None, version)
            .await
            .expect_success(StatusCode::OK);
    }
    // Newer endpoints that exist in one version only keep their rule.
    app.versioned(
        Method::GET,
        "/v2/slots/reservations/nope",
        None,
        None,
        Some("2024-08-13"),
    )
    .await
    .expect_field_error("cal-api-version");
}

#[tokio::test]
async fn schedules_crud_with_a_single_default() {
    let app = TestApp::spawn().await;
    let p = app.user("sched@example.test").await;
    let first = app
        .versioned(
            Method::POST,
            "/v2/schedules",
            Some(&p.key),
            Some(json!({ "name": "Default", "timeZone": "Europe/Rome", "isDefault": false })),
            Some(SCHEDULES),
        )
        .await;
    let first = first.expect_success(StatusCode::CREATED).clone();
    assert_eq!(first["isDefault"], true, "a user's first schedule becomes the default");
    assert_eq!(first["availability"][0]["startTime"], "09:00");
    assert_eq!(first["overrides"], json!([]));
    let second = app
        .versioned(
            Method::POST,
            "/v2/schedules",
            Some(&p.key),
            Some(
                json!({ "name": "Evenings", "timeZone": "Asia/Kolkata", "isDefault": true,
                "availability": [{ "days": ["Saturday"], "startTime": "18:00", "endTime": "24:00" }],
                "overrides": [{ "date": "2030-01-05", "startTime": "00:00", "endTime": "00:00" }] }),
            ),
            Some(SCHEDULES),
        )
        .await;
    let second_id = second.expect_success(StatusCode::CREATED)["id"].clone();
    let default = app
        .versioned(
            Method::GET,
            "/v2/schedules/default",
            Some(&p.key),
            None,
            Some(SCHEDULES),
        )
        .await;
    assert_eq!(default.expect_success(StatusCode::OK)["id"], second_id);
    let all = app
        .versioned(Method::GET, "/v2/schedules", Some(&p.key), None, Some(SCHEDULES))
        .await;
    let defaults = all
        .data()
        .as_array()
        .expect("list")
        .iter()
        .filter(|s| s["isDefault"] == true)
        .count();
    assert_eq!(defaults, 1);
    assert_eq!(app.get("/v2/me", &p.key).await.data()["defaultScheduleId"], second_id);

    let path = format!("/v2/schedules/{}", first["id"]);
    let patched = app
        .versioned(
            Method::PATCH,
            &path,
            Some(&p.key),
            Some(json!({ "name": "Office" })),
            Some(SCHEDULES),
        )
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["name"], "Office");
    assert_eq!(patched.data()["timeZone"], "Europe/Rome");
    app.versioned(Method::DELETE, &path, Some(&p.key), None, Some(SCHEDULES))
        .await
        .expect_success(StatusCode::OK);
    app.versioned(Method::GET, &path, Some(&p.key), None, Some(SCHEDULES))
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn schedule_input_errors_name_the_field() {
    let app = TestApp::spawn().await;
    let p = app.user("bad-sched@example.test").await;
    let post = |body: Value| app.versioned(Method::POST, "/v2/schedules", Some(&p.key), Some(body), Some(SCHEDULES));
    post(json!({ "timeZone": "UTC", "isDefault": true }))
        .await
        .expect_field_error("name");
    post(json!({ "name": "x", "isDefault": true }))
        .await
        .expect_field_error("timeZone");
    post(json!({ "name": "x", "timeZone": "UTC" }))
        .await
        .expect_field_error("isDefault");
    post(json!({ "name": "x", "timeZone": "Nowhere/Land", "isDefault": true }))
        .await
        .expect_field_error("timeZone");
    post(json!({ "name": "x", "timeZone": "UTC", "isDefault": true, "availability": [{ "days": ["Funday"], "startTime": "09:00", "endTime": "10:00" }] }))
        .await
        .expect_field_error("availability[0].days");
    post(json!({ "name": "x", "timeZone": "UTC", "isDefault": true, "availability": [{ "days": ["Monday"], "startTime": "9am", "endTime": "10:00" }] }))
        .await
        .expect_field_error("availability[0].startTime");
    post(json!({ "name": "x", "timeZone": "UTC", "isDefault": true, "availability": [{ "days": ["Monday"], "startTime": "10:00", "endTime": "09:00" }] }))
        .await
        .expect_field_error("availability[0].endTime");
    post(json!({ "name": "x", "timeZone": "UTC", "isDefault": true, "overrides": [{ "date": "2030-02-30", "startTime": "09:00", "endTime": "10:00" }] }))
        .await
        .expect_field_error("overrides[0].date");
    let other = app.user("other-sched@example.test").await;
    let theirs = app
        .versioned(
            Method::POST,
            "/v2/schedules",
            Some(&other.key),
            Some(json!({ "name": "Theirs", "timeZone": "UTC", "isDefault": true })),
            Some(SCHEDULES),
        )
        .await;
    let theirs = theirs.data()["id"].clone();
    app.versioned(
        Method::GET,
        &format!("/v2/schedules/{theirs}"),
        Some(&p.key),
        None,
        Some(SCHEDULES),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn event_types_crud_and_validation() {
    let app = TestApp::spawn().await;
    let p = app.user("events@example.test").await;
    let post = |body: Value| {
        app.versioned(
            Method::POST,
            "/v2/event-types",
            Some(&p.key),
            Some(body),
            Some(EVENT_TYPES),
        )
    };
    let created = post(json!({
        "title": "Intro call", "slug": "intro", "lengthInMinutes": 30, "lengthInMinutesOptions": [30, 60],
        "beforeEventBuffer": 5, "afterEventBuffer": 10, "minimumBookingNotice": 120, "slotInterval": 15,
        "locations": [{ "type": "link", "link": "https://meet.example.com/intro", "public": true }],
        "bookingFields": [{ "type": "text", "slug": "company", "label": "Company", "required": true, "placeholder": "" }],
        "bookingLimitsCount": { "day": 3 }, "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true },
        "metadata": { "source": "test" }
    }))
    .await;
    let e = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(e["slug"], "intro");
    assert_eq!(e["lengthInMinutesOptions"], json!([30, 60]));
    assert_eq!(e["bookingLimitsCount"], json!({ "day": 3 }));
    assert_eq!(e["confirmationPolicy"]["type"], "always");
    assert_eq!(e["bookingFields"][2]["slug"], "company");
    assert_eq!(e["users"], json!(["events-example-test"]));
    let path = format!("/v2/event-types/{}", e["id"]);
    let patched = app
        .versioned(
            Method::PATCH,
            &path,
            Some(&p.key),
            Some(json!({ "title": "Intro", "bookingLimitsCount": { "disabled": true } })),
            Some(EVENT_TYPES),
        )
        .await;
    let patched = patched.expect_success(StatusCode::OK);
    assert_eq!(patched["title"], "Intro");
    assert_eq!(patched["slotInterval"], 15, "absent fields keep their values");
    assert!(patched.get("bookingLimitsCount").is_none());
    post(json!({ "title": "Dup", "slug": "intro", "lengthInMinutes": 30 }))
        .await
        .expect_error(StatusCode::CONFLICT);

    post(json!({ "slug": "x", "lengthInMinutes": 30 }))
        .await
        .expect_field_error("title");
    post(json!({ "title": "x", "lengthInMinutes": 30 }))
        .await
        .expect_field_error("slug");
    post(json!({ "title": "x", "slug": "x" }))
        .await
        .expect_field_error("lengthInMinutes");
    post(json!({ "title": "x", "slug": "x", "lengthInMinutes": 0 }))
        .await
        .expect_field_error("lengthInMinutes");
    post(json!({ "title": "x", "slug": "x", "lengthInMinutes": 30, "lengthInMinutesOptions": [15, 45] }))
        .await
        .expect_field_error("lengthInMinutesOptions");
    post(json!({ "title": "x", "slug": "x", "lengthInMinutes": 30, "afterEventBuffer": 100000 }))
        .await
        .expect_field_error("afterEventBuffer");
    post(json!({ "title": "x", "slug": "x", "lengthInMinutes": 30, "scheduleId": 424242 }))
        .await
        .expect_field_error("scheduleId");
    post(json!({ "title": "x", "slug": "x", "lengthInMinutes": 30, "locations": [{ "type": "teleport" }] }))
        .await
        .expect_field_error("locations[0].type");
    post(json!({ "title": "x", "slug": "x", "lengthInMinutes": 30, "bookingFields": [{ "type": "text", "slug": "a", "label": "A" }] }))
        .await
        .expect_field_error("bookingFields[0].required");
    post(json!({ "title": "x", "slug": "x", "lengthInMinutes": 30, "bookingLimitsCount": { "hour": 1 } }))
        .await
        .expect_field_error("bookingLimitsCount.hour");
    post(json!({ "title": "Bad\ntitle", "slug": "x", "lengthInMinutes": 30 }))
        .await
        .expect_field_error("title");

    let stranger = app.user("stranger-et@example.test").await;
    app.versioned(Method::GET, &path, Some(&stranger.key), None, Some(EVENT_TYPES))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.versioned(Method::DELETE, &path, Some(&stranger.key), None, Some(EVENT_TYPES))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.versioned(Method::DELETE, &path, Some(&p.key), None, Some(EVENT_TYPES))
        .await
        .expect_success(StatusCode::OK);
}
