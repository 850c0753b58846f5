//! `POST /v2/api-keys/refresh`: swap the calling key for a new one.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::ApiJson;
use crate::state::AppState;
use crate::tenancy;
use axum::extract::State;
use axum::response::Response;
use convene_store::api_keys;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(refresh))
}

/// `RefreshApiKeyInput`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshApiKeyInput {
    /// Days the new key is valid (default 30, at least 1).
    pub api_key_days_valid: Option<i64>,
    /// The new key never expires.
    pub api_key_never_expires: Option<bool>,
}

/// `ApiKeyOutput`: the new key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyOutput {
    pub api_key: String,
}

/// Generate a new API key and revoke the one in the Authorization header.
#[utoipa::path(post, path = "/v2/api-keys/refresh", tag = "Api Keys", security(("bearer" = [])),
    request_body = RefreshApiKeyInput, responses((status = 200, body = Envelope<ApiKeyOutput>)))]
#[tracing::instrument(skip_all, fields(user = caller.user.id.0))]
async fn refresh(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<RefreshApiKeyInput>,
) -> Result<Response, ApiError> {
    let days = tenancy::api_key_days(
        "apiKeyDaysValid",
        input.api_key_never_expires == Some(true),
        input.api_key_days_valid,
    )?;
    let mut tx = state.db.begin().await?;
    let secret = tenancy::issue_api_key(&mut tx, caller.id(), Some("refreshed"), days).await?;
    // Two refreshes racing with one key: only the first wins; the other sees a revoked key.
    if !api_keys::revoke(&mut tx, caller.key_id).await? {
        return Err(ApiError::Unauthorized("This API key has been revoked"));
    }
    tx.commit().await?;
    Ok(envelope::ok(ApiKeyOutput { api_key: secret }))
}
