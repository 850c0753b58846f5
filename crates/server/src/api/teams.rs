//! `/v2/teams`: teams outside organizations, with their memberships, event types, event-type webhooks and
//! members' schedules. The work is the organization teams' (same handlers, same services, one access rule:
//! [`TeamAccess`], which reads a path without `orgId` as a team outside organizations); the functions here
//! only give those operations their `/v2/teams` paths. Only a team's accepted members reach it; anyone else
//! gets 403, and a team inside an organization is not found here.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::{MembershipOutput, TeamOutput};
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use super::memberships::{self, MembershipInput};
use super::schedules::ScheduleOutput;
use super::team_event_types::{self, TeamEventTypeOutput};
use super::team_input::TeamInput;
use super::webhooks::{self, EventTypeWebhookOutput, WebhookInput};
use super::{org_teams, schedules};
use crate::scheduling::event_type_input::EventTypeInput;
use crate::state::AppState;
use crate::tenancy::{self, access::TeamAccess};
use axum::extract::State;
use axum::response::Response;
use convene_store::teams;
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team, delete_team))
        .routes(routes!(list_memberships, create_membership))
        .routes(routes!(get_membership, update_membership, delete_membership))
        .routes(routes!(list_event_types, create_event_type))
        .routes(routes!(get_event_type, update_event_type, delete_event_type))
        .routes(routes!(create_webhook, list_webhooks, delete_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_schedules))
}

