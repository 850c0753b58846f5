//! Liveness and readiness: `/health` says the process answers; `/health/ready` says whether it can do its work —
//! its database takes a write, and its email worker reaches the outbox — and `/metrics` shows the same. A database
//! that still answers reads but refuses writes (a read-only SQLite file, PostgreSQL in read-only transactions like
//! a standby) is live and not ready. (The full disk and the read-only file under the real binary are in the CLI's
//! `sqlite_storage` tests.)

use crate::helpers::TestApp;
use convene_keyring::Keyring;
use convene_server::email::worker::{EmailWorker, OutboxState, RunMode, spawn_worker};
use convene_server::email::{EmailSettings, Mailer};
use convene_server::{AppState, Application, ServerSettings};
use convene_store::Db;
use convene_store::testing::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A server on `db` alone: its address, its state, and the sender that stops it.
async fn serve(db: Db) -> (String, AppState, tokio::sync::oneshot::Sender<()>) {
    let state = AppState::new(db, ServerSettings::default(), Arc::new(Keyring::generate()));
    let app = Application::build(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    (address, state, stop)
}

async fn get(address: &str, path: &str) -> (StatusCode, String) {
    let response = reqwest::get(format!("{address}{path}")).await.expect("answer");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn get_json(address: &str, path: &str) -> (StatusCode, Value) {
    let (status, text) = get(address, path).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_healthy_server_is_live_and_ready_and_says_so_in_its_metrics() {
    let app = TestApp::spawn().await;
    let (status, body) = get_json(&app.address, "/health").await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "status": "ok" })));

    let (status, body) = get_json(&app.address, "/health/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], json!({ "status": "ok" }));
    // No email worker runs in the test server: the outbox is checked by reading it.
    assert_eq!(body["checks"]["outbox"]["status"], "ok", "{body}");

    let (_, metrics) = get(&app.address, "/metrics").await;
    assert!(metrics.contains("convene_ready 1"), "{metrics}");
    assert!(
        metrics.contains(r#"convene_readiness_check{check="database"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"convene_readiness_check{check="outbox"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_database_that_refuses_writes_is_not_ready_though_the_process_is_live() {
    let test_db = TestDb::new().await.expect("test database");
    let (address, _state, _stop) = serve(test_db.read_only_twin().await.expect("read-only twin")).await;

    let (status, _) = get_json(&address, "/health").await;
    assert_eq!(status, StatusCode::OK, "live: the process answers");
    let (status, body) = get_json(&address, "/health/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not ready");
    assert_eq!(
        body["checks"]["database"],
        json!({ "status": "failing", "reason": "the database does not accept writes" })
    );
    let (_, metrics) = get(&address, "/metrics").await;
    assert!(metrics.contains("convene_ready 0"), "{metrics}");
    assert!(
        metrics.contains(r#"convene_readiness_check{check="database"} 0"#),
        "{metrics}"
    );

    // The same database through a writable handle is ready: the check is about writes, not about the data.
    let (address, _state, _stop) = serve(test_db.db.clone()).await;
    let (status, body) = get_json(&address, "/health/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_email_worker_that_cannot_reach_the_outbox_makes_the_server_not_ready() {
    let test_db = TestDb::new().await.expect("test database");
    let (address, state, _stop) = serve(test_db.db.clone()).await;
    // The server's email worker, but claiming through a handle that cannot write.
    let read_only = test_db.read_only_twin().await.expect("read-only twin");
    let worker = EmailWorker {
        mailer: Arc::new(Mailer::new(EmailSettings::default(), read_only, state.keyring.clone())),
        metrics: state.metrics.clone(),
        id: state.worker_id.clone(),
        health: state.email_health.clone(),
        shutdown_grace: Duration::from_millis(100),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = spawn_worker(worker, stopped, RunMode::Forever);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(state.email_health.state(), OutboxState::Unreachable(_)) {
        assert!(
            Instant::now() < deadline,
            "the worker never reported the outbox unreachable"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (status, body) = get_json(&address, "/health/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["checks"]["database"]["status"], "ok",
        "the server's own handle writes: {body}"
    );
    assert_eq!(
        body["checks"]["outbox"],
        json!({ "status": "failing", "reason": "the email worker cannot reach the outbox" })
    );
    let (_, metrics) = get(&address, "/metrics").await;
    assert!(
        metrics.contains(r#"convene_readiness_check{check="outbox"} 0"#),
        "{metrics}"
    );

    stop.send(true).expect("stop the worker");
    running.await.expect("the worker stops");
    assert_eq!(state.email_health.state(), OutboxState::NotRunning);
}
