//! Organization → Notifications: the organization's defaults for notification preferences (each event and channel
//! on, off, or left unset — on), which every member inherits unless they choose for themselves. OWNERs and ADMINs
//! only, through `accounts::notification_preferences` as `/v2/organizations/{orgId}/notification-preferences`.

use super::notifications::{EventRow, changes_of, rows_of};
use super::org_access::org_admin;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::accounts::notification_preferences as notifications;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::TeamId;
use convene_store::notification_preferences::Owner;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "app/org_notifications.html")]
struct OrgPrefsPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    org_id: i64,
    org_name: String,
    rows: Vec<EventRow>,
    /// The first choice of each select: no default set (notifications go out).
    default_label: String,
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
    access: &OrgAccess,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, Refusal> {
    let t = host.t;
    let org = access.org_id().0;
    let settings = notifications::settings(&state.db, Owner::Organization(TeamId(org)), None).await?;
    let view = OrgPrefsPage {
        nav: host.nav(state, Section::Organization).await?,
        t,
        tab: "notifications",
        org_id: org,
        org_name: access.org.name.clone(),
        rows: rows_of(t, &settings),
        default_label: t.text("org-notify-unset"),
        notice,
        error,
    };
    Ok(render(status, &view))
}

/// `GET /settings/organizations/{org_id}/notifications`.
pub async fn show(
    State(state): State<AppState>,
    Path(org_id): Path<String>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let access = org_admin(&state, &host, &org_id).await?;
    let saved = query.ok().and_then(|Query(q)| q.notice).as_deref() == Some("saved");
    let notice = saved.then(|| host.t.text("app-et-saved"));
    page(&state, &host, &access, StatusCode::OK, notice, None).await
}

/// `POST /settings/organizations/{org_id}/notifications`: every event and channel as chosen.
pub async fn save(
    State(state): State<AppState>,
    Path(org_id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let access = org_admin(&state, &post.host, &org_id).await?;
    let changes = match changes_of(post.host.t, &post.form) {
        Ok(c) => c,
        Err(why) => return page(&state, &post.host, &access, StatusCode::BAD_REQUEST, None, Some(why)).await,
    };
    let org = access.org_id().0;
    notifications::apply(&state.db, Owner::Organization(TeamId(org)), &changes).await?;
    Ok(Redirect::to(&format!("/settings/organizations/{org}/notifications?notice=saved")).into_response())
}
