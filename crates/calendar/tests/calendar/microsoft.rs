//! Microsoft Graph against a local fake following Graph's documented shapes: the v2.0 token endpoint (rotating
//! refresh tokens), `/me/calendars` with `@odata.nextLink`, `getSchedule`, `calendarView`, events with
//! `transactionId`, throttling with `Retry-After`, and Graph's error envelope.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use convene_calendar::{BookingEvent, BusyKind, CalendarError, GraphCalendar, OAuthApp, OAuthSession, TokenSet};
use convene_core::ics::Party;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use url::Url;

use crate::fixtures::*;

const CLIENT_ID: &str = "00000000-aaaa-bbbb-cccc-000000000000";
const CLIENT_SECRET: &str = "graph~secret";

#[derive(Default)]
struct Fake {
    base: Mutex<String>,
    valid_token: Mutex<String>,
    /// Microsoft rotates refresh tokens: only the latest one works.
    refresh_token: Mutex<String>,
    refreshes: AtomicUsize,
    throttle_next: AtomicUsize,
    prefer_headers: Mutex<Vec<String>>,
    events: Mutex<HashMap<String, Value>>,
    transactions: Mutex<HashMap<String, String>>,
    /// Where the calendar list's second page says to go (to test a nextLink leaving the API).
    next_link_override: Mutex<Option<String>>,
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
}

async fn check(fake: &Fake, headers: &HeaderMap) -> Result<(), Response> {
    if let Some(prefer) = headers.get("Prefer").and_then(|v| v.to_str().ok()) {
        fake.prefer_headers.lock().await.push(prefer.to_owned());
    }
    let expected = format!("Bearer {}", fake.valid_token.lock().await);
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return Err(graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token has expired.",
        ));
    }
    if fake.throttle_next.load(Ordering::SeqCst) > 0 {
        fake.throttle_next.fetch_sub(1, Ordering::SeqCst);
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "12")],
            Json(json!({ "error": { "code": "TooManyRequests", "message": "Please retry again later." } })),
        )
            .into_response());
    }
    Ok(())
}

async fn token(State(fake): State<Arc<Fake>>, Form(form): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| form.get(k).map(String::as_str);
    if get("client_id") != Some(CLIENT_ID) || get("client_secret") != Some(CLIENT_SECRET) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client" }))).into_response();
    }
    let mut current = fake.refresh_token.lock().await;
    if get("grant_type") != Some("refresh_token") || get("refresh_token") != Some(current.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({ "error": "invalid_grant", "error_description": "AADSTS70000: The refresh token has expired." }),
            ),
        )
            .into_response();
    }
    let n = fake.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
    let access = format!("eyJ0.access-{n}");
    *current = format!("M.R3_rotated-{n}");
    *fake.valid_token.lock().await = access.clone();
    Json(
        json!({ "token_type": "Bearer", "scope": "Calendars.ReadWrite User.Read", "expires_in": 3600,
        "access_token": access, "refresh_token": *current }),
    )
    .into_response()
}

async fn calendars(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check(&fake, &headers).await {
        return r;
    }
    let base = fake.base.lock().await.clone();
    if query.contains_key("$skiptoken") {
        return Json(json!({ "value": [
            { "id": "AAMkAD-shared=", "name": "Shared with me", "hexColor": "", "isDefaultCalendar": false, "canEdit": false }
        ] }))
        .into_response();
    }
    let next = fake
        .next_link_override
        .lock()
        .await
        .clone()
        .unwrap_or_else(|| format!("{base}v1.0/me/calendars?$select=id&$top=100&$skiptoken=X2"));
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#me/calendars",
        "value": [
            { "id": "AAMkAD-main=", "name": "Calendar", "color": "auto", "hexColor": "#0078d4", "isDefaultCalendar": true, "canEdit": true }
        ],
        "@odata.nextLink": next
    }))
    .into_response()
}

