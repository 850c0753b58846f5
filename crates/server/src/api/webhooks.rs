//! `/v2/webhooks` (the caller's own webhooks, fired for every booking they host) and
//! `/v2/event-types/{eventTypeId}/webhooks` (one event type's, managed by its owner; the same operations serve
//! `/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks` for a team's event types, routed in
//! [`super::teams`]). The spec declares no `cal-api-version` for either.
//!
//! Secrets are write-only: stored sealed with the keyring and never returned. Cal.com echoes `secret` back in
//! its outputs; we deliberately don't, so a leaked API key or response log can't be used to forge signatures.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::double_option;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use super::team_event_types;
use crate::state::AppState;
use crate::tenancy::access::AccessError;
use crate::webhooks::Trigger;
use crate::webhooks::manage::{self, WebhookChange};
use axum::extract::State;
use axum::response::Response;
use convene_core::TeamId;
use convene_store::event_types;
use convene_store::webhooks::{self, WebhookOwner, WebhookRecord};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(
            create_event_type_webhook,
            list_event_type_webhooks,
            delete_event_type_webhooks
        ))
        .routes(routes!(
            get_event_type_webhook,
            update_event_type_webhook,
            delete_event_type_webhook
        ))
}

/// `CreateWebhookInputDto` / `UpdateWebhookInputDto` (for an update every field is optional; `null` clears
/// `payloadTemplate` and `secret`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookInput {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub payload_template: Option<Option<String>>,
    pub active: Option<bool>,
    pub subscriber_url: Option<String>,
    /// Also read as `eventTriggers`, the name Cal.com's agent guide sends.
    #[serde(alias = "eventTriggers")]
    #[schema(value_type = Option<Vec<Trigger>>)]
    pub triggers: Option<TriggerNames>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub secret: Option<Option<SecretString>>,
    /// Only `2021-10-20`.
    pub version: Option<String>,
}

/// The spec types `triggers` as a string but its example (and Cal.com's clients) send an array: take both.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TriggerNames {
    One(String),
    Many(Vec<String>),
}

/// `UserWebhookOutputDto`, without `secret` (see the module note).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserWebhookOutput {
    /// Empty when unset (the outputs require a string; sending "" back keeps it unset).
    pub payload_template: String,
    pub user_id: i64,
    pub id: i64,
    pub triggers: Vec<Trigger>,
    pub subscriber_url: String,
    pub active: bool,
}

/// `EventTypeWebhookOutputDto`, without `secret` (see the module note).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeWebhookOutput {
    /// Empty when unset, as in [`UserWebhookOutput`].
    pub payload_template: String,
    pub event_type_id: i64,
    pub id: i64,
    pub triggers: Vec<Trigger>,
    pub subscriber_url: String,
    pub active: bool,
}

impl From<&WebhookRecord> for UserWebhookOutput {
    fn from(r: &WebhookRecord) -> Self {
        UserWebhookOutput {
            payload_template: r.payload_template.clone().unwrap_or_default(),
            user_id: r.user_id.map_or(0, |id| id.0),
            id: r.id.0,
            triggers: Trigger::list_from_stored(&r.triggers),
            subscriber_url: r.subscriber_url.clone(),
            active: r.active,
        }
    }
}

impl From<&WebhookRecord> for EventTypeWebhookOutput {
    fn from(r: &WebhookRecord) -> Self {
        EventTypeWebhookOutput {
            payload_template: r.payload_template.clone().unwrap_or_default(),
            event_type_id: r.event_type_id.map_or(0, |id| id.0),
            id: r.id.0,
            triggers: Trigger::list_from_stored(&r.triggers),
            subscriber_url: r.subscriber_url.clone(),
            active: r.active,
        }
    }
}

/// What a create or update does to the stored secret.
impl WebhookInput {
    /// The change the input asks for, in the service's terms.
    fn change(self) -> WebhookChange {
        WebhookChange {
            subscriber_url: self.subscriber_url,
            triggers: self.triggers.map(|t| match t {
                TriggerNames::One(name) => vec![name],
                TriggerNames::Many(names) => names,
            }),
            active: self.active,
            payload_template: self.payload_template,
            version: self.version,
            secret: self.secret,
        }
    }
}

