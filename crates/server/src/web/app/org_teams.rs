//! Organization → Teams: the organization's teams a page at a time and a new team (OWNER and ADMIN), and one
//! team's members — add a member of the organization with a role, remove one — for whoever manages the team (its
//! ADMINs and OWNERs, and the organization's), through [`crate::tenancy::members`] as the API's team memberships.
//! The team's event types are [`super::team_event_types`].

use super::org_access::{PAGE_SIZE, member_problem, org_admin, team_manager};
use super::org_members::grantable;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tenancy::access::{OrgAccess, TeamAccess};
use crate::tenancy::{self, members};
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{FieldError, HeaderText, MembershipId, Role, Slug};
use convene_store::teams::{self, TeamFields};
use convene_store::{StoreError, memberships, users};
use serde::Deserialize;

pub(super) struct TeamRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

#[derive(Template)]
#[template(path = "app/org_teams.html")]
struct TeamsPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    org_id: i64,
    org_name: String,
    rows: Vec<TeamRow>,
    page: i64,
    more: bool,
    error: Option<String>,
    error_field: String,
    name: String,
    slug: String,
}

#[derive(Default, Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    notice: Option<String>,
}

fn page_query(query: Result<Query<PageQuery>, QueryRejection>) -> PageQuery {
    query.map_or_else(|_| PageQuery::default(), |Query(q)| q)
}

#[allow(clippy::too_many_arguments)] // one page's parts, each shown once
async fn teams_page(
    state: &AppState,
    host: &Host,
    access: &OrgAccess,
    status: StatusCode,
    page: i64,
    error: Option<FieldError>,
    kept: (String, String),
) -> Result<Response, Refusal> {
    let page = page.clamp(1, 10_000);
    let mut found = teams::list_teams(&state.db, access.org_id(), (page - 1) * PAGE_SIZE, PAGE_SIZE + 1).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(usize::try_from(PAGE_SIZE).unwrap_or(25));
    let (error, error_field) = match error {
        Some(e) => (Some(host.t.refusal(&e)), e.field),
        None => (None, String::new()),
    };
    let view = TeamsPage {
        nav: host.nav(state, Section::Organization).await?,
        t: host.t,
        tab: "teams",
        org_id: access.org_id().0,
        org_name: access.org.name.clone(),
        rows: found
            .into_iter()
            .map(|t| TeamRow {
                id: t.id.0,
                name: t.name,
                slug: t.slug,
            })
            .collect(),
        page,
        more,
        error,
        error_field,
        name: kept.0,
        slug: kept.1,
    };
    Ok(render(status, &view))
}

/// `GET /settings/organizations/{org_id}/teams?page=`.
pub async fn list(
    State(state): State<AppState>,
    Path(org_id): Path<String>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let access = org_admin(&state, &host, &org_id).await?;
    let q = page_query(query);
    teams_page(
        &state,
        &host,
        &access,
        StatusCode::OK,
        q.page.unwrap_or(1),
        None,
        Default::default(),
    )
    .await
}

/// The page's own refusals are in the reader's language (the checks shared with the API keep its words).
fn team_fields(t: Lang, name: &str, slug: &str) -> Result<TeamFields, FieldError> {
    if name.trim().is_empty() {
        return Err(FieldError::new("name", t.text("org-team-name-required")));
    }
    let name = HeaderText::parse("name", name.trim())?;
    let slug = match slug.trim() {
        "" => Slug::from_name(name.as_str())
            .ok_or_else(|| FieldError::new("slug", t.text("org-team-slug-underivable")))?,
        s => Slug::parse("slug", s)?,
    };
    Ok(TeamFields {
        name: Some(name.as_str().to_owned()),
        slug: Some(slug.as_str().to_owned()),
        ..TeamFields::default()
    })
}

