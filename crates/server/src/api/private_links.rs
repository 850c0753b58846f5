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
use crate::credentials::new_uid;
use crate::state::AppState;
use crate::time_text::{parse_instant, ts, utc_iso};
use axum::extract::State;
use axum::response::Response;
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::private_links::{self, PrivateLinkRecord};
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
        event_type_id: r.event_type_id,
        is_expired: r.is_expired(convene_store::now_ms()),
        booking_url: format!(
            "{}/d/{}/{}",
            state.mailer.settings.public_url.trim_end_matches('/'),
            r.link_id,
            event.slug
        ),
        expires_at: r.expires_at.map(|e| utc_iso(ts(e))),
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

/// Expiry and use limit from the input: a date makes a time-based link, else a use count (default one use).
fn limits(input: &PrivateLinkInput) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let expires_at = match input.expires_at.as_deref() {
        Some(raw) => Some(parse_instant("expiresAt", raw)?.as_millisecond()),
        None => None,
    };
    let max = match input.max_usage_count {
        Some(n) if !(1..=1_000_000).contains(&n) => {
            return Err(ApiError::field("maxUsageCount", "must be 1 to 1000000"));
        }
        Some(n) => Some(n),
        None if expires_at.is_none() => Some(1),
        None => None,
    };
    Ok((expires_at, max))
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
    let (expires_at, max_usage_count) = limits(input)?;
    let record = PrivateLinkRecord {
        link_id: new_uid(),
        event_type_id: event.id,
        expires_at,
        max_usage_count,
        usage_count: 0,
    };
    private_links::insert(&state.db, &record).await?;
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
    let links = private_links::list(&state.db, event.id).await?;
    Ok(envelope::ok(
        links.iter().map(|l| output(state, event, l)).collect::<Vec<_>>(),
    ))
}

async fn link_of(state: &AppState, event: &EventTypeRecord, ids: &PathIds) -> Result<PrivateLinkRecord, ApiError> {
    private_links::find(&state.db, ids.text("linkId"))
        .await?
        .filter(|l| l.event_type_id == event.id)
        .ok_or_else(|| ApiError::not_found("Private link"))
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
    let mut link = link_of(state, event, ids).await?;
    if input.expires_at.is_none() && input.max_usage_count.is_none() {
        return Err(ApiError::field("expiresAt", "give expiresAt or maxUsageCount"));
    }
    let (expires_at, max_usage_count) = limits(input)?;
    link.expires_at = expires_at;
    link.max_usage_count = max_usage_count;
    private_links::update(&state.db, &link.link_id, expires_at, max_usage_count).await?;
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
    let link = link_of(state, event, ids).await?;
    private_links::delete(&state.db, &link.link_id).await?;
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
