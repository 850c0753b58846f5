//! Settings → Notifications: for each event and channel, the user's own choice (on, off, or as their organization
//! sets it) through `accounts::notification_preferences`, as `/v2/me/notification-preferences` reads and writes them.

use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::accounts::notification_preferences::{self as notifications, CHANNELS, Change, EVENTS};
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
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, Refusal> {
    let t = host.t;
    let settings = notifications::settings(&state.db, Owner::User(host.user.id), host.user.organization_id).await?;
    let rows = EVENTS
        .iter()
        .map(|event| EventRow {
            label: t.text(&format!("app-notify-{event}")),
            cells: settings
                .iter()
                .filter(|s| s.event == *event)
                .map(|s| {
                    // What applies without the user's own choice.
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
        .collect();
    let view = PrefsPage {
        nav: host.nav(state, Section::Settings).await?,
        t,
        tab: "notifications",
        rows,
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
    let mut changes: Vec<Change> = Vec::new();
    for event in EVENTS {
        for channel in CHANNELS {
            let name = format!("{event}.{channel}");
            let enabled = match post.form.get(&name) {
                "on" => Some(true),
                "off" => Some(false),
                "" => None,
                _ => {
                    let why = format!("{name}: must be on, off or empty");
                    return page(&state, &post.host, StatusCode::BAD_REQUEST, None, Some(why)).await;
                }
            };
            changes.push((event, channel, enabled));
        }
    }
    notifications::apply(&state.db, Owner::User(post.host.user.id), &changes).await?;
    Ok(Redirect::to("/settings/notifications?notice=saved").into_response())
}
