//! `GET /v2/slots` through the API: zones, DST, notice, buffers, intervals, overrides, limits.

use crate::helpers::TestApp;
use crate::scheduling::{EVENT_TYPES, book, host_with_event, slots, starts, weekdays_9_to_5};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn weekday_slots_are_keyed_by_local_date_with_offsets() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "rome@example.test",
        "Europe/Rome",
        weekdays_9_to_5(),
        json!({ "title": "Call", "slug": "call", "lengthInMinutes": 60 }),
    )
    .await;
    // 2030-01-07 is a Monday.
    let answer = slots(
        &app,
        &format!("eventTypeId={event}&start=2030-01-05&end=2030-01-07&timeZone=Europe/Rome"),
    )
    .await;
    let data = answer.expect_success(StatusCode::OK);
    assert!(
        data.get("2030-01-05").is_none() && data.get("2030-01-06").is_none(),
        "weekend is empty: {data}"
    );
    let monday: Vec<&str> = data["2030-01-07"]
        .as_array()
        .expect("monday")
        .iter()
        .map(|s| s["start"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(monday.len(), 8);
    assert_eq!(monday[0], "2030-01-07T09:00:00.000+01:00");
    assert_eq!(monday[7], "2030-01-07T16:00:00.000+01:00");

    let ranged = slots(
        &app,
        &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07&timeZone=UTC&format=range"),
    )
    .await;
    let first = ranged.expect_success(StatusCode::OK)["2030-01-07"][0].clone();
    assert_eq!(
        first,
        json!({ "start": "2030-01-07T08:00:00.000+00:00", "end": "2030-01-07T09:00:00.000+00:00" })
    );
    let by_slug = slots(
        &app,
        "eventTypeSlug=call&username=rome-example-test&start=2030-01-07&end=2030-01-07",
    )
    .await;
    assert_eq!(starts(&by_slug).len(), 8);
}

#[tokio::test]
async fn slots_follow_local_time_across_dst_changes() {
    let app = TestApp::spawn().await;
    let every_day = json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], "startTime": "09:00", "endTime": "11:00" }]);
    let event = json!({ "title": "Call", "slug": "call", "lengthInMinutes": 60 });
    let (_, ny) = host_with_event(
        &app,
        "ny@example.test",
        "America/New_York",
        every_day.clone(),
        event.clone(),
    )
    .await;
    // US clocks spring forward on 2030-03-10 and fall back on 2030-11-03.
    for (before, after) in [("2030-03-09", "2030-03-10"), ("2030-11-02", "2030-11-03")] {
        let answer = slots(
            &app,
            &format!("eventTypeId={ny}&start={before}&end={after}&timeZone=America/New_York"),
        )
        .await;
        let data = answer.expect_success(StatusCode::OK);
        for day in [before, after] {
            let first = data[day][0]["start"].as_str().expect("slot");
            assert!(first.starts_with(&format!("{day}T09:00:00.000")), "{day}: {first}");
        }
    }
    let spring = slots(
        &app,
        &format!("eventTypeId={ny}&start=2030-03-09&end=2030-03-10&timeZone=UTC"),
    )
    .await;
    let utc = starts(&spring);
    assert!(
        utc.contains(&"2030-03-09T14:00:00.000+00:00".to_owned()),
        "EST: 09:00 = 14:00Z {utc:?}"
    );
    assert!(
        utc.contains(&"2030-03-10T13:00:00.000+00:00".to_owned()),
        "EDT: 09:00 = 13:00Z {utc:?}"
    );

    let (_, london) = host_with_event(&app, "london@example.test", "Europe/London", every_day, event).await;
    // UK clocks change on 2030-03-31 and 2030-10-27.
    let answer = slots(
        &app,
        &format!("eventTypeId={london}&start=2030-03-30&end=2030-03-31&timeZone=UTC"),
    )
    .await;
    let utc = starts(&answer);
    assert!(
        utc.contains(&"2030-03-30T09:00:00.000+00:00".to_owned())
            && utc.contains(&"2030-03-31T08:00:00.000+00:00".to_owned()),
        "{utc:?}"
    );
    let answer = slots(
        &app,
        &format!("eventTypeId={london}&start=2030-10-26&end=2030-10-27&timeZone=UTC"),
    )
    .await;
    let utc = starts(&answer);
    assert!(
        utc.contains(&"2030-10-26T08:00:00.000+00:00".to_owned())
            && utc.contains(&"2030-10-27T09:00:00.000+00:00".to_owned()),
        "{utc:?}"
    );
}

#[tokio::test]
async fn a_kolkata_host_seen_from_los_angeles() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "kolkata@example.test",
        "Asia/Kolkata",
        weekdays_9_to_5(),
        json!({ "title": "Call", "slug": "call", "lengthInMinutes": 30 }),
    )
    .await;
    // Monday 09:00 IST = Sunday 19:30 PST (UTC-8 in January).
    let answer = slots(
        &app,
        &format!("eventTypeId={event}&start=2030-01-06&end=2030-01-07&timeZone=America/Los_Angeles"),
    )
    .await;
    let data = answer.expect_success(StatusCode::OK);
    assert_eq!(data["2030-01-06"][0]["start"], "2030-01-06T19:30:00.000-08:00");
    let created = book(&app, event, "2030-01-07T03:30:00Z", "la@example.test").await;
    assert_eq!(
        created.expect_success(StatusCode::CREATED)["start"],
        "2030-01-07T03:30:00.000Z"
    );
}

