//! Google and Microsoft over OAuth in Cal.com's shapes: `GET /v2/calendars/{calendar}/connect` (the consent URL)
//! and `GET /v2/calendars/{calendar}/save` (the provider's callback, redirecting the browser on).

use super::path_kind;
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{PathIds, QueryPairs};
use crate::calendars::ConnectionKind;
use crate::calendars::oauth::is_oauth;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(connect)).routes(routes!(save))
}

fn oauth_kind(ids: &PathIds) -> Result<ConnectionKind, ApiError> {
    let kind = path_kind(ids)?;
    if !is_oauth(kind) {
        return Err(ApiError::field(
            "calendar",
            "connects over OAuth only for google and office365",
        ));
    }
    Ok(kind)
}

/// The provider's consent URL (`authUrl`), carrying a sealed state that ties the callback to the caller.
#[utoipa::path(get, path = "/v2/calendars/{calendar}/connect", tag = "Calendars", security(("bearer" = [])),
    params(("calendar" = String, Path), ("isDryRun" = bool, Query), ("redir" = Option<String>, Query)),
    responses((status = 200, body = Envelope<Value>)))]
#[tracing::instrument(skip_all)]
async fn connect(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let kind = oauth_kind(&ids)?;
    if let Some(raw) = q.get("isDryRun")
        && !matches!(raw, "true" | "false")
    {
        return Err(ApiError::field("isDryRun", "must be true or false"));
    }
    let url = state.calendars.connect_url(caller.user.id, kind, q.get("redir"))?;
    Ok(envelope::ok(json!({ "authUrl": url.as_str() })))
}

/// The provider's callback: the code is traded for tokens (sealed), the calendars are listed, and the browser is
/// sent on to the `redir` given to connect (301, as Cal.com does), or given the connection when there was none.
#[utoipa::path(get, path = "/v2/calendars/{calendar}/save", tag = "Calendars",
    params(("calendar" = String, Path), ("state" = String, Query), ("code" = String, Query)),
    responses((status = 301), (status = 200, body = Envelope<Value>)))]
#[tracing::instrument(skip_all)]
async fn save(State(state): State<AppState>, ids: PathIds, q: QueryPairs) -> Result<Response, ApiError> {
    let kind = oauth_kind(&ids)?;
    if let Some(error) = q.get("error") {
        // The user said no (or the provider failed): nothing to save.
        return Err(ApiError::field(
            "code",
            format!("the provider answered {error} instead of a code"),
        ));
    }
    let consent = q.get("state").ok_or_else(|| ApiError::field("state", "is required"))?;
    let code = q.get("code").ok_or_else(|| ApiError::field("code", "is required"))?;
    let (connection, redirect) = state.calendars.complete_connect(kind, code, consent).await?;
    Ok(match redirect {
        Some(to) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response(),
        None => envelope::ok(json!({ "credentialId": connection.id, "type": kind.integration() })),
    })
}
