//! A fake Microsoft identity platform and Graph, as documented (learn.microsoft.com/graph/api): `GET /me/calendars`
//! and `GET /me/calendars/{id}/calendarView` paged with an absolute `@odata.nextLink` (`$skip`), times in UTC as
//! asked by `Prefer: outlook.timezone="UTC"` (`{"dateTime": "…", "timeZone": "UTC"}` without offset), `showAs` /
//! `isCancelled` as stored; `POST /me/calendars/{id}/events` (a repeated `transactionId` returns the first event),
//! `GET`, `PATCH` and `DELETE /me/events/{id}`. Refresh tokens rotate on every refresh.

use super::auth::OAuthFake;
use super::serve;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Mailbox {
    /// (id, name, default).
    calendars: Vec<(String, String, bool)>,
    /// Events with their calendar id under `"_calendar"`.
    events: Vec<Value>,
    page_size: usize,
    serial: u64,
    base: String,
}

/// A running fake Graph.
pub struct FakeGraph {
    addr: SocketAddr,
    oauth: Arc<OAuthFake>,
    mailbox: Arc<Mutex<Mailbox>>,
}

type Shared = (Arc<OAuthFake>, Arc<Mutex<Mailbox>>);

impl FakeGraph {
    /// Starts the fake with one default calendar, `Calendar`, whose id is `default_id`.
    pub async fn start(client_id: &str, client_secret: &str, default_id: &str) -> FakeGraph {
        let oauth = Arc::new(OAuthFake::new(client_id, client_secret, true));
        let mailbox = Arc::new(Mutex::new(Mailbox {
            calendars: vec![(default_id.to_owned(), "Calendar".to_owned(), true)],
            page_size: 100,
            ..Mailbox::default()
        }));
        let shared: Shared = (oauth.clone(), mailbox.clone());
        let app = Router::new()
            .route("/common/oauth2/v2.0/authorize", get(authorize))
            .route("/common/oauth2/v2.0/token", post(token))
            .route("/v1.0/me/calendars", get(calendars))
            .route("/v1.0/me/calendars/{calendar}/calendarView", get(calendar_view))
            .route("/v1.0/me/calendars/{calendar}/events", post(create))
            .route("/v1.0/me/events/{event}", get(read).patch(update).delete(delete))
            .with_state(shared);
        let addr = serve(app).await;
        mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner).base = format!("http://{addr}/v1.0");
        FakeGraph { addr, oauth, mailbox }
    }

    fn mailbox(&self) -> std::sync::MutexGuard<'_, Mailbox> {
        self.mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn oauth(&self) -> &OAuthFake {
        &self.oauth
    }

    pub fn authorize_url(&self) -> String {
        format!("http://{}/common/oauth2/v2.0/authorize", self.addr)
    }

    pub fn token_url(&self) -> String {
        format!("http://{}/common/oauth2/v2.0/token", self.addr)
    }

    pub fn api_base(&self) -> String {
        format!("http://{}/v1.0/", self.addr)
    }

    pub fn add_calendar(&self, id: &str, name: &str) {
        self.mailbox().calendars.push((id.to_owned(), name.to_owned(), false));
    }

    /// Lists answer at most `n` items a page (then an `@odata.nextLink`).
    pub fn set_page_size(&self, n: usize) {
        self.mailbox().page_size = n.max(1);
    }

    /// Adds an event as the user would in Outlook; `show_as` is `busy`, `free`, `tentative`…
    pub fn add_event(&self, calendar: &str, subject: &str, start: Timestamp, end: Timestamp, show_as: &str) -> String {
        let mut mailbox = self.mailbox();
        mailbox.serial += 1;
        let id = format!("AAMk{}", mailbox.serial);
        mailbox.events.push(json!({
            "_calendar": calendar, "id": id, "subject": subject, "showAs": show_as, "isCancelled": false,
            "isAllDay": false, "iCalUId": format!("{id}-uid"),
            "start": graph_time(start), "end": graph_time(end),
        }));
        id
    }

    /// The events of `calendar`, as stored.
    pub fn events(&self, calendar: &str) -> Vec<Value> {
        self.mailbox()
            .events
            .iter()
            .filter(|e| e["_calendar"] == calendar)
            .cloned()
            .collect()
    }
}

fn graph_time(at: Timestamp) -> Value {
    json!({ "dateTime": at.strftime("%Y-%m-%dT%H:%M:%S%.7f").to_string(), "timeZone": "UTC" })
}

fn parse_graph_time(v: &Value) -> Option<Timestamp> {
    let civil: jiff::civil::DateTime = v["dateTime"].as_str()?.parse().ok()?;
    civil.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

fn graph_error(status: StatusCode, code: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": "refused by the fake" } })),
    )
        .into_response()
}

fn gate(oauth: &OAuthFake, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    oauth.take_fault(uri.path()).or_else(|| oauth.refuse_bearer(headers))
}

async fn authorize(State((oauth, _)): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    oauth.authorize(&q)
}

async fn token(State((oauth, _)): State<Shared>, body: String) -> Response {
    if let Some(fault) = oauth.take_fault("/token") {
        return fault;
    }
    oauth.token(&body)
}