pub(super) async fn insert(
    state: &AppState,
    owner: WebhookOwner,
    input: WebhookInput,
) -> Result<WebhookRecord, ApiError> {
    let policy = state.settings.webhooks.private_policy();
    Ok(manage::create(&state.db, &state.keyring, policy, owner, input.change()).await?)
}

pub(super) async fn update(
    state: &AppState,
    stored: &WebhookRecord,
    input: WebhookInput,
) -> Result<WebhookRecord, ApiError> {
    let policy = state.settings.webhooks.private_policy();
    Ok(manage::update(&state.db, &state.keyring, policy, stored, input.change()).await?)
}

pub(super) async fn owned(state: &AppState, owner: WebhookOwner, ids: &PathIds) -> Result<WebhookRecord, ApiError> {
    webhooks::find_owned(&state.db, owner, ids.id("webhookId")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook"))
}

/// The event type in the path, as a webhook owner, if the caller owns it; anyone else gets 404. On a team's path
/// (`/v2/teams/{teamId}/event-types/{eventTypeId}/webhooks`), the team's event type, if the caller manages the
/// team (403 otherwise, as for the team's event types themselves).
async fn event_type_owner(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<WebhookOwner, ApiError> {
    if ids.optional_id::<TeamId>("teamId")?.is_some() {
        let (event_type, manages) = team_event_types::team_event_type(state, caller, ids).await?;
        if !manages {
            return Err(AccessError::NotTeamAdmin.into());
        }
        return Ok(WebhookOwner::EventType(event_type.id));
    }
    let id = ids.id("eventTypeId")?;
    match event_types::find(&state.db, id).await? {
        Some(event_type) if event_type.owner_id == Some(caller.user.id) => Ok(WebhookOwner::EventType(id)),
        _ => Err(ApiError::not_found("Event type")),
    }
}

fn user_outputs(records: &[WebhookRecord]) -> Vec<UserWebhookOutput> {
    records.iter().map(UserWebhookOutput::from).collect()
}

fn event_type_outputs(records: &[WebhookRecord]) -> Vec<EventTypeWebhookOutput> {
    records.iter().map(EventTypeWebhookOutput::from).collect()
}

/// Create a webhook for all bookings I host.
#[utoipa::path(post, path = "/v2/webhooks", tag = "Webhooks", security(("bearer" = [])),
    request_body = WebhookInput, responses((status = 201, body = Envelope<UserWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    let created = insert(&state, WebhookOwner::User(caller.user.id), input).await?;
    Ok(envelope::created(UserWebhookOutput::from(&created)))
}

/// Get my webhooks (paginated).
#[utoipa::path(get, path = "/v2/webhooks", tag = "Webhooks", security(("bearer" = [])),
    params(("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<UserWebhookOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_webhooks(State(state): State<AppState>, caller: ApiUser, q: QueryPairs) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 250, 250)?;
    let list = webhooks::list(&state.db, WebhookOwner::User(caller.user.id), paging.take, paging.skip).await?;
    Ok(envelope::ok(user_outputs(&list)))
}

/// Get one of my webhooks.
#[utoipa::path(get, path = "/v2/webhooks/{webhookId}", tag = "Webhooks", security(("bearer" = [])),
    params(("webhookId" = i64, Path)), responses((status = 200, body = Envelope<UserWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_webhook(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let webhook = owned(&state, WebhookOwner::User(caller.user.id), &ids).await?;
    Ok(envelope::ok(UserWebhookOutput::from(&webhook)))
}

/// Update one of my webhooks.
#[utoipa::path(patch, path = "/v2/webhooks/{webhookId}", tag = "Webhooks", security(("bearer" = [])),
    params(("webhookId" = i64, Path)), request_body = WebhookInput,
    responses((status = 200, body = Envelope<UserWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    let stored = owned(&state, WebhookOwner::User(caller.user.id), &ids).await?;
    let updated = update(&state, &stored, input).await?;
    Ok(envelope::ok(UserWebhookOutput::from(&updated)))
}

/// Delete one of my webhooks; its past deliveries stay on record.
#[utoipa::path(delete, path = "/v2/webhooks/{webhookId}", tag = "Webhooks", security(("bearer" = [])),
    params(("webhookId" = i64, Path)), responses((status = 200, body = Envelope<UserWebhookOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_webhook(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let owner = WebhookOwner::User(caller.user.id);
    let deleted = webhooks::delete(&state.db, owner, ids.id("webhookId")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook"))?;
    Ok(envelope::ok(UserWebhookOutput::from(&deleted)))
}

/// Create a webhook for one of my event types.
#[utoipa::path(post, path = "/v2/event-types/{eventTypeId}/webhooks", tag = "Event Types / Webhooks",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path)), request_body = WebhookInput,
    responses((status = 201, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn create_event_type_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    let owner = event_type_owner(&state, &caller, &ids).await?;
    let created = insert(&state, owner, input).await?;
    Ok(envelope::created(EventTypeWebhookOutput::from(&created)))
}

/// Get the webhooks of one of my event types (paginated).
#[utoipa::path(get, path = "/v2/event-types/{eventTypeId}/webhooks", tag = "Event Types / Webhooks",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path), ("take" = Option<i64>, Query),
    ("skip" = Option<i64>, Query)), responses((status = 200, body = Envelope<Vec<EventTypeWebhookOutput>>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_event_type_webhooks(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let owner = event_type_owner(&state, &caller, &ids).await?;
    let paging = Paging::from_query(&q, 250, 250)?;
    let list = webhooks::list(&state.db, owner, paging.take, paging.skip).await?;
    Ok(envelope::ok(event_type_outputs(&list)))
}

/// Delete all webhooks of one of my event types.
#[utoipa::path(delete, path = "/v2/event-types/{eventTypeId}/webhooks", tag = "Event Types / Webhooks",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path)), responses((status = 200, body = Envelope<String>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn delete_event_type_webhooks(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let owner = event_type_owner(&state, &caller, &ids).await?;
    let count = webhooks::delete_all(&state.db, owner).await?;
    Ok(envelope::ok(format!("{count} webhooks deleted")))
}

/// Get a webhook of one of my event types.
#[utoipa::path(get, path = "/v2/event-types/{eventTypeId}/webhooks/{webhookId}", tag = "Event Types / Webhooks",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path), ("webhookId" = i64, Path)),
    responses((status = 200, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn get_event_type_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let owner = event_type_owner(&state, &caller, &ids).await?;
    let webhook = owned(&state, owner, &ids).await?;
    Ok(envelope::ok(EventTypeWebhookOutput::from(&webhook)))
}

/// Update a webhook of one of my event types.
#[utoipa::path(patch, path = "/v2/event-types/{eventTypeId}/webhooks/{webhookId}", tag = "Event Types / Webhooks",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path), ("webhookId" = i64, Path)),
    request_body = WebhookInput, responses((status = 200, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn update_event_type_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<Response, ApiError> {
    let owner = event_type_owner(&state, &caller, &ids).await?;
    let stored = owned(&state, owner, &ids).await?;
    let updated = update(&state, &stored, input).await?;
    Ok(envelope::ok(EventTypeWebhookOutput::from(&updated)))
}

/// Delete a webhook of one of my event types; its past deliveries stay on record.
#[utoipa::path(delete, path = "/v2/event-types/{eventTypeId}/webhooks/{webhookId}", tag = "Event Types / Webhooks",
    security(("bearer" = [])), params(("eventTypeId" = i64, Path), ("webhookId" = i64, Path)),
    responses((status = 200, body = Envelope<EventTypeWebhookOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn delete_event_type_webhook(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let owner = event_type_owner(&state, &caller, &ids).await?;
    let deleted = webhooks::delete(&state.db, owner, ids.id("webhookId")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook"))?;
    Ok(envelope::ok(EventTypeWebhookOutput::from(&deleted)))
}
