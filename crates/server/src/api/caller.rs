//! Who calls a public endpoint: the holder of an API key (held to that key's limit), or an anonymous client,
//! known by its address and held to the per-address limits.

use super::ApiError;
use super::auth::ApiUser;
use crate::limits::{ClientAddress, LimitKey, PublicOperation};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};

/// The caller of a public endpoint.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A valid API key came with the request (a bad one is a 401, never silently anonymous).
    User(Box<ApiUser>),
    Anonymous(ClientAddress),
}

impl Caller {
    pub fn user(&self) -> Option<&ApiUser> {
        match self {
            Caller::User(user) => Some(user.as_ref()),
            Caller::Anonymous(_) => None,
        }
    }

    /// Counts an anonymous call of `operation` against its client address (key holders have their key's limit).
    pub async fn limit(&self, state: &AppState, operation: PublicOperation) -> Result<(), ApiError> {
        if let Caller::Anonymous(client) = self {
            state
                .limits
                .take(LimitKey::Public {
                    operation,
                    client: *client,
                })
                .await?;
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let user = ApiUser::from_request_parts(parts, state).await?;
            return Ok(Caller::User(Box::new(user)));
        }
        let client = ClientAddress::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the server was started without connection info")))?;
        Ok(Caller::Anonymous(client))
    }
}
