//! A team's event types, for whoever manages the team (its ADMINs and OWNERs, and the organization's): the list
//! with each public link, and a form for the team-specific parts — title, address, length, collective or round
//! robin, and the hosts among the team's members. Everything goes through `scheduling::event_type_input`, as
//! `/v2/organizations/{orgId}/teams/{teamId}/event-types` does, so both accept and refuse the same things. An
//! existing one also has the personal page's private links and destination calendar ([`super::event_type_extras`]),
//! through the services behind the team `private-links` routes and the team `destinationCalendar`.

use super::event_type_extras::{self as extras, DestinationOf, Extras};
use super::form::Posted;
use super::org_access::team_manager;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::scheduling::event_type_input::{EventTypeError, EventTypeInput, merged_fields};
use crate::state::AppState;
use crate::tenancy::access::TeamAccess;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{EventTypeId, FieldError, UserId};
use convene_store::calendars::CalendarRecord;
use convene_store::event_types::{self, EventTypeFields, EventTypeRecord, Owner};
use convene_store::{StoreError, memberships};
use serde::Deserialize;

pub(super) struct TeamEventRow {
    pub id: i64,
    pub title: String,
    pub link: String,
    pub kind: &'static str,
    pub length: i64,
    pub hosts: String,
}

pub(super) struct HostChoice {
    pub user_id: i64,
    pub name: String,
    pub chosen: bool,
}

/// The form's fields as text.
#[derive(Default)]
pub(super) struct TeamEventFields {
    pub title: String,
    pub slug: String,
    pub length: String,
    pub kind: String,
    /// The new private link's boxes, kept when refused.
    pub link_expires: String,
    pub link_uses: String,
}

#[derive(Template)]
#[template(path = "app/team_event_types.html")]
struct TeamEventsPage {
    nav: Nav,
    t: Lang,
    org_id: i64,
    team_id: i64,
    team_name: String,
    rows: Vec<TeamEventRow>,
    /// The event type being edited, if any.
    editing: Option<i64>,
    f: TeamEventFields,
    hosts: Vec<HostChoice>,
    /// Private links and the destination calendar (links only when editing).
    x: Extras,
    notice: Option<String>,
    error: Option<String>,
    error_field: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
    /// The private links' page.
    links: Option<i64>,
}

fn kind_label(kind: Option<&str>) -> &'static str {
    match kind {
        Some("ROUND_ROBIN") => "ROUND_ROBIN",
        _ => "COLLECTIVE",
    }
}

struct Shown {
    status: StatusCode,
    editing: Option<i64>,
    f: TeamEventFields,
    chosen: Vec<UserId>,
    links_page: i64,
    /// The destination a refused form chose, shown again.
    destination: Option<String>,
    notice: Option<String>,
    error: Option<FieldError>,
}

