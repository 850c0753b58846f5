//! ICS feeds served by a local HTTP server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use convene_calendar::{CalendarError, FeedFetch, FeedValidators, Http, IcsLimits, busy_from_ics, fetch_feed};
use url::Url;

use crate::fixtures::*;

#[derive(Default)]
struct Counters {
    full: AtomicUsize,
    not_modified: AtomicUsize,
}

fn feed_text() -> String {
    // One calendar as a provider publishes it: the recurring meeting, an all-day event, and events that don't block.
    let mut body = String::new();
    for part in [
        weekly_meeting(),
        all_day_offsite(),
        transparent_focus(),
        cancelled_lunch(),
    ] {
        body.push_str(&inner(&part));
    }
    // The VTIMEZONE appears once per fixture that has one; that is harmless, and what some publishers do.
    vcalendar(&body)
}

async fn feed(State(counters): State<Arc<Counters>>, headers: HeaderMap) -> Response {
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some("\"v1\"") {
        counters.not_modified.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    counters.full.fetch_add(1, Ordering::SeqCst);
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::ETAG, "\"v1\""),
            (header::LAST_MODIFIED, "Mon, 03 Mar 2025 10:00:00 GMT"),
        ],
        feed_text(),
    )
        .into_response()
}

async fn dated(State(counters): State<Arc<Counters>>, headers: HeaderMap) -> Response {
    if headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()) == Some("Mon, 03 Mar 2025 10:00:00 GMT") {
        counters.not_modified.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    counters.full.fetch_add(1, Ordering::SeqCst);
    ([(header::LAST_MODIFIED, "Mon, 03 Mar 2025 10:00:00 GMT")], feed_text()).into_response()
}

fn router(counters: Arc<Counters>) -> Router {
    let big = "X".repeat(2 * 1024 * 1024);
    Router::new()
        .route("/cal.ics", get(feed))
        .route("/dated.ics", get(dated))
        .route(
            "/moved",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/cal.ics")]) }),
        )
        .route(
            "/login",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body>Sign in</body></html>",
                )
            }),
        )
        .route("/revoked.ics", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/big.ics",
            get(move || {
                let big = big.clone();
                async move { format!("BEGIN:VCALENDAR\r\n{big}") }
            }),
        )
        .route(
            "/endless.ics",
            get(|| async {
                // No Content-Length: the size is only known by reading, which must stop at the cap. Bounded at
                // 64 MiB so a client that never stops can't hang the test.
                let chunks = (0..1024).map(|_| Ok::<_, std::io::Error>(vec![b'X'; 64 * 1024]));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        )
        .with_state(counters)
}

async fn feed_server() -> (Url, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    (serve(router(counters.clone())).await, counters)
}

fn fetched(result: Result<FeedFetch, CalendarError>) -> (String, FeedValidators) {
    match result.expect("fetch") {
        FeedFetch::Fetched { ics, validators } => (ics, validators),
        FeedFetch::NotModified => panic!("expected the feed, got 304"),
    }
}

#[tokio::test]
async fn a_feed_is_read_with_its_recurrences_and_a_second_fetch_costs_a_304() {
    let (base, counters) = feed_server().await;
    let url = base.join("cal.ics").expect("url");
    let http = http();

    let (ics, validators) = fetched(fetch_feed(&http, &url, &FeedValidators::default()).await);
    assert_eq!(validators.etag.as_deref(), Some("\"v1\""));
    let w = window("2025-03-01T00:00:00Z", "2025-04-10T00:00:00Z", "America/New_York");
    let report = busy_from_ics(&ics, "Holidays feed", &w, &IcsLimits::default()).expect("busy");
    assert_eq!(spans(&report), expected_new_york_busy());

    let again = fetch_feed(&http, &url, &validators).await.expect("conditional fetch");
    assert_eq!(again, FeedFetch::NotModified);
    assert_eq!(counters.full.load(Ordering::SeqCst), 1);
    assert_eq!(counters.not_modified.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn last_modified_alone_also_makes_the_get_conditional() {
    let (base, counters) = feed_server().await;
    let url = base.join("dated.ics").expect("url");
    let (_, validators) = fetched(fetch_feed(&http(), &url, &FeedValidators::default()).await);
    assert_eq!(
        validators,
        FeedValidators {
            etag: None,
            last_modified: Some("Mon, 03 Mar 2025 10:00:00 GMT".into())
        }
    );
    assert_eq!(fetch_feed(&http(), &url, &validators).await, Ok(FeedFetch::NotModified));
    assert_eq!(counters.not_modified.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirects_are_followed_and_each_target_is_checked() {
    let (base, _) = feed_server().await;
    let moved = base.join("moved").expect("url");
    let (ics, _) = fetched(fetch_feed(&http(), &moved, &FeedValidators::default()).await);
    assert!(ics.contains("UID:weekly@test"));

    // A policy that allows the first address but not where it redirects.
    let strict = http().with_url_policy(|u| {
        if u.path() == "/cal.ics" {
            Err("not allowed".into())
        } else {
            Ok(())
        }
    });
    let err = fetch_feed(&strict, &moved, &FeedValidators::default())
        .await
        .expect_err("refused");
    assert_eq!(err, CalendarError::UrlRejected("not allowed".into()));

    // Even a client that follows redirects by itself doesn't get the refused target's content through.
    let following = Http::new(reqwest::Client::new(), std::time::Duration::from_secs(5)).with_url_policy(|u| {
        if u.path() == "/cal.ics" {
            Err("not allowed".into())
        } else {
            Ok(())
        }
    });
    let err = fetch_feed(&following, &moved, &FeedValidators::default())
        .await
        .expect_err("refused");
    assert_eq!(err, CalendarError::UrlRejected("not allowed".into()));
}

#[tokio::test]
async fn oversized_feeds_are_refused_by_length_or_while_reading() {
    let (base, _) = feed_server().await;
    let http = Http::new(client(), std::time::Duration::from_secs(5)).with_max_body_bytes(1024 * 1024);
    for path in ["big.ics", "endless.ics"] {
        let err = fetch_feed(&http, &base.join(path).expect("url"), &FeedValidators::default()).await;
        assert_eq!(err, Err(CalendarError::TooLarge { limit: 1024 * 1024 }), "{path}");
    }
}

#[tokio::test]
async fn pages_that_are_not_calendars_and_missing_feeds_are_errors() {
    let (base, _) = feed_server().await;
    let err = fetch_feed(&http(), &base.join("login").expect("url"), &FeedValidators::default()).await;
    assert!(matches!(err, Err(CalendarError::Protocol(_))), "{err:?}");
    let err = fetch_feed(
        &http(),
        &base.join("revoked.ics").expect("url"),
        &FeedValidators::default(),
    )
    .await;
    assert_eq!(err, Err(CalendarError::NotFound));
}

#[tokio::test]
async fn an_unreachable_feed_is_a_transient_error_without_its_secret_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/published/2/SECRETTOKEN123")).expect("url");
    let err = fetch_feed(&http(), &url, &FeedValidators::default())
        .await
        .expect_err("down");
    assert!(matches!(err, CalendarError::Unreachable { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(!format!("{err} {err:?}").contains("SECRETTOKEN123"), "{err:?}");
}
