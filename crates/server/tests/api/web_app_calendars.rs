//! Settings → Calendars over plain HTTP: an ICS feed connected through the same service as `/v2/calendars` (a bad
//! address refused beside its field, what was typed kept), its failure shown with the error and since when, busy
//! calendars chosen, calendar writes not done yet listed, disconnecting; forms refuse a missing CSRF token and nobody
//! reaches someone else's connection.

use crate::helpers::TestApp;
use crate::web_app_bookings::{get, signed_in};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode as AxumStatus;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use convene_core::UserId;
use convene_store::{calendar_jobs, calendars};
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const ANA: &str = "ana@cal-pages.test";
const BEN: &str = "ben@cal-pages.test";

pub const EVENT_ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:lunch@test\r\n\
DTSTAMP:20260101T000000Z\r\nSUMMARY:Team lunch\r\nDTSTART:20300107T120000Z\r\nDTEND:20300107T130000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

/// A feed on 127.0.0.1 serving `ics` until told to fail; returns the switch and the address.
pub async fn feed(ics: String) -> (Arc<AtomicBool>, String) {
    let failing = Arc::new(AtomicBool::new(false));
    let state = (failing.clone(), ics);
    let app = Router::new()
        .route(
            "/cal/feed.ics",
            route_get(|State((failing, ics)): State<(Arc<AtomicBool>, String)>| async move {
                if failing.load(Ordering::SeqCst) {
                    AxumStatus::INTERNAL_SERVER_ERROR.into_response()
                } else {
                    ([("content-type", "text/calendar")], ics).into_response()
                }
            }),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (failing, format!("http://{addr}/cal/feed.ics"))
}

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form with the session's token")
        .to_owned()
}

pub async fn post(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let answer = client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    let status = answer.status();
    let to = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    (status, to.unwrap_or(answer.text().await.expect("html")))
}

#[tokio::test]
async fn a_feed_connected_on_the_page_shows_its_health_busy_choice_and_pending_writes() {
    let app = TestApp::spawn().await;
    let ana_user = app.account(ANA).await;
    app.account(BEN).await;
    let (failing, url) = feed(EVENT_ICS.to_owned()).await;
    let ana = signed_in(&app, ANA).await;
    let (status, page) = get(&app, &ana, "/settings/calendars").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"no-calendars\""),
        "the empty state says what to do: {page}"
    );
    assert!(
        page.contains("id=\"settings-tab-calendars\" aria-current=\"page\""),
        "{page}"
    );
    let csrf = csrf_of(&page);

    // Without the session's token nothing is connected.
    let (status, _) = post(&app, &ana, "/settings/calendars/ics", &[("ics-url", &url)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.count_rows("calendar_connections").await, 0);

    // A feed that is not a feed is refused beside its field, the typed address kept.
    let (status, page) = post(
        &app,
        &ana,
        "/settings/calendars/ics",
        &[("csrf", &csrf), ("ics-url", "ftp://nowhere.example/x.ics")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"ics-url-error\""), "{page}");
    assert!(page.contains("value=\"ftp://nowhere.example/x.ics\""), "{page}");

    let (status, to) = post(
        &app,
        &ana,
        "/settings/calendars/ics",
        &[("csrf", &csrf), ("ics-url", &url)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/calendars?notice=connected")
    );
    let connection = calendars::connections_of(&app.db, UserId(ana_user.id))
        .await
        .expect("list")
        .remove(0);
    let calendar = calendars::calendars_of_connection(&app.db, connection.id)
        .await
        .expect("calendars")
        .remove(0);
    assert!(calendar.selected);
    let (_, page) = get(&app, &ana, "/settings/calendars").await;
    assert!(page.contains(&format!("id=\"healthy-{}\"", connection.id)), "{page}");
    assert!(page.contains(&format!("id=\"busy-{}\" checked", calendar.id)), "{page}");

    // The feed fails: the connection shows the error and since when.
    failing.store(true, Ordering::SeqCst);
    app.state.calendars.refresh_all().await;
    let (_, page) = get(&app, &ana, "/settings/calendars").await;
    assert!(page.contains(&format!("id=\"failing-{}\"", connection.id)), "{page}");
    assert!(page.contains("Failing since"), "{page}");

    // Unticking the calendar stops counting it as busy.
    let path = format!("/settings/calendars/{}/selected", connection.id);
    let (status, _) = post(&app, &ana, &path, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = calendars::calendars_of_connection(&app.db, connection.id)
        .await
        .expect("calendars");
    assert!(!after[0].selected);

    // A write that failed is shown to the host (a feed can't be a destination: queue one by hand).
    calendars::set_destination(&app.db, UserId(ana_user.id), None, calendar.id)
        .await
        .expect("destination");
    calendar_jobs::enqueue(&app.db, "booking-uid-that-failed", UserId(ana_user.id))
        .await
        .expect("enqueue");
    let (_, page) = get(&app, &ana, "/settings/calendars").await;
    assert!(page.contains("booking-uid-that-failed"), "{page}");
    assert!(page.contains("Queued"), "{page}");

    // Ben can neither see nor change Ana's connection.
    let ben = signed_in(&app, BEN).await;
    let (_, page) = get(&app, &ben, "/settings/calendars").await;
    assert!(!page.contains(&url) && page.contains("id=\"no-calendars\""), "{page}");
    let ben_csrf = csrf_of(&page);
    let disconnect = format!("/settings/calendars/{}/disconnect", connection.id);
    let (status, _) = post(&app, &ben, &disconnect, &[("csrf", &ben_csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        &app,
        &ben,
        &path,
        &[("csrf", &ben_csrf), ("busy", &calendar.id.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count_rows("calendar_connections").await, 1);

    // Ana disconnects it.
    let (status, _) = post(&app, &ana, &disconnect, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no token, no disconnect");
    let (status, to) = post(&app, &ana, &disconnect, &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/calendars?notice=disconnected")
    );
    assert_eq!(app.count_rows("calendar_connections").await, 0);
}

#[tokio::test]
async fn the_calendars_page_asks_for_sign_in() {
    let app = TestApp::spawn().await;
    let answer = app
        .client
        .get(format!("{}/settings/calendars", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let to = answer.headers()["location"].to_str().expect("location");
    assert!(to.starts_with("/auth/login?next="), "{to}");
}
