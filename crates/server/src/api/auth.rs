//! `Authorization: Bearer cal_…` authentication, with the per-key rate limit. The bare key
//! (`Authorization: cal_…`) is accepted too, as Cal.com accepts it: published clients send it so.

use super::ApiError;
use crate::credentials::{API_KEY_PREFIX, hash_api_key};
use crate::limits::LimitKey;
use crate::state::AppState;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::{header, request::Parts};
use convene_core::{ApiKeyId, UserId};
use convene_store::users::UserRecord;
use convene_store::{api_keys, users};

/// The caller of an authenticated endpoint: the key's owner, and the key used.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: UserRecord,
    pub key_id: ApiKeyId,
}

impl ApiUser {
    pub fn id(&self) -> UserId {
        self.user.user_id()
    }

    pub fn is_instance_admin(&self) -> bool {
        self.user.is_instance_admin
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Authenticated (and counted) once per request, however many extractors ask.
        if let Some(known) = parts.extensions.get::<ApiUser>() {
            return Ok(known.clone());
        }
        let header_value = parts.headers.get(header::AUTHORIZATION).ok_or(ApiError::Unauthorized(
            "Missing Authorization header: send `Authorization: Bearer cal_…`",
        ))?;
        let token = header_value
            .to_str()
            .ok()
            .map(str::trim)
            .map(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
                    .unwrap_or(v)
            })
            .map(str::trim)
            .filter(|t| t.starts_with(API_KEY_PREFIX) && t.len() > API_KEY_PREFIX.len())
            .ok_or(ApiError::Unauthorized(
                "Malformed Authorization header: expected `Bearer cal_…` (or the bare `cal_…` key)",
            ))?;

        let key = api_keys::find_by_hash(&state.db, &hash_api_key(token))
            .await?
            .ok_or(ApiError::Unauthorized("Invalid API key"))?;
        if key.revoked_at.is_some() {
            return Err(ApiError::Unauthorized("This API key has been revoked"));
        }
        if key.expires_at.is_some_and(|at| at <= jiff::Timestamp::now()) {
            return Err(ApiError::Unauthorized("This API key has expired"));
        }

        state.limits.take(LimitKey::ApiKey(key.key_id())).await?;

        let user = users::find(&state.db, key.user_id)
            .await?
            .ok_or(ApiError::Unauthorized("Invalid API key"))?;
        let caller = ApiUser {
            user,
            key_id: key.key_id(),
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// For public endpoints that behave differently for a signed-in caller: no Authorization header
/// is `None`; a header with a bad key is still a 401 (never silently anonymous).
impl OptionalFromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            <ApiUser as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Only instance admins pass.
pub fn require_instance_admin(caller: &ApiUser) -> Result<(), ApiError> {
    if caller.is_instance_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("This endpoint is for instance admins"))
    }
}