/// One page of `items` from `$skip`, with a next link repeating the request's other parameters.
fn page(items: Vec<Value>, q: &HashMap<String, String>, size: usize, path_url: String) -> Response {
    let top: usize = q.get("$top").and_then(|t| t.parse().ok()).unwrap_or(size);
    let size = top.min(size).max(1);
    let skip: usize = q.get("$skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(skip).take(size).collect();
    let mut answer = json!({ "value": value });
    if skip + size < total {
        let mut next = url_with(&path_url, q);
        next.push_str(&format!("&$skip={}", skip + size));
        answer["@odata.nextLink"] = json!(next);
    }
    Json(answer).into_response()
}

fn url_with(base: &str, q: &HashMap<String, String>) -> String {
    let mut pairs: Vec<String> = q
        .iter()
        .filter(|(k, _)| k.as_str() != "$skip")
        .map(|(k, v)| format!("{}={}", super::auth::encode(k), super::auth::encode(v)))
        .collect();
    pairs.sort();
    format!("{base}?{}", pairs.join("&"))
}

async fn calendars(
    State((oauth, mailbox)): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let mailbox = mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let items = mailbox
        .calendars
        .iter()
        .map(|(id, name, default)| {
            json!({ "id": id, "name": name, "isDefaultCalendar": default, "canEdit": true, "hexColor": "" })
        })
        .collect();
    page(items, &q, mailbox.page_size, format!("{}/me/calendars", mailbox.base))
}

async fn calendar_view(
    State((oauth, mailbox)): State<Shared>,
    Path(calendar): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let (Some(from), Some(to)) = (
        q.get("startDateTime").and_then(|t| t.parse::<Timestamp>().ok()),
        q.get("endDateTime").and_then(|t| t.parse::<Timestamp>().ok()),
    ) else {
        return graph_error(StatusCode::BAD_REQUEST, "ErrorInvalidParameter");
    };
    let mailbox = mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !mailbox.calendars.iter().any(|(id, _, _)| *id == calendar) {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound");
    }
    let items = mailbox
        .events
        .iter()
        .filter(|e| e["_calendar"] == calendar.as_str())
        .filter(|e| {
            let (Some(start), Some(end)) = (parse_graph_time(&e["start"]), parse_graph_time(&e["end"])) else {
                return false;
            };
            start < to && end > from
        })
        .map(|e| {
            let mut e = e.clone();
            if let Some(map) = e.as_object_mut() {
                map.remove("_calendar");
            }
            e
        })
        .collect();
    let base = format!(
        "{}/me/calendars/{}/calendarView",
        mailbox.base,
        super::auth::encode(&calendar)
    );
    page(items, &q, mailbox.page_size, base)
}

async fn create(
    State((oauth, mailbox)): State<Shared>,
    Path(calendar): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let Ok(mut event) = serde_json::from_slice::<Value>(&body) else {
        return graph_error(StatusCode::BAD_REQUEST, "BadRequest");
    };
    if parse_graph_time(&event["start"]).is_none() || parse_graph_time(&event["end"]).is_none() {
        return graph_error(StatusCode::BAD_REQUEST, "ErrorInvalidRequest");
    }
    let mut mailbox = mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !mailbox.calendars.iter().any(|(id, _, _)| *id == calendar) {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound");
    }
    if let Some(tx) = event["transactionId"].as_str()
        && let Some(first) = mailbox.events.iter().find(|e| e["transactionId"] == tx)
    {
        return (StatusCode::CREATED, Json(first.clone())).into_response();
    }
    mailbox.serial += 1;
    let id = format!("AAMk{}", mailbox.serial);
    event["id"] = json!(id);
    event["_calendar"] = json!(calendar);
    event["@odata.etag"] = json!(format!("W/\"{}\"", mailbox.serial));
    event["iCalUId"] = json!(format!("{id}-uid"));
    event["isCancelled"] = json!(false);
    event["webLink"] = json!(format!("https://outlook.office365.com/owa/?itemid={id}"));
    mailbox.events.push(event.clone());
    (StatusCode::CREATED, Json(event)).into_response()
}

async fn read(
    State((oauth, mailbox)): State<Shared>,
    Path(event): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let mailbox = mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match mailbox.events.iter().find(|e| e["id"] == event.as_str()) {
        Some(found) => Json(found.clone()).into_response(),
        None => graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound"),
    }
}

async fn update(
    State((oauth, mailbox)): State<Shared>,
    Path(event): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return graph_error(StatusCode::BAD_REQUEST, "BadRequest");
    };
    let mut mailbox = mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    mailbox.serial += 1;
    let serial = mailbox.serial;
    let Some(stored) = mailbox.events.iter_mut().find(|e| e["id"] == event.as_str()) else {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound");
    };
    for (k, v) in changes {
        stored[k] = v;
    }
    stored["@odata.etag"] = json!(format!("W/\"{serial}\""));
    Json(stored.clone()).into_response()
}

async fn delete(
    State((oauth, mailbox)): State<Shared>,
    Path(event): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let mut mailbox = mailbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = mailbox.events.len();
    mailbox.events.retain(|e| e["id"] != event.as_str());
    if mailbox.events.len() == before {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound");
    }
    StatusCode::NO_CONTENT.into_response()
}
