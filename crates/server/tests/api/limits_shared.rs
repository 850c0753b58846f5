//! Limits shared through the database hold across every server using it (issue 10, item 7): two servers on
//! one database, the way several processes share PostgreSQL. The suite runs this on both backends with the
//! database store; which store a backend gets by default is checked on its own.

use crate::helpers::{Answer, TestApp, Twin, roomy_limits};
use crate::scheduling::SLOTS;
use convene_core::rate::Rate;
use convene_server::ServerSettings;
use convene_server::limits::{LimitSettings, LimitStore};
use convene_store::{Backend, rate_limits};
use reqwest::{Method, StatusCode};
use std::num::NonZeroU32;

fn shared(limits: LimitSettings) -> ServerSettings {
    ServerSettings {
        secure_cookies: false,
        limits: LimitSettings {
            store: LimitStore::Database,
            ..limits
        },
        ..ServerSettings::default()
    }
}

async fn call(client: &reqwest::Client, base: &str, path: &str, key: Option<&str>, version: Option<&str>) -> Answer {
    let mut request = client.request(Method::GET, format!("{base}{path}"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(version) = version {
        request = request.header("cal-api-version", version);
    }
    TestApp::answer(request.send().await.expect("send")).await
}

/// Sends `n` requests alternating between the two servers; returns their statuses.
async fn alternate(
    app: &TestApp,
    twin: &Twin,
    n: usize,
    path: &str,
    key: Option<&str>,
    version: Option<&str>,
) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let base = if i % 2 == 0 { &app.address } else { &twin.address };
        statuses.push(call(&app.client, base, path, key, version).await.status);
    }
    statuses
}

#[tokio::test]
async fn an_anonymous_limit_holds_across_two_servers_sharing_the_database() {
    let app = TestApp::spawn_with(shared(LimitSettings {
        slots_per_address: Rate::new(4, 3600).expect("rate"),
        ..roomy_limits()
    }))
    .await;
    let twin = app.twin().await;
    let path = "/v2/slots?eventTypeId=1&start=2030-01-07&end=2030-01-08";
    let statuses = alternate(&app, &twin, 6, path, None, Some(SLOTS)).await;
    assert!(
        statuses[..4].iter().all(|s| *s != StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(statuses[4..], [StatusCode::TOO_MANY_REQUESTS; 2], "{statuses:?}");
}

#[tokio::test]
async fn the_per_key_limit_holds_across_two_servers_sharing_the_database() {
    let app = TestApp::spawn_with(ServerSettings {
        rate_limit_per_minute: NonZeroU32::new(4).expect("non-zero"),
        ..shared(roomy_limits())
    })
    .await;
    let person = app.user("everywhere@example.test").await;
    let twin = app.twin().await;
    let statuses = alternate(&app, &twin, 6, "/v2/me", Some(&person.key), None).await;
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn concurrent_requests_to_two_servers_never_exceed_the_limit() {
    let app = TestApp::spawn_with(shared(LimitSettings {
        slots_per_address: Rate::new(10, 3600).expect("rate"),
        ..roomy_limits()
    }))
    .await;
    let twin = app.twin().await;
    let path = "/v2/slots?eventTypeId=1&start=2030-01-07&end=2030-01-08";
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            twin.address.clone()
        };
        tasks.push(tokio::spawn(async move {
            call(&client, &base, path, None, Some(SLOTS)).await.status
        }));
    }
    let mut passed = 0;
    for task in tasks {
        if task.await.expect("task") != StatusCode::TOO_MANY_REQUESTS {
            passed += 1;
        }
    }
    assert_eq!(passed, 10);
}

#[tokio::test]
async fn by_default_postgresql_shares_the_counts_and_sqlite_keeps_them_in_memory() {
    let app = TestApp::spawn().await;
    let expected = app.db.backend() == Backend::Postgres;
    assert_eq!(app.state.limits.shared(), expected);
    assert!(LimitStore::Auto.uses_database(Backend::Postgres));
    assert!(!LimitStore::Auto.uses_database(Backend::Sqlite));
}

#[tokio::test]
async fn counts_whose_time_has_passed_are_swept_from_the_database() {
    let app = TestApp::spawn().await;
    let rate = Rate::new(2, 60).expect("rate");
    let now = 1_000_000_000_000;
    for subject in ["a", "b", "c"] {
        assert_eq!(
            rate_limits::take(&app.db, "test_limit", subject, now, &rate)
                .await
                .expect("take"),
            None
        );
    }
    // Two in a row pass, the third waits one interval (30 s).
    assert_eq!(
        rate_limits::take(&app.db, "test_limit", "a", now, &rate)
            .await
            .expect("take"),
        None
    );
    assert_eq!(
        rate_limits::take(&app.db, "test_limit", "a", now, &rate)
            .await
            .expect("take"),
        Some(30_000_000)
    );
    // The same subject under another limit is another key.
    assert_eq!(
        rate_limits::take(&app.db, "other_limit", "a", now, &rate)
            .await
            .expect("take"),
        None
    );
    assert_eq!(rate_limits::count(&app.db).await.expect("count"), 4);
    let swept = rate_limits::sweep(&app.db, now + 60_000_000).await.expect("sweep");
    assert_eq!(swept, 4);
    assert_eq!(rate_limits::count(&app.db).await.expect("count"), 0);
}
