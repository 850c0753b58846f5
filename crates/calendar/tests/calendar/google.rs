//! Google Calendar against a local fake that follows Google's documented request and answer shapes: OAuth token
//! endpoint (form-encoded, `invalid_grant` on a bad refresh token), `calendarList.list` with `nextPageToken`,
//! `freeBusy.query`, `events.insert/patch/delete` with `sendUpdates`, and Google's error envelope.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use convene_calendar::{
    BookingEvent, BusyKind, CalendarError, GoogleCalendar, OAuthApp, OAuthSession, TokenSet, busy::BusyReport,
};
use convene_core::ics::Party;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use url::Url;

use crate::fixtures::*;

const CLIENT_ID: &str = "convene-test.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-test-secret";
const REFRESH_TOKEN: &str = "1//refresh-token";

#[derive(Default)]
struct Fake {
    /// The access token the API accepts now.
    valid_token: Mutex<String>,
    refreshes: AtomicUsize,
    /// Answers to the next freeBusy calls: a status and Retry-After, or a Google 403 rate-limit error.
    throttle: Mutex<Vec<&'static str>>,
    events: Mutex<HashMap<String, Value>>,
    deleted: Mutex<Vec<String>>,
    last_insert_query: Mutex<HashMap<String, String>>,
}

fn google_error(status: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({ "error": { "code": status.as_u16(), "message": message,
        "errors": [{ "domain": "global", "reason": reason, "message": message }] } });
    (status, Json(body)).into_response()
}

async fn authorized(fake: &Fake, headers: &HeaderMap) -> Result<(), Response> {
    let expected = format!("Bearer {}", fake.valid_token.lock().await);
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected.as_str()) {
        Ok(())
    } else {
        Err(google_error(
            StatusCode::UNAUTHORIZED,
            "authError",
            "Invalid Credentials",
        ))
    }
}

async fn token(State(fake): State<Arc<Fake>>, Form(form): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| form.get(k).map(String::as_str);
    if get("client_id") != Some(CLIENT_ID) || get("client_secret") != Some(CLIENT_SECRET) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client" }))).into_response();
    }
    match get("grant_type") {
        Some("refresh_token") if get("refresh_token") == Some(REFRESH_TOKEN) => {
            let n = fake.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            let access = format!("ya29.fresh-{n}");
            *fake.valid_token.lock().await = access.clone();
            // Google does not send a new refresh token on refresh.
            Json(json!({ "access_token": access, "expires_in": 3599, "scope": "https://www.googleapis.com/auth/calendar.events", "token_type": "Bearer" })).into_response()
        }
        Some("authorization_code") if get("code") == Some("4/good-code") && get("redirect_uri").is_some() => {
            *fake.valid_token.lock().await = "ya29.first".into();
            Json(
                json!({ "access_token": "ya29.first", "expires_in": 3599, "refresh_token": REFRESH_TOKEN,
                "scope": "https://www.googleapis.com/auth/calendar.events", "token_type": "Bearer" }),
            )
            .into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant", "error_description": "Token has been expired or revoked." })),
        )
            .into_response(),
    }
}

async fn calendar_list(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = authorized(&fake, &headers).await {
        return r;
    }
    match query.get("pageToken").map(String::as_str) {
        None => Json(json!({
            "kind": "calendar#calendarList", "etag": "\"p1\"", "nextPageToken": "page-2",
            "items": [
                { "kind": "calendar#calendarListEntry", "id": "alice@example.com", "summary": "alice@example.com",
                  "summaryOverride": "Alice", "timeZone": "Europe/Berlin", "backgroundColor": "#9fe1e7",
                  "accessRole": "owner", "primary": true },
                { "kind": "calendar#calendarListEntry", "id": "team#x@group.calendar.google.com", "summary": "Team",
                  "timeZone": "Europe/Berlin", "backgroundColor": "#f83a22", "accessRole": "reader" }
            ]
        }))
        .into_response(),
        Some("page-2") => Json(json!({
            "kind": "calendar#calendarList", "etag": "\"p2\"", "nextSyncToken": "sync-1",
            "items": [
                { "kind": "calendar#calendarListEntry", "id": "bob@example.com", "summary": "Bob",
                  "accessRole": "freeBusyReader" }
            ]
        }))
        .into_response(),
        Some(_) => google_error(StatusCode::BAD_REQUEST, "invalid", "Invalid page token"),
    }
}

