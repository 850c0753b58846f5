//! `/v2/schedules` (`cal-api-version: 2024-06-11`): the caller's availability schedules. Any other
//! version (or none) gets the legacy `2024-04-15` shapes of [`super::legacy::schedules`].

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, PathIds, from_value};
use super::legacy::schedules as legacy;
use super::version::Requested;
use crate::scheduling::availability::{AvailabilityRule, OverrideRule};
pub use crate::scheduling::schedule_input::{ScheduleInput, schedule_fields};
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_core::UserId;
use convene_store::schedules::{self, ScheduleRecord};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The version whose shapes this module speaks; others get the legacy ones.
const CURRENT: &str = "2024-06-11";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedules, create_schedule))
        .routes(routes!(default_schedule))
        .routes(routes!(get_schedule, update_schedule, delete_schedule))
}

/// `ScheduleOutput_2024_06_11`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleOutput {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub time_zone: String,
    pub availability: Vec<AvailabilityRule>,
    pub is_default: bool,
    pub overrides: Vec<OverrideRule>,
}

impl From<&ScheduleRecord> for ScheduleOutput {
    fn from(r: &ScheduleRecord) -> Self {
        ScheduleOutput {
            id: r.id.0,
            owner_id: r.user_id.0,
            name: r.name.clone(),
            time_zone: r.time_zone.clone(),
            availability: serde_json::from_str(&r.availability).unwrap_or_default(),
            is_default: r.is_default,
            overrides: serde_json::from_str(&r.overrides).unwrap_or_default(),
        }
    }
}

/// The schedules of a team's (or an organization's) accepted members, paginated, in the current shapes: the
/// caller's access was checked by the route.
pub(super) async fn of_team_members(
    state: &AppState,
    access: &crate::tenancy::access::TeamAccess,
    q: &super::extract::QueryPairs,
) -> Result<Response, ApiError> {
    let paging = super::extract::Paging::from_query(q, 250, 1000)?;
    let list = schedules::list_for_members(&state.db, access.team_id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(ScheduleOutput::from).collect::<Vec<_>>()))
}

