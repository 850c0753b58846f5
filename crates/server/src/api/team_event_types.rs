//! `/v2/organizations/{orgId}/teams/{teamId}/event-types`: event types hosted by several team
//! members, COLLECTIVE (everyone attends) or ROUND_ROBIN (one free host per booking). The same operations
//! serve `/v2/teams/{teamId}/event-types` (teams outside organizations, routed in [`super::teams`]).

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::event_type_output::{EventTypeOutput, destination_input};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs, from_value, split_off};
use crate::scheduling::event_type_input::{EventTypeInput, merged_fields};
use crate::state::AppState;
use crate::tenancy::access::{AccessError, OrgAccess, TeamAccess};
use axum::extract::State;
use axum::response::Response;
use convene_core::{EventTypeId, TeamId, UserId};
use convene_store::calendars::CalendarRecord;
use convene_store::event_types::{self, EventTypeFields, EventTypeRecord, Owner};
use convene_store::memberships;
use convene_store::teams::{self, TeamRecord};
use convene_store::users;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_team_event_types))
        .routes(routes!(list_team_event_types, create_team_event_type))
        .routes(routes!(
            get_team_event_type,
            update_team_event_type,
            delete_team_event_type
        ))
}

/// `Host`: a team member who hosts the event type.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostInput {
    pub user_id: Option<i64>,
}

/// The team-only part of `CreateTeamEventTypeInput_2024_06_14` (the rest is [`EventTypeInput`]).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamHostingInput {
    /// `collective` or `roundRobin` (`managed` is not supported).
    pub scheduling_type: Option<String>,
    pub hosts: Option<Vec<HostInput>>,
    pub assign_all_team_members: Option<bool>,
}

/// A host in the output. Cal.com's spec types `hosts` as strings but its API answers with host
/// objects; we follow the API.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostOutput {
    pub user_id: i64,
    pub name: Option<String>,
    pub username: String,
}

/// `TeamEventTypeOutput_2024_06_14`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamEventTypeOutput {
    #[serde(flatten)]
    pub base: EventTypeOutput,
    pub team_id: Option<i64>,
    pub scheduling_type: &'static str,
    pub hosts: Vec<HostOutput>,
    pub team: EventTypeTeam,
}

/// `EventTypeTeam`: the owning team's identity and branding. The schema types every field as a
/// required string, so unset ones are empty strings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeTeam {
    pub id: i64,
    pub slug: String,
    pub banner_url: String,
    pub name: String,
    pub logo_url: String,
    pub week_start: String,
    pub brand_color: String,
    pub dark_brand_color: String,
    pub theme: String,
}

impl From<&TeamRecord> for EventTypeTeam {
    fn from(t: &TeamRecord) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        EventTypeTeam {
            id: t.id.0,
            slug: t.slug.clone(),
            banner_url: text(&t.banner_url),
            name: t.name.clone(),
            logo_url: text(&t.logo_url),
            week_start: t.week_start.clone(),
            brand_color: text(&t.brand_color),
            dark_brand_color: text(&t.dark_brand_color),
            theme: text(&t.theme),
        }
    }
}

/// Splits a body into the shared event-type fields and the hosting fields, so each field error
/// keeps its name (serde's flatten would lose it).
fn split(mut body: Map<String, Value>) -> Result<(EventTypeInput, TeamHostingInput), ApiError> {
    let hosting = split_off(&mut body, &["schedulingType", "hosts", "assignAllTeamMembers"]);
    Ok((from_value(Value::Object(body))?, from_value(hosting)?))
}

fn scheduling_type(raw: &str) -> Result<&'static str, ApiError> {
    match raw {
        "collective" | "COLLECTIVE" => Ok("COLLECTIVE"),
        "roundRobin" | "ROUND_ROBIN" => Ok("ROUND_ROBIN"),
        "managed" | "MANAGED" => Err(ApiError::field(
            "schedulingType",
            "managed event types are not supported",
        )),
        _ => Err(ApiError::field("schedulingType", "must be collective or roundRobin")),
    }
}

