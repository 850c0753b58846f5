//! Every request of Cal.com's "AI agents" guide (seed 001), sent as the guide writes it — headers, bodies and
//! query strings unchanged, `https://api.cal.com` replaced by the test server — except the credits
//! operations, which belong to Cal.com's hosted billing and are not part of convene.

use crate::helpers::TestApp;
use crate::scheduling::{SCHEDULES, host_with_event};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The guide's only header set: the version everywhere, the key where the guide shows one.
async fn guide(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> crate::helpers::Answer {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.address))
        .header("cal-api-version", "2024-08-13");
    if let Some(key) = key {
        req = req.header("Authorization", format!("Bearer {key}"));
    }
    if let Some(body) = body {
        req = req.header("Content-Type", "application/json").body(body.to_string());
    }
    TestApp::answer(req.send().await.expect("send")).await
}

#[tokio::test]
async fn the_ai_agents_guide_works_verbatim() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    // "bailey" works 09:00–17:00 New York time on weekdays and offers `15min` and `consultation`.
    let week = json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "startTime": "09:00", "endTime": "17:00" }]);
    let (bailey, _) = host_with_event(
        &app,
        "bailey@example.test",
        "UTC",
        week,
        json!({ "title": "15 min", "slug": "15min", "lengthInMinutes": 15 }),
    )
    .await;
    let sql = "UPDATE users SET username = 'bailey' WHERE id = $1";
    match &app.db {
        convene_store::Db::Sqlite(pool) => sqlx::query(sql).bind(bailey.id).execute(pool).await.map(|_| ()),
        convene_store::Db::Postgres(pool) => sqlx::query(sql).bind(bailey.id).execute(pool).await.map(|_| ()),
    }
    .expect("rename the host");
    app.versioned(
        Method::POST,
        "/v2/event-types",
        Some(&bailey.key),
        Some(json!({ "title": "Consultation", "slug": "consultation", "lengthInMinutes": 30, "bookingFields": [
            { "type": "select", "slug": "company_size", "label": "Company size", "required": true, "options": ["1-9", "10-50"] },
            { "slug": "notes", "required": true }
        ] })),
        Some("2024-06-14"),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let key = bailey.key.clone();

    // Authentication.
    let me = guide(&app, Method::GET, "/v2/me", Some(&key), None).await;
    assert_eq!(me.expect_success(StatusCode::OK)["username"], "bailey");

    // 1. Check availability (dates moved to a future Monday and Tuesday).
    let slots = guide(
        &app,
        Method::GET,
        "/v2/slots?username=bailey&eventSlug=15min&startTime=2030-01-07T00:00:00Z&endTime=2030-01-08T23:59:59Z",
        None,
        None,
    )
    .await;
    let slots = slots.expect_success(StatusCode::OK);
    assert_eq!(
        slots["slots"]["2030-01-07"][0],
        json!({ "time": "2030-01-07T09:00:00.000Z" }),
        "{slots}"
    );

    // 2. Create a booking by username and event slug.
    let created = guide(
        &app,
        Method::POST,
        "/v2/bookings",
        None,
        Some(
            json!({ "eventTypeSlug": "15min", "username": "bailey", "start": "2030-01-07T09:00:00Z",
                     "attendee": { "name": "John Doe", "email": "john@example.com", "timeZone": "America/New_York" } }),
        ),
    )
    .await;
    let uid = created.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();

    // 3. Custom booking questions: without them 400, with them booked.
    let body = |responses: Value| {
        json!({ "eventTypeSlug": "consultation", "username": "bailey", "start": "2030-01-07T10:00:00Z",
                "attendee": { "name": "John Doe", "email": "john@example.com", "timeZone": "America/New_York" },
                "bookingFieldsResponses": responses })
    };
    guide(&app, Method::POST, "/v2/bookings", None, Some(body(json!({}))))
        .await
        .expect_field_error("bookingFieldsResponses.company_size");
    let responses = json!({ "notes": "Discussing the new AI integration", "company_size": "10-50" });
    guide(&app, Method::POST, "/v2/bookings", None, Some(body(responses)))
        .await
        .expect_success(StatusCode::CREATED);

    // 4. `instant` is read as an ordinary booking (convene has no instant meetings).
    guide(
        &app,
        Method::POST,
        "/v2/bookings",
        None,
        Some(
            json!({ "eventTypeSlug": "15min", "username": "bailey", "start": "2030-01-07T11:00:00Z", "instant": true,
                     "attendee": { "name": "John Doe", "email": "john@example.com", "timeZone": "America/New_York" } }),
        ),
    )
    .await
    .expect_success(StatusCode::CREATED);

    // 5. The user's event types.
    let types = guide(&app, Method::GET, "/v2/event-types?username=bailey", Some(&key), None).await;
    let types = types.expect_success(StatusCode::OK);
    let slugs: Vec<&str> = types["eventTypeGroups"][0]["eventTypes"]
        .as_array()
        .expect("event types")
        .iter()
        .filter_map(|e| e["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["15min", "consultation"]);

    // 6. Reschedule.
    let moved = guide(
        &app,
        Method::POST,
        &format!("/v2/bookings/{uid}/reschedule"),
        None,
        Some(json!({ "start": "2030-01-08T10:00:00Z", "rescheduleReason": "Attendee requested different time" })),
    )
    .await;
    let moved = moved.expect_success(StatusCode::CREATED).clone();
    assert_eq!(moved["start"], "2030-01-08T10:00:00.000Z");
    let new_uid = moved["uid"].as_str().expect("uid");
    let old = guide(&app, Method::GET, &format!("/v2/bookings/{uid}"), None, None).await;
    assert_eq!(
        old.expect_success(StatusCode::OK)["reschedulingReason"],
        "Attendee requested different time"
    );

    // 7. Cancel.
    let cancelled = guide(
        &app,
        Method::POST,
        &format!("/v2/bookings/{new_uid}/cancel"),
        None,
        Some(json!({ "cancellationReason": "Meeting no longer needed" })),
    )
    .await;
    assert_eq!(cancelled.expect_success(StatusCode::OK)["status"], "cancelled");

    // Key endpoints: schedules (the guide's version is not the schedules' one: the legacy shape).
    let schedules = guide(&app, Method::GET, "/v2/schedules", Some(&key), None).await;
    assert!(schedules.expect_success(StatusCode::OK)[0]["workingHours"].is_array());
    let current = app
        .versioned(Method::GET, "/v2/schedules", Some(&key), None, Some(SCHEDULES))
        .await;
    assert!(current.expect_success(StatusCode::OK)[0]["availability"].is_array());

    // Webhooks, with the guide's `eventTriggers`.
    let hook = guide(
        &app,
        Method::POST,
        "/v2/webhooks",
        Some(&key),
        Some(json!({ "subscriberUrl": "https://your-agent.com/webhooks/cal",
                     "eventTriggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"], "active": true })),
    )
    .await;
    assert_eq!(
        hook.expect_success(StatusCode::CREATED)["triggers"],
        json!(["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"])
    );
}
