//! Availability → Out of office: the user's entries (paginated), a new one with its days, reason, note and an optional
//! teammate of their organization to send bookers to, and deleting one. Input is checked by
//! `scheduling::ooo_input`, as `/v2/me/ooo` checks it. Days are whole days in the user's time zone.

use super::booking_page::local_minute;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::scheduling::ooo_input::{self, OooInput, OooInputError, REASONS};
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{FieldError, OutOfOfficeId};
use convene_store::{memberships, out_of_office};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

const PER_PAGE: i64 = 20;

pub(crate) struct EntryRow {
    pub id: i64,
    pub from: String,
    pub until: String,
    pub reason: String,
    pub notes: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "app/out_of_office.html")]
struct OooPage {
    nav: Nav,
    t: Lang,
    av_tab: &'static str,
    notice: Option<String>,
    rows: Vec<EntryRow>,
    page: i64,
    more: bool,
    /// (value, label) of the reasons, and of the teammates (user id, name).
    reasons: Vec<(&'static str, String)>,
    teammates: Vec<(String, String)>,
    kept: Kept,
}

/// The new-entry form as typed, and the field it was refused for.
#[derive(Default)]
pub(crate) struct Kept {
    pub start: String,
    pub end: String,
    pub reason: String,
    pub notes: String,
    pub to: String,
    pub field: String,
    pub error: Option<String>,
}

impl Kept {
    pub(crate) fn at(&self, field: &str) -> Option<&str> {
        (self.field == field).then_some(self.error.as_deref()).flatten()
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    notice: Option<String>,
    page: Option<i64>,
}

fn reason_label(t: Lang, reason: &str) -> String {
    t.text(&format!("app-ooo-reason-{reason}"))
}

async fn teammates(state: &AppState, host: &Host) -> Result<Vec<(String, String)>, Refusal> {
    let Some(org) = host.user.organization() else {
        return Ok(Vec::new());
    };
    Ok(memberships::list(&state.db, org, 0, 500)
        .await?
        .into_iter()
        .filter(|m| m.accepted && m.user_id != host.user.id)
        .map(|m| (m.user_id.to_string(), m.user_name.unwrap_or(m.user_username)))
        .collect())
}

async fn page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    notice: Option<String>,
    number: i64,
    kept: Kept,
) -> Result<Response, Refusal> {
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let teammates = teammates(state, host).await?;
    let mut list = out_of_office::list_for_user(&state.db, host.id(), (number - 1) * PER_PAGE, PER_PAGE + 1).await?;
    let more = list.len() > usize::try_from(PER_PAGE).unwrap_or(usize::MAX);
    list.truncate(usize::try_from(PER_PAGE).unwrap_or(usize::MAX));
    let rows = list
        .into_iter()
        .map(|e| EntryRow {
            id: e.id.0,
            from: local_minute(e.start_at, &zone),
            until: local_minute(e.end_at, &zone),
            reason: reason_label(host.t, &e.reason),
            notes: e.notes.unwrap_or_default(),
            to: e
                .to_user_id
                .and_then(|id| teammates.iter().find(|(v, _)| *v == id.to_string()))
                .map(|(_, name)| name.clone())
                .unwrap_or_default(),
        })
        .collect();
    let view = OooPage {
        nav: host.nav(state, Section::Availability).await?,
        t: host.t,
        av_tab: "ooo",
        notice,
        rows,
        page: number,
        more,
        reasons: REASONS.iter().map(|r| (*r, reason_label(host.t, r))).collect(),
        teammates,
        kept,
    };
    Ok(render(status, &view))
}

/// `GET /availability/out-of-office?page=`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let query = query.ok().map(|q| q.0);
    let notice = match query.as_ref().and_then(|q| q.notice.as_deref()) {
        Some("created") => Some(host.t.text("app-ooo-created")),
        Some("deleted") => Some(host.t.text("app-ooo-deleted")),
        _ => None,
    };
    let number = query.and_then(|q| q.page).unwrap_or(1).clamp(1, 10_000);
    page(&state, &host, StatusCode::OK, notice, number, Kept::default()).await
}

/// A local day's start in `zone` as an instant (RFC 3339), naming `field` when it isn't a date (in the reader's
/// language).
fn day_start(t: Lang, field: &str, raw: &str, zone: &TimeZone, next: bool) -> Result<String, FieldError> {
    let day: Date = raw
        .trim()
        .parse()
        .map_err(|_| FieldError::new(field, t.text("app-ooo-bad-date")))?;
    let day = if next { day.tomorrow().unwrap_or(day) } else { day };
    day.to_zoned(zone.clone())
        .map(|z| z.timestamp().to_string())
        .map_err(|_| FieldError::new(field, t.text("app-ooo-bad-date")))
}

/// `POST /availability/out-of-office`: a new entry from the first day's start to the last day's end.
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let f = &post.form;
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let to = f.text("toUserId");
    let checked = async {
        let to_user_id = match to {
            Some(raw) => Some(
                raw.parse::<i64>()
                    .map_err(|_| FieldError::new("toUserId", host.t.text("app-ooo-pick-teammate")))?,
            ),
            None => None,
        };
        // Only teammates listed on the page may cover.
        if let Some(id) = to_user_id
            && !teammates(&state, host)
                .await
                .map_err(|_| FieldError::new("toUserId", host.t.text("app-ooo-pick-teammate")))?
                .iter()
                .any(|(v, _)| *v == id.to_string())
        {
            return Err(OooInputError::Invalid(FieldError::new(
                "toUserId",
                host.t.text("app-ooo-pick-teammate"),
            )));
        }
        let input = OooInput {
            start: Some(day_start(host.t, "start", f.get("start"), &zone, false)?),
            end: Some(day_start(host.t, "end", f.get("end"), &zone, true)?),
            notes: Some(f.get("notes").to_owned()),
            to_user_id,
            reason: Some(f.text("reason").unwrap_or("unspecified").to_owned()),
        };
        ooo_input::fields(&state.db, host.id(), host.user.organization(), input, None).await
    };
    match checked.await {
        Ok(fields) => {
            out_of_office::insert(&state.db, host.id(), &fields).await?;
            Ok(Redirect::to("/availability/out-of-office?notice=created").into_response())
        }
        Err(OooInputError::Invalid(e)) => {
            let kept = Kept {
                start: f.get("start").to_owned(),
                end: f.get("end").to_owned(),
                reason: f.get("reason").to_owned(),
                notes: f.get("notes").to_owned(),
                to: f.get("toUserId").to_owned(),
                field: e.field.clone(),
                error: Some(host.t.refusal(&e)),
            };
            page(&state, host, StatusCode::BAD_REQUEST, None, 1, kept).await
        }
        Err(OooInputError::Store(e)) => Err(e.into()),
    }
}

/// `POST /availability/out-of-office/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound(post.host.t))?;
    if out_of_office::delete(&state.db, post.host.id(), OutOfOfficeId(id)).await? {
        Ok(Redirect::to("/availability/out-of-office?notice=deleted").into_response())
    } else {
        Err(Refusal::NotFound(post.host.t))
    }
}
