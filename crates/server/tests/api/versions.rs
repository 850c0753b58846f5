//! Versions as Cal.com serves them: no `cal-api-version` (or another resource's version) gets the legacy
//! `2024-04-15` shapes of event types, schedules and slots; each current version keeps its own shapes.

use crate::helpers::TestApp;
use crate::scheduling::{EVENT_TYPES, SCHEDULES, SLOTS, host_with_event, weekdays_9_to_5};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A host (username `legacy-host-example-test`) working 9–5 UTC on weekdays, with a `15min` event type.
async fn host(app: &TestApp) -> (crate::helpers::Person, i64) {
    host_with_event(
        app,
        "legacy.host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Quick chat", "slug": "15min", "lengthInMinutes": 15,
                "locations": [{ "type": "address", "address": "1 Main St", "public": true }] }),
    )
    .await
}

const USERNAME: &str = "legacy-host-example-test";

#[tokio::test]
async fn event_types_without_a_header_are_grouped_as_in_2024_04_15() {
    let app = TestApp::spawn().await;
    let (host, id) = host(&app).await;
    for version in [None, Some("2024-04-15"), Some("2024-08-13"), Some("not-a-version")] {
        let answer = app
            .versioned(Method::GET, "/v2/event-types", Some(&host.key), None, version)
            .await;
        let data = answer.expect_success(StatusCode::OK);
        let group = &data["eventTypeGroups"][0];
        assert_eq!(group["profile"]["slug"], USERNAME, "{version:?}: {data}");
        let event = &group["eventTypes"][0];
        assert_eq!(event["id"], id);
        assert_eq!(event["length"], 15);
        assert_eq!(event["hidden"], false);
        assert_eq!(event["requiresConfirmation"], false);
        assert_eq!(
            event["locations"][0],
            json!({ "type": "inPerson", "address": "1 Main St", "displayLocationPublicly": true })
        );
        assert_eq!(data["profiles"][0]["slug"], USERNAME);
    }
    // The current version keeps its list.
    let current = app
        .versioned(Method::GET, "/v2/event-types", Some(&host.key), None, Some(EVENT_TYPES))
        .await;
    assert_eq!(current.expect_success(StatusCode::OK)[0]["lengthInMinutes"], 15);
}

