//! `/v2/organizations/{orgId}/teams`: teams inside an organization.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::TeamOutput;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use super::team_input::TeamInput;
use crate::state::AppState;
use crate::tenancy::{
    self,
    access::{OrgAccess, TeamAccess},
};
use axum::extract::State;
use axum::response::Response;
use convene_store::{memberships, teams};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(my_teams))
        .routes(routes!(get_team, update_team, delete_team))
}

/// Get all teams (any member of the organization).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams", tag = "Orgs / Teams", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_teams(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = teams::list_teams(&state.db, access.org_id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(TeamOutput::from).collect::<Vec<_>>()))
}

/// Create a team (ADMIN or OWNER). The creator, if a member of the organization, becomes the
/// team's OWNER unless `autoAcceptCreator` is false.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams", tag = "Orgs / Teams", security(("bearer" = [])),
    params(("orgId" = i64, Path)), request_body = TeamInput,
    responses((status = 201, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_team(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<TeamInput>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let auto_accept_creator = input.auto_accept_creator.unwrap_or(true);
    let fields = input.for_create()?;
    let creator_is_member = memberships::of_user(&state.db, access.org_id(), caller.id())
        .await?
        .is_some();
    let owner = (auto_accept_creator && creator_is_member).then_some((caller.id(), true));
    let team = tenancy::create_team(&state.db, Some(access.org_id()), &fields, owner).await?;
    Ok(envelope::created(TeamOutput::from(&team)))
}

/// Get the teams of the organization I am a member of.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/me", tag = "Orgs / Teams", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamOutput>>)))]
#[tracing::instrument(skip_all)]
async fn my_teams(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = teams::list_teams_of_user(&state.db, access.org_id(), caller.id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(TeamOutput::from).collect::<Vec<_>>()))
}

/// Get a team (any member of the organization).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}", tag = "Orgs / Teams", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)),
    responses((status = 200, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_team(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let team = access.team(&state.db, ids.id("teamId")?).await?;
    Ok(envelope::ok(TeamOutput::from(&team)))
}

/// Update a team (organization ADMIN/OWNER, or the team's own ADMIN/OWNER).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}", tag = "Orgs / Teams", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)), request_body = TeamInput,
    responses((status = 200, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_team(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<TeamInput>,
) -> Result<Response, ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, Some(ids.id("orgId")?), ids.id("teamId")?).await?;
    update(&state, &access, input).await
}

/// Updates a team the caller manages (either path's `PATCH`).
pub(super) async fn update(state: &AppState, access: &TeamAccess, input: TeamInput) -> Result<Response, ApiError> {
    access.require_manager()?;
    let fields = input.for_update()?;
    let team = teams::update(&state.db, access.team_id(), &fields)
        .await?
        .ok_or_else(|| ApiError::not_found("Team"))?;
    Ok(envelope::ok(TeamOutput::from(&team)))
}

/// Delete a team (organization ADMIN or OWNER).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/teams/{teamId}", tag = "Orgs / Teams", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)),
    responses((status = 200, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_team(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let team = access.team(&state.db, ids.id("teamId")?).await?;
    crate::workflows::manage::delete_team(&state.db, team.id).await?;
    Ok(envelope::ok(TeamOutput::from(&team)))
}