async fn page(state: &AppState, host: &Host, access: &TeamAccess, shown: Shown) -> Result<Response, Refusal> {
    let team = access.team_id();
    let members: Vec<_> = memberships::list(&state.db, team, 0, 1_000)
        .await?
        .into_iter()
        .filter(|m| m.accepted)
        .collect();
    let name_of = |id: UserId| {
        members.iter().find(|m| m.user_id == id).map_or_else(
            || format!("#{id}"),
            |m| m.user_name.clone().unwrap_or_else(|| m.user_username.clone()),
        )
    };
    let base = state.settings.email.public_url.trim_end_matches('/');
    let mut rows = Vec::new();
    for r in event_types::list_for_team(&state.db, team).await? {
        let hosts = event_types::hosts(&state.db, r.id).await?;
        rows.push(TeamEventRow {
            id: r.id.0,
            title: r.title.clone(),
            link: format!("{base}/team/{}/{}", access.team.slug, r.slug),
            kind: kind_label(r.scheduling_type.as_deref()),
            length: r.length_minutes,
            hosts: hosts.iter().map(|h| name_of(*h)).collect::<Vec<_>>().join(", "),
        });
    }
    let hosts = members
        .iter()
        .map(|m| HostChoice {
            user_id: m.user_id.0,
            name: m.user_name.clone().unwrap_or_else(|| m.user_username.clone()),
            chosen: shown.chosen.contains(&m.user_id),
        })
        .collect();
    let (error, error_field) = match shown.error {
        // `destinationCalendar.externalId` is shown beside the one select.
        Some(e) => (
            Some(host.t.refusal(&e)),
            e.field.split(['[', '.']).next().unwrap_or_default().to_owned(),
        ),
        None => (None, String::new()),
    };
    let editing = match shown.editing {
        Some(id) => event_types::find(&state.db, EventTypeId(id)).await?,
        None => None,
    };
    let x = extras::load(
        state,
        host,
        editing.as_ref(),
        shown.links_page,
        shown.destination.as_deref(),
        DestinationOf::Team,
    )
    .await?;
    let view = TeamEventsPage {
        nav: host.nav(state, Section::Organization).await?,
        t: host.t,
        org_id: access.org_id().map_or(0, |o| o.0),
        team_id: team.0,
        team_name: access.team.name.clone(),
        rows,
        editing: shown.editing,
        f: shown.f,
        hosts,
        x,
        notice: shown.notice,
        error,
        error_field,
    };
    Ok(render(shown.status, &view))
}

fn notice_text(t: Lang, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "created" => "app-et-created",
        "saved" => "app-et-saved",
        "link-created" => "app-et-link-created",
        "link-deleted" => "app-et-link-deleted",
        _ => return None,
    };
    Some(t.text(key))
}

/// `GET {org}/teams/{team_id}/event-types`.
pub async fn list(
    State(state): State<AppState>,
    Path((org_id, team_id)): Path<(String, String)>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let access = team_manager(&state, &host, &org_id, &team_id).await?;
    let notice = notice_text(host.t, query.ok().and_then(|Query(q)| q.notice).as_deref());
    let shown = Shown {
        status: StatusCode::OK,
        editing: None,
        f: TeamEventFields {
            length: "30".to_owned(),
            kind: "ROUND_ROBIN".to_owned(),
            ..TeamEventFields::default()
        },
        chosen: Vec::new(),
        links_page: 1,
        destination: None,
        notice,
        error: None,
    };
    page(&state, &host, &access, shown).await
}

async fn team_event(state: &AppState, host: &Host, access: &TeamAccess, id: &str) -> Result<EventTypeRecord, Refusal> {
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound(host.t))?;
    event_types::find(&state.db, EventTypeId(id))
        .await?
        .filter(|r| r.team_id == Some(access.team_id()))
        .ok_or(Refusal::NotFound(host.t))
}

/// `GET {org}/teams/{team_id}/event-types/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    Path((org_id, team_id, id)): Path<(String, String, String)>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let access = team_manager(&state, &host, &org_id, &team_id).await?;
    let record = team_event(&state, &host, &access, &id).await?;
    let query = query.ok().map(|Query(q)| q);
    let notice = notice_text(host.t, query.as_ref().and_then(|q| q.notice.as_deref()));
    let shown = Shown {
        status: StatusCode::OK,
        editing: Some(record.id.0),
        f: fields_of(&record),
        chosen: event_types::hosts(&state.db, record.id).await?,
        links_page: query.and_then(|q| q.links).unwrap_or(1),
        destination: None,
        notice,
        error: None,
    };
    page(&state, &host, &access, shown).await
}

fn fields_of(record: &EventTypeRecord) -> TeamEventFields {
    TeamEventFields {
        title: record.title.clone(),
        slug: record.slug.clone(),
        length: record.length_minutes.to_string(),
        kind: kind_label(record.scheduling_type.as_deref()).to_owned(),
        ..TeamEventFields::default()
    }
}