async fn get_schedule(State(fake): State<Arc<Fake>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = check(&fake, &headers).await {
        return r;
    }
    if body["startTime"]["timeZone"] != "UTC" || body["endTime"]["dateTime"].as_str().is_none() {
        return graph_error(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "bad time");
    }
    let item = |status: &str, subject: &str, start: &str, end: &str| {
        json!({ "isPrivate": false, "status": status, "subject": subject, "location": "",
                "start": { "dateTime": start, "timeZone": "UTC" }, "end": { "dateTime": end, "timeZone": "UTC" } })
    };
    let value: Vec<Value> = body["schedules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let id = s.as_str().unwrap_or_default();
            if id == "nobody@example.com" {
                return json!({ "scheduleId": id, "error": { "message": "not found", "responseCode": "ErrorMailRecipientNotFound" } });
            }
            json!({ "scheduleId": id, "availabilityView": "0220", "scheduleItems": [
                item("busy", "Board meeting", "2025-03-10T09:00:00.0000000", "2025-03-10T10:00:00.0000000"),
                item("free", "Free slot", "2025-03-10T11:00:00.0000000", "2025-03-10T12:00:00.0000000"),
                item("tentative", "Maybe lunch", "2025-03-10T12:00:00.0000000", "2025-03-10T13:00:00.0000000"),
                item("oof", "Vacation", "2025-03-12T00:00:00.0000000", "2025-03-13T00:00:00.0000000"),
                item("workingElsewhere", "Home office", "2025-03-14T08:00:00.0000000", "2025-03-14T17:00:00.0000000"),
            ] })
        })
        .collect();
    Json(json!({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)", "value": value })).into_response()
}

async fn calendar_view(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path(calendar): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check(&fake, &headers).await {
        return r;
    }
    if calendar != "AAMkAD-main=" {
        return graph_error(
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        );
    }
    if !query.contains_key("startDateTime") || !query.contains_key("endDateTime") {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "startDateTime is required",
        );
    }
    let event = |subject: &str, show_as: &str, start: &str, end: &str, cancelled: bool, all_day: bool| {
        json!({ "subject": subject, "showAs": show_as, "isCancelled": cancelled, "isAllDay": all_day,
                "iCalUId": format!("uid-{subject}"),
                "start": { "dateTime": start, "timeZone": "UTC" }, "end": { "dateTime": end, "timeZone": "UTC" } })
    };
    let base = fake.base.lock().await.clone();
    if query.contains_key("$skip") {
        return Json(json!({ "value": [
            event("Holiday", "oof", "2025-03-12T00:00:00.0000000", "2025-03-13T00:00:00.0000000", false, true),
        ] }))
        .into_response();
    }
    Json(json!({
        "value": [
            event("Standup", "busy", "2025-03-10T08:00:00.0000000", "2025-03-10T08:15:00.0000000", false, false),
            event("Optional talk", "free", "2025-03-10T14:00:00.0000000", "2025-03-10T15:00:00.0000000", false, false),
            event("Called off", "busy", "2025-03-11T10:00:00.0000000", "2025-03-11T11:00:00.0000000", true, false),
        ],
        // Graph's nextLink repeats the query with a $skip.
        "@odata.nextLink": format!(
            "{base}v1.0/me/calendars/{calendar}/calendarView?startDateTime={}&endDateTime={}&$skip=3",
            query["startDateTime"], query["endDateTime"]
        )
    }))
    .into_response()
}

async fn create_event(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path(calendar): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = check(&fake, &headers).await {
        return r;
    }
    if body.get("attendees").is_some() {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "Test",
            "attendees would make Exchange send invitations",
        );
    }
    let mut transactions = fake.transactions.lock().await;
    let mut events = fake.events.lock().await;
    if let Some(id) = body["transactionId"].as_str().and_then(|t| transactions.get(t)) {
        // Graph returns the event the first request created.
        return (StatusCode::CREATED, Json(events[id].clone())).into_response();
    }
    let id = format!("AAMkAD-event-{}", events.len() + 1);
    let mut event = body.clone();
    event["id"] = json!(id);
    event["calendar"] = json!(calendar);
    event["@odata.etag"] = json!("W/\"1\"");
    event["iCalUId"] = json!(format!("040000008200E00074C5B7101A82E008-{id}"));
    event["webLink"] = json!(format!("https://outlook.office365.com/owa/?itemid={id}"));
    if let Some(t) = body["transactionId"].as_str() {
        transactions.insert(t.to_owned(), id.clone());
    }
    events.insert(id, event.clone());
    (StatusCode::CREATED, Json(event)).into_response()
}

async fn update_event(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = check(&fake, &headers).await {
        return r;
    }
    let mut events = fake.events.lock().await;
    let Some(event) = events.get_mut(&id) else {
        return graph_error(
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        );
    };
    for (k, v) in body.as_object().into_iter().flatten() {
        event[k] = v.clone();
    }
    event["@odata.etag"] = json!("W/\"2\"");
    Json(event.clone()).into_response()
}

