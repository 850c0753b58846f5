//! The work and memory of `GET /v2/slots` are bounded: per answer (candidate starts, 400 naming `end`) and for
//! all listings at once (a shared budget; a listing that finds no room in time gets 503 with `Retry-After`)
//! (issue 10, item 5).

use crate::helpers::{TestApp, roomy_limits};
use crate::scheduling::{host_with_event, slots};
use convene_server::ServerSettings;
use convene_server::scheduling::slot_work::SlotWorkSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn around_the_clock() -> Value {
    json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], "startTime": "00:00", "endTime": "24:00" }])
}

async fn app_with(slot_work: SlotWorkSettings) -> TestApp {
    TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        limits: roomy_limits(),
        slot_work,
        ..ServerSettings::default()
    })
    .await
}

async fn event_of_minutes(app: &TestApp, email: &str, minutes: i64) -> i64 {
    let slug = format!("m{minutes}");
    let event = json!({ "title": "Call", "slug": slug, "lengthInMinutes": minutes });
    host_with_event(app, email, "UTC", around_the_clock(), event).await.1
}

#[tokio::test]
async fn a_month_of_quarter_hours_is_answered_but_a_month_of_minutes_is_refused_naming_end() {
    let app = TestApp::spawn().await;
    let quarter = event_of_minutes(&app, "quarter@example.test", 15).await;
    let minute = event_of_minutes(&app, "minute@example.test", 1).await;

    let month = slots(&app, &format!("eventTypeId={quarter}&start=2030-01-01&end=2030-01-31")).await;
    let data = month.expect_success(StatusCode::OK);
    assert_eq!(data.as_object().map(serde_json::Map::len), Some(31));
    assert_eq!(data["2030-01-31"].as_array().map(Vec::len), Some(96));

    for end in ["2030-01-31", "2030-04-03"] {
        let refused = slots(&app, &format!("eventTypeId={minute}&start=2030-01-01&end={end}")).await;
        refused.expect_field_error("end");
        let message = refused.body["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains("at most 20000"), "{message}");
    }
    // A day of minutes is a small answer.
    let day = slots(&app, &format!("eventTypeId={minute}&start=2030-01-01&end=2030-01-01")).await;
    assert_eq!(
        day.expect_success(StatusCode::OK)["2030-01-01"]
            .as_array()
            .map(Vec::len),
        Some(1440)
    );
}

#[tokio::test]
async fn listings_beyond_the_shared_budget_get_503_with_retry_after_and_the_budget_comes_back() {
    // Room for one 60-day listing of 5-minute slots (17,280 starts) at a time, and no waiting.
    let app = app_with(SlotWorkSettings {
        max_starts_per_answer: 20_000,
        max_starts_in_flight: 20_000,
        queue_wait: Duration::ZERO,
    })
    .await;
    let event = event_of_minutes(&app, "busy@example.test", 5).await;
    let query = format!("eventTypeId={event}&start=2030-01-01&end=2030-03-01");

    // Another listing holds the whole budget meanwhile.
    let held = app.state.slot_work.admit(20_000, 1).await.expect("the whole budget");
    let refused = slots(&app, &query).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", refused.body);
    assert_eq!(
        refused.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(refused.body["error"]["code"], "ServiceUnavailableException");
    assert_eq!(refused.body["error"]["details"]["retryAfterSeconds"], 1);

    // Given back, the budget serves listings again, one after another (each gives its room back).
    drop(held);
    for _ in 0..3 {
        slots(&app, &query).await.expect_success(StatusCode::OK);
    }
    assert_eq!(
        app.state.slot_work.available(),
        20_000,
        "every listing gave its room back"
    );
}

#[tokio::test]
async fn listings_beyond_the_budget_wait_their_turn_when_a_wait_is_allowed() {
    let app = app_with(SlotWorkSettings {
        max_starts_per_answer: 20_000,
        max_starts_in_flight: 20_000,
        queue_wait: Duration::from_secs(60),
    })
    .await;
    let event = event_of_minutes(&app, "patient@example.test", 5).await;
    let query = format!("eventTypeId={event}&start=2030-01-01&end=2030-03-01");

    // While the budget is held the listing waits (it neither answers nor is refused); once given back, it runs.
    let held = app.state.slot_work.admit(20_000, 1).await.expect("the whole budget");
    let mut waiting = std::pin::pin!(slots(&app, &query));
    let early = tokio::time::timeout(Duration::from_millis(500), &mut waiting).await;
    assert!(early.is_err(), "a listing must wait while the budget is full");
    drop(held);
    let answer = waiting.await;
    assert_eq!(
        answer.expect_success(StatusCode::OK)["2030-03-01"]
            .as_array()
            .map(Vec::len),
        Some(288)
    );
}

/// The booking pages list free times through the same bounds: a month holding more starts than one answer may
/// explains itself, and a full budget answers 503 with `Retry-After` instead of computing.
#[tokio::test]
async fn the_booking_page_lists_times_under_the_same_bounds() {
    use crate::web_booking::{BOOKER, get, host};
    // A month of 30-minute starts is 1,488 candidates: over a per-answer cap of 1,000.
    let capped = app_with(SlotWorkSettings {
        max_starts_per_answer: 1_000,
        max_starts_in_flight: 200_000,
        queue_wait: Duration::ZERO,
    })
    .await;
    host(&capped, json!({})).await;
    let page = get(&capped, &format!("{BOOKER}?month=2030-01")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.html);
    assert!(page.html.contains("more start times in a month"), "{}", page.html);

    // A full budget: the page answers 503 with Retry-After instead of computing, never 500.
    let busy = app_with(SlotWorkSettings {
        max_starts_per_answer: 20_000,
        max_starts_in_flight: 1_500,
        queue_wait: Duration::ZERO,
    })
    .await;
    host(&busy, json!({})).await;
    let path = format!("{BOOKER}?month=2030-01");
    let held = busy.state.slot_work.admit(1_500, 1).await.expect("the whole budget");
    let refused = get(&busy, &path).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.html);
    assert_eq!(refused.headers["retry-after"], "1");
    drop(held);
    let after = get(&busy, &path).await;
    assert_eq!(after.status, StatusCode::OK, "the budget comes back");
}