/// The host user ids, validated as accepted members of the team. `None` when the input names none.
async fn host_ids(state: &AppState, team: TeamId, input: &TeamHostingInput) -> Result<Option<Vec<UserId>>, ApiError> {
    let members: Vec<UserId> = memberships::list(&state.db, team, 0, 10_000)
        .await?
        .into_iter()
        .filter(|m| m.accepted)
        .map(|m| m.user_id)
        .collect();
    match (&input.hosts, input.assign_all_team_members) {
        (Some(_), Some(true)) => Err(ApiError::field("hosts", "give hosts or assignAllTeamMembers, not both")),
        (None, Some(true)) if members.is_empty() => Err(ApiError::field(
            "assignAllTeamMembers",
            "the team has no accepted members",
        )),
        (None, Some(true)) => Ok(Some(members)),
        (Some(hosts), _) => {
            if hosts.is_empty() {
                return Err(ApiError::field("hosts", "must name at least one host"));
            }
            let mut ids = Vec::new();
            for (i, h) in hosts.iter().enumerate() {
                let id = h
                    .user_id
                    .map(UserId)
                    .ok_or_else(|| ApiError::field(&format!("hosts[{i}].userId"), "is required"))?;
                if !members.contains(&id) {
                    return Err(ApiError::field(
                        &format!("hosts[{i}].userId"),
                        format!("user {id} is not an accepted member of the team"),
                    ));
                }
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ids.sort_unstable();
            Ok(Some(ids))
        }
        (None, _) => Ok(None),
    }
}

pub(super) async fn output(state: &AppState, record: &EventTypeRecord) -> Result<TeamEventTypeOutput, ApiError> {
    let team = match record.team_id {
        Some(id) => teams::find(&state.db, id).await?,
        None => None,
    }
    .ok_or_else(|| ApiError::not_found("Team"))?;
    let mut hosts = Vec::new();
    for id in event_types::hosts(&state.db, record.id).await? {
        if let Some(u) = users::find(&state.db, id).await? {
            hosts.push(HostOutput {
                user_id: u.id.0,
                name: u.name,
                username: u.username,
            });
        }
    }
    let mut base = EventTypeOutput::new(record, None);
    base.users = hosts.iter().map(|h| h.username.clone()).collect();
    base.destination_calendar = state
        .calendars
        .team_event_type_destination(record.id)
        .await?
        .map(|(kind, c)| json!({ "integration": kind.integration(), "externalId": c.external_id }));
    Ok(TeamEventTypeOutput {
        base,
        team_id: record.team_id.map(|id| id.0),
        scheduling_type: if record.scheduling_type.as_deref() == Some("ROUND_ROBIN") {
            "roundRobin"
        } else {
            "collective"
        },
        hosts,
        team: EventTypeTeam::from(&team),
    })
}

/// `destinationCalendar` of a create or update: a calendar of the caller's own (checked as for personal event types)
/// replaces the one the event type names; `null` clears it; absent leaves it.
async fn set_destination(
    state: &AppState,
    user_id: UserId,
    event_type_id: EventTypeId,
    choice: Option<Option<CalendarRecord>>,
) -> Result<(), ApiError> {
    if let Some(choice) = choice {
        state
            .calendars
            .set_team_event_type_destination(user_id, event_type_id, choice.as_ref())
            .await?;
    }
    Ok(())
}

/// The team in the path (inside the organization of `orgId`, or outside organizations when the path has
/// none), and whether the caller may manage it. Any accepted member of an organization reads its teams'
/// event types; a team outside organizations is read by its members.
async fn team(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<(TeamRecord, bool), ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, ids.optional_id("orgId")?, ids.id("teamId")?).await?;
    let manages = access.require_manager().is_ok();
    Ok((access.team, manages))
}

fn require_manager(manages: bool) -> Result<(), ApiError> {
    if manages {
        Ok(())
    } else {
        Err(AccessError::NotTeamAdmin.into())
    }
}

/// The team event type in the path, and whether the caller manages its team (the team event-type webhooks).
pub(super) async fn team_event_type(
    state: &AppState,
    caller: &ApiUser,
    ids: &PathIds,
) -> Result<(EventTypeRecord, bool), ApiError> {
    let (team, manages) = team(state, caller, ids).await?;
    Ok((event_of(state, &team, ids).await?, manages))
}

async fn event_of(state: &AppState, team: &TeamRecord, ids: &PathIds) -> Result<EventTypeRecord, ApiError> {
    event_types::find(&state.db, ids.id("eventTypeId")?)
        .await?
        .filter(|e| e.team_id == Some(team.id))
        .ok_or_else(|| ApiError::not_found("Event type"))
}

/// The team event type a path names, when the caller may manage the team (its private links, say).
pub(super) async fn managed_event(
    state: &AppState,
    caller: &ApiUser,
    ids: &PathIds,
) -> Result<EventTypeRecord, ApiError> {
    let (event, manages) = team_event_type(state, caller, ids).await?;
    require_manager(manages)?;
    Ok(event)
}

/// The event types of every team in the organization (ADMIN or OWNER), paginated.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/event-types", tag = "Orgs / Teams / Event Types", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamEventTypeOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_org_team_event_types(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load_admin(&state.db, &caller.user, ids.id("orgId")?).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let mut out = Vec::new();
    for record in event_types::list_for_org_teams(&state.db, access.org_id(), paging.skip, paging.take).await? {
        out.push(output(&state, &record).await?);
    }
    Ok(envelope::ok(out))
}

