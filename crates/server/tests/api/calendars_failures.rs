//! A CalDAV server that fails the ways real ones do — too slow to answer, credentials revoked — reached through a
//! proxy in front of Radicale: each read ends within its timeout, the connection shows the error and since when,
//! the last busy time keeps blocking, and the write queue keeps what it could not write.

use crate::calendars::radicale::Radicale;
use crate::calendars::{PASSWORD, USER, app_with, calendars, day_starts, host, offers, put_event, ymd};
use crate::scheduling::book;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method as AxumMethod, StatusCode as AxumStatus, Uri};
use axum::response::{IntoResponse, Response};
use convene_core::UserId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Pass,
    /// Holds every request for a minute (far beyond the test's 800 ms request timeout).
    Hang,
    /// Refuses every request as after a password change.
    Unauthorized,
}

struct Proxy {
    target: url::Url,
    mode: Mutex<Mode>,
    client: reqwest::Client,
}

impl Proxy {
    fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }
}

async fn forward(
    State(proxy): State<Arc<Proxy>>,
    method: AxumMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mode = *proxy.mode.lock().expect("mode");
    match mode {
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return AxumStatus::GATEWAY_TIMEOUT.into_response();
        }
        Mode::Unauthorized => {
            return (
                AxumStatus::UNAUTHORIZED,
                [("www-authenticate", "Basic realm=\"Radicale\"")],
            )
                .into_response();
        }
        Mode::Pass => {}
    }
    let mut url = proxy.target.clone();
    url.set_path(uri.path());
    url.set_query(uri.query());
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("method");
    let mut request = proxy.client.request(method, url).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = request.send().await.expect("radicale answers");
    let status = AxumStatus::from_u16(answer.status().as_u16()).expect("status");
    let mut out = Response::builder().status(status);
    for (name, value) in answer.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    out.body(Body::from(answer.bytes().await.expect("body")))
        .expect("response")
}

async fn start_proxy(target: url::Url) -> (Arc<Proxy>, String) {
    let proxy = Arc::new(Proxy {
        target,
        mode: Mutex::new(Mode::Pass),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    });
    let app = Router::new().fallback(forward).with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (proxy, format!("http://{addr}/"))
}

fn apple(listed: &Value) -> Value {
    listed["connectedCalendars"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|c| c["integration"]["type"] == "apple_calendar")
                .cloned()
        })
        .expect("the apple connection")
}

#[tokio::test]
async fn a_caldav_server_too_slow_or_refusing_credentials_is_shown_failing_in_bounded_time_and_loses_nothing() {
    let server = Radicale::start(&[(USER, PASSWORD)]).await;
    let work = server.make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"]).await;
    let (proxy, proxy_url) = start_proxy(server.url()).await;
    let app = app_with(Some(proxy_url)).await;
    let (host, event) = host(&app, "flaky@example.test").await;
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(9))
        .expect("date");
    let d = ymd(day);
    put_event(
        &work,
        "standup",
        &format!("{d}T090000Z"),
        &format!("{d}T100000Z"),
        "Standup",
    )
    .await;
    app.post(
        "/v2/calendars/apple/credentials",
        &host.key,
        json!({ "username": USER, "password": PASSWORD }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    assert!(!offers(&day_starts(&app, event, day).await, day, "09:00"));

    // Too slow: the pass ends within its bound (two requests' timeouts and a second), not the server's minute.
    proxy.set(Mode::Hang);
    let started = Instant::now();
    app.state.calendars.refresh_all().await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded by the timeouts: {:?}",
        started.elapsed()
    );
    let failing = apple(&calendars(&app, &host.key).await);
    assert!(
        failing["lastError"].as_str().is_some_and(|e| e.contains("time")),
        "{failing}"
    );
    let since = failing["failingSince"].as_str().expect("failing since").to_owned();
    assert!(
        !offers(&day_starts(&app, event, day).await, day, "09:00"),
        "the last busy time keeps blocking"
    );

    // Credentials revoked: still failing since the first failure, the error says why, check says invalid.
    proxy.set(Mode::Unauthorized);
    app.state.calendars.refresh_all().await;
    let refused = apple(&calendars(&app, &host.key).await);
    assert!(
        refused["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("credentials") || e.contains("refused")),
        "{refused}"
    );
    assert_eq!(refused["failingSince"], since.as_str());
    let checked = app.get("/v2/calendars/apple/check", &host.key).await;
    assert_eq!(checked.expect_success(StatusCode::OK)[0]["invalid"], true);

    // A booking meanwhile: its write fails and is kept, visible with its error.
    book(&app, event, &format!("{day}T14:00:00Z"), "kept@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.retrying, 1, "{pass:?}");
    let kept = app
        .state
        .calendars
        .unfinished_writes(UserId(host.id), 1, 20)
        .await
        .expect("jobs");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].last_error.is_some(), "{kept:?}");

    // Back to normal: the failure clears.
    proxy.set(Mode::Pass);
    app.state.calendars.refresh_all().await;
    let healthy = apple(&calendars(&app, &host.key).await);
    assert_eq!(healthy["lastError"], Value::Null, "{healthy}");
    assert_eq!(healthy["failingSince"], Value::Null);
}
