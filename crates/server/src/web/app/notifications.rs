//! Settings → Notifications: for each event and channel, the user's own choice (on, off, or as their organization
//! sets it) through `accounts::notification_preferences`, as `/v2/me/notification-preferences` reads and writes them.

use super::form::Posted;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::accounts::notification_preferences::{self as notifications, CHANNELS, Change, EVENTS, Setting};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_store::notification_preferences::Owner;
use serde::Deserialize;

pub(crate) struct Cell {
    /// The form field: `event.channel`.
    pub name: String,
    pub label: String,
    /// "", "on" or "off".
    pub own: &'static str,
    /// What applies when left to the organization, in the page's language.
    pub inherited: String,
}

pub(crate) struct EventRow {
    pub label: String,
    pub cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "app/notifications.html")]
struct PrefsPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    rows: Vec<EventRow>,
    /// The first choice of each select: leaving it to the organization.
    default_label: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// The grid's rows: each event with a choice per channel, and what applies when left alone (for a user, their
/// organization's default; for an organization, on).
pub(super) fn rows_of(t: Lang, settings: &[Setting]) -> Vec<EventRow> {
    EVENTS
        .iter()
        .map(|event| EventRow {
            label: t.text(&format!("app-notify-{event}")),
            cells: settings
                .iter()
                .filter(|s| s.event == *event)
                .map(|s| {
                    let inherited = if s.own.is_some() {
                        String::new()
                    } else {
                        t.text(if s.effective { "app-notify-on" } else { "app-notify-off" })
                    };
                    Cell {
                        name: format!("{}.{}", s.event, s.channel),
                        label: t.text(&format!("app-notify-channel-{}", s.channel)),
                        own: match s.own {
                            Some(true) => "on",
                            Some(false) => "off",
                            None => "",
                        },
                        inherited,
                    }
                })
                .collect(),
        })
        .collect()
}

/// Every event and channel as posted (absent or "" goes back to inheriting); `Err` names, in the reader's language,
/// the event and channel whose value is none of on, off or empty.
pub(super) fn changes_of(t: Lang, form: &Posted) -> Result<Vec<Change>, String> {
    let mut changes: Vec<Change> = Vec::new();
    for event in EVENTS {
        for channel in CHANNELS {
            let name = format!("{event}.{channel}");
            let enabled = match form.get(&name) {
                "on" => Some(true),
                "off" => Some(false),
                "" => None,
                _ => {
                    let event = t.text(&format!("app-notify-{event}"));
                    let channel = t.text(&format!("app-notify-channel-{channel}"));
                    return Err(t.text_with("app-notify-bad-value", &[("event", &event), ("channel", &channel)]));
                }
            };
            changes.push((event, channel, enabled));
        }
    }
    Ok(changes)
}

async fn page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, Refusal> {
    let t = host.t;
    let settings = notifications::settings(
        &state.db,
        Owner::User(host.user.id),
        host.user.organization_id.map(|id| id.0),
    )
    .await?;
    let rows = rows_of(t, &settings);
    let view = PrefsPage {
        nav: host.nav(state, Section::Settings).await?,
        t,
        tab: "notifications",
        rows,
        default_label: t.text("app-notify-default"),
        notice,
        error,
    };
    Ok(render(status, &view))
}

/// `GET /settings/notifications`.
pub async fn show(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let saved = query.ok().and_then(|Query(q)| q.notice).as_deref() == Some("saved");
    let notice = saved.then(|| host.t.text("app-et-saved"));
    page(&state, &host, StatusCode::OK, notice, None).await
}

/// `POST /settings/notifications`: every event and channel as chosen (absent or "" goes back to inheriting).
pub async fn save(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let changes = match changes_of(post.host.t, &post.form) {
        Ok(c) => c,
        Err(why) => return page(&state, &post.host, StatusCode::BAD_REQUEST, None, Some(why)).await,
    };
    notifications::apply(&state.db, Owner::User(post.host.user.id), &changes).await?;
    Ok(Redirect::to("/settings/notifications?notice=saved").into_response())
}