async fn access(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<TeamAccess, ApiError> {
    Ok(TeamAccess::load(&state.db, &caller.user, None, ids.id("teamId")?).await?)
}

// ---- teams ----

/// Create a team outside organizations; the creator becomes its OWNER (accepted unless `autoAcceptCreator`
/// is false).
#[utoipa::path(post, path = "/v2/teams", tag = "Teams", security(("bearer" = [])), request_body = TeamInput,
    responses((status = 201, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_team(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<TeamInput>,
) -> Result<Response, ApiError> {
    let accepted = input.auto_accept_creator.unwrap_or(true);
    let fields = input.for_create()?;
    let team = tenancy::create_team(&state.db, None, &fields, Some((caller.id(), accepted))).await?;
    Ok(envelope::created(TeamOutput::from(&team)))
}

/// Get the teams (outside organizations) I am a member of.
#[utoipa::path(get, path = "/v2/teams", tag = "Teams", security(("bearer" = [])),
    params(("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_teams(State(state): State<AppState>, caller: ApiUser, q: QueryPairs) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = teams::list_standalone_of_user(&state.db, caller.id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(TeamOutput::from).collect::<Vec<_>>()))
}

/// Get a team (its members).
#[utoipa::path(get, path = "/v2/teams/{teamId}", tag = "Teams", security(("bearer" = [])),
    params(("teamId" = i64, Path)), responses((status = 200, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_team(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let access = access(&state, &caller, &ids).await?;
    Ok(envelope::ok(TeamOutput::from(&access.team)))
}

/// Update a team (its ADMINs and OWNERs).
#[utoipa::path(patch, path = "/v2/teams/{teamId}", tag = "Teams", security(("bearer" = [])),
    params(("teamId" = i64, Path)), request_body = TeamInput, responses((status = 200, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_team(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<TeamInput>,
) -> Result<Response, ApiError> {
    let access = access(&state, &caller, &ids).await?;
    org_teams::update(&state, &access, input).await
}

/// Delete a team (its OWNERs); its memberships and event types go with it.
#[utoipa::path(delete, path = "/v2/teams/{teamId}", tag = "Teams", security(("bearer" = [])),
    params(("teamId" = i64, Path)), responses((status = 200, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_team(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let access = access(&state, &caller, &ids).await?;
    access.require_owner()?;
    teams::delete(&state.db, access.team_id()).await?;
    Ok(envelope::ok(TeamOutput::from(&access.team)))
}

// ---- memberships ----

/// Get a team's memberships (its members).
#[utoipa::path(get, path = "/v2/teams/{teamId}/memberships", tag = "Teams / Memberships", security(("bearer" = [])),
    params(("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<MembershipOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_memberships(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    memberships::list_team_memberships(state, caller, ids, q).await
}

/// Add a user to a team (its ADMINs and OWNERs; only an OWNER grants OWNER).
#[utoipa::path(post, path = "/v2/teams/{teamId}/memberships", tag = "Teams / Memberships", security(("bearer" = [])),
    params(("teamId" = i64, Path)), request_body = MembershipInput,
    responses((status = 201, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_membership(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    input: ApiJson<MembershipInput>,
) -> Result<Response, ApiError> {
    memberships::create_team_membership(state, caller, ids, input).await
}

/// Get a team membership (the team's members).
#[utoipa::path(get, path = "/v2/teams/{teamId}/memberships/{membershipId}", tag = "Teams / Memberships",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("membershipId" = i64, Path)),
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_membership(state: State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    memberships::get_team_membership(state, caller, ids).await
}

/// Update a team membership (its ADMINs and OWNERs; only an OWNER touches the OWNER role).
#[utoipa::path(patch, path = "/v2/teams/{teamId}/memberships/{membershipId}", tag = "Teams / Memberships",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("membershipId" = i64, Path)),
    request_body = MembershipInput, responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_membership(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    input: ApiJson<MembershipInput>,
) -> Result<Response, ApiError> {
    memberships::update_team_membership(state, caller, ids, input).await
}

/// Remove a member from a team (its ADMINs and OWNERs).
#[utoipa::path(delete, path = "/v2/teams/{teamId}/memberships/{membershipId}", tag = "Teams / Memberships",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("membershipId" = i64, Path)),
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_membership(state: State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    memberships::delete_team_membership(state, caller, ids).await
}

// ---- event types ----

/// A team's event types (its members), oldest first unless `sortCreatedAt=desc`; `eventSlug` picks one,
/// `hostsLimit` shortens each `hosts` list.
#[utoipa::path(get, path = "/v2/teams/{teamId}/event-types", tag = "Teams / Event Types", security(("bearer" = [])),
    params(("teamId" = i64, Path), ("eventSlug" = Option<String>, Query), ("hostsLimit" = Option<i64>, Query),
        ("sortCreatedAt" = Option<String>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamEventTypeOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_event_types(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    team_event_types::list_team_event_types(state, caller, ids, q).await
}

/// Create a team event type (its ADMINs and OWNERs).
#[utoipa::path(post, path = "/v2/teams/{teamId}/event-types", tag = "Teams / Event Types", security(("bearer" = [])),
    params(("teamId" = i64, Path)), request_body = EventTypeInput,
    responses((status = 201, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_event_type(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    body: ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    team_event_types::create_team_event_type(state, caller, ids, body).await
}

/// A team event type (its members).
#[utoipa::path(get, path = "/v2/teams/{teamId}/event-types/{eventTypeId}", tag = "Teams / Event Types",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    responses((status = 200, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_event_type(state: State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    team_event_types::get_team_event_type(state, caller, ids).await
}

/// Update a team event type; `hosts` / `assignAllTeamMembers` replace the hosts.
#[utoipa::path(patch, path = "/v2/teams/{teamId}/event-types/{eventTypeId}", tag = "Teams / Event Types",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    request_body = EventTypeInput, responses((status = 200, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_event_type(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    body: ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    team_event_types::update_team_event_type(state, caller, ids, body).await
}

/// Delete a team event type (its bookings stay).
#[utoipa::path(delete, path = "/v2/teams/{teamId}/event-types/{eventTypeId}", tag = "Teams / Event Types",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    responses((status = 200, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_event_type(state: State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    team_event_types::delete_team_event_type(state, caller, ids).await
}

// ---- event-type webhooks ----

/// Create a webhook for a team event type (the team's ADMINs and OWNERs).
#[utoipa::path(post, path = "/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks", tag = "Teams / Event Types / Webhooks",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    request_body = WebhookInput, responses((status = 201, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_webhook(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    input: ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    webhooks::create_event_type_webhook(state, caller, ids, input).await
}

/// Get a team event type's webhooks (paginated).
#[utoipa::path(get, path = "/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks", tag = "Teams / Event Types / Webhooks",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("eventTypeId" = i64, Path),
    ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<EventTypeWebhookOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_webhooks(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    webhooks::list_event_type_webhooks(state, caller, ids, q).await
}

/// Delete all webhooks of a team event type.
#[utoipa::path(delete, path = "/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks", tag = "Teams / Event Types / Webhooks",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    responses((status = 200, body = Envelope<String>)))]
#[tracing::instrument(skip_all)]
async fn delete_webhooks(state: State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    webhooks::delete_event_type_webhooks(state, caller, ids).await
}

/// Get a webhook of a team event type.
#[utoipa::path(get, path = "/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks/{webhookId}",
    tag = "Teams / Event Types / Webhooks", security(("bearer" = [])),
    params(("teamId" = i64, Path), ("eventTypeId" = i64, Path), ("webhookId" = i64, Path)),
    responses((status = 200, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_webhook(state: State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    webhooks::get_event_type_webhook(state, caller, ids).await
}

/// Update a webhook of a team event type.
#[utoipa::path(patch, path = "/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks/{webhookId}",
    tag = "Teams / Event Types / Webhooks", security(("bearer" = [])),
    params(("teamId" = i64, Path), ("eventTypeId" = i64, Path), ("webhookId" = i64, Path)),
    request_body = WebhookInput, responses((status = 200, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_webhook(
    state: State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    input: ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    webhooks::update_event_type_webhook(state, caller, ids, input).await
}

/// Delete a webhook of a team event type; its past deliveries stay on record.
#[utoipa::path(delete, path = "/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks/{webhookId}",
    tag = "Teams / Event Types / Webhooks", security(("bearer" = [])),
    params(("teamId" = i64, Path), ("eventTypeId" = i64, Path), ("webhookId" = i64, Path)),
    responses((status = 200, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_webhook(state: State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    webhooks::delete_event_type_webhook(state, caller, ids).await
}

// ---- schedules ----

/// The schedules of a team's accepted members (its members), paginated.
#[utoipa::path(get, path = "/v2/teams/{teamId}/schedules", tag = "Teams / Schedules", security(("bearer" = [])),
    params(("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<ScheduleOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_schedules(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = access(&state, &caller, &ids).await?;
    access.require_member()?;
    schedules::of_team_members(&state, &access, &q).await
}
