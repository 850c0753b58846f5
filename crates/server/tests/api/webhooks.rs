//! Webhooks: the Cal.com-shaped API (user and event-type subscriptions), and durable, signed, SSRF-checked
//! delivery, driven one step at a time with `deliver_one` against a real HTTP receiver on 127.0.0.1.

mod api;
mod delivery;
pub mod receiver;
mod triggers;

use crate::helpers::{Person, TestApp, instant};
use crate::scheduling::{book, host_with_event, weekdays_9_to_5};
use convene_server::webhooks::{DeliveryOutcome, deliver_one};
use convene_store::now_ms as now;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An hour: far enough ahead that any first retry is due, well inside the default 24-hour budget.
const LATER_MS: i64 = 3_600_000;

/// Creates a webhook for `person` through the API and returns its id.
async fn create_webhook(app: &TestApp, person: &Person, body: Value) -> i64 {
    app.post("/v2/webhooks", &person.key, body)
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("webhook id")
}

/// A host with a 30-minute event type (`extra` merged into its settings); returns (host, event type id).
async fn host(app: &TestApp, email: &str, slug: &str, extra: Value) -> (Person, i64) {
    let mut event = json!({ "title": "Strategy Session", "slug": slug, "lengthInMinutes": 30 });
    if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
        event.extend(extra.clone());
    }
    host_with_event(app, email, "UTC", weekdays_9_to_5(), event).await
}

/// Books `event` at `start` and returns the booking's uid.
async fn booked(app: &TestApp, event: i64, start: &str, email: &str) -> String {
    book(app, event, start, email).await.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned()
}

/// Runs the worker step until nothing is due at `now`, returning what each step did.
async fn drain(app: &TestApp, now: i64) -> Vec<DeliveryOutcome> {
    let mut outcomes = Vec::new();
    while let Some(outcome) = deliver_one(&app.state, instant(now)).await.expect("queue reachable") {
        outcomes.push(outcome);
        assert!(outcomes.len() < 100, "the queue never drains");
    }
    outcomes
}
