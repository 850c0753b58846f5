//! Organization schedules: every member's (`/v2/organizations/{orgId}/schedules`), one member's managed by the
//! organization's ADMINs and OWNERs (`/users/{userId}/schedules`), and a team's members'
//! (`/teams/{teamId}/schedules`, `/teams/{teamId}/users/{userId}/schedules`). Always the current (`2024-06-11`)
//! shapes, as Cal.com's organization controllers answer; the work is [`super::schedules`]'s, for another owner.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use super::schedules::{self, ScheduleInput, ScheduleOutput};
use crate::state::AppState;
use crate::tenancy::access::{OrgAccess, TeamAccess};
use axum::extract::State;
use axum::response::Response;
use convene_core::UserId;
use convene_store::memberships;
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_schedules))
        .routes(routes!(list_user_schedules, create_user_schedule))
        .routes(routes!(get_user_schedule, update_user_schedule, delete_user_schedule))
        .routes(routes!(list_team_schedules))
        .routes(routes!(list_team_user_schedules))
}

/// The member in the path whose schedules an organization ADMIN/OWNER manages; someone outside the
/// organization is "not found".
async fn member(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<UserId, ApiError> {
    let access = OrgAccess::load_admin(&state.db, &caller.user, ids.id("orgId")?).await?;
    let user = UserId(ids.id("userId")?);
    memberships::of_user(&state.db, access.org_id(), user)
        .await?
        .map(|_| user)
        .ok_or_else(|| ApiError::not_found("User"))
}

/// The schedules of every member of the organization (ADMIN or OWNER), paginated.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/schedules", tag = "Orgs / Schedules", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<ScheduleOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_org_schedules(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load_admin(&state.db, &caller.user, ids.id("orgId")?).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = convene_store::schedules::list_for_members(&state.db, access.org_id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(ScheduleOutput::from).collect::<Vec<_>>()))
}

/// A member's schedules (organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/users/{userId}/schedules", tag = "Orgs / Users / Schedules",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("userId" = i64, Path)),
    responses((status = 200, body = Envelope<Vec<ScheduleOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_user_schedules(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let user = member(&state, &caller, &ids).await?;
    schedules::list_for(&state, user, true).await
}

/// Create a schedule for a member (organization ADMIN or OWNER); their first becomes the default.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/users/{userId}/schedules", tag = "Orgs / Users / Schedules",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("userId" = i64, Path)), request_body = ScheduleInput,
    responses((status = 201, body = Envelope<ScheduleOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_user_schedule(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let user = member(&state, &caller, &ids).await?;
    schedules::create_for(&state, user, true, body).await
}

/// A member's schedule (organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/users/{userId}/schedules/{scheduleId}", tag = "Orgs / Users / Schedules",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("userId" = i64, Path), ("scheduleId" = i64, Path)),
    responses((status = 200, body = Envelope<ScheduleOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_user_schedule(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let user = member(&state, &caller, &ids).await?;
    schedules::get_for(&state, user, true, &ids).await
}

/// Update a member's schedule (organization ADMIN or OWNER).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/users/{userId}/schedules/{scheduleId}", tag = "Orgs / Users / Schedules",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("userId" = i64, Path), ("scheduleId" = i64, Path)),
    request_body = ScheduleInput, responses((status = 200, body = Envelope<ScheduleOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_user_schedule(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let user = member(&state, &caller, &ids).await?;
    schedules::update_for(&state, user, true, &ids, body).await
}

/// Delete a member's schedule (organization ADMIN or OWNER; not the default while others exist).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/users/{userId}/schedules/{scheduleId}", tag = "Orgs / Users / Schedules",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("userId" = i64, Path), ("scheduleId" = i64, Path)),
    responses((status = 200, body = Object)))]
#[tracing::instrument(skip_all)]
async fn delete_user_schedule(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let user = member(&state, &caller, &ids).await?;
    schedules::delete_for(&state, user, &ids).await
}

/// The schedules of a team's accepted members (the team's members and organization ADMINs/OWNERs).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/schedules", tag = "Orgs / Teams / Schedules",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("teamId" = i64, Path), ("take" = Option<i64>, Query),
    ("skip" = Option<i64>, Query)), responses((status = 200, body = Envelope<Vec<ScheduleOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_team_schedules(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, Some(ids.id("orgId")?), ids.id("teamId")?).await?;
    access.require_member()?;
    schedules::of_team_members(&state, &access, &q).await
}

/// One team member's schedules (the team's members and organization ADMINs/OWNERs).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/users/{userId}/schedules", tag = "Orgs / Teams / Schedules",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("teamId" = i64, Path), ("userId" = i64, Path)),
    responses((status = 200, body = Envelope<Vec<ScheduleOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_team_user_schedules(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, Some(ids.id("orgId")?), ids.id("teamId")?).await?;
    access.require_member()?;
    let user = UserId(ids.id("userId")?);
    if memberships::of_user(&state.db, access.team_id(), user)
        .await?
        .is_none_or(|m| !m.accepted)
    {
        return Err(ApiError::not_found("Team member"));
    }
    schedules::list_for(&state, user, true).await
}
