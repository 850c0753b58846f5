//! Delivery: signed, exactly what was queued, retried with backoff, refused for blocked targets, leased, and
//! durable across a restart.

use super::receiver::Receiver;
use super::{LATER_MS, booked, create_webhook, drain, host, now};
use crate::helpers::{TestApp, instant};
use crate::scheduling::book;
use convene_core::{UserId, WebhookDeliveryId, WebhookId};
use convene_server::ServerSettings;
use convene_server::webhooks::{
    DeliveryOutcome, PAYLOAD_VERSION, RetryPolicy, WebhookSettings, deliver_one, spawn_worker,
};
use convene_store::webhooks::deliveries::{self, AttemptResult};
use convene_store::webhooks::{self, WebhookFields, WebhookOwner};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const SECRET: &str = "whsec-subscriber-shared";

/// A webhook on BOOKING_CREATED to `url` for `host`; returns its id.
async fn on_created(app: &TestApp, host: &crate::helpers::Person, url: &str) -> i64 {
    create_webhook(
        app,
        host,
        json!({ "subscriberUrl": url, "triggers": ["BOOKING_CREATED"], "active": true, "secret": SECRET }),
    )
    .await
}

/// A webhook written straight to the store, bypassing the API's save-time checks (as an old row would be, or
/// one saved under a laxer policy).
async fn stored_webhook(app: &TestApp, owner: i64, url: &str) -> i64 {
    let fields = WebhookFields {
        subscriber_url: url.to_owned(),
        triggers: json!(["BOOKING_CREATED"]).to_string(),
        active: true,
        payload_template: None,
        version: PAYLOAD_VERSION.to_owned(),
    };
    webhooks::insert(&app.db, WebhookOwner::User(UserId(owner)), &fields)
        .await
        .expect("insert")
        .id
        .0
}

fn failed_with(outcome: &DeliveryOutcome) -> &str {
    match &outcome.result {
        AttemptResult::Failed { error, .. } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_booking_is_delivered_exactly_once_signed_with_the_webhooks_secret() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (host, event) = host(&app, "organizer@example.test", "strategy", json!({})).await;
    let webhook = on_created(&app, &host, &receiver.url()).await;
    let uid = booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    // A refused booking rolls back, and with it anything it would have queued.
    book(&app, event, "2030-01-07T10:00:00Z", "late@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);

    let outcomes = drain(&app, now()).await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes[0].result, AttemptResult::Delivered { status_code: 200 });
    assert_eq!(outcomes[0].webhook_id, Some(WebhookId(webhook)));

    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert!(
        request.signed_with(SECRET),
        "signature {}",
        request.header("x-cal-signature-256")
    );
    assert!(!request.signed_with("another secret"));
    assert_eq!(request.header("x-cal-webhook-version"), "2021-10-20");
    assert_eq!(request.header("content-type"), "application/json");

    let body = request.json();
    assert_eq!(body["triggerEvent"], "BOOKING_CREATED");
    let created_at = body["createdAt"].as_str().expect("createdAt");
    assert!(created_at.len() == 24 && created_at.ends_with('Z'), "{created_at}");
    let p = &body["payload"];
    assert_eq!(p["uid"], uid.as_str());
    assert_eq!(p["type"], "strategy");
    assert_eq!(p["eventTypeId"], event);
    assert!(
        p["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Strategy Session between")),
        "{p}"
    );
    assert_eq!(p["startTime"], "2030-01-07T10:00:00Z");
    assert_eq!(p["endTime"], "2030-01-07T10:30:00Z");
    assert_eq!(p["length"], 30);
    assert_eq!(p["status"], "ACCEPTED");
    assert_eq!(p["organizer"]["email"], "organizer@example.test");
    assert_eq!(p["organizer"]["timeZone"], "Europe/London");
    assert_eq!(p["organizer"]["language"]["locale"], "en");
    assert_eq!(
        p["attendees"][0],
        json!({ "email": "guest@example.test", "name": "Alex Attendee", "firstName": "Alex", "lastName": "Attendee",
                "timeZone": "America/Los_Angeles", "phoneNumber": null, "language": { "locale": "en" },
                "utcOffset": -480, "noShow": false })
    );
    assert_eq!(p["responses"]["email"]["value"], "guest@example.test");
    assert!(p["iCalUID"].as_str().is_some_and(|u| u.ends_with("@convene")));
    assert!(
        p.get("cancellationReason").is_none() && p.get("rescheduleUid").is_none(),
        "{p}"
    );

    let rows = deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row.status.as_str(), row.attempts, row.last_status_code),
        ("delivered", 1, Some(200))
    );
    assert!(row.delivered_at.is_some() && row.lease_until.is_none());
    assert_eq!(row.body, request.body, "the queued bytes are the bytes sent");
    assert!(!row.body.contains(SECRET));
    assert!(
        deliver_one(&app.state, instant(now() + LATER_MS))
            .await
            .expect("queue")
            .is_none()
    );
}