/// `POST /settings/organizations/{org_id}/teams`: a new team (the organization's admins manage it).
pub async fn create(
    State(state): State<AppState>,
    Path(org_id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = org_admin(&state, host, &org_id).await?;
    let kept = (post.form.get("name").to_owned(), post.form.get("slug").to_owned());
    let fields = match team_fields(host.t, &kept.0, &kept.1) {
        Ok(f) => f,
        Err(e) => return teams_page(&state, host, &access, StatusCode::BAD_REQUEST, 1, Some(e), kept).await,
    };
    match tenancy::create_team(&state.db, Some(access.org_id()), &fields, None).await {
        Ok(team) => Ok(Redirect::to(&format!(
            "/settings/organizations/{}/teams/{}?notice=created",
            access.org_id().0,
            team.id
        ))
        .into_response()),
        Err(StoreError::Conflict(_)) => {
            let e = FieldError::new("slug", host.t.text("org-slug-taken"));
            teams_page(&state, host, &access, StatusCode::CONFLICT, 1, Some(e), kept).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) struct TeamMemberRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub manageable: bool,
}

#[derive(Template)]
#[template(path = "app/org_team.html")]
struct TeamPage {
    nav: Nav,
    t: Lang,
    org_id: i64,
    team_id: i64,
    team_name: String,
    rows: Vec<TeamMemberRow>,
    roles: Vec<&'static str>,
    page: i64,
    more: bool,
    notice: Option<String>,
    error: Option<String>,
    error_field: String,
    email: String,
}

#[allow(clippy::too_many_arguments)] // one page's parts, each shown once
async fn team_page(
    state: &AppState,
    host: &Host,
    access: &TeamAccess,
    status: StatusCode,
    page: i64,
    notice: Option<String>,
    error: Option<FieldError>,
    email: String,
) -> Result<Response, Refusal> {
    let acting = access.require_manager().map_err(|_| Refusal::Forbidden(host.t))?;
    let page = page.clamp(1, 10_000);
    let mut found = memberships::list(&state.db, access.team_id(), (page - 1) * PAGE_SIZE, PAGE_SIZE + 1).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(usize::try_from(PAGE_SIZE).unwrap_or(25));
    let (error, error_field) = match error {
        Some(e) => (Some(host.t.refusal(&e)), e.field),
        None => (None, String::new()),
    };
    let view = TeamPage {
        nav: host.nav(state, Section::Organization).await?,
        t: host.t,
        org_id: access.org_id().map_or(0, |o| o.0),
        team_id: access.team_id().0,
        team_name: access.team.name.clone(),
        rows: found
            .into_iter()
            .map(|m| TeamMemberRow {
                id: m.id.0,
                name: m.user_name.clone().unwrap_or_else(|| m.user_username.clone()),
                email: m.user_email.clone(),
                role: m.role().as_str(),
                manageable: acting.can_grant(m.role()),
            })
            .collect(),
        roles: grantable(acting),
        page,
        more,
        notice,
        error,
        error_field,
        email,
    };
    Ok(render(status, &view))
}

fn team_notice(t: Lang, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "created" => "org-team-created",
        "added" => "org-member-added",
        "removed" => "org-removed",
        _ => return None,
    };
    Some(t.text(key))
}

/// `GET /settings/organizations/{org_id}/teams/{team_id}?page=`.
pub async fn show(
    State(state): State<AppState>,
    Path((org_id, team_id)): Path<(String, String)>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let access = team_manager(&state, &host, &org_id, &team_id).await?;
    let q = page_query(query);
    let notice = team_notice(host.t, q.notice.as_deref());
    team_page(
        &state,
        &host,
        &access,
        StatusCode::OK,
        q.page.unwrap_or(1),
        notice,
        None,
        String::new(),
    )
    .await
}

fn team_path(access: &TeamAccess, notice: &str) -> Response {
    Redirect::to(&format!(
        "/settings/organizations/{}/teams/{}?notice={notice}",
        access.org_id().map_or(0, |o| o.0),
        access.team_id().0
    ))
    .into_response()
}

/// `POST /settings/organizations/{org_id}/teams/{team_id}/members`: a member of the organization joins the team.
pub async fn add_member(
    State(state): State<AppState>,
    Path((org_id, team_id)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = team_manager(&state, host, &org_id, &team_id).await?;
    let email = post.form.get("email").trim().to_owned();
    let back = |status, e: FieldError| team_page(&state, host, &access, status, 1, None, Some(e), email.clone());
    let Ok(role) = post.form.get("role").parse::<Role>() else {
        let e = FieldError::new("role", host.t.text("org-role-invalid"));
        return back(StatusCode::BAD_REQUEST, e).await;
    };
    let user = users::find_by_email(&state.db, &email.to_lowercase()).await?;
    let Some(org) = access.org_id() else {
        return Err(Refusal::NotFound(host.t));
    };
    // Only members of the organization join its teams; as members already, they join at once.
    let in_org = match &user {
        Some(u) => memberships::of_user(&state.db, org, u.user_id()).await?,
        None => None,
    };
    let (Some(user), Some(org_membership)) = (user, in_org) else {
        return back(
            StatusCode::BAD_REQUEST,
            FieldError::new("email", host.t.text("org-not-in-org")),
        )
        .await;
    };
    match members::add_to_team(&state.db, &access, user.user_id(), role, org_membership.accepted, false).await {
        Ok(_) => Ok(team_path(&access, "added")),
        Err(members::MemberError::Store(StoreError::Conflict(_))) => {
            back(
                StatusCode::CONFLICT,
                FieldError::new("email", host.t.text("org-already-member")),
            )
            .await
        }
        Err(e) => {
            let text = member_problem(host, e)?;
            back(StatusCode::CONFLICT, FieldError::new("email", text)).await
        }
    }
}

/// `POST /settings/organizations/{org_id}/teams/{team_id}/members/{id}/remove`.
pub async fn remove_member(
    State(state): State<AppState>,
    Path((org_id, team_id, id)): Path<(String, String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = team_manager(&state, host, &org_id, &team_id).await?;
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound(host.t))?;
    match members::remove_from_team(&state.db, &access, MembershipId(id)).await {
        Ok(_) => Ok(team_path(&access, "removed")),
        Err(e) => {
            let text = member_problem(host, e)?;
            team_page(
                &state,
                host,
                &access,
                StatusCode::CONFLICT,
                1,
                None,
                Some(FieldError::new("", text)),
                String::new(),
            )
            .await
        }
    }
}
