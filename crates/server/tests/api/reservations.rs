//! Slot reservations: a held slot is offered to nobody else and booked by nobody else.

use crate::helpers::TestApp;
use crate::scheduling::{SLOTS, book, host_with_event, slots, starts, weekdays_9_to_5};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn reserve(app: &TestApp, key: Option<&str>, body: serde_json::Value) -> crate::helpers::Answer {
    app.versioned(Method::POST, "/v2/slots/reservations", key, Some(body), Some(SLOTS))
        .await
}

#[tokio::test]
async fn a_held_slot_is_hidden_and_unbookable_until_released() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "hold@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let held = reserve(
        &app,
        None,
        json!({ "eventTypeId": event, "slotStart": "2030-01-07T10:00:00Z" }),
    )
    .await;
    let r = held.expect_success(StatusCode::CREATED).clone();
    assert_eq!(r["slotStart"], "2030-01-07T10:00:00.000Z");
    assert_eq!(r["slotEnd"], "2030-01-07T10:30:00.000Z");
    assert_eq!(r["reservationDuration"], 5);
    let uid = r["reservationUid"].as_str().expect("uid").to_owned();

    let free = starts(
        &slots(
            &app,
            &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07&timeZone=UTC"),
        )
        .await,
    );
    assert!(
        !free.contains(&"2030-01-07T10:00:00.000+00:00".to_owned()),
        "held slot offered: {free:?}"
    );
    book(&app, event, "2030-01-07T10:00:00Z", "other@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    reserve(
        &app,
        None,
        json!({ "eventTypeId": event, "slotStart": "2030-01-07T10:00:00Z" }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);

    let path = format!("/v2/slots/reservations/{uid}");
    assert_eq!(
        app.versioned(Method::GET, &path, None, None, Some(SLOTS))
            .await
            .expect_success(StatusCode::OK)["reservationUid"],
        uid.as_str()
    );
    let moved = app
        .versioned(
            Method::PATCH,
            &path,
            Some(&host.key),
            Some(json!({ "eventTypeId": event, "slotStart": "2030-01-07T11:00:00Z", "reservationDuration": 15 })),
            Some(SLOTS),
        )
        .await;
    let moved = moved.expect_success(StatusCode::OK);
    assert_eq!(moved["slotStart"], "2030-01-07T11:00:00.000Z");
    assert_eq!(moved["reservationDuration"], 15);
    // Extending a hold in place: the hold being changed does not block itself, and keeps its uid.
    let extended = app
        .versioned(
            Method::PATCH,
            &path,
            Some(&host.key),
            Some(json!({ "eventTypeId": event, "slotStart": "2030-01-07T11:00:00Z", "reservationDuration": 30 })),
            Some(SLOTS),
        )
        .await;
    let extended = extended.expect_success(StatusCode::OK);
    assert_eq!(extended["reservationUid"], uid.as_str());
    assert_eq!(extended["reservationDuration"], 30);
    book(&app, event, "2030-01-07T10:00:00Z", "first@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    book(&app, event, "2030-01-07T11:00:00Z", "second@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);

    app.versioned(Method::DELETE, &path, None, None, Some(SLOTS))
        .await
        .expect_success(StatusCode::OK);
    app.versioned(Method::GET, &path, None, None, Some(SLOTS))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    book(&app, event, "2030-01-07T11:00:00Z", "second@example.test")
        .await
        .expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn the_holder_books_the_held_slot_with_its_reservation_uid() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "holder@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let held = reserve(
        &app,
        None,
        json!({ "eventTypeId": event, "slotStart": "2030-01-07T10:00:00Z" }),
    )
    .await;
    let uid = held.expect_success(StatusCode::CREATED)["reservationUid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let body = |reservation: Option<&str>| {
        let mut b = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z", "attendee": { "name": "H", "email": "h@example.test", "timeZone": "UTC" } });
        if let Some(r) = reservation {
            b["reservationUid"] = json!(r);
        }
        b
    };
    app.versioned(
        Method::POST,
        "/v2/bookings",
        None,
        Some(body(Some("someone-elses"))),
        Some("2024-08-13"),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    app.versioned(
        Method::POST,
        "/v2/bookings",
        None,
        Some(body(Some(&uid))),
        Some("2024-08-13"),
    )
    .await
    .expect_success(StatusCode::CREATED);
    app.versioned(
        Method::GET,
        &format!("/v2/slots/reservations/{uid}"),
        None,
        None,
        Some(SLOTS),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reservation_input_rules() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "hold2@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    reserve(&app, None, json!({ "slotStart": "2030-01-07T10:00:00Z" }))
        .await
        .expect_field_error("eventTypeId");
    reserve(&app, None, json!({ "eventTypeId": event }))
        .await
        .expect_field_error("slotStart");
    reserve(
        &app,
        None,
        json!({ "eventTypeId": event, "slotStart": "2030-01-07T10:00:00Z", "reservationDuration": 30 }),
    )
    .await
    .expect_field_error("reservationDuration");
    reserve(
        &app,
        Some(&host.key),
        json!({ "eventTypeId": event, "slotStart": "2030-01-07T10:00:00Z", "reservationDuration": 600 }),
    )
    .await
    .expect_field_error("reservationDuration");
    reserve(
        &app,
        None,
        json!({ "eventTypeId": event, "slotStart": "2030-01-06T10:00:00Z" }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    reserve(
        &app,
        None,
        json!({ "eventTypeId": event, "slotStart": "2030-01-07T10:00:00Z", "slotDuration": 45 }),
    )
    .await
    .expect_field_error("slotDuration");
    app.versioned(Method::DELETE, "/v2/slots/reservations/nope", None, None, Some(SLOTS))
        .await
        .expect_error(StatusCode::NOT_FOUND);
}