async fn free_busy(State(fake): State<Arc<Fake>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = authorized(&fake, &headers).await {
        return r;
    }
    let next = fake.throttle.lock().await.pop();
    match next {
        Some("429") => return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "7")], "").into_response(),
        Some("403") => return google_error(StatusCode::FORBIDDEN, "rateLimitExceeded", "Rate Limit Exceeded"),
        _ => {}
    }
    let (Some(min), Some(max)) = (body["timeMin"].as_str(), body["timeMax"].as_str()) else {
        return google_error(StatusCode::BAD_REQUEST, "required", "Missing timeMin/timeMax");
    };
    let mut calendars = serde_json::Map::new();
    for item in body["items"].as_array().into_iter().flatten() {
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        let entry = if id == "missing@example.com" {
            json!({ "errors": [{ "domain": "global", "reason": "notFound" }], "busy": [] })
        } else {
            json!({ "busy": [
                { "start": "2025-03-10T09:00:00Z", "end": "2025-03-10T10:00:00Z" },
                { "start": "2025-03-11T13:00:00+01:00", "end": "2025-03-11T14:30:00+01:00" }
            ] })
        };
        calendars.insert(id, entry);
    }
    Json(json!({ "kind": "calendar#freeBusy", "timeMin": min, "timeMax": max, "calendars": calendars })).into_response()
}

fn stored_event(id: &str, body: &Value) -> Value {
    let mut event = body.clone();
    event["kind"] = json!("calendar#event");
    event["id"] = json!(id);
    event["etag"] = json!(format!(
        "\"{}\"",
        body["start"]["dateTime"].as_str().unwrap_or_default()
    ));
    event["iCalUID"] = json!(format!("{id}@google.com"));
    event["htmlLink"] = json!(format!("https://www.google.com/calendar/event?eid={id}"));
    event["status"] = json!("confirmed");
    event
}

async fn insert_event(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path(calendar): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = authorized(&fake, &headers).await {
        return r;
    }
    *fake.last_insert_query.lock().await = query;
    let Some(id) = body["id"].as_str().map(str::to_owned) else {
        return google_error(StatusCode::BAD_REQUEST, "required", "Missing id");
    };
    if body["start"]["dateTime"].as_str().is_none() || body["end"]["dateTime"].as_str().is_none() {
        return google_error(StatusCode::BAD_REQUEST, "required", "Missing end time.");
    }
    let mut events = fake.events.lock().await;
    if events.contains_key(&id) || calendar != "primary" && calendar != "alice@example.com" {
        return google_error(
            StatusCode::CONFLICT,
            "duplicate",
            "The requested identifier already exists.",
        );
    }
    let event = stored_event(&id, &body);
    events.insert(id, event.clone());
    Json(event).into_response()
}

async fn patch_event(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path((_calendar, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = authorized(&fake, &headers).await {
        return r;
    }
    let mut events = fake.events.lock().await;
    let Some(existing) = events.get_mut(&id) else {
        return google_error(StatusCode::NOT_FOUND, "notFound", "Not Found");
    };
    for (k, v) in body.as_object().into_iter().flatten() {
        existing[k] = v.clone();
    }
    *existing = stored_event(&id, existing);
    Json(existing.clone()).into_response()
}

async fn delete_event(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path((_calendar, id)): Path<(String, String)>,
) -> Response {
    if let Err(r) = authorized(&fake, &headers).await {
        return r;
    }
    if fake.events.lock().await.remove(&id).is_some() {
        fake.deleted.lock().await.push(id);
        return StatusCode::NO_CONTENT.into_response();
    }
    if fake.deleted.lock().await.contains(&id) {
        return google_error(StatusCode::GONE, "deleted", "Resource has been deleted");
    }
    google_error(StatusCode::NOT_FOUND, "notFound", "Not Found")
}

async fn google() -> (Url, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    *fake.valid_token.lock().await = "ya29.current".into();
    let router = Router::new()
        .route("/token", post(token))
        .route("/calendar/v3/users/me/calendarList", get(calendar_list))
        .route("/calendar/v3/freeBusy", post(free_busy))
        .route("/calendar/v3/calendars/{calendar}/events", post(insert_event))
        .route(
            "/calendar/v3/calendars/{calendar}/events/{id}",
            patch(patch_event).delete(delete_event),
        )
        .with_state(fake.clone());
    (serve(router).await, fake)
}

fn app(base: &Url) -> OAuthApp {
    OAuthApp::google(
        CLIENT_ID.into(),
        SecretString::from(CLIENT_SECRET.to_owned()),
        Url::parse("https://convene.example/v2/calendars/google/save").expect("url"),
    )
    .with_endpoints(base.join("auth").expect("url"), base.join("token").expect("url"))
}

fn tokens(access: &str, refresh: Option<&str>) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: refresh.map(|r| SecretString::from(r.to_owned())),
        expires_at: None,
        scope: None,
    }
}