async fn delete_event(State(fake): State<Arc<Fake>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = check(&fake, &headers).await {
        return r;
    }
    match fake.events.lock().await.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => graph_error(
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        ),
    }
}

async fn graph() -> (Url, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    *fake.valid_token.lock().await = "eyJ0.current".into();
    *fake.refresh_token.lock().await = "M.R3_first".into();
    let router = Router::new()
        .route("/common/oauth2/v2.0/token", post(token))
        .route("/v1.0/me/calendars", get(calendars))
        .route("/v1.0/me/calendar/getSchedule", post(get_schedule))
        .route("/v1.0/me/calendars/{calendar}/calendarView", get(calendar_view))
        .route("/v1.0/me/calendars/{calendar}/events", post(create_event))
        .route("/v1.0/me/events/{id}", patch(update_event).delete(delete_event))
        .with_state(fake.clone());
    let base = serve(router).await;
    *fake.base.lock().await = base.to_string();
    (base, fake)
}

fn client(base: &Url, access: &str, refresh: Option<&str>) -> GraphCalendar {
    let app = OAuthApp::microsoft(
        CLIENT_ID.into(),
        SecretString::from(CLIENT_SECRET.to_owned()),
        Url::parse("https://convene.example/v2/calendars/office365/save").expect("url"),
    )
    .with_endpoints(
        base.join("common/oauth2/v2.0/authorize").expect("url"),
        base.join("common/oauth2/v2.0/token").expect("url"),
    );
    let tokens = TokenSet {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: refresh.map(|r| SecretString::from(r.to_owned())),
        expires_at: None,
        scope: None,
    };
    GraphCalendar::new(OAuthSession::new(app, http(), tokens)).with_api_base(base.join("v1.0/").expect("url"))
}

fn booking(start: &str, end: &str) -> BookingEvent {
    BookingEvent {
        uid: "bk_77@convene".into(),
        sequence: 0,
        start: ts(start),
        end: ts(end),
        summary: "Demo".into(),
        description: "Booked through convene".into(),
        location: Some("Teams".into()),
        organizer: Party {
            name: "Alice".into(),
            email: "alice@contoso.com".into(),
        },
        attendees: vec![Party {
            name: "Eve".into(),
            email: "eve@example.com".into(),
        }],
        time_zone: "Europe/London".into(),
    }
}

#[tokio::test]
async fn a_401_refreshes_once_and_the_rotated_refresh_token_is_handed_back() {
    let (base, fake) = graph().await;
    let graph = client(&base, "eyJ0.expired", Some("M.R3_first"));
    let calendars = graph.list_calendars().await.expect("list after refresh");
    assert_eq!(calendars.len(), 2);
    assert_eq!(fake.refreshes.load(Ordering::SeqCst), 1);
    let stored = graph.session().take_refreshed().await.expect("tokens to store");
    assert_eq!(
        stored
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .as_deref(),
        Some("M.R3_rotated-1")
    );

    // The first refresh token is spent: a connection still holding it must reconnect.
    let stale = client(&base, "eyJ0.expired", Some("M.R3_first"));
    assert_eq!(stale.list_calendars().await, Err(CalendarError::CredentialsRevoked));
}

#[tokio::test]
async fn calendars_follow_next_links_but_never_off_the_api() {
    let (base, fake) = graph().await;
    let graph = client(&base, "eyJ0.current", None);
    let calendars = graph.list_calendars().await.expect("list");
    let summary: Vec<_> = calendars
        .iter()
        .map(|c| (c.id.as_str(), c.primary, c.read_only, c.color.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("AAMkAD-main=", true, false, Some("#0078d4".to_owned())),
            ("AAMkAD-shared=", false, true, None)
        ]
    );

    // A second server that counts the requests reaching it: a nextLink there must not be followed.
    let elsewhere_hits = Arc::new(AtomicUsize::new(0));
    let hits = elsewhere_hits.clone();
    let elsewhere = serve(Router::new().fallback(move || {
        hits.fetch_add(1, Ordering::SeqCst);
        async { StatusCode::OK }
    }))
    .await;
    *fake.next_link_override.lock().await = Some(format!("{elsewhere}v1.0/me/calendars?$skiptoken=X2"));
    assert!(matches!(graph.list_calendars().await, Err(CalendarError::Protocol(_))));
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the token went to another host"
    );
}

