//! Settings → Calendars: the user's connections with their health (failing: the last error and since when), connecting
//! an ICS feed, a CalDAV server or Apple iCloud (app password) through `calendars::Calendars` — the service behind
//! `/v2/calendars` —, disconnecting, choosing which calendars count as busy and where new bookings are written, and
//! the calendar writes not done yet (queued, retrying or failed). Every provider the service lists is shown, including
//! those connected elsewhere (OAuth), so the page needs no change when one is added.

use super::booking_page::local_minute;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::calendars::connect::Overview;
use crate::calendars::{CalendarsError, ConnectionKind};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{CalendarConnectionId, CalendarId, CalendarJobStatus};
use convene_store::calendar_job_list;
use jiff::tz::TimeZone;
use secrecy::SecretString;
use serde::Deserialize;

/// Write jobs shown per page.
const JOBS_PER_PAGE: i64 = 20;

pub(crate) struct CalendarRow {
    pub id: i64,
    pub name: String,
    pub selected: bool,
    pub read_only: bool,
    pub is_destination: bool,
    /// The calendar's own failure (one feed of several), with since when.
    pub failing: Option<String>,
}

pub(crate) struct ConnectionRow {
    pub id: i64,
    pub title: String,
    pub label: String,
    /// "Failing since … : error", in the page's language; `None` when healthy.
    pub failing: Option<String>,
    pub synced: String,
    pub calendars: Vec<CalendarRow>,
}

pub(crate) struct JobRow {
    pub booking_uid: String,
    pub status: String,
    pub attempts: i64,
    pub next: String,
    pub error: String,
}

/// Which connect form a refusal belongs to, with what was typed (never the password).
#[derive(Default)]
pub(crate) struct Kept {
    pub form: &'static str,
    pub field: String,
    pub error: Option<String>,
    pub ics_url: String,
    pub caldav_url: String,
    pub caldav_username: String,
    pub apple_username: String,
}

impl Kept {
    /// The error for `field` of `form`, if that is what was refused.
    pub(crate) fn at(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form && self.field == field)
            .then_some(self.error.as_deref())
            .flatten()
    }

    /// An error of `form` not tied to one of its fields.
    pub(crate) fn general(&self, form: &str) -> Option<&str> {
        (self.form == form && self.field.is_empty())
            .then_some(self.error.as_deref())
            .flatten()
    }
}

#[derive(Template)]
#[template(path = "app/calendars.html")]
struct CalendarsPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    notice: Option<String>,
    connections: Vec<ConnectionRow>,
    /// Writable calendars, for the destination select: (id, "connection · calendar", chosen).
    writable: Vec<(i64, String, bool)>,
    has_destination: bool,
    jobs: Vec<JobRow>,
    page: i64,
    more: bool,
    kept: Kept,
}

#[derive(Deserialize)]
pub struct PageQuery {
    notice: Option<String>,
    page: Option<i64>,
}

fn notice_of(t: Lang, notice: Option<&str>) -> Option<String> {
    let key = match notice? {
        "connected" => "app-cal-connected",
        "disconnected" => "app-cal-disconnected",
        "selected" => "app-cal-selection-saved",
        "destination" => "app-cal-destination-saved",
        _ => return None,
    };
    Some(t.text(key))
}

fn failing_text(t: Lang, zone: &TimeZone, since: Option<jiff::Timestamp>, error: Option<&str>) -> Option<String> {
    let since = since?;
    Some(t.text_with(
        "app-cal-failing",
        &[
            ("since", &local_minute(since, zone)),
            ("error", error.unwrap_or_default()),
        ],
    ))
}