#[tokio::test]
async fn a_refused_delivery_is_retried_after_a_backoff_and_then_delivered() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500]);
    let (host, event) = host(&app, "retry@example.test", "retry", json!({})).await;
    let webhook = on_created(&app, &host, &receiver.url()).await;
    booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;

    let t = now();
    let first = deliver_one(&app.state, instant(t))
        .await
        .expect("queue")
        .expect("a due delivery");
    let AttemptResult::Retry {
        status_code,
        next_attempt_at,
        error,
    } = &first.result
    else {
        panic!("expected a retry, got {first:?}");
    };
    assert_eq!(*status_code, Some(500));
    assert!(error.contains("500"), "{error}");
    let next_attempt_at = next_attempt_at.as_millisecond();
    assert!(
        (t + 30_000..t + 37_500).contains(&next_attempt_at),
        "30 s plus jitter: {}",
        next_attempt_at - t
    );
    assert!(
        deliver_one(&app.state, instant(t + 1_000))
            .await
            .expect("queue")
            .is_none(),
        "not due yet"
    );

    let second = deliver_one(&app.state, instant(next_attempt_at))
        .await
        .expect("queue")
        .expect("due now");
    assert_eq!((second.delivery_id, second.attempt), (first.delivery_id, 2));
    assert_eq!(second.result, AttemptResult::Delivered { status_code: 200 });
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body, "a retry resends the same body");
    assert!(got[1].signed_with(SECRET));
    let row = &deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("rows")[0];
    assert_eq!((row.status.as_str(), row.attempts), ("delivered", 2));
}

#[tokio::test]
async fn a_delivery_is_kept_as_failed_once_the_retry_budget_is_spent() {
    let app = TestApp::spawn_with(ServerSettings {
        webhooks: WebhookSettings {
            allow_private_targets: true,
            retry: RetryPolicy {
                first_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(10),
                give_up_after: Duration::from_secs(60),
            },
            ..WebhookSettings::default()
        },
        ..ServerSettings::default()
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.answer_next(&[503, 503, 503]);
    let (host, event) = host(&app, "budget@example.test", "budget", json!({})).await;
    let webhook = on_created(&app, &host, &receiver.url()).await;
    booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;

    let t = now();
    let first = deliver_one(&app.state, instant(t)).await.expect("queue").expect("due");
    assert!(matches!(first.result, AttemptResult::Retry { .. }), "{first:?}");
    let last = deliver_one(&app.state, instant(t + 120_000))
        .await
        .expect("queue")
        .expect("due");
    assert_eq!(
        last.result,
        AttemptResult::Failed {
            status_code: Some(503),
            error: "gave up after 2 attempts; last: the subscriber answered HTTP 503".into()
        }
    );
    assert!(
        deliver_one(&app.state, instant(t + 86_400_000))
            .await
            .expect("queue")
            .is_none(),
        "failed is final"
    );
    let rows = deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "never deleted");
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].last_status_code, Some(503));
}

#[tokio::test]
async fn deliveries_to_blocked_addresses_fail_at_once_and_send_nothing() {
    // Metadata services are refused even where private targets are allowed.
    let app = TestApp::spawn().await;
    let (host_a, event) = host(&app, "metadata@example.test", "meta", json!({})).await;
    stored_webhook(&app, host_a.id, "http://169.254.169.254/latest/meta-data/").await;
    booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    let outcomes = drain(&app, now()).await;
    assert_eq!(outcomes.len(), 1);
    let error = failed_with(&outcomes[0]);
    assert!(
        error.contains("169.254.169.254") && error.contains("cloud metadata"),
        "{error}"
    );
    assert!(drain(&app, now() + LATER_MS).await.is_empty(), "no retry");

    // Under the default policy, a live receiver on this machine gets nothing, by name or by address.
    let strict = TestApp::spawn_with(ServerSettings::default()).await;
    let receiver = Receiver::start().await;
    let port = receiver.addr.port();
    let (host_b, event) = host(&strict, "strict@example.test", "strict", json!({})).await;
    stored_webhook(&strict, host_b.id, &format!("http://localhost:{port}/hook")).await;
    stored_webhook(&strict, host_b.id, &format!("http://127.0.0.1:{port}/hook")).await;
    stored_webhook(&strict, host_b.id, &format!("http://[::ffff:7f00:1]:{port}/hook")).await;
    booked(&strict, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    let outcomes = drain(&strict, now()).await;
    let errors: Vec<&str> = outcomes.iter().map(failed_with).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("localhost"), "{errors:?}");
    assert!(
        errors[1].contains("loopback") && errors[2].contains("loopback"),
        "{errors:?}"
    );
    assert!(receiver.received().is_empty(), "no request reached the receiver");
}

