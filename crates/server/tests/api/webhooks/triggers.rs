//! Which booking changes fire which trigger, and which webhooks hear them.

use super::receiver::Receiver;
use super::{booked, create_webhook, drain, host, now};
use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, EVENT_TYPES};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const BOOKING_TRIGGERS: [&str; 5] = [
    "BOOKING_CREATED",
    "BOOKING_REQUESTED",
    "BOOKING_RESCHEDULED",
    "BOOKING_CANCELLED",
    "BOOKING_REJECTED",
];

async fn act(app: &TestApp, path: &str, key: Option<&str>, body: Value) -> Value {
    app.versioned(Method::POST, path, key, Some(body), Some(BOOKINGS))
        .await
        .data()
        .clone()
}

/// Delivers everything due and returns the bodies the receiver got since `seen` of them.
async fn delivered_since(app: &TestApp, receiver: &Receiver, seen: &mut usize) -> Vec<Value> {
    drain(app, now()).await;
    let got = receiver.received();
    let fresh = got[*seen..].iter().map(super::receiver::Received::json).collect();
    *seen = got.len();
    fresh
}

#[tokio::test]
async fn each_booking_change_fires_its_own_trigger_with_its_details() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let confirm_first = json!({ "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } });
    let (host, event) = host(&app, "lifecycle@example.test", "lifecycle", confirm_first).await;
    create_webhook(
        &app,
        &host,
        json!({ "subscriberUrl": receiver.url(), "triggers": BOOKING_TRIGGERS, "active": true }),
    )
    .await;
    let mut seen = 0;
    let one = |bodies: Vec<Value>| -> Value {
        assert_eq!(bodies.len(), 1, "{bodies:?}");
        bodies.into_iter().next().unwrap_or_default()
    };

    let first = booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    let requested = one(delivered_since(&app, &receiver, &mut seen).await);
    assert_eq!(requested["triggerEvent"], "BOOKING_REQUESTED");
    assert_eq!(requested["payload"]["status"], "PENDING");
    assert_eq!(requested["payload"]["requiresConfirmation"], true);

    act(
        &app,
        &format!("/v2/bookings/{first}/confirm"),
        Some(&host.key),
        json!({}),
    )
    .await;
    let confirmed = one(delivered_since(&app, &receiver, &mut seen).await);
    assert_eq!(confirmed["triggerEvent"], "BOOKING_CREATED");
    assert_eq!(confirmed["payload"]["uid"], first.as_str());
    assert_eq!(confirmed["payload"]["status"], "ACCEPTED");

    let moved = act(
        &app,
        &format!("/v2/bookings/{first}/reschedule"),
        None,
        json!({ "start": "2030-01-08T11:00:00Z" }),
    )
    .await;
    let second = moved["uid"].as_str().expect("new uid").to_owned();
    let rescheduled = one(delivered_since(&app, &receiver, &mut seen).await);
    assert_eq!(rescheduled["triggerEvent"], "BOOKING_RESCHEDULED");
    let p = &rescheduled["payload"];
    assert_eq!(p["uid"], second.as_str());
    assert_eq!(p["rescheduleUid"], first.as_str());
    assert_eq!(p["rescheduleStartTime"], "2030-01-07T10:00:00Z");
    assert_eq!(p["startTime"], "2030-01-08T11:00:00Z");

    act(
        &app,
        &format!("/v2/bookings/{second}/cancel"),
        None,
        json!({ "cancellationReason": "Sick" }),
    )
    .await;
    let cancelled = one(delivered_since(&app, &receiver, &mut seen).await);
    assert_eq!(cancelled["triggerEvent"], "BOOKING_CANCELLED");
    assert_eq!(cancelled["payload"]["uid"], second.as_str());
    assert_eq!(cancelled["payload"]["cancellationReason"], "Sick");
    assert_eq!(cancelled["payload"]["status"], "CANCELLED");

    let third = booked(&app, event, "2030-01-09T14:00:00Z", "guest@example.test").await;
    assert_eq!(
        one(delivered_since(&app, &receiver, &mut seen).await)["triggerEvent"],
        "BOOKING_REQUESTED"
    );
    act(
        &app,
        &format!("/v2/bookings/{third}/decline"),
        Some(&host.key),
        json!({ "reason": "Busy" }),
    )
    .await;
    let rejected = one(delivered_since(&app, &receiver, &mut seen).await);
    assert_eq!(rejected["triggerEvent"], "BOOKING_REJECTED");
    assert_eq!(rejected["payload"]["rejectionReason"], "Busy");
    assert!(rejected["payload"].get("cancellationReason").is_none(), "{rejected}");
    assert_eq!(rejected["payload"]["status"], "REJECTED");
}

#[tokio::test]
async fn a_webhook_hears_only_its_triggers_and_an_event_type_webhook_only_its_event_type() {
    let app = TestApp::spawn().await;
    let (host, alpha) = host(&app, "scoped@example.test", "alpha", json!({})).await;
    let beta = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(json!({ "title": "Beta", "slug": "beta", "lengthInMinutes": 30 })),
            Some(EVENT_TYPES),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    let (on_alpha, on_cancel, paused, elsewhere) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    app.post(
        &format!("/v2/event-types/{alpha}/webhooks"),
        &host.key,
        json!({ "subscriberUrl": on_alpha.url(), "triggers": ["BOOKING_CREATED"], "active": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let hook = |url: String, trigger: &str, active: bool| json!({ "subscriberUrl": url, "triggers": [trigger], "active": active });
    create_webhook(&app, &host, hook(on_cancel.url(), "BOOKING_CANCELLED", true)).await;
    create_webhook(&app, &host, hook(paused.url(), "BOOKING_CREATED", false)).await;
    let stranger = app.user("not-the-host@example.test").await;
    create_webhook(&app, &stranger, hook(elsewhere.url(), "BOOKING_CREATED", true)).await;

    booked(&app, beta, "2030-01-07T10:00:00Z", "guest@example.test").await;
    assert!(
        drain(&app, now()).await.is_empty(),
        "nobody listens to beta's creations"
    );

    let uid = booked(&app, alpha, "2030-01-07T11:00:00Z", "guest@example.test").await;
    assert_eq!(drain(&app, now()).await.len(), 1);
    assert_eq!(on_alpha.received().len(), 1);
    assert_eq!(on_alpha.received()[0].json()["payload"]["eventTypeId"], alpha);

    act(&app, &format!("/v2/bookings/{uid}/cancel"), Some(&host.key), json!({})).await;
    assert_eq!(drain(&app, now()).await.len(), 1);
    assert_eq!(on_cancel.received()[0].json()["triggerEvent"], "BOOKING_CANCELLED");
    assert_eq!(
        on_alpha.received().len(),
        1,
        "the event type's webhook did not subscribe to cancellations"
    );
    assert!(paused.received().is_empty() && elsewhere.received().is_empty());
}

#[tokio::test]
async fn a_payload_template_shapes_the_body_and_the_signature_covers_it() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (host, event) = host(&app, "templated@example.test", "templated", json!({})).await;
    // Cal.com's documented example, plus the envelope's own variables and optional chaining.
    let template = r#"{"content": "A new event has been scheduled", "type": "{{type}}", "name": "{{title}}",
        "organizer": "{{organizer.name}}", "booker": "{{attendees.0.name}}", "trigger": "{{triggerEvent}}",
        "locale": "{{organizer.language?.locale}}", "length": {{length}}}"#;
    create_webhook(
        &app,
        &host,
        json!({ "subscriberUrl": receiver.url(), "triggers": ["BOOKING_CREATED"], "active": true,
                "payloadTemplate": template, "secret": "tpl-secret" }),
    )
    .await;
    create_webhook(
        &app,
        &host,
        json!({ "subscriberUrl": format!("{}?plain", receiver.url()), "triggers": ["BOOKING_CREATED"], "active": true,
                "payloadTemplate": "Booked: {{title}}" }),
    )
    .await;
    booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    assert_eq!(drain(&app, now()).await.len(), 2);
    let got = receiver.received();

    let json_body = got[0].json();
    let title = json_body["name"].as_str().expect("title").to_owned();
    assert!(title.starts_with("Strategy Session between"), "{title}");
    assert_eq!(
        json_body,
        json!({ "content": "A new event has been scheduled", "type": "templated", "name": title,
                "organizer": "Test templated@example.test", "booker": "Alex Attendee", "trigger": "BOOKING_CREATED",
                "locale": "en", "length": 30 })
    );
    assert!(got[0].signed_with("tpl-secret"));
    assert_eq!(got[0].header("content-type"), "application/json");

    assert_eq!(got[1].body, format!("Booked: {title}"));
    assert_eq!(got[1].header("x-cal-signature-256"), "no-secret-provided");
    assert_eq!(got[1].header("content-type"), "application/x-www-form-urlencoded");
}

#[tokio::test]
async fn no_shows_and_reschedule_requests_fire_their_triggers() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (host, event) = host(&app, "followups@example.test", "followups", json!({})).await;
    let triggers = json!(["BOOKING_NO_SHOW_UPDATED", "BOOKING_CANCELLED"]);
    create_webhook(
        &app,
        &host,
        json!({ "subscriberUrl": receiver.url(), "triggers": triggers, "active": true }),
    )
    .await;
    let mut seen = 0;

    let uid = booked(&app, event, "2030-01-07T10:00:00Z", "absent@example.test").await;
    assert!(
        delivered_since(&app, &receiver, &mut seen).await.is_empty(),
        "BOOKING_CREATED is not subscribed"
    );
    let body = json!({ "attendees": [{ "email": "absent@example.test", "absent": true }] });
    act(&app, &format!("/v2/bookings/{uid}/mark-absent"), Some(&host.key), body).await;
    let no_show = delivered_since(&app, &receiver, &mut seen).await;
    assert_eq!(no_show.len(), 1, "{no_show:?}");
    assert_eq!(no_show[0]["triggerEvent"], "BOOKING_NO_SHOW_UPDATED");
    assert_eq!(no_show[0]["payload"]["uid"], uid.as_str());

    act(
        &app,
        &format!("/v2/bookings/{uid}/request-reschedule"),
        Some(&host.key),
        json!({ "reschedulingReason": "Clash" }),
    )
    .await;
    let cancelled = delivered_since(&app, &receiver, &mut seen).await;
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(cancelled[0]["triggerEvent"], "BOOKING_CANCELLED");
    assert_eq!(cancelled[0]["payload"]["cancellationReason"], "Clash");
}