/// The posted form: the service's input, the chosen hosts (accepted members only) and the fields to show again.
/// The page's own refusals are in the reader's language (the service's are the API's words).
fn read(t: Lang, form: &Posted, members: &[UserId]) -> Result<(EventTypeInput, Vec<UserId>), FieldError> {
    let length = match form.text("lengthInMinutes") {
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| FieldError::new("lengthInMinutes", t.text("tet-bad-length")))?,
        ),
        None => None,
    };
    let hosts: Vec<UserId> = form.all("hosts").filter_map(|h| h.parse().ok()).map(UserId).collect();
    if hosts.is_empty() {
        return Err(FieldError::new("hosts", t.text("tet-no-hosts")));
    }
    if let Some(outsider) = hosts.iter().find(|h| !members.contains(h)) {
        return Err(FieldError::new(
            "hosts",
            t.text_with("tet-host-not-member", &[("user", &outsider.to_string())]),
        ));
    }
    let input = EventTypeInput {
        title: form.text("title").map(str::to_owned),
        slug: form.text("slug").map(str::to_owned),
        length_in_minutes: length,
        ..EventTypeInput::default()
    };
    Ok((input, hosts))
}

fn kept(form: &Posted) -> TeamEventFields {
    TeamEventFields {
        title: form.get("title").to_owned(),
        slug: form.get("slug").to_owned(),
        length: form.get("lengthInMinutes").to_owned(),
        kind: form.get("schedulingType").to_owned(),
        ..TeamEventFields::default()
    }
}

/// The destination the form chose: unchanged when it names what is stored (which may be another manager's calendar,
/// not this one's to choose), else checked as the API's `destinationCalendar`.
async fn destination(
    state: &AppState,
    host: &Host,
    form: &Posted,
    existing: Option<&EventTypeRecord>,
) -> Result<Result<Option<Option<CalendarRecord>>, FieldError>, Refusal> {
    if let Some(r) = existing
        && form.all("destinationCalendar").next().is_some()
        && form.get("destinationCalendar").trim() == extras::team_destination_value(state, host, r.id.0).await?
    {
        return Ok(Ok(None));
    }
    match extras::destination_posted(state, host, form).await {
        Ok(choice) => Ok(Ok(choice)),
        Err(Ok(field)) => Ok(Err(field)),
        Err(Err(refusal)) => Err(refusal),
    }
}

