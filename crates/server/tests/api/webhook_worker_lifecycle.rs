//! The webhook worker's start and stop: restarted under the name it had, it takes back at once the delivery it
//! held when it died (instead of waiting out the lease); stopping, it gives a delivery that outlasts the grace
//! period back to the queue (due at once, the attempt uncounted) instead of waiting for the request to time out.

use crate::helpers::TestApp;
use crate::scheduling::{book, host_with_event, weekdays_9_to_5};
use convene_core::WebhookId;
use convene_server::ServerSettings;
use convene_server::webhooks::{WebhookSettings, spawn_worker};
use convene_store::webhooks::deliveries::{self, DeliveryRecord};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An HTTP receiver on 127.0.0.1 that counts requests and answers 200, or (when `answer` is false) never answers.
struct Receiver {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(answer: bool) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    // The request is small: read until the end of the headers and the JSON body's closing brace.
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        if seen.ends_with(b"}") {
                            break;
                        }
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    if answer {
                        let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
                    } else {
                        // Hold the connection open without a word until the client goes away.
                        let _ = socket.read(&mut buf).await;
                    }
                });
            }
        });
        Receiver { url, requests }
    }

    async fn wait_for_request(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.requests.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "no request reached the receiver");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A server whose workers are named `name`, with a booking whose BOOKING_CREATED delivery to `receiver` is queued.
async fn queued_delivery(name: &str, grace: Duration, receiver: &Receiver) -> (TestApp, i64) {
    let app = TestApp::spawn_with(ServerSettings {
        webhooks: WebhookSettings {
            allow_private_targets: true,
            request_timeout: Duration::from_secs(20),
            ..WebhookSettings::default()
        },
        worker_id: Some(name.to_owned()),
        shutdown_grace: grace,
        ..ServerSettings::default()
    })
    .await;
    let (host, event) = host_with_event(
        &app,
        "hooks@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Call", "slug": "call", "lengthInMinutes": 30 }),
    )
    .await;
    let webhook = app
        .post(
            "/v2/webhooks",
            &host.key,
            json!({ "subscriberUrl": receiver.url, "triggers": ["BOOKING_CREATED"], "active": true }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("webhook id");
    book(&app, event, "2030-01-07T10:00:00Z", "guest@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    (app, webhook)
}

async fn the_delivery(app: &TestApp, webhook: i64) -> DeliveryRecord {
    let rows = deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    rows.into_iter().next().expect("one delivery")
}

#[tokio::test]
async fn a_restarted_webhook_worker_takes_back_at_once_the_delivery_it_held() {
    let receiver = Receiver::start(true).await;
    let (app, webhook) = queued_delivery("hooks-host#1", Duration::from_secs(1), &receiver).await;
    // The process that had this name claimed the delivery and died.
    let lease_ms = 30_000;
    let dead = deliveries::claim_due_by(&app.db, "hooks-host#1", jiff::Timestamp::now(), lease_ms)
        .await
        .expect("claim")
        .expect("due");
    let dead_lease_until = dead.lease_until.expect("leased");

    // It starts again under the same name.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = spawn_worker(app.state.clone(), stopped);
    receiver.wait_for_request().await;
    stop.send(true).expect("stop");
    worker.await.expect("the worker stops");

    let row = the_delivery(&app, webhook).await;
    assert_eq!(row.status, "delivered");
    assert_eq!(row.attempts, 1, "the dead claim was not an attempt");
    assert!(
        row.delivered_at.expect("delivered") < dead_lease_until,
        "delivered before the dead claim's lease would have run out"
    );
}

#[tokio::test]
async fn a_stopping_webhook_worker_gives_back_a_delivery_that_outlasts_the_grace_period() {
    let receiver = Receiver::start(false).await;
    let (app, webhook) = queued_delivery("hooks-stop#1", Duration::from_millis(200), &receiver).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = spawn_worker(app.state.clone(), stopped);
    receiver.wait_for_request().await;

    stop.send(true).expect("stop");
    worker.await.expect("the worker stops");
    let row = the_delivery(&app, webhook).await;
    assert_eq!(
        (row.status.as_str(), row.attempts, row.lease_until),
        ("queued", 0, None),
        "given back, not waited out (the request would have timed out after 20 s): {row:?}"
    );
    assert!(row.next_attempt_at <= jiff::Timestamp::now(), "due at once");
}
