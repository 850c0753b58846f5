//! Notification preferences (Cal.com's organization defaults with user overrides): per event and channel,
//! whether a notification goes out. A user's own choice wins, else the organization's, else on. Today the
//! `email` channel decides whether booking emails are queued at all; the other channels are stored for the
//! notifications that will use them.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope;
use super::extract::{ApiJson, PathIds};
use crate::accounts::notification_preferences::{self as notifications, CHANNELS, Change, EVENTS};
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use axum::extract::State;
use axum::response::Response;
use convene_core::TeamId;
use convene_store::notification_preferences::Owner;
use serde_json::{Map, Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_org_preferences, patch_org_preferences))
        .routes(routes!(patch_organization))
        .routes(routes!(get_my_preferences, patch_my_preferences))
}

/// Reads `{event: {channel: true|false|null}}`; `null` clears a choice back to inheriting.
fn changes(body: &Value, field: &str) -> Result<Vec<Change>, ApiError> {
    let map = body
        .as_object()
        .ok_or_else(|| ApiError::field(field, "must be an object of events"))?;
    let mut out = Vec::new();
    for (event, channels) in map {
        let event = EVENTS.into_iter().find(|e| e == event).ok_or_else(|| {
            ApiError::field(
                &format!("{field}.{event}"),
                format!("must be one of {}", EVENTS.join(", ")),
            )
        })?;
        let channels = channels
            .as_object()
            .ok_or_else(|| ApiError::field(&format!("{field}.{event}"), "must be an object of channels"))?;
        for (channel, value) in channels {
            let path = format!("{field}.{event}.{channel}");
            let channel = CHANNELS
                .into_iter()
                .find(|c| c == channel)
                .ok_or_else(|| ApiError::field(&path, format!("must be one of {}", CHANNELS.join(", "))))?;
            let enabled = match value {
                Value::Bool(b) => Some(*b),
                Value::Null => None,
                _ => return Err(ApiError::field(&path, "must be true, false or null")),
            };
            out.push((event, channel, enabled));
        }
    }
    Ok(out)
}

/// Every event and channel with the owner's effective value, as `{event: {channel: bool}}`.
async fn effective(state: &AppState, owner: Owner, organization: Option<i64>) -> Result<Value, ApiError> {
    let mut out = Map::new();
    for s in notifications::settings(&state.db, owner, organization).await? {
        let channels = out
            .entry(s.event.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(channels) = channels {
            channels.insert(s.channel.to_owned(), json!(s.effective));
        }
    }
    Ok(Value::Object(out))
}

async fn apply(state: &AppState, owner: Owner, body: &Value, field: &str) -> Result<(), ApiError> {
    let changes = changes(body, field)?;
    notifications::apply(&state.db, owner, &changes).await?;
    Ok(())
}

#[utoipa::path(get, path = "/v2/organizations/{orgId}/notification-preferences", tag = "Orgs / Notification preferences",
    security(("bearer" = [])), params(("orgId" = i64, Path)), responses((status = 200)))]
#[tracing::instrument(skip_all)]
async fn get_org_preferences(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let org = access.org_id().0;
    Ok(envelope::ok(
        effective(&state, Owner::Organization(TeamId(org)), None).await?,
    ))
}

/// Change the organization's defaults: `{"bookingConfirmed": {"email": false}}`; `null` restores the default.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/notification-preferences", tag = "Orgs / Notification preferences",
    security(("bearer" = [])), params(("orgId" = i64, Path)), responses((status = 200)))]
#[tracing::instrument(skip_all)]
async fn patch_org_preferences(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let org = access.org_id().0;
    apply(&state, Owner::Organization(TeamId(org)), &body, "body").await?;
    Ok(envelope::ok(
        effective(&state, Owner::Organization(TeamId(org)), None).await?,
    ))
}

/// Cal.com's documented form: `PATCH /v2/organizations/{orgId}` with `notificationPreferences` (the only
/// organization setting accepted here; others are managed by instance admins).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}", tag = "Orgs / Notification preferences",
    security(("bearer" = [])), params(("orgId" = i64, Path)), responses((status = 200)))]
#[tracing::instrument(skip_all)]
async fn patch_organization(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let map = body
        .as_object()
        .ok_or_else(|| ApiError::field("body", "must be an object"))?;
    if let Some(other) = map.keys().find(|k| *k != "notificationPreferences") {
        return Err(ApiError::field(
            other,
            "is not an organization setting this endpoint changes",
        ));
    }
    let org = access.org_id().0;
    if let Some(preferences) = map.get("notificationPreferences") {
        apply(
            &state,
            Owner::Organization(TeamId(org)),
            preferences,
            "notificationPreferences",
        )
        .await?;
    }
    Ok(envelope::ok(json!({
        "id": org,
        "name": access.org.name,
        "slug": access.org.slug,
        "notificationPreferences": effective(&state, Owner::Organization(TeamId(org)), None).await?,
    })))
}

/// My effective preferences (my choices over my organization's defaults).
#[utoipa::path(get, path = "/v2/me/notification-preferences", tag = "Me", security(("bearer" = [])),
    responses((status = 200)))]
#[tracing::instrument(skip_all)]
async fn get_my_preferences(State(state): State<AppState>, caller: ApiUser) -> Result<Response, ApiError> {
    let owner = Owner::User(caller.user.id);
    Ok(envelope::ok(
        effective(&state, owner, caller.user.organization_id.map(|id| id.0)).await?,
    ))
}

/// Override my organization's defaults; `null` goes back to inheriting them.
#[utoipa::path(patch, path = "/v2/me/notification-preferences", tag = "Me", security(("bearer" = [])),
    responses((status = 200)))]
#[tracing::instrument(skip_all)]
async fn patch_my_preferences(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let owner = Owner::User(caller.user.id);
    apply(&state, owner, &body, "body").await?;
    Ok(envelope::ok(
        effective(&state, owner, caller.user.organization_id.map(|id| id.0)).await?,
    ))
}