/// A team's event types (any member of the organization), oldest first unless `sortCreatedAt=desc`; `eventSlug`
/// picks one, `hostsLimit` shortens each `hosts` list.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/event-types", tag = "Orgs / Teams / Event Types", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventSlug" = Option<String>, Query),
        ("hostsLimit" = Option<i64>, Query), ("sortCreatedAt" = Option<String>, Query)), responses((status = 200, body = Envelope<Vec<TeamEventTypeOutput>>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_team_event_types(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let (team, _) = team(&state, &caller, &ids).await?;
    let slug = q.get("eventSlug");
    let hosts_limit = q.int("hostsLimit", 1, 10_000)?;
    let newest_first = match q.get("sortCreatedAt") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::field("sortCreatedAt", "must be 'asc' or 'desc'")),
    };
    let mut records = event_types::list_for_team(&state.db, team.team_id()).await?;
    records.retain(|r| slug.is_none_or(|s| r.slug == s));
    if newest_first {
        records.reverse();
    }
    let mut out = Vec::new();
    for record in records {
        let mut one = output(&state, &record).await?;
        if let Some(limit) = hosts_limit.and_then(|l| usize::try_from(l).ok()) {
            one.hosts.truncate(limit);
        }
        out.push(one);
    }
    Ok(envelope::ok(out))
}

/// Create a team event type (team or organization ADMIN/OWNER).
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/event-types", tag = "Orgs / Teams / Event Types", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)), request_body = EventTypeInput,
    responses((status = 201, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn create_team_event_type(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(mut body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let (team, manages) = team(&state, &caller, &ids).await?;
    require_manager(manages)?;
    let destination = destination_input(&state, caller.user.id.0, &mut body).await?;
    let (input, hosting) = split(body)?;
    let kind = scheduling_type(
        hosting
            .scheduling_type
            .as_deref()
            .ok_or_else(|| ApiError::field("schedulingType", "is required"))?,
    )?;
    let hosts = host_ids(&state, team.team_id(), &hosting)
        .await?
        .ok_or_else(|| ApiError::field("hosts", "is required (or assignAllTeamMembers: true)"))?;
    let fields = merged_fields(&state.db, None, input, None).await?;
    let mut tx = state.db.begin().await?;
    let created = event_types::insert(&mut tx, Owner::Team(team.team_id(), kind), &fields).await?;
    event_types::set_hosts(&mut tx, created.id, &hosts).await?;
    tx.commit().await?;
    set_destination(&state, caller.user.id, created.id, destination).await?;
    Ok(envelope::created(output(&state, &created).await?))
}

/// A team event type (any member of the organization).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}", tag = "Orgs / Teams / Event Types", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    responses((status = 200, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn get_team_event_type(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (team, _) = team(&state, &caller, &ids).await?;
    let record = event_of(&state, &team, &ids).await?;
    Ok(envelope::ok(output(&state, &record).await?))
}

/// Update a team event type; `hosts` / `assignAllTeamMembers` replace the hosts.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}", tag = "Orgs / Teams / Event Types", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventTypeId" = i64, Path)), request_body = EventTypeInput,
    responses((status = 200, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn update_team_event_type(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(mut body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let (team, manages) = team(&state, &caller, &ids).await?;
    require_manager(manages)?;
    let record = event_of(&state, &team, &ids).await?;
    let destination = destination_input(&state, caller.user.id.0, &mut body).await?;
    let (input, hosting) = split(body)?;
    if hosting.scheduling_type.is_some() {
        return Err(ApiError::field(
            "schedulingType",
            "can't be changed; create a new event type",
        ));
    }
    let hosts = host_ids(&state, team.team_id(), &hosting).await?;
    let fields = merged_fields(&state.db, None, input, Some(EventTypeFields::from(&record))).await?;
    let mut tx = state.db.begin().await?;
    let updated = event_types::update(&mut tx, record.id, &fields)
        .await?
        .ok_or_else(|| ApiError::not_found("Event type"))?;
    if let Some(hosts) = hosts {
        event_types::set_hosts(&mut tx, record.id, &hosts).await?;
    }
    tx.commit().await?;
    set_destination(&state, caller.user.id, record.id, destination).await?;
    Ok(envelope::ok(output(&state, &updated).await?))
}

/// Delete a team event type (its bookings stay).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}", tag = "Orgs / Teams / Event Types", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    responses((status = 200, body = Envelope<TeamEventTypeOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn delete_team_event_type(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (team, manages) = team(&state, &caller, &ids).await?;
    require_manager(manages)?;
    let record = event_of(&state, &team, &ids).await?;
    let out = output(&state, &record).await?;
    event_types::delete(&state.db, record.id).await?;
    Ok(envelope::ok(out))
}