#[tokio::test]
async fn notice_buffers_interval_and_overrides_shape_the_slots() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "rules@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Call", "slug": "call", "lengthInMinutes": 30, "slotInterval": 15, "beforeEventBuffer": 15, "afterEventBuffer": 15 }),
    )
    .await;
    let day = "eventTypeId={event}&start=2030-01-07&end=2030-01-07&timeZone=UTC";
    let all = starts(&slots(&app, &day.replace("{event}", &event.to_string())).await);
    assert_eq!(
        all.len(),
        (8 * 60 - 30) / 15 + 1,
        "every 15 minutes from 09:00 to 16:30"
    );
    book(&app, event, "2030-01-07T12:00:00Z", "a@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    let after = starts(&slots(&app, &day.replace("{event}", &event.to_string())).await);
    // Blocked: starts whose buffered range touches 12:00–12:30, i.e. 11:30 to 12:30 (exclusive of edges).
    for blocked in ["11:30", "11:45", "12:00", "12:15", "12:30"] {
        assert!(
            !after.contains(&format!("2030-01-07T{blocked}:00.000+00:00")),
            "{blocked} should be blocked: {after:?}"
        );
    }
    for free in ["11:15", "12:45"] {
        assert!(
            after.contains(&format!("2030-01-07T{free}:00.000+00:00")),
            "{free} should be free: {after:?}"
        );
    }

    // A date override replaces the weekly hours on that date.
    let schedule = app
        .versioned(
            Method::GET,
            "/v2/schedules/default",
            Some(&host.key),
            None,
            Some(crate::scheduling::SCHEDULES),
        )
        .await;
    let id = schedule.data()["id"].clone();
    app.versioned(
        Method::PATCH,
        &format!("/v2/schedules/{id}"),
        Some(&host.key),
        Some(json!({ "overrides": [{ "date": "2030-01-08", "startTime": "13:00", "endTime": "14:00" }, { "date": "2030-01-09", "startTime": "00:00", "endTime": "00:00" }] })),
        Some(crate::scheduling::SCHEDULES),
    )
    .await
    .expect_success(StatusCode::OK);
    let tuesday = starts(
        &slots(
            &app,
            &format!("eventTypeId={event}&start=2030-01-08&end=2030-01-09&timeZone=UTC"),
        )
        .await,
    );
    assert_eq!(
        tuesday,
        vec![
            "2030-01-08T13:00:00.000+00:00",
            "2030-01-08T13:15:00.000+00:00",
            "2030-01-08T13:30:00.000+00:00"
        ]
    );

    // Minimum notice of a year (the maximum): nothing within the next month, slots again after a year.
    let far = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(json!({ "title": "Far", "slug": "far", "lengthInMinutes": 30, "minimumBookingNotice": 525600 })),
            Some(EVENT_TYPES),
        )
        .await;
    let far = far.data()["id"].as_i64().expect("id");
    let now = jiff::Timestamp::now();
    let soon = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 30))
        .expect("date")
        .strftime("%Y-%m-%d")
        .to_string();
    let soon_end = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 37))
        .expect("date")
        .strftime("%Y-%m-%d")
        .to_string();
    let later = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 400))
        .expect("date")
        .strftime("%Y-%m-%d")
        .to_string();
    let later_end = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 407))
        .expect("date")
        .strftime("%Y-%m-%d")
        .to_string();
    assert!(
        starts(&slots(&app, &format!("eventTypeId={far}&start={soon}&end={soon_end}")).await).is_empty(),
        "inside the notice period"
    );
    assert!(
        !starts(&slots(&app, &format!("eventTypeId={far}&start={later}&end={later_end}")).await).is_empty(),
        "after it"
    );
}

#[tokio::test]
async fn booking_limits_close_a_day_once_reached() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "limits@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Call", "slug": "call", "lengthInMinutes": 30, "bookingLimitsCount": { "day": 2 } }),
    )
    .await;
    book(&app, event, "2030-01-07T09:00:00Z", "one@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    assert!(!starts(&slots(&app, &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07")).await).is_empty());
    book(&app, event, "2030-01-07T10:00:00Z", "two@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    assert!(
        starts(&slots(&app, &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07")).await).is_empty(),
        "Monday is full"
    );
    assert!(
        !starts(&slots(&app, &format!("eventTypeId={event}&start=2030-01-08&end=2030-01-08")).await).is_empty(),
        "Tuesday is not"
    );
    book(&app, event, "2030-01-07T11:00:00Z", "three@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn slot_query_errors_name_the_parameter() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "q@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Call", "slug": "call", "lengthInMinutes": 30 }),
    )
    .await;
    slots(&app, "start=2030-01-07&end=2030-01-07")
        .await
        .expect_field_error("eventTypeId");
    slots(&app, &format!("eventTypeId={event}&end=2030-01-07"))
        .await
        .expect_field_error("start");
    slots(&app, &format!("eventTypeId={event}&start=2030-01-07"))
        .await
        .expect_field_error("end");
    slots(&app, &format!("eventTypeId={event}&start=tomorrow&end=2030-01-07"))
        .await
        .expect_field_error("start");
    slots(&app, &format!("eventTypeId={event}&start=2030-01-08&end=2030-01-07"))
        .await
        .expect_field_error("end");
    slots(&app, &format!("eventTypeId={event}&start=2030-01-01&end=2030-12-31"))
        .await
        .expect_field_error("end");
    slots(
        &app,
        &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07&timeZone=Mars/Base"),
    )
    .await
    .expect_field_error("timeZone");
    slots(
        &app,
        &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07&duration=45"),
    )
    .await
    .expect_field_error("duration");
    slots(
        &app,
        &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07&format=grid"),
    )
    .await
    .expect_field_error("format");
    slots(&app, "eventTypeId=424242&start=2030-01-07&end=2030-01-07")
        .await
        .expect_error(StatusCode::NOT_FOUND);
    slots(&app, "eventTypeId=abc&start=2030-01-07&end=2030-01-07")
        .await
        .expect_field_error("eventTypeId");
}
