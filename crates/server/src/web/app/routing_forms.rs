//! Routing forms in the app: the forms the user owns (with their public page), and each form's responses a page
//! at a time — when, the answers by label, where the route sent the visitor and the booking that followed. The
//! responses are shown to whoever the API lets read them (a team form's members too); others find nothing.

use super::booking_page::local_minute;
use super::routing_form_editor::{Use, form_for};
use super::shell::{Host, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_core::TeamId;
use convene_store::routing_forms::{self as store, FormScope, ListFilter};
use convene_store::teams;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

const PAGE_SIZE: i64 = 20;
/// Links to make a team's form, one per managed team; past this many, a team's own page is the way in.
const MANAGED_TEAMS_SHOWN: usize = 20;
/// Managed teams read to tell which listed forms the user may edit.
const MANAGED_TEAMS_READ: i64 = 500;

pub(crate) struct FormRow {
    pub id: String,
    pub name: String,
    pub disabled: bool,
    /// "Team …", for a team's form.
    pub team: Option<String>,
    /// Whether the user may open the builder: their own form, or one of a team they manage (its members only read
    /// the responses).
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "app/routing_forms.html")]
struct FormsPage {
    nav: Nav,
    t: Lang,
    rows: Vec<FormRow>,
    /// (id, "New form for …") for each team the user manages.
    new_for_teams: Vec<(i64, String)>,
    page: i64,
    more: bool,
    notice: Option<String>,
}

pub(crate) struct ResponseRow {
    pub id: i64,
    pub when: String,
    pub answers: Vec<(String, String)>,
    /// The route's action, in the page's language.
    pub routed: String,
    pub booking: Option<String>,
}

#[derive(Template)]
#[template(path = "app/routing_form_responses.html")]
struct ResponsesPage {
    nav: Nav,
    t: Lang,
    form_id: String,
    name: String,
    rows: Vec<ResponseRow>,
    page: i64,
    more: bool,
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    notice: Option<String>,
}

fn page_of(query: Result<Query<PageQuery>, QueryRejection>) -> i64 {
    query.ok().and_then(|Query(q)| q.page).unwrap_or(1).clamp(1, 10_000)
}

/// One more than shown tells whether a next page exists.
fn filter(page: i64) -> ListFilter {
    ListFilter {
        skip: (page - 1) * PAGE_SIZE,
        take: PAGE_SIZE + 1,
        created_desc: Some(true),
        ..ListFilter::default()
    }
}

/// `GET /routing-forms?page=`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let deleted = query
        .as_ref()
        .is_ok_and(|Query(q)| q.notice.as_deref() == Some("deleted"));
    let notice = deleted.then(|| host.t.text("app-rf-deleted"));
    let page = page_of(query);
    let mut found = store::list_forms(&state.db, FormScope::Readable(host.id()), &filter(page)).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    // A page holds at most a few teams: their names one by one.
    let mut names: HashMap<TeamId, String> = HashMap::new();
    for team in found.iter().filter_map(|f| f.team_id) {
        if let Entry::Vacant(slot) = names.entry(team)
            && let Some(record) = teams::find(&state.db, team).await?
        {
            slot.insert(record.name);
        }
    }
    let managed = teams::managed_by(&state.db, host.id(), MANAGED_TEAMS_READ).await?;
    let rows = found
        .into_iter()
        .map(|f| FormRow {
            editable: match f.team_id {
                Some(team) => managed.iter().any(|m| m.id == team),
                None => f.user_id == host.id(),
            },
            team: f
                .team_id
                .and_then(|team| names.get(&team))
                .map(|name| host.t.text_with("app-rf-team-tag", &[("team", name)])),
            id: f.id,
            name: f.name,
            disabled: f.disabled,
        })
        .collect();
    let new_for_teams = managed
        .into_iter()
        .take(MANAGED_TEAMS_SHOWN)
        .map(|team| (team.id.0, host.t.text_with("app-rf-new-team", &[("team", &team.name)])))
        .collect();
    let page = FormsPage {
        nav: host.nav(&state, Section::RoutingForms).await?,
        t: host.t,
        rows,
        new_for_teams,
        page,
        more,
        notice,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /routing-forms/{id}/responses?page=`: newest first; for whoever the API lets read them.
pub async fn responses(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let form = form_for(&state, &host, &id, Use::Read).await?;
    let page = page_of(query);
    let mut found = store::list_responses(&state.db, &form.record.id, &filter(page)).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let t = host.t;
    let rows = found
        .into_iter()
        .map(|r| {
            let stored: Value = serde_json::from_str(&r.response).unwrap_or(Value::Null);
            let routed = match r.route_action.as_deref() {
                Some("eventTypeRedirectUrl") => t.text("app-rf-routed-event-type"),
                Some("externalRedirectUrl") => t.text("app-rf-routed-url"),
                Some("customPageMessage") => t.text("app-rf-routed-message"),
                _ => t.text("app-rf-routed-nothing"),
            };
            ResponseRow {
                id: r.id.0,
                when: local_minute(r.created_at, &zone),
                answers: form.definition.readable(&form.definition.stored_answers(&stored)),
                routed,
                booking: r.routed_to_booking_uid,
            }
        })
        .collect();
    let page = ResponsesPage {
        nav: host.nav(&state, Section::RoutingForms).await?,
        t,
        name: form.record.name.clone(),
        form_id: form.record.id,
        rows,
        page,
        more,
    };
    Ok(render(StatusCode::OK, &page))
}
