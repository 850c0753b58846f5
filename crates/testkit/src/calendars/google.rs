//! A fake Google: OAuth endpoints and the parts of Calendar API v3 convene calls, as documented
//! (developers.google.com/calendar/api/v3/reference): `calendarList.list` (`maxResults`, `pageToken`,
//! `nextPageToken`), `freeBusy.query` (busy periods per calendar; `errors` for an unknown one; transparent and
//! cancelled events don't block), `events.insert` (a client-chosen `id`; 409 `duplicate` when taken), `events.get`,
//! `events.patch`, `events.delete` (410 once deleted).

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

/// A calendar in the fake account.
#[derive(Debug, Clone)]
struct FakeCalendar {
    id: String,
    summary: String,
    primary: bool,
    access_role: String,
}

#[derive(Default)]
struct Account {
    calendars: Vec<FakeCalendar>,
    /// Events by calendar id, in insertion order (deleted ones keep `status: cancelled`).
    events: HashMap<String, Vec<Value>>,
    /// The largest page `calendarList.list` answers, whatever `maxResults` asks.
    page_size: usize,
    serial: u64,
}

/// A running fake Google.
pub struct FakeGoogle {
    addr: SocketAddr,
    oauth: Arc<OAuthFake>,
    account: Arc<Mutex<Account>>,
}

type Shared = (Arc<OAuthFake>, Arc<Mutex<Account>>);

impl FakeGoogle {
    /// Starts the fake for the client `client_id` / `client_secret`, with the account's primary calendar
    /// `primary_id` (Google names it by the account's address).
    pub async fn start(client_id: &str, client_secret: &str, primary_id: &str) -> FakeGoogle {
        let oauth = Arc::new(OAuthFake::new(client_id, client_secret, false));
        let account = Arc::new(Mutex::new(Account {
            calendars: vec![FakeCalendar {
                id: primary_id.to_owned(),
                summary: primary_id.to_owned(),
                primary: true,
                access_role: "owner".into(),
            }],
            page_size: 250,
            ..Account::default()
        }));
        let shared: Shared = (oauth.clone(), account.clone());
        let app = Router::new()
            .route("/o/oauth2/v2/auth", get(authorize))
            .route("/token", post(token))
            .route("/calendar/v3/users/me/calendarList", get(calendar_list))
            .route("/calendar/v3/freeBusy", post(free_busy))
            .route("/calendar/v3/calendars/{calendar}/events", post(insert))
            .route(
                "/calendar/v3/calendars/{calendar}/events/{event}",
                get(get_event).patch(patch_event).delete(delete_event),
            )
            .with_state(shared);
        let addr = serve(app).await;
        FakeGoogle { addr, oauth, account }
    }

    fn account(&self) -> std::sync::MutexGuard<'_, Account> {
        self.account.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The OAuth side: token lifetimes, revocation, faults, counters.
    pub fn oauth(&self) -> &OAuthFake {
        &self.oauth
    }

    pub fn authorize_url(&self) -> String {
        format!("http://{}/o/oauth2/v2/auth", self.addr)
    }

    pub fn token_url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    pub fn api_base(&self) -> String {
        format!("http://{}/calendar/v3/", self.addr)
    }

    /// Adds a calendar to the account's list.
    pub fn add_calendar(&self, id: &str, summary: &str, access_role: &str) {
        self.account().calendars.push(FakeCalendar {
            id: id.to_owned(),
            summary: summary.to_owned(),
            primary: false,
            access_role: access_role.to_owned(),
        });
    }

    /// `calendarList.list` answers at most `n` calendars a page.
    pub fn set_page_size(&self, n: usize) {
        self.account().page_size = n.max(1);
    }

    /// Adds a busy event (as if the user made it in Google Calendar).
    pub fn add_event(&self, calendar: &str, summary: &str, start: Timestamp, end: Timestamp) -> String {
        let mut account = self.account();
        account.serial += 1;
        let id = format!("ext{}", account.serial);
        let event = json!({
            "id": id, "summary": summary, "status": "confirmed",
            "start": { "dateTime": start.to_string() }, "end": { "dateTime": end.to_string() },
        });
        account.events.entry(calendar.to_owned()).or_default().push(event);
        id
    }

    /// The live (not cancelled) events of `calendar`, as stored.
    pub fn events(&self, calendar: &str) -> Vec<Value> {
        self.account()
            .events
            .get(calendar)
            .map(|all| all.iter().filter(|e| e["status"] != "cancelled").cloned().collect())
            .unwrap_or_default()
    }
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

/// Faults first, then the bearer token.
fn gate(oauth: &OAuthFake, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    oauth.take_fault(uri.path()).or_else(|| oauth.refuse_bearer(headers))
}

fn google_error(status: StatusCode, reason: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": status.as_u16(), "message": reason, "errors": [{ "reason": reason }] } })),
    )
        .into_response()
}

async fn calendar_list(
    State((oauth, account)): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let account = account.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let asked: usize = q.get("maxResults").and_then(|m| m.parse().ok()).unwrap_or(100);
    let size = asked.min(account.page_size).max(1);
    let from: usize = match q.get("pageToken") {
        Some(token) => match token.strip_prefix("page-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return google_error(StatusCode::BAD_REQUEST, "invalidPageToken"),
        },
        None => 0,
    };
    let items: Vec<Value> = account
        .calendars
        .iter()
        .skip(from)
        .take(size)
        .map(|c| {
            json!({
                "kind": "calendar#calendarListEntry", "id": c.id, "summary": c.summary,
                "accessRole": c.access_role, "primary": c.primary, "timeZone": "UTC", "backgroundColor": "#9fe1e7",
            })
        })
        .collect();
    let mut answer = json!({ "kind": "calendar#calendarList", "items": items });
    if from + size < account.calendars.len() {
        answer["nextPageToken"] = json!(format!("page-{}", from + size));
    }
    Json(answer).into_response()
}