/// Get all my schedules.
#[utoipa::path(get, path = "/v2/schedules", tag = "Schedules", security(("bearer" = [])),
    params(("cal-api-version" = String, Header, description = "2024-06-11; another version or none gets the 2024-04-15 shapes")),
    responses((status = 200, body = Envelope<Vec<ScheduleOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_schedules(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
) -> Result<Response, ApiError> {
    list_for(&state, caller.id(), version.is_current(CURRENT)).await
}

/// `owner`'s schedules, in the current shapes or (`current` false) the legacy ones.
pub(super) async fn list_for(state: &AppState, owner: UserId, current: bool) -> Result<Response, ApiError> {
    let list = schedules::list(&state.db, owner).await?;
    if !current {
        return Ok(envelope::ok(
            list.iter().map(|s| legacy::output(s, list.len())).collect::<Vec<_>>(),
        ));
    }
    Ok(envelope::ok(list.iter().map(ScheduleOutput::from).collect::<Vec<_>>()))
}

/// Create a schedule. Without `availability` it is Monday–Friday 09:00–17:00. A user's first
/// schedule becomes the default whatever `isDefault` says, so there always is one.
#[utoipa::path(post, path = "/v2/schedules", tag = "Schedules", security(("bearer" = [])),
    params(("cal-api-version" = String, Header, description = "2024-06-11; another version or none gets the 2024-04-15 shapes")),
    request_body = ScheduleInput, responses((status = 201, body = Envelope<ScheduleOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_schedule(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    create_for(&state, caller.id(), version.is_current(CURRENT), body).await
}

/// Creates a schedule for `owner` (see [`create_schedule`]).
pub(super) async fn create_for(
    state: &AppState,
    owner: UserId,
    current: bool,
    body: Map<String, Value>,
) -> Result<Response, ApiError> {
    let input: ScheduleInput = if current {
        from_value(Value::Object(body))?
    } else {
        legacy::input(&body)?
    };
    let Some(requested_default) = input.is_default else {
        return Err(ApiError::field("isDefault", "is required"));
    };
    let fields = schedule_fields(&input, None)?;
    let mut tx = state.db.begin().await?;
    let first = schedules::find_default(&mut tx, owner).await?.is_none();
    let created = schedules::insert(&mut tx, owner, &fields, requested_default || first).await?;
    tx.commit().await?;
    if !current {
        return legacy_answer(state, owner, &created, true).await;
    }
    Ok(envelope::created(ScheduleOutput::from(&created)))
}

/// Get my default schedule.
#[utoipa::path(get, path = "/v2/schedules/default", tag = "Schedules", security(("bearer" = [])),
    params(("cal-api-version" = String, Header, description = "2024-06-11; another version or none gets the 2024-04-15 shapes")),
    responses((status = 200, body = Envelope<ScheduleOutput>)))]
#[tracing::instrument(skip_all)]
async fn default_schedule(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
) -> Result<Response, ApiError> {
    let found = schedules::find_default(&state.db, caller.id()).await?;
    if !version.is_current(CURRENT) {
        // The legacy version answers `data: null` when there is no default.
        return match found {
            Some(schedule) => legacy_answer(&state, caller.id(), &schedule, false).await,
            None => Ok(envelope::ok(Value::Null)),
        };
    }
    let schedule = found.ok_or_else(|| ApiError::not_found("Default schedule"))?;
    Ok(envelope::ok(ScheduleOutput::from(&schedule)))
}

async fn owned(state: &AppState, owner: UserId, ids: &PathIds) -> Result<ScheduleRecord, ApiError> {
    schedules::find(&state.db, owner, ids.id("scheduleId")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Schedule"))
}

/// Get a schedule.
#[utoipa::path(get, path = "/v2/schedules/{scheduleId}", tag = "Schedules", security(("bearer" = [])),
    params(("scheduleId" = i64, Path), ("cal-api-version" = String, Header, description = "2024-06-11; another version or none gets the 2024-04-15 shapes")),
    responses((status = 200, body = Envelope<ScheduleOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_schedule(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    get_for(&state, caller.id(), version.is_current(CURRENT), &ids).await
}

/// One of `owner`'s schedules (`scheduleId` in the path).
pub(super) async fn get_for(
    state: &AppState,
    owner: UserId,
    current: bool,
    ids: &PathIds,
) -> Result<Response, ApiError> {
    let schedule = owned(state, owner, ids).await?;
    if !current {
        return legacy_answer(state, owner, &schedule, false).await;
    }
    Ok(envelope::ok(ScheduleOutput::from(&schedule)))
}

/// A schedule in the legacy shape (which says whether it is the owner's last one).
async fn legacy_answer(
    state: &AppState,
    owner: UserId,
    schedule: &ScheduleRecord,
    created: bool,
) -> Result<Response, ApiError> {
    let count = schedules::list(&state.db, owner).await?.len();
    let data = legacy::output(schedule, count);
    Ok(if created {
        envelope::created(data)
    } else {
        envelope::ok(data)
    })
}

/// Update a schedule (absent fields keep their values). `isDefault: true` makes it the default;
/// the default can't be unset except by making another schedule the default.
#[utoipa::path(patch, path = "/v2/schedules/{scheduleId}", tag = "Schedules", security(("bearer" = [])),
    params(("scheduleId" = i64, Path), ("cal-api-version" = String, Header, description = "2024-06-11; another version or none gets the 2024-04-15 shapes")),
    request_body = ScheduleInput, responses((status = 200, body = Envelope<ScheduleOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_schedule(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    update_for(&state, caller.id(), version.is_current(CURRENT), &ids, body).await
}

/// Updates one of `owner`'s schedules (see [`update_schedule`]).
pub(super) async fn update_for(
    state: &AppState,
    owner: UserId,
    current_version: bool,
    ids: &PathIds,
    body: Map<String, Value>,
) -> Result<Response, ApiError> {
    let input: ScheduleInput = if current_version {
        from_value(Value::Object(body))?
    } else {
        legacy::input(&body)?
    };
    let current = owned(state, owner, ids).await?;
    if input.is_default == Some(false) && current.is_default {
        return Err(ApiError::field(
            "isDefault",
            "make another schedule the default instead",
        ));
    }
    let fields = schedule_fields(&input, Some(&current))?;
    let mut tx = state.db.begin().await?;
    let updated = schedules::update(&mut tx, owner, current.id, &fields, input.is_default == Some(true))
        .await?
        .ok_or_else(|| ApiError::not_found("Schedule"))?;
    tx.commit().await?;
    if !current_version {
        return legacy_answer(state, owner, &updated, false).await;
    }
    Ok(envelope::ok(ScheduleOutput::from(&updated)))
}

/// Delete a schedule (not the default one while others exist).
#[utoipa::path(delete, path = "/v2/schedules/{scheduleId}", tag = "Schedules", security(("bearer" = [])),
    params(("scheduleId" = i64, Path), ("cal-api-version" = String, Header, description = "2024-06-11; another version or none gets the 2024-04-15 shapes")),
    responses((status = 200, body = Object)))]
#[tracing::instrument(skip_all)]
async fn delete_schedule(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    delete_for(&state, caller.id(), &ids).await
}

/// Deletes one of `owner`'s schedules (see [`delete_schedule`]).
pub(super) async fn delete_for(state: &AppState, owner: UserId, ids: &PathIds) -> Result<Response, ApiError> {
    let current = owned(state, owner, ids).await?;
    if current.is_default && schedules::list(&state.db, owner).await?.len() > 1 {
        return Err(ApiError::Conflict(
            "Make another schedule the default before deleting this one".into(),
        ));
    }
    schedules::delete(&state.db, owner, current.id).await?;
    // `DeleteScheduleOutput_2024_06_11` carries no data.
    Ok(axum::Json(json!({ "status": "success" })).into_response())
}