#[tokio::test]
async fn a_delivery_queued_before_a_restart_is_delivered_after_it() {
    let app = TestApp::spawn().await;
    let down = Receiver::start().await;
    let addr = down.addr;
    down.stop().await;
    let (host, event) = host(&app, "restart@example.test", "restart", json!({})).await;
    let webhook = on_created(&app, &host, &format!("http://{addr}/hook")).await;
    let uid = booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    let t = now();
    let refused = deliver_one(&app.state, instant(t)).await.expect("queue").expect("due");
    match &refused.result {
        AttemptResult::Retry {
            status_code: None,
            error,
            ..
        } => assert!(error.contains("connect"), "{error}"),
        other => panic!("expected a retry without an answer, got {other:?}"),
    }

    let app = app.restart().await;
    let receiver = Receiver::start_on(addr).await;
    let outcomes = drain(&app, t + LATER_MS).await;
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].result, AttemptResult::Delivered { status_code: 200 });
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].signed_with(SECRET), "the secret opens after the restart");
    assert_eq!(got[0].json()["payload"]["uid"], uid.as_str());
    let row = &deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("rows")[0];
    assert_eq!((row.status.as_str(), row.attempts), ("delivered", 2));
}

#[tokio::test]
async fn an_expired_lease_makes_a_delivering_row_claimable_again_and_fences_the_late_worker() {
    let app = TestApp::spawn().await;
    let (host, event) = host(&app, "lease@example.test", "lease", json!({})).await;
    let webhook = on_created(&app, &host, "http://127.0.0.1:9/hook").await;
    booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;

    let t = now();
    let claimed = deliveries::claim_due(&app.db, instant(t), 1_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(
        (claimed.status.as_str(), claimed.attempts, claimed.lease_until),
        ("delivering", 1, Some(instant(t + 1_000)))
    );
    assert!(
        deliveries::claim_due(&app.db, instant(t + 999), 1_000)
            .await
            .expect("claim")
            .is_none(),
        "leased"
    );
    let reclaimed = deliveries::claim_due(&app.db, instant(t + 1_000), 1_000)
        .await
        .expect("claim")
        .expect("expired");
    assert_eq!((reclaimed.id, reclaimed.attempts), (claimed.id, 2));

    let delivered = AttemptResult::Delivered { status_code: 200 };
    let late = deliveries::record_attempt(&app.db, claimed.id, 1, &delivered, instant(t + 1_500))
        .await
        .expect("record");
    assert!(!late, "the first worker lost its lease");
    assert!(
        deliveries::record_attempt(&app.db, claimed.id, 2, &delivered, instant(t + 1_500))
            .await
            .expect("record")
    );
    let row = &deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("rows")[0];
    assert_eq!((row.status.as_str(), row.attempts), ("delivered", 2));
}

#[tokio::test]
async fn deliveries_of_a_deactivated_or_deleted_webhook_fail_with_the_reason_and_stay_on_record() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (host, event) = host(&app, "gone@example.test", "gone", json!({})).await;
    let paused = on_created(&app, &host, &format!("{}?paused", receiver.url())).await;
    let deleted = on_created(&app, &host, &format!("{}?deleted", receiver.url())).await;
    booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    app.patch(&format!("/v2/webhooks/{paused}"), &host.key, json!({ "active": false }))
        .await
        .expect_success(StatusCode::OK);
    app.delete(&format!("/v2/webhooks/{deleted}"), &host.key)
        .await
        .expect_success(StatusCode::OK);

    let outcomes = drain(&app, now()).await;
    let errors: Vec<&str> = outcomes.iter().map(failed_with).collect();
    assert_eq!(
        errors,
        [
            "the webhook was deactivated before delivery",
            "the webhook was deleted before delivery"
        ]
    );
    assert!(receiver.received().is_empty());
    let orphan = deliveries::find(&app.db, WebhookDeliveryId(outcomes[1].delivery_id))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!((orphan.webhook_id, orphan.status.as_str()), (None, "failed"));
}

#[tokio::test]
async fn the_background_worker_delivers_on_its_own_and_stops_when_told() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let (host, event) = host(&app, "worker@example.test", "worker", json!({})).await;
    let webhook = on_created(&app, &host, &receiver.url()).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = spawn_worker(app.state.clone(), stopped);

    booked(&app, event, "2030-01-07T10:00:00Z", "guest@example.test").await;
    receiver.wait_for(1).await;
    stop.send(true).expect("worker listening");
    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker stops promptly")
        .expect("the worker ended cleanly");
    let row = &deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("rows")[0];
    assert_eq!(row.status, "delivered");
    assert!(receiver.received()[0].signed_with(SECRET));
}