fn instant(v: &Value) -> Option<Timestamp> {
    v["dateTime"].as_str()?.parse().ok()
}

async fn free_busy(State((oauth, account)): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let Ok(query) = serde_json::from_slice::<Value>(&body) else {
        return google_error(StatusCode::BAD_REQUEST, "parseError");
    };
    let (Some(min), Some(max)) = (
        query["timeMin"].as_str().and_then(|t| t.parse::<Timestamp>().ok()),
        query["timeMax"].as_str().and_then(|t| t.parse::<Timestamp>().ok()),
    ) else {
        return google_error(StatusCode::BAD_REQUEST, "timeRangeEmpty");
    };
    let account = account.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut calendars = serde_json::Map::new();
    for item in query["items"].as_array().into_iter().flatten() {
        let id = item["id"].as_str().unwrap_or_default();
        if !account.calendars.iter().any(|c| c.id == id) {
            calendars.insert(
                id.to_owned(),
                json!({ "errors": [{ "domain": "global", "reason": "notFound" }] }),
            );
            continue;
        }
        let busy: Vec<Value> = account
            .events
            .get(id)
            .into_iter()
            .flatten()
            .filter(|e| e["status"] != "cancelled" && e["transparency"] != "transparent")
            .filter_map(|e| {
                let (start, end) = (instant(&e["start"])?, instant(&e["end"])?);
                (start < max && end > min).then(|| json!({ "start": start.to_string(), "end": end.to_string() }))
            })
            .collect();
        calendars.insert(id.to_owned(), json!({ "busy": busy }));
    }
    Json(json!({
        "kind": "calendar#freeBusy", "timeMin": min.to_string(), "timeMax": max.to_string(), "calendars": calendars,
    }))
    .into_response()
}

async fn insert(
    State((oauth, account)): State<Shared>,
    Path(calendar): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let Ok(mut event) = serde_json::from_slice::<Value>(&body) else {
        return google_error(StatusCode::BAD_REQUEST, "parseError");
    };
    if instant(&event["start"]).is_none() || instant(&event["end"]).is_none() {
        return google_error(StatusCode::BAD_REQUEST, "required");
    }
    let mut account = account.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !account.calendars.iter().any(|c| c.id == calendar) {
        return google_error(StatusCode::NOT_FOUND, "notFound");
    }
    account.serial += 1;
    let id = match event["id"].as_str() {
        Some(id) => id.to_owned(),
        None => format!("gen{}", account.serial),
    };
    let events = account.events.entry(calendar).or_default();
    if events.iter().any(|e| e["id"] == id.as_str()) {
        return google_error(StatusCode::CONFLICT, "duplicate");
    }
    event["id"] = json!(id);
    event["status"] = json!("confirmed");
    event["etag"] = json!(format!("\"{}\"", events.len() + 1));
    event["iCalUID"] = json!(format!("{id}@google.com"));
    event["htmlLink"] = json!(format!("https://calendar.google.com/event?eid={id}"));
    events.push(event.clone());
    Json(event).into_response()
}

fn find<'a>(
    account: &'a mut Account,
    calendar: &str,
    event: &str,
) -> Result<&'a mut Value, (StatusCode, &'static str)> {
    let found = account
        .events
        .get_mut(calendar)
        .and_then(|all| all.iter_mut().find(|e| e["id"] == event));
    match found {
        Some(e) if e["status"] == "cancelled" => Err((StatusCode::GONE, "deleted")),
        Some(e) => Ok(e),
        None => Err((StatusCode::NOT_FOUND, "notFound")),
    }
}

async fn get_event(
    State((oauth, account)): State<Shared>,
    Path((calendar, event)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let mut account = account.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match find(&mut account, &calendar, &event) {
        Ok(e) => Json(e.clone()).into_response(),
        Err((status, reason)) => google_error(status, reason),
    }
}

async fn patch_event(
    State((oauth, account)): State<Shared>,
    Path((calendar, event)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return google_error(StatusCode::BAD_REQUEST, "parseError");
    };
    let mut account = account.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match find(&mut account, &calendar, &event) {
        Ok(e) => {
            // Patch semantics: the fields given replace the stored ones, the others stay.
            for (k, v) in changes {
                if k != "id" {
                    e[k] = v;
                }
            }
            let etag = e["etag"]
                .as_str()
                .unwrap_or("\"0\"")
                .trim_matches('"')
                .parse::<u64>()
                .unwrap_or(0)
                + 1;
            e["etag"] = json!(format!("\"{etag}\""));
            Json(e.clone()).into_response()
        }
        Err((status, reason)) => google_error(status, reason),
    }
}

async fn delete_event(
    State((oauth, account)): State<Shared>,
    Path((calendar, event)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(answer) = gate(&oauth, &uri, &headers) {
        return answer;
    }
    let mut account = account.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match find(&mut account, &calendar, &event) {
        Ok(e) => {
            e["status"] = json!("cancelled");
            StatusCode::NO_CONTENT.into_response()
        }
        Err((status, reason)) => google_error(status, reason),
    }
}
