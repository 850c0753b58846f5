//! An organization's email senders (our addition, in Cal.com's conventions):
//! `/v2/organizations/{orgId}/smtp-configurations`. The API face of [`crate::email::sender_admin`]: OWNER or
//! ADMIN only, and only with the `custom-smtp` feature; secrets are write-only.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, PathIds};
use crate::email::probe::TestResult;
use crate::email::sender_admin::{self as service, SenderInput, SenderOrg, SenderOutput};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_senders, create_sender))
        .routes(routes!(get_sender, update_sender, delete_sender))
        .routes(routes!(test_unsaved))
        .routes(routes!(test_saved))
        .routes(routes!(send_test_email))
}

/// The organization in the path, if the caller may manage its senders.
async fn api_access(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<SenderOrg, ApiError> {
    Ok(SenderOrg::for_admin(&state.mailer, &caller.user, ids.id("orgId")?).await?)
}

/// Add a sender. The organization's first sender becomes its default.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path)), request_body = SenderInput,
    responses((status = 201, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_sender(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::created(service::create(&state.mailer, &org, input).await?))
}

/// The organization's senders, default first.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/smtp-configurations", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path)),
    responses((status = 200, body = Envelope<Vec<SenderOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_senders(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(service::list(&state.mailer, &org).await?))
}

#[utoipa::path(get, path = "/v2/organizations/{orgId}/smtp-configurations/{id}", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_sender(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(service::get(&state.mailer, &org, ids.id("id")?).await?))
}

/// Change any subset of fields; secrets stay unless given.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/smtp-configurations/{id}", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)), request_body = SenderInput,
    responses((status = 200, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_sender(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(
        service::update(&state.mailer, &org, ids.id("id")?, input).await?,
    ))
}

/// Remove a sender: its emails go back to the platform default at once (another sender becomes the default).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/smtp-configurations/{id}", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_sender(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(service::delete(&state.mailer, &org, ids.id("id")?).await?))
}

/// Test settings before saving them: DNS, connect, TLS, greeting, EHLO and AUTH — no email sent.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations/test-connection",
    tag = "Orgs / SMTP configurations", security(("bearer" = [])), params(("orgId" = i64, Path)),
    request_body = SenderInput, responses((status = 200, body = Envelope<TestResult>)))]
#[tracing::instrument(skip_all)]
async fn test_unsaved(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(
        service::test_unsaved_settings(&state.mailer, &org, input).await?,
    ))
}

/// Test a saved sender: DNS, connect, TLS, greeting, EHLO and AUTH — no email sent.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations/{id}/test-connection",
    tag = "Orgs / SMTP configurations", security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<TestResult>)))]
#[tracing::instrument(skip_all)]
async fn test_saved(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(
        service::test_saved_sender(&state.mailer, &org, ids.id("id")?).await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestEmailInput {
    pub to_email: Option<String>,
}

/// Send a test message through exactly this sender (no fallback) and report the server's reply.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations/{id}/test-email",
    tag = "Orgs / SMTP configurations", security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    request_body = TestEmailInput, responses((status = 200, body = Envelope<TestResult>)))]
#[tracing::instrument(skip_all)]
async fn send_test_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<TestEmailInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    let to = service::test_recipient(input.to_email.as_deref())?;
    Ok(envelope::ok(
        service::send_test(&state.mailer, &org, ids.id("id")?, &to).await?,
    ))
}