async fn save(
    state: &AppState,
    host: &Host,
    access: &TeamAccess,
    form: &Posted,
    existing: Option<&EventTypeRecord>,
) -> Result<Result<i64, FieldError>, Refusal> {
    let destination = match destination(state, host, form, existing).await? {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    let members: Vec<UserId> = memberships::list(&state.db, access.team_id(), 0, 1_000)
        .await?
        .into_iter()
        .filter(|m| m.accepted)
        .map(|m| m.user_id)
        .collect();
    let (input, hosts) = match read(host.t, form, &members) {
        Ok(ok) => ok,
        Err(e) => return Ok(Err(e)),
    };
    let base = existing.map(EventTypeFields::from);
    let fields = match merged_fields(&state.db, None, input, base).await {
        Ok(f) => f,
        Err(EventTypeError::Invalid(e)) => return Ok(Err(e)),
        Err(e) => return Err(Refusal::Failed(e.to_string())),
    };
    let mut tx = state.db.begin().await?;
    let saved = match existing {
        Some(r) => event_types::update(&mut tx, r.id, &fields).await,
        None => {
            let kind = match form.get("schedulingType") {
                "COLLECTIVE" => "COLLECTIVE",
                "ROUND_ROBIN" => "ROUND_ROBIN",
                _ => {
                    return Ok(Err(FieldError::new("schedulingType", host.t.text("tet-bad-kind"))));
                }
            };
            event_types::insert(&mut tx, Owner::Team(access.team_id(), kind), &fields)
                .await
                .map(Some)
        }
    };
    let id = match saved {
        Ok(Some(r)) => r.id,
        Ok(None) => return Err(Refusal::Failed("the event type disappeared".into())),
        Err(StoreError::Conflict(what)) => return Ok(Err(FieldError::coded("slug", "refusal-slug-taken", what))),
        Err(e) => return Err(e.into()),
    };
    event_types::set_hosts(&mut tx, id, &hosts).await?;
    tx.commit().await?;
    extras::save_destination(state, host, id.0, destination, DestinationOf::Team).await?;
    Ok(Ok(id.0))
}

fn path_of(access: &TeamAccess) -> String {
    format!(
        "/settings/organizations/{}/teams/{}/event-types",
        access.org_id().map_or(0, |o| o.0),
        access.team_id().0
    )
}

async fn refused(
    state: &AppState,
    host: &Host,
    access: &TeamAccess,
    form: &Posted,
    editing: Option<i64>,
    e: FieldError,
) -> Result<Response, Refusal> {
    let shown = Shown {
        status: StatusCode::BAD_REQUEST,
        editing,
        f: kept(form),
        chosen: form.all("hosts").filter_map(|h| h.parse().ok()).map(UserId).collect(),
        links_page: 1,
        destination: form
            .all("destinationCalendar")
            .next()
            .map(|_| form.get("destinationCalendar").to_owned()),
        notice: None,
        error: Some(e),
    };
    page(state, host, access, shown).await
}

/// `POST {org}/teams/{team_id}/event-types`.
pub async fn create(
    State(state): State<AppState>,
    Path((org_id, team_id)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = team_manager(&state, host, &org_id, &team_id).await?;
    match save(&state, host, &access, &post.form, None).await? {
        Ok(_) => Ok(Redirect::to(&format!("{}?notice=created", path_of(&access))).into_response()),
        Err(e) => refused(&state, host, &access, &post.form, None, e).await,
    }
}

/// `POST {org}/teams/{team_id}/event-types/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path((org_id, team_id, id)): Path<(String, String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = team_manager(&state, host, &org_id, &team_id).await?;
    let record = team_event(&state, host, &access, &id).await?;
    match save(&state, host, &access, &post.form, Some(&record)).await? {
        Ok(id) => Ok(Redirect::to(&format!("{}/{id}?notice=saved", path_of(&access))).into_response()),
        Err(e) => refused(&state, host, &access, &post.form, Some(record.id.0), e).await,
    }
}

/// `POST {org}/teams/{team_id}/event-types/{id}/private-links`: a new private link, or the page again with the
/// refusal beside its box.
pub async fn create_link(
    State(state): State<AppState>,
    Path((org_id, team_id, id)): Path<(String, String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = team_manager(&state, host, &org_id, &team_id).await?;
    let record = team_event(&state, host, &access, &id).await?;
    match extras::create_link(&state, host, &record, &post.form).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "{}/{}?notice=link-created#private-links",
            path_of(&access),
            record.id
        ))
        .into_response()),
        Err(Ok(field)) => {
            let mut f = fields_of(&record);
            f.link_expires = post.form.get("expiresAt").to_owned();
            f.link_uses = post.form.get("maxUsageCount").to_owned();
            let shown = Shown {
                status: StatusCode::BAD_REQUEST,
                editing: Some(record.id.0),
                f,
                chosen: event_types::hosts(&state.db, record.id).await?,
                links_page: 1,
                destination: None,
                notice: None,
                error: Some(field),
            };
            page(&state, host, &access, shown).await
        }
        Err(Err(refusal)) => Err(refusal),
    }
}

/// `POST {org}/teams/{team_id}/event-types/{id}/private-links/{link_id}/delete`: the link stops working at once.
pub async fn delete_link(
    State(state): State<AppState>,
    Path((org_id, team_id, id, link_id)): Path<(String, String, String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = team_manager(&state, host, &org_id, &team_id).await?;
    let record = team_event(&state, host, &access, &id).await?;
    extras::delete_link(&state, host, &record, &link_id).await?;
    Ok(Redirect::to(&format!(
        "{}/{}?notice=link-deleted#private-links",
        path_of(&access),
        record.id
    ))
    .into_response())
}