#[tokio::test]
async fn get_schedule_blocks_busy_tentative_and_away_but_not_free_time() {
    let (base, fake) = graph().await;
    let graph = client(&base, "eyJ0.current", None);
    let w = window("2025-03-10T00:00:00Z", "2025-03-17T00:00:00Z", "Europe/London");
    let answer = graph
        .get_schedule(&["alice@contoso.com".to_owned(), "nobody@example.com".to_owned()], &w)
        .await
        .expect("schedule");
    let report = answer[0].result.as_ref().expect("alice");
    assert_eq!(
        spans(report),
        vec![
            span("2025-03-10T09:00:00Z", "2025-03-10T10:00:00Z", Some("Board meeting")),
            span("2025-03-10T12:00:00Z", "2025-03-10T13:00:00Z", Some("Maybe lunch")),
            span("2025-03-12T00:00:00Z", "2025-03-13T00:00:00Z", Some("Vacation")),
        ]
    );
    assert_eq!(report.busy[1].source.kind, BusyKind::Tentative);
    assert!(matches!(answer[1].result, Err(CalendarError::Rejected { .. })));
    assert!(
        fake.prefer_headers
            .lock()
            .await
            .iter()
            .all(|p| p == "outlook.timezone=\"UTC\"")
    );
}

#[tokio::test]
async fn calendar_view_names_events_skips_free_and_cancelled_and_puts_all_day_events_on_the_hosts_days() {
    let (base, _) = graph().await;
    let graph = client(&base, "eyJ0.current", None);
    let w = window("2025-03-10T00:00:00Z", "2025-03-17T00:00:00Z", "America/Los_Angeles");
    let report = graph.calendar_view("AAMkAD-main=", "Outlook", &w).await.expect("view");
    assert_eq!(
        spans(&report),
        vec![
            span("2025-03-10T08:00:00Z", "2025-03-10T08:15:00Z", Some("Standup")),
            // 12 March in Los Angeles (PDT, UTC-7).
            span("2025-03-12T07:00:00Z", "2025-03-13T07:00:00Z", Some("Holiday")),
        ]
    );
    assert_eq!(report.busy[1].source.kind, BusyKind::AllDay);
    assert_eq!(report.busy[0].source.uid.as_deref(), Some("uid-Standup"));
    assert_eq!(
        graph.calendar_view("AAMkAD-gone=", "x", &w).await,
        Err(CalendarError::NotFound)
    );
}

#[tokio::test]
async fn throttling_is_a_rate_limit_with_the_servers_retry_after() {
    let (base, fake) = graph().await;
    let graph = client(&base, "eyJ0.current", None);
    fake.throttle_next.store(1, Ordering::SeqCst);
    let w = window("2025-03-10T00:00:00Z", "2025-03-17T00:00:00Z", "UTC");
    let err = graph
        .calendar_view("AAMkAD-main=", "Outlook", &w)
        .await
        .expect_err("throttled");
    assert_eq!(
        err,
        CalendarError::RateLimited {
            retry_after: Some(Duration::from_secs(12))
        }
    );
    assert!(err.is_transient());
    assert!(graph.calendar_view("AAMkAD-main=", "Outlook", &w).await.is_ok());
}

#[tokio::test]
async fn the_booking_event_is_created_once_updated_and_deleted_without_graph_inviting_anyone() {
    let (base, fake) = graph().await;
    let graph = client(&base, "eyJ0.current", None);
    let event = booking("2025-03-12T15:00:00Z", "2025-03-12T15:30:00Z");
    let created = graph.create_event("AAMkAD-main=", &event).await.expect("create");
    let again = graph
        .create_event("AAMkAD-main=", &event)
        .await
        .expect("retried create");
    assert_eq!(
        again.id, created.id,
        "the transactionId makes the retry return the same event"
    );
    assert_eq!(fake.events.lock().await.len(), 1);
    let stored = fake.events.lock().await[&created.id].clone();
    assert_eq!(
        stored["start"],
        json!({ "dateTime": "2025-03-12T15:00:00", "timeZone": "UTC" })
    );
    assert_eq!(stored["location"]["displayName"], "Teams");

    let moved = booking("2025-03-13T09:00:00Z", "2025-03-13T10:00:00Z");
    let updated = graph.update_event(&created.id, &moved).await.expect("update");
    assert_eq!(updated.etag.as_deref(), Some("W/\"2\""));
    assert_eq!(
        fake.events.lock().await[&created.id]["end"]["dateTime"],
        "2025-03-13T10:00:00"
    );

    graph.delete_event(&created.id).await.expect("delete");
    assert_eq!(graph.delete_event(&created.id).await, Err(CalendarError::NotFound));
}
