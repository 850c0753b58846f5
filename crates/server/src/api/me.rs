//! `GET/PATCH /v2/me`: the caller's own profile.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::MeOutput;
use super::envelope::{self, Envelope};
use super::extract::ApiJson;
use super::profile_input::ProfileInput;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use convene_store::schedules::{self, ScheduleFields};
use convene_store::users;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me, update_me))
}

/// Get my profile.
#[utoipa::path(get, path = "/v2/me", tag = "Me", security(("bearer" = [])),
    responses((status = 200, body = Envelope<MeOutput>)))]
#[tracing::instrument(skip_all, fields(user = caller.user.id))]
async fn get_me(State(state): State<AppState>, caller: ApiUser) -> Result<Response, ApiError> {
    let default_schedule = schedules::find_default(&state.db, caller.id()).await?;
    Ok(envelope::ok(MeOutput::new(
        &caller.user,
        default_schedule.map(|s| s.id),
    )))
}

/// Update my profile.
#[utoipa::path(patch, path = "/v2/me", tag = "Me", security(("bearer" = [])), request_body = ProfileInput,
    responses((status = 200, body = Envelope<MeOutput>)))]
#[tracing::instrument(skip_all, fields(user = caller.user.id))]
async fn update_me(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<ProfileInput>,
) -> Result<Response, ApiError> {
    if input.username.is_some() {
        return Err(ApiError::field(
            "username",
            "can't be changed here; ask an organization admin",
        ));
    }
    let default_schedule_id = input.default_schedule_id;
    let patch = input.into_patch()?;
    let mut tx = state.db.begin().await?;
    if let Some(id) = default_schedule_id {
        let schedule = schedules::find(&mut tx, caller.id(), id)
            .await?
            .ok_or_else(|| ApiError::field("defaultScheduleId", format!("schedule {id} not found")))?;
        let fields = ScheduleFields {
            name: schedule.name,
            time_zone: schedule.time_zone,
            availability: schedule.availability,
            overrides: schedule.overrides,
        };
        schedules::update(&mut tx, caller.id(), id, &fields, true).await?;
    }
    let user = users::update(&mut tx, caller.id(), &patch)
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    let default_schedule = schedules::find_default(&mut tx, caller.id()).await?;
    tx.commit().await?;
    Ok(envelope::ok(MeOutput::new(&user, default_schedule.map(|s| s.id))))
}
