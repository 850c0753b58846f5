//! `GET/PATCH /v2/me`: the caller's own profile.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::MeOutput;
use super::envelope::{self, Envelope};
use super::extract::ApiJson;
use super::profile_input::ProfileInput;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use convene_store::users;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me, update_me))
}

/// Get my profile.
#[utoipa::path(get, path = "/v2/me", tag = "Me", security(("bearer" = [])),
    responses((status = 200, body = Envelope<MeOutput>)))]
#[tracing::instrument(skip_all, fields(user = caller.user.id))]
async fn get_me(caller: ApiUser) -> Response {
    envelope::ok(MeOutput::from(&caller.user))
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
    let patch = input.into_patch()?;
    let user = users::update(&state.db, caller.id(), &patch)
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    Ok(envelope::ok(MeOutput::from(&user)))
}