fn rows_of(t: Lang, zone: &TimeZone, overview: &Overview) -> (Vec<ConnectionRow>, Vec<(i64, String, bool)>) {
    let destination = overview.destination.as_ref().map(|d| d.id);
    let mut writable = Vec::new();
    let connections = overview
        .connections
        .iter()
        .map(|(c, kind, calendars)| {
            for cal in calendars.iter().filter(|cal| !cal.read_only) {
                writable.push((
                    cal.id.0,
                    format!("{} · {}", c.label, cal.name),
                    destination == Some(cal.id),
                ));
            }
            ConnectionRow {
                id: c.id.0,
                title: kind.title().to_owned(),
                label: c.label.clone(),
                failing: failing_text(t, zone, c.failing_since, c.last_error.as_deref()),
                synced: c
                    .last_synced
                    .map_or_else(|| t.text("app-cal-never"), |at| local_minute(at, zone)),
                calendars: calendars
                    .iter()
                    .map(|cal| CalendarRow {
                        id: cal.id.0,
                        name: cal.name.clone(),
                        selected: cal.selected,
                        read_only: cal.read_only,
                        is_destination: destination == Some(cal.id),
                        failing: failing_text(t, zone, cal.failing_since, cal.last_error.as_deref()),
                    })
                    .collect(),
            }
        })
        .collect();
    (connections, writable)
}

async fn page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    notice: Option<String>,
    page: i64,
    kept: Kept,
) -> Result<Response, Refusal> {
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let overview = state.calendars.overview(host.user.id).await.map_err(failed)?;
    let (connections, writable) = rows_of(host.t, &zone, &overview);
    let mut jobs =
        calendar_job_list::unfinished_of_user(&state.db, host.user.id, JOBS_PER_PAGE + 1, (page - 1) * JOBS_PER_PAGE)
            .await?;
    let more = jobs.len() > usize::try_from(JOBS_PER_PAGE).unwrap_or(usize::MAX);
    jobs.truncate(usize::try_from(JOBS_PER_PAGE).unwrap_or(usize::MAX));
    let jobs = jobs
        .into_iter()
        .map(|j| JobRow {
            status: host.t.text(match j.status {
                CalendarJobStatus::Failed => "app-cal-job-failed",
                CalendarJobStatus::Retrying => "app-cal-job-retrying",
                CalendarJobStatus::Queued | CalendarJobStatus::Done => "app-cal-job-queued",
            }),
            next: if j.status == CalendarJobStatus::Failed {
                String::new()
            } else {
                local_minute(j.not_before, &zone)
            },
            booking_uid: j.booking_uid,
            attempts: j.attempts,
            error: j.last_error.unwrap_or_default(),
        })
        .collect();
    let view = CalendarsPage {
        nav: host.nav(state, Section::Settings).await?,
        t: host.t,
        tab: "calendars",
        notice,
        has_destination: overview.destination.is_some(),
        connections,
        writable,
        jobs,
        page,
        more,
        kept,
    };
    Ok(render(status, &view))
}

fn failed(e: CalendarsError) -> Refusal {
    Refusal::Failed(e.to_string())
}

/// `GET /settings/calendars?page=`.
pub async fn show(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let query = query.ok().map(|q| q.0);
    let notice = notice_of(host.t, query.as_ref().and_then(|q| q.notice.as_deref()));
    let number = query.and_then(|q| q.page).unwrap_or(1).clamp(1, 10_000);
    page(&state, &host, StatusCode::OK, notice, number, Kept::default()).await
}

/// A refused connect shown beside its field (or atop its form), what was typed kept; other failures are logged.
async fn refused(
    state: &AppState,
    post: &HostForm,
    form: &'static str,
    e: CalendarsError,
) -> Result<Response, Refusal> {
    let t = post.host.t;
    let (field, error) = match e {
        CalendarsError::Invalid(f) => {
            // The API names feeds `urls[0]`; the page has one `url` field.
            let field = if f.field.starts_with("urls") {
                "url".to_owned()
            } else {
                f.field.clone()
            };
            (field, t.refusal(&f))
        }
        CalendarsError::Remote(remote) => (
            String::new(),
            t.text_with("app-cal-remote-error", &[("error", &remote.to_string())]),
        ),
        CalendarsError::Unsupported(why) => (String::new(), why.to_owned()),
        other => return Err(failed(other)),
    };
    let p = &post.form;
    let kept = Kept {
        form,
        field,
        error: Some(error),
        ics_url: p.get("ics-url").to_owned(),
        caldav_url: p.get("caldav-url").to_owned(),
        caldav_username: p.get("caldav-username").to_owned(),
        apple_username: p.get("apple-username").to_owned(),
    };
    page(state, &post.host, StatusCode::BAD_REQUEST, None, 1, kept).await
}

