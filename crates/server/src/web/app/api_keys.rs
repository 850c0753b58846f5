//! Settings → API keys: the user's keys (hint, note, created, expiry, state), a new key with its lifetime — shown
//! once, on the answer to the form, and never again — and revoking one (the API refuses it at once). Lifetimes are
//! read by `tenancy::api_key_days`, as `/v2/api-keys/refresh` reads them.

use super::booking_page::local_minute;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tenancy;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{ApiKeyId, FieldError, HeaderText};
use convene_store::api_keys;
use jiff::tz::TimeZone;
use serde::Deserialize;

pub(crate) struct KeyRow {
    pub id: i64,
    pub hint: String,
    pub note: String,
    pub created: String,
    pub expires: String,
    /// "Active", "Expired" or "Revoked", in the page's language.
    pub state: String,
    pub live: bool,
}

#[derive(Template)]
#[template(path = "app/api_keys.html")]
struct KeysPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    rows: Vec<KeyRow>,
    notice: Option<String>,
    /// The refused field (`note` or `days`) and the sentence shown beside it.
    error: Option<(String, String)>,
    /// The key just made: shown this once.
    new_key: Option<String>,
    note: String,
    days: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

async fn keys_page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    notice: Option<String>,
    error: Option<FieldError>,
    new_key: Option<String>,
    kept: (String, String),
) -> Result<Response, Refusal> {
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let now = jiff::Timestamp::now();
    let rows = api_keys::list_for_user(&state.db, host.id())
        .await?
        .into_iter()
        .map(|k| {
            let expired = k.expires_at.is_some_and(|at| at <= now);
            let state = match (k.revoked_at, expired) {
                (Some(_), _) => "app-key-revoked",
                (None, true) => "app-key-expired",
                (None, false) => "app-key-active",
            };
            KeyRow {
                id: k.id.0,
                hint: k.hint,
                note: k.note.unwrap_or_default(),
                created: local_minute(k.created_at, &zone),
                expires: k
                    .expires_at
                    .map_or_else(|| host.t.text("app-key-never"), |at| local_minute(at, &zone)),
                state: host.t.text(state),
                live: k.revoked_at.is_none() && !expired,
            }
        })
        .collect();
    let page = KeysPage {
        nav: host.nav(state, Section::Settings).await?,
        t: host.t,
        tab: "api-keys",
        rows,
        notice,
        error: error.map(|e| (e.field.clone(), host.t.refusal(&e))),
        new_key,
        note: kept.0,
        days: kept.1,
    };
    Ok(render(status, &page))
}

/// `GET /settings/api-keys`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let notice = query
        .ok()
        .and_then(|Query(q)| q.notice)
        .filter(|n| n == "revoked")
        .map(|_| host.t.text("app-key-revoked-notice"));
    keys_page(
        &state,
        &host,
        StatusCode::OK,
        notice,
        None,
        None,
        (String::new(), "30".to_owned()),
    )
    .await
}

fn lifetime(form: &super::form::Posted) -> Result<Option<i64>, FieldError> {
    let days = match form.text("days") {
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| FieldError::coded("days", "refusal-whole-days", "must be a whole number of days"))?,
        ),
        None => None,
    };
    tenancy::api_key_days("days", form.ticked("never"), days)
}

/// `POST /settings/api-keys`: a new key, shown on the answer.
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let kept = (post.form.get("note").to_owned(), post.form.get("days").to_owned());
    let note = match post.form.text("note") {
        Some(n) if n.chars().count() > 100 => {
            Err(FieldError::coded("note", "refusal-too-long", "must be at most 100 characters").arg("max", 100))
        }
        Some(n) => HeaderText::parse("note", n).map(|n| Some(n.as_str().to_owned())),
        None => Ok(None),
    };
    let checked = note.and_then(|note| lifetime(&post.form).map(|days| (note, days)));
    let (note, days) = match checked {
        Ok(ok) => ok,
        Err(e) => {
            return keys_page(&state, host, StatusCode::BAD_REQUEST, None, Some(e), None, kept).await;
        }
    };
    let secret = tenancy::issue_api_key(&state.db, host.id(), note.as_deref(), days).await?;
    let notice = Some(host.t.text("app-key-created"));
    keys_page(
        &state,
        host,
        StatusCode::OK,
        notice,
        None,
        Some(secret),
        (String::new(), "30".to_owned()),
    )
    .await
}

/// `POST /settings/api-keys/{id}/revoke`: only the user's own live key.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound(post.host.t))?;
    if !api_keys::revoke_for_user(&state.db, post.host.id(), ApiKeyId(id)).await? {
        return Err(Refusal::NotFound(post.host.t));
    }
    Ok(Redirect::to("/settings/api-keys?notice=revoked").into_response())
}