#[tokio::test]
async fn the_agent_guide_lists_event_types_by_username_with_2024_08_13() {
    let app = TestApp::spawn().await;
    let (_host, id) = host(&app).await;
    let reader = app.user("reader@example.test").await;
    let path = format!("/v2/event-types?username={USERNAME}");
    let answer = app
        .versioned(Method::GET, &path, Some(&reader.key), None, Some("2024-08-13"))
        .await;
    let data = answer.expect_success(StatusCode::OK);
    assert_eq!(data["eventTypeGroups"][0]["eventTypes"][0]["id"], id, "{data}");
    assert_eq!(data["eventTypeGroups"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn legacy_event_type_create_read_update_delete() {
    let app = TestApp::spawn().await;
    let owner = app.user("legacy.owner@example.test").await;
    let created = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&owner.key),
            Some(json!({ "title": "Legacy", "slug": "legacy", "length": 45,
                         "locations": [{ "type": "integrations:daily" }], "requiresConfirmation": true })),
            None,
        )
        .await;
    let data = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(data["length"], 45);
    assert_eq!(data["requiresConfirmation"], true);
    assert_eq!(data["locations"], json!([{ "type": "integrations:daily" }]));
    let id = data["id"].as_i64().expect("id");
    let path = format!("/v2/event-types/{id}");
    // The current version reads what the legacy one wrote.
    let current = app
        .versioned(Method::GET, &path, Some(&owner.key), None, Some(EVENT_TYPES))
        .await;
    let current = current.expect_success(StatusCode::OK);
    assert_eq!(current["lengthInMinutes"], 45);
    assert_eq!(
        current["locations"][0],
        json!({ "type": "integration", "integration": "cal-video" })
    );
    let updated = app
        .versioned(
            Method::PATCH,
            &path,
            Some(&owner.key),
            Some(json!({ "length": 60 })),
            None,
        )
        .await;
    assert_eq!(updated.expect_success(StatusCode::OK)["length"], 60);
    let bad = app
        .versioned(
            Method::PATCH,
            &path,
            Some(&owner.key),
            Some(json!({ "length": 0 })),
            None,
        )
        .await;
    bad.expect_field_error("lengthInMinutes");
    let deleted = app.versioned(Method::DELETE, &path, Some(&owner.key), None, None).await;
    assert_eq!(
        deleted.expect_success(StatusCode::OK),
        &json!({ "id": id, "length": 60, "slug": "legacy", "title": "Legacy" })
    );
}

#[tokio::test]
async fn schedules_without_a_header_are_the_2024_04_15_detailed_schedules() {
    let app = TestApp::spawn().await;
    let person = app.user("legacy.schedules@example.test").await;
    let none = app
        .versioned(Method::GET, "/v2/schedules/default", Some(&person.key), None, None)
        .await;
    assert_eq!(none.expect_success(StatusCode::OK), &Value::Null);
    let created = app
        .versioned(
            Method::POST,
            "/v2/schedules",
            Some(&person.key),
            Some(json!({ "name": "Legacy week", "timeZone": "Europe/Paris", "isDefault": true,
                         "availabilities": [{ "days": [1, 2], "startTime": "1970-01-01T09:00:00.000Z", "endTime": "1970-01-01T12:30:00.000Z" }] })),
            None,
        )
        .await;
    let data = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(
        data["workingHours"][0],
        json!({ "days": [1, 2], "startTime": 540, "endTime": 750, "userId": person.id })
    );
    assert_eq!(
        data["availability"][1],
        json!([{ "start": "1970-01-01T09:00:00.000Z", "end": "1970-01-01T12:30:00.000Z" }])
    );
    assert_eq!(data["availability"][0], json!([]));
    assert_eq!(
        (data["isDefault"].clone(), data["isLastSchedule"].clone()),
        (json!(true), json!(true))
    );
    let id = data["id"].as_i64().expect("id");

    // The current version reads the same rules.
    let current = app
        .versioned(
            Method::GET,
            &format!("/v2/schedules/{id}"),
            Some(&person.key),
            None,
            Some(SCHEDULES),
        )
        .await;
    assert_eq!(
        current.expect_success(StatusCode::OK)["availability"],
        json!([{ "days": ["Monday", "Tuesday"], "startTime": "09:00", "endTime": "12:30" }])
    );

    // A legacy update: the week as seven lists (0 = Sunday), overrides as ranges.
    let mut week = vec![json!([]); 7];
    week[5] = json!([{ "start": "1970-01-01T10:00:00.000Z", "end": "1970-01-02T00:00:00.000Z" }]);
    let updated = app
        .versioned(
            Method::PATCH,
            &format!("/v2/schedules/{id}"),
            Some(&person.key),
            Some(json!({ "schedule": week, "dateOverrides": [{ "start": "2030-01-08T13:00:00.000Z", "end": "2030-01-08T15:00:00.000Z" }] })),
            Some("2024-04-15"),
        )
        .await;
    let data = updated.expect_success(StatusCode::OK);
    assert_eq!(data["workingHours"][0]["days"], json!([5]));
    assert_eq!(data["workingHours"][0]["endTime"], 1440);
    assert_eq!(
        data["dateOverrides"][0]["ranges"][0],
        json!({ "start": "2030-01-08T13:00:00.000Z", "end": "2030-01-08T15:00:00.000Z" })
    );
    let list = app
        .versioned(Method::GET, "/v2/schedules", Some(&person.key), None, None)
        .await;
    assert_eq!(list.expect_success(StatusCode::OK)[0]["name"], "Legacy week");
    let bad = app
        .versioned(
            Method::PATCH,
            &format!("/v2/schedules/{id}"),
            Some(&person.key),
            Some(json!({ "schedule": [[{ "start": "nine", "end": "1970-01-01T10:00:00Z" }]] })),
            None,
        )
        .await;
    bad.expect_field_error("schedule[0][0].start");
}

#[tokio::test]
async fn the_agent_guide_slots_request_works_verbatim() {
    let app = TestApp::spawn().await;
    host(&app).await;
    // 2030-01-07 is a Monday: 9:00–17:00 UTC in 15-minute slots.
    let path = format!(
        "/v2/slots?username={USERNAME}&eventSlug=15min&startTime=2030-01-07T00:00:00Z&endTime=2030-01-08T23:59:59Z"
    );
    let answer = app.versioned(Method::GET, &path, None, None, Some("2024-08-13")).await;
    let data = answer.expect_success(StatusCode::OK);
    let monday = data["slots"]["2030-01-07"].as_array().expect("Monday's slots");
    assert_eq!(monday[0], json!({ "time": "2030-01-07T09:00:00.000Z" }), "{data}");
    assert_eq!(monday.len(), 32);
    assert!(data["slots"]["2030-01-08"].is_array());

    // The legacy endpoint, with the legacy parameters, ranges and a zone.
    let path = format!(
        "/v2/slots/available?usernameList={USERNAME}&eventTypeSlug=15min&startTime=2030-01-07&endTime=2030-01-07&slotFormat=range&timeZone=Europe/Paris"
    );
    let answer = app.versioned(Method::GET, &path, None, None, None).await;
    let first = &answer.expect_success(StatusCode::OK)["slots"]["2030-01-07"][0];
    assert_eq!(
        first,
        &json!({ "startTime": "2030-01-07T10:00:00.000+01:00", "endTime": "2030-01-07T10:15:00.000+01:00" })
    );

    // The current version keeps its shape.
    let path = format!("/v2/slots?username={USERNAME}&eventTypeSlug=15min&start=2030-01-07&end=2030-01-07");
    let current = app.versioned(Method::GET, &path, None, None, Some(SLOTS)).await;
    assert_eq!(
        current.expect_success(StatusCode::OK)["2030-01-07"][0],
        json!({ "start": "2030-01-07T09:00:00.000+00:00" })
    );
}

#[tokio::test]
async fn bookings_without_a_header_are_the_2024_04_15_bookings() {
    let app = TestApp::spawn().await;
    let (host, id) = host(&app).await;
    // A legacy create: the booker in `responses`, the zone beside them, the end instead of a length.
    let body = json!({
        "start": "2030-01-07T09:00:00.000Z", "end": "2030-01-07T09:15:00.000Z", "eventTypeId": id,
        "timeZone": "Europe/Paris", "language": "en", "metadata": {},
        "responses": { "name": "Lee Legacy", "email": "lee@example.test", "guests": [] },
    });
    let created = app
        .versioned(Method::POST, "/v2/bookings", None, Some(body), None)
        .await;
    let data = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(data["startTime"], "2030-01-07T09:00:00.000Z", "{data}");
    assert_eq!(data["endTime"], "2030-01-07T09:15:00.000Z");
    assert_eq!(data["status"], "ACCEPTED");
    assert_eq!(data["responses"]["name"], "Lee Legacy");
    assert_eq!(data["user"]["username"], USERNAME);
    assert_eq!(data["attendees"][0]["timeZone"], "Europe/Paris");
    let uid = data["uid"].as_str().expect("uid").to_owned();

    // The same booking through the current version.
    let current = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&host.key),
            None,
            Some("2024-08-13"),
        )
        .await;
    assert_eq!(
        current.expect_success(StatusCode::OK)["start"],
        "2030-01-07T09:00:00.000Z"
    );

    let list = app
        .versioned(
            Method::GET,
            "/v2/bookings?filters[status]=upcoming&limit=1",
            Some(&host.key),
            None,
            None,
        )
        .await;
    let list = list.expect_success(StatusCode::OK);
    assert_eq!(list["bookings"][0]["uid"], uid.as_str(), "{list}");
    assert_eq!(list["nextCursor"], Value::Null);
    assert_eq!(list["recurringInfo"], json!([]));

    let one = app
        .versioned(Method::GET, &format!("/v2/bookings/{uid}"), None, None, None)
        .await;
    assert_eq!(
        one.expect_success(StatusCode::OK)["endTime"],
        "2030-01-07T09:15:00.000Z"
    );
    let cancelled = app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{uid}/cancel"),
            None,
            Some(json!({ "cancellationReason": "No longer needed" })),
            Some("2024-06-14"),
        )
        .await;
    // Cal.com's legacy cancel names the booking; the reason is on the booking.
    let cancelled = cancelled.expect_success(StatusCode::OK);
    assert_eq!(
        cancelled,
        &json!({ "bookingId": data["id"], "bookingUid": uid, "onlyRemovedAttendee": false })
    );
    let one = app
        .versioned(Method::GET, &format!("/v2/bookings/{uid}"), None, None, None)
        .await;
    let one = one.expect_success(StatusCode::OK);
    assert_eq!(one["status"], "CANCELLED");
    assert_eq!(one["cancellationReason"], "No longer needed");

    // A legacy body missing the booker's address is a 400 naming the attendee's field.
    let body = json!({ "start": "2030-01-07T10:00:00Z", "eventTypeId": id, "timeZone": "UTC",
                       "responses": { "name": "No Mail" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), None)
        .await
        .expect_field_error("attendee.email");
}