fn calendar(base: &Url, tokens: TokenSet) -> GoogleCalendar {
    GoogleCalendar::new(OAuthSession::new(app(base), http(), tokens))
        .with_api_base(base.join("calendar/v3/").expect("url"))
}

fn booking(start: &str, end: &str) -> BookingEvent {
    BookingEvent {
        uid: "bk_42@convene".into(),
        sequence: 0,
        start: ts(start),
        end: ts(end),
        summary: "Intro call".into(),
        description: "Booked through convene".into(),
        location: None,
        organizer: Party {
            name: "Alice".into(),
            email: "alice@example.com".into(),
        },
        attendees: vec![Party {
            name: "Eve".into(),
            email: "eve@example.com".into(),
        }],
        time_zone: "Europe/Berlin".into(),
    }
}

#[tokio::test]
async fn the_code_exchange_returns_tokens_that_work() {
    let (base, _) = google().await;
    let tokens = app(&base)
        .exchange_code(&http(), "4/good-code")
        .await
        .expect("exchange");
    assert_eq!(tokens.access_token.expose_secret(), "ya29.first");
    assert_eq!(
        tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .as_deref(),
        Some(REFRESH_TOKEN)
    );
    assert!(tokens.expires_at.is_some());
    let calendars = calendar(&base, tokens).list_calendars().await.expect("list");
    assert_eq!(calendars.len(), 3);

    let err = app(&base)
        .exchange_code(&http(), "4/used-code")
        .await
        .expect_err("refused");
    assert_eq!(err, CalendarError::CredentialsRevoked);
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_on_401_and_the_call_retried() {
    let (base, fake) = google().await;
    let google = calendar(&base, tokens("ya29.expired", Some(REFRESH_TOKEN)));
    let calendars = google.list_calendars().await.expect("list after refresh");
    assert_eq!(calendars.len(), 3);
    assert_eq!(fake.refreshes.load(Ordering::SeqCst), 1);

    let refreshed = google.session().take_refreshed().await.expect("new tokens to store");
    assert_eq!(refreshed.access_token.expose_secret(), "ya29.fresh-1");
    // Google sends no new refresh token: the old one is kept.
    assert_eq!(
        refreshed
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .as_deref(),
        Some(REFRESH_TOKEN)
    );
    assert!(google.session().take_refreshed().await.is_none());

    google.list_calendars().await.expect("list again");
    assert_eq!(
        fake.refreshes.load(Ordering::SeqCst),
        1,
        "a valid token is not refreshed"
    );
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_call() {
    let (base, fake) = google().await;
    let mut expiring = tokens("ya29.current", Some(REFRESH_TOKEN));
    expiring.expires_at = Some(jiff::Timestamp::now() + jiff::SignedDuration::from_secs(10));
    calendar(&base, expiring).list_calendars().await.expect("list");
    assert_eq!(fake.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_revoked_refresh_token_means_reconnecting() {
    let (base, _) = google().await;
    let google = calendar(&base, tokens("ya29.expired", Some("1//revoked")));
    let err = google.list_calendars().await.expect_err("revoked");
    assert_eq!(err, CalendarError::CredentialsRevoked);
    assert!(err.needs_reconnect());
    let google = calendar(&base, tokens("ya29.expired", None));
    assert_eq!(google.list_calendars().await, Err(CalendarError::Unauthorized));
}

#[tokio::test]
async fn the_calendar_list_follows_next_page_tokens_within_the_page_cap() {
    let (base, _) = google().await;
    let google = calendar(&base, tokens("ya29.current", None));
    let calendars = google.list_calendars().await.expect("list");
    let summary: Vec<_> = calendars
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.primary, c.read_only, c.free_busy_only))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("alice@example.com", "Alice", true, false, false),
            ("team#x@group.calendar.google.com", "Team", false, true, false),
            ("bob@example.com", "Bob", false, true, true),
        ]
    );
    assert_eq!(calendars[0].color.as_deref(), Some("#9fe1e7"));
    let capped = calendar(&base, tokens("ya29.current", None)).with_max_pages(1);
    assert!(matches!(capped.list_calendars().await, Err(CalendarError::Protocol(_))));
}

