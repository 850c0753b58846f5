//! `/v2/event-types/{eventTypeId}/private-links`: secret booking links of one's own event type, valid until a date
//! (`expiresAt`) or for a number of bookings (`maxUsageCount`, one by default), as in Cal.com; and the same for a
//! team's event type under `/v2/organizations/{orgId}/teams/{teamId}/event-types/…` (team managers only). The
//! booking page they open is `/d/{linkId}/{eventSlug}` (web/booker); a hidden event type is bookable through a live
//! link only.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, PathIds};
use super::team_event_types::managed_event;
use crate::scheduling::private_links as links;
use crate::state::AppState;
use crate::time_text::{parse_instant, utc_iso};
use axum::extract::State;
use axum::response::Response;
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::private_links::PrivateLinkRecord;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_link, list_links))
        .routes(routes!(update_link, delete_link))
        .routes(routes!(create_team_link, list_team_links))
        .routes(routes!(update_team_link, delete_team_link))
}

/// `CreatePrivateLinkInput` (and `UpdatePrivateLinkBody`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkInput {
    pub expires_at: Option<String>,
    pub max_usage_count: Option<i64>,
}

/// `TimeBasedPrivateLinkOutput` or `UsageBasedPrivateLinkOutput`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkOutput {
    pub link_id: String,
    pub event_type_id: i64,
    pub is_expired: bool,
    pub booking_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_usage_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_count: Option<i64>,
}

fn output(state: &AppState, event: &EventTypeRecord, r: &PrivateLinkRecord) -> PrivateLinkOutput {
    let time_based = r.expires_at.is_some();
    PrivateLinkOutput {
        link_id: r.link_id.clone(),
        event_type_id: r.event_type_id.0,
        is_expired: r.is_expired(jiff::Timestamp::now()),
        booking_url: links::booking_url(&state.mailer.settings.public_url, r, &event.slug),
        expires_at: r.expires_at.map(utc_iso),
        max_usage_count: if time_based { None } else { r.max_usage_count },
        usage_count: (!time_based).then_some(r.usage_count),
    }
}

/// The caller's own event type named in the path.
async fn owned(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<EventTypeRecord, ApiError> {
    let id = ids.id("eventTypeId")?;
    event_types::find(&state.db, id)
        .await?
        .filter(|e| e.owner_id == Some(caller.user.id) || caller.is_instance_admin())
        .ok_or_else(|| ApiError::not_found("Event type"))
}

/// The input's expiry as an instant (`expiresAt`).
fn expiry(input: &PrivateLinkInput) -> Result<Option<jiff::Timestamp>, ApiError> {
    Ok(match input.expires_at.as_deref() {
        Some(raw) => Some(parse_instant("expiresAt", raw)?),
        None => None,
    })
}

/// Create a private link for one of your event types.
#[utoipa::path(post, path = "/v2/event-types/{eventTypeId}/private-links", tag = "Event Types Private Links",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path)), request_body = PrivateLinkInput,
    responses((status = 201, body = Envelope<PrivateLinkOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_link(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<PrivateLinkInput>,
) -> Result<Response, ApiError> {
    let event = owned(&state, &caller, &ids).await?;
    create(&state, &event, &input).await
}

async fn create(state: &AppState, event: &EventTypeRecord, input: &PrivateLinkInput) -> Result<Response, ApiError> {
    let record = links::create(&state.db, event.id, expiry(input)?, input.max_usage_count).await?;
    Ok(envelope::created(output(state, event, &record)))
}

/// List an event type's private links.
#[utoipa::path(get, path = "/v2/event-types/{eventTypeId}/private-links", tag = "Event Types Private Links",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path)),
    responses((status = 200, body = Envelope<Vec<PrivateLinkOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_links(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let event = owned(&state, &caller, &ids).await?;
    list(&state, &event).await
}

async fn list(state: &AppState, event: &EventTypeRecord) -> Result<Response, ApiError> {
    let found = links::list(&state.db, event.id).await?;
    Ok(envelope::ok(
        found.iter().map(|l| output(state, event, l)).collect::<Vec<_>>(),
    ))
}

/// Change a private link's expiry or use limit.
#[utoipa::path(patch, path = "/v2/event-types/{eventTypeId}/private-links/{linkId}", tag = "Event Types Private Links",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path), ("linkId" = String, Path)),
    request_body = PrivateLinkInput, responses((status = 200, body = Envelope<PrivateLinkOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_link(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<PrivateLinkInput>,
) -> Result<Response, ApiError> {
    let event = owned(&state, &caller, &ids).await?;
    update(&state, &event, &ids, &input).await
}

async fn update(
    state: &AppState,
    event: &EventTypeRecord,
    ids: &PathIds,
    input: &PrivateLinkInput,
) -> Result<Response, ApiError> {
    let link = links::update(
        &state.db,
        event.id,
        ids.text("linkId"),
        expiry(input)?,
        input.max_usage_count,
    )
    .await?;
    Ok(envelope::ok(output(state, event, &link)))
}

/// Delete a private link (it stops working at once).
#[utoipa::path(delete, path = "/v2/event-types/{eventTypeId}/private-links/{linkId}", tag = "Event Types Private Links",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path), ("linkId" = String, Path)),
    responses((status = 200, body = Object)))]
#[tracing::instrument(skip_all)]
async fn delete_link(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let event = owned(&state, &caller, &ids).await?;
    delete(&state, &event, &ids).await
}

async fn delete(state: &AppState, event: &EventTypeRecord, ids: &PathIds) -> Result<Response, ApiError> {
    let link = links::delete(&state.db, event.id, ids.text("linkId")).await?;
    Ok(envelope::ok(
        json!({ "linkId": link.link_id, "message": "Private link deleted successfully" }),
    ))
}

const TEAM_LINKS: &str = "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}/private-links";

/// Create a private link for a team's event type (team managers).
#[utoipa::path(post, path = TEAM_LINKS, tag = "Orgs / Teams / Event Types / Private Links",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    request_body = PrivateLinkInput, responses((status = 201, body = Envelope<PrivateLinkOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_team_link(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<PrivateLinkInput>,
) -> Result<Response, ApiError> {
    let event = managed_event(&state, &caller, &ids).await?;
    create(&state, &event, &input).await
}

/// List a team event type's private links (team managers).
#[utoipa::path(get, path = TEAM_LINKS, tag = "Orgs / Teams / Event Types / Private Links",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventTypeId" = i64, Path)),
    responses((status = 200, body = Envelope<Vec<PrivateLinkOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_team_links(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let event = managed_event(&state, &caller, &ids).await?;
    list(&state, &event).await
}

/// Change a team event type's private link (team managers).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}/private-links/{linkId}",
    tag = "Orgs / Teams / Event Types / Private Links", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventTypeId" = i64, Path), ("linkId" = String, Path)),
    request_body = PrivateLinkInput, responses((status = 200, body = Envelope<PrivateLinkOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_team_link(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<PrivateLinkInput>,
) -> Result<Response, ApiError> {
    let event = managed_event(&state, &caller, &ids).await?;
    update(&state, &event, &ids, &input).await
}

/// Delete a team event type's private link (team managers).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}/private-links/{linkId}",
    tag = "Orgs / Teams / Event Types / Private Links", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("eventTypeId" = i64, Path), ("linkId" = String, Path)),
    responses((status = 200, body = Object)))]
#[tracing::instrument(skip_all)]
async fn delete_team_link(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let event = managed_event(&state, &caller, &ids).await?;
    delete(&state, &event, &ids).await
}
