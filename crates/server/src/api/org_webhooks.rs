//! `/v2/organizations/{orgId}/webhooks`: an organization's webhooks, managed by its ADMINs and OWNERs, fired for
//! the bookings of its members and of its teams' event types. Validation, SSRF rules and sealed, write-only
//! secrets are [`super::webhooks`]'s.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use super::webhooks::{self, WebhookInput};
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::webhooks::Trigger;
use axum::extract::State;
use axum::response::Response;
use convene_store::webhooks::{self as store, WebhookOwner, WebhookRecord};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_webhooks, create_org_webhook))
        .routes(routes!(get_org_webhook, update_org_webhook, delete_org_webhook))
}

/// `TeamWebhookOutputDto`, without `secret` (write-only, as for every webhook here).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgWebhookOutput {
    /// Empty when unset (the output requires a string).
    pub payload_template: String,
    pub team_id: i64,
    pub id: i64,
    pub triggers: Vec<Trigger>,
    pub subscriber_url: String,
    pub active: bool,
}

impl From<&WebhookRecord> for OrgWebhookOutput {
    fn from(r: &WebhookRecord) -> Self {
        OrgWebhookOutput {
            payload_template: r.payload_template.clone().unwrap_or_default(),
            team_id: r.organization_id.map_or(0, |id| id.0),
            id: r.id.0,
            triggers: Trigger::list_from_stored(&r.triggers),
            subscriber_url: r.subscriber_url.clone(),
            active: r.active,
        }
    }
}

async fn owner(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<WebhookOwner, ApiError> {
    let access = OrgAccess::load_admin(&state.db, &caller.user, ids.id("orgId")?).await?;
    Ok(WebhookOwner::Organization(access.org_id()))
}

/// Create a webhook for the organization's bookings (ADMIN or OWNER).
#[utoipa::path(post, path = "/v2/organizations/{orgId}/webhooks", tag = "Orgs / Webhooks", security(("bearer" = [])),
    params(("orgId" = i64, Path)), request_body = WebhookInput, responses((status = 201, body = Envelope<OrgWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_org_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    let owner = owner(&state, &caller, &ids).await?;
    let created = webhooks::insert(&state, owner, input).await?;
    Ok(envelope::created(OrgWebhookOutput::from(&created)))
}

/// The organization's webhooks (ADMIN or OWNER), paginated.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/webhooks", tag = "Orgs / Webhooks", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<OrgWebhookOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_org_webhooks(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let owner = owner(&state, &caller, &ids).await?;
    let paging = Paging::from_query(&q, 250, 250)?;
    let list = store::list(&state.db, owner, paging.take, paging.skip).await?;
    Ok(envelope::ok(
        list.iter().map(OrgWebhookOutput::from).collect::<Vec<_>>(),
    ))
}

/// One of the organization's webhooks (ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/webhooks/{webhookId}", tag = "Orgs / Webhooks", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("webhookId" = i64, Path)), responses((status = 200, body = Envelope<OrgWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_org_webhook(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let owner = owner(&state, &caller, &ids).await?;
    let webhook = webhooks::owned(&state, owner, &ids).await?;
    Ok(envelope::ok(OrgWebhookOutput::from(&webhook)))
}

/// Update one of the organization's webhooks (ADMIN or OWNER).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/webhooks/{webhookId}", tag = "Orgs / Webhooks", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("webhookId" = i64, Path)), request_body = WebhookInput,
    responses((status = 200, body = Envelope<OrgWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_org_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    let owner = owner(&state, &caller, &ids).await?;
    let stored = webhooks::owned(&state, owner, &ids).await?;
    let updated = webhooks::update(&state, &stored, input).await?;
    Ok(envelope::ok(OrgWebhookOutput::from(&updated)))
}

/// Delete one of the organization's webhooks (ADMIN or OWNER); its past deliveries stay on record.
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/webhooks/{webhookId}", tag = "Orgs / Webhooks", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("webhookId" = i64, Path)), responses((status = 200, body = Envelope<OrgWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_org_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let owner = owner(&state, &caller, &ids).await?;
    let deleted = store::delete(&state.db, owner, ids.id("webhookId")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook"))?;
    Ok(envelope::ok(OrgWebhookOutput::from(&deleted)))
}