#[tokio::test]
async fn free_busy_answers_per_calendar_and_rate_limits_say_when_to_retry() {
    let (base, fake) = google().await;
    let google = calendar(&base, tokens("ya29.current", None));
    let w = window("2025-03-10T00:00:00Z", "2025-03-17T00:00:00Z", "Europe/Berlin");
    let ids = vec!["alice@example.com".to_owned(), "missing@example.com".to_owned()];

    let answer = google.free_busy(&ids, &w).await.expect("free busy");
    assert_eq!(answer[0].calendar_id, "alice@example.com");
    let report: &BusyReport = answer[0].result.as_ref().expect("busy");
    assert_eq!(
        spans(report),
        vec![
            span("2025-03-10T09:00:00Z", "2025-03-10T10:00:00Z", None),
            span("2025-03-11T12:00:00Z", "2025-03-11T13:30:00Z", None),
        ]
    );
    assert!(
        report
            .busy
            .iter()
            .all(|b| b.source.kind == BusyKind::FreeBusy && b.source.calendar == "alice@example.com")
    );
    assert_eq!(answer[1].result, Err(CalendarError::NotFound));

    fake.throttle.lock().await.extend(["403", "429"]);
    let err = google.free_busy(&ids, &w).await.expect_err("throttled");
    assert_eq!(
        err,
        CalendarError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    let err = google.free_busy(&ids, &w).await.expect_err("throttled");
    assert!(
        matches!(err, CalendarError::RateLimited { retry_after: Some(_) }),
        "{err:?}"
    );
    assert!(google.free_busy(&ids, &w).await.is_ok());
}

#[tokio::test]
async fn the_booking_event_is_inserted_without_invitations_patched_and_deleted() {
    let (base, fake) = google().await;
    let google = calendar(&base, tokens("ya29.current", None));
    let event = booking("2025-03-12T15:00:00Z", "2025-03-12T15:30:00Z");

    let created = google.insert_event("alice@example.com", &event).await.expect("insert");
    assert_eq!(created.id, event.google_event_id());
    assert!(created.web_link.is_some());
    let query = fake.last_insert_query.lock().await.clone();
    assert_eq!(query.get("sendUpdates").map(String::as_str), Some("none"));
    let stored = fake.events.lock().await.get(&created.id).cloned().expect("stored");
    assert_eq!(stored["start"]["dateTime"], "2025-03-12T15:00:00Z");
    assert_eq!(stored["start"]["timeZone"], "Europe/Berlin");
    assert_eq!(stored["attendees"][0]["email"], "eve@example.com");
    assert_eq!(stored["extendedProperties"]["private"]["conveneUid"], "bk_42@convene");

    // A retried insert (after a timeout, say) is recognised.
    assert_eq!(
        google.insert_event("alice@example.com", &event).await,
        Err(CalendarError::AlreadyExists)
    );

    let moved = booking("2025-03-13T09:00:00Z", "2025-03-13T10:00:00Z");
    let patched = google
        .patch_event("alice@example.com", &created.id, &moved)
        .await
        .expect("patch");
    assert_ne!(patched.etag, created.etag);
    let stored = fake.events.lock().await.get(&created.id).cloned().expect("stored");
    assert_eq!(stored["end"]["dateTime"], "2025-03-13T10:00:00Z");

    google
        .delete_event("alice@example.com", &created.id)
        .await
        .expect("delete");
    assert!(fake.events.lock().await.is_empty());
    assert_eq!(
        google.delete_event("alice@example.com", &created.id).await,
        Err(CalendarError::NotFound)
    );
    assert_eq!(
        google.patch_event("alice@example.com", &created.id, &moved).await,
        Err(CalendarError::NotFound)
    );
}