fn back(notice: &str) -> Response {
    Redirect::to(&format!("/settings/calendars?notice={notice}")).into_response()
}

/// `POST /settings/calendars/ics`: connects a read-only feed.
pub async fn connect_ics(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let url = post.form.get("ics-url").trim().to_owned();
    match state.calendars.connect_feeds(post.host.user.id, &[url]).await {
        Ok(_) => Ok(back("connected")),
        Err(e) => refused(&state, &post, "ics", e).await,
    }
}

/// `POST /settings/calendars/caldav`: connects any CalDAV server.
pub async fn connect_caldav(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let f = &post.form;
    let password = SecretString::from(f.get("caldav-password").to_owned());
    let done = state
        .calendars
        .connect_caldav(
            post.host.user.id,
            ConnectionKind::CalDav,
            Some(f.get("caldav-url")),
            f.get("caldav-username"),
            password,
        )
        .await;
    match done {
        Ok(_) => Ok(back("connected")),
        Err(e) => refused(&state, &post, "caldav", e).await,
    }
}

/// `POST /settings/calendars/apple`: connects Apple iCloud with an app-specific password.
pub async fn connect_apple(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let f = &post.form;
    let password = SecretString::from(f.get("apple-password").to_owned());
    let done = state
        .calendars
        .connect_caldav(
            post.host.user.id,
            ConnectionKind::Apple,
            None,
            f.get("apple-username"),
            password,
        )
        .await;
    match done {
        Ok(_) => Ok(back("connected")),
        Err(e) => refused(&state, &post, "apple", e).await,
    }
}

/// The user's own connection `raw` with its kind and calendars, else "not found".
fn own_connection<'a>(
    overview: &'a Overview,
    host: &Host,
    raw: &str,
) -> Result<
    &'a (
        convene_store::calendars::ConnectionRecord,
        ConnectionKind,
        Vec<convene_store::calendars::CalendarRecord>,
    ),
    Refusal,
> {
    let id: i64 = raw.parse().map_err(|_| Refusal::NotFound(host.t))?;
    overview
        .connections
        .iter()
        .find(|(c, _, _)| c.id == CalendarConnectionId(id))
        .ok_or(Refusal::NotFound(host.t))
}

/// `POST /settings/calendars/{id}/disconnect`.
pub async fn disconnect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let overview = state.calendars.overview(host.user.id).await.map_err(failed)?;
    let (connection, kind, _) = own_connection(&overview, host, &id)?;
    match state.calendars.disconnect(host.user.id, *kind, connection.id.0).await {
        Ok(_) => Ok(back("disconnected")),
        Err(CalendarsError::NotFound(_)) => Err(Refusal::NotFound(host.t)),
        Err(e) => Err(failed(e)),
    }
}

/// `POST /settings/calendars/{id}/selected`: the connection's calendars ticked `busy` count as busy, the others not.
pub async fn select(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let overview = state.calendars.overview(host.user.id).await.map_err(failed)?;
    let (connection, kind, calendars) = own_connection(&overview, host, &id)?;
    let ticked: Vec<&str> = post.form.all("busy").collect();
    for cal in calendars {
        let wanted = ticked.contains(&cal.id.to_string().as_str());
        if wanted != cal.selected {
            state
                .calendars
                .select(
                    host.user.id,
                    kind.integration(),
                    &cal.external_id,
                    connection.id,
                    wanted,
                )
                .await
                .map_err(failed)?;
        }
    }
    Ok(back("selected"))
}

/// `POST /settings/calendars/destination`: where new bookings are written.
pub async fn destination(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let overview = state.calendars.overview(host.user.id).await.map_err(failed)?;
    let chosen: Option<i64> = post.form.get("calendar").parse().ok();
    let found = overview.connections.iter().find_map(|(_, kind, calendars)| {
        calendars
            .iter()
            .find(|cal| Some(cal.id) == chosen.map(CalendarId) && !cal.read_only)
            .map(|cal| (*kind, cal))
    });
    let Some((kind, cal)) = found else {
        return Err(Refusal::NotFound(host.t));
    };
    state
        .calendars
        .set_destination(host.user.id, kind.integration(), &cal.external_id, None)
        .await
        .map_err(failed)?;
    Ok(back("destination"))
}
