//! Account emails: password reset (our addition) and Cal.com's email verification codes
//! (`/v2/verified-resources/emails/…`), over the services in [`crate::accounts`].

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use crate::accounts::{email_verification, password_reset, verification_limits};
use crate::limits::{ClientAddress, LimitKey, PublicOperation};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_core::EmailAddress;
use convene_store::verified_emails;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
        .routes(routes!(request_verification_code))
        .routes(routes!(verify_email))
        .routes(routes!(list_verified_emails))
        .routes(routes!(get_verified_email))
}

/// `{"status":"success"}` with no data (Cal.com's `RequestEmailVerificationOutput`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOnly {
    pub status: &'static str,
}

fn status_only() -> Response {
    Json(StatusOnly { status: "success" }).into_response()
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PasswordResetInput {
    pub email: Option<String>,
}

/// Ask for a password reset email. Always answers success, whether or not the address has an account, so the
/// endpoint tells nobody which addresses are registered.
#[utoipa::path(post, path = "/v2/auth/password-reset", tag = "Auth", request_body = PasswordResetInput,
    responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn request_password_reset(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(input): ApiJson<PasswordResetInput>,
) -> Result<Response, ApiError> {
    let operation = PublicOperation::PasswordReset;
    state.limits.take(LimitKey::Public { operation, client }).await?;
    let email = EmailAddress::parse("email", input.email.as_deref().unwrap_or_default())?;
    // The page at /auth/forgot-password counts against the same allowance per address.
    state.limits.take(LimitKey::PasswordResetEmail(email.clone())).await?;
    password_reset::request_reset(&state.db, &state.mailer, &email).await?;
    Ok(status_only())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PasswordResetConfirmInput {
    pub token: Option<String>,
    pub password: Option<String>,
}

/// Set a new password with the token from the reset email. The token works once; every web session of the
/// account ends.
#[utoipa::path(post, path = "/v2/auth/password-reset/confirm", tag = "Auth", request_body = PasswordResetConfirmInput,
    responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn confirm_password_reset(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(input): ApiJson<PasswordResetConfirmInput>,
) -> Result<Response, ApiError> {
    let operation = PublicOperation::PasswordReset;
    state.limits.take(LimitKey::Public { operation, client }).await?;
    let token = input.token.unwrap_or_default();
    let password = input.password.unwrap_or_default();
    password_reset::reset_password(&state.db, &token, password).await?;
    Ok(status_only())
}

/// `RequestEmailVerificationInput`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RequestEmailVerificationInput {
    pub email: Option<String>,
}

/// Send a verification code to an address the caller wants to prove they own.
#[utoipa::path(post, path = "/v2/verified-resources/emails/verification-code/request", tag = "Verified resources",
    security(("bearer" = [])), request_body = RequestEmailVerificationInput,
    responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn request_verification_code(
    State(state): State<AppState>,
    caller: ApiUser,
    client: ClientAddress,
    ApiJson(input): ApiJson<RequestEmailVerificationInput>,
) -> Result<Response, ApiError> {
    let email = EmailAddress::parse("email", input.email.as_deref().unwrap_or_default())?;
    verification_limits::email_code(&state.limits, caller.id(), client, &email).await?;
    email_verification::send_code(&state.db, &state.mailer, &caller.user, &email, None).await?;
    Ok(status_only())
}

/// `VerifyEmailInput`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VerifyEmailInput {
    pub email: Option<String>,
    pub code: Option<String>,
}

/// A verified address.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedEmailOutput {
    pub id: i64,
    pub email: String,
    pub user_id: i64,
}

impl From<verified_emails::VerifiedEmail> for VerifiedEmailOutput {
    fn from(v: verified_emails::VerifiedEmail) -> Self {
        Self {
            id: v.id.0,
            email: v.email,
            user_id: v.user_id.0,
        }
    }
}

/// Prove ownership of an address with the code sent to it.
#[utoipa::path(post, path = "/v2/verified-resources/emails/verification-code/verify", tag = "Verified resources",
    security(("bearer" = [])), request_body = VerifyEmailInput,
    responses((status = 200, body = Envelope<VerifiedEmailOutput>)))]
#[tracing::instrument(skip_all)]
async fn verify_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<VerifyEmailInput>,
) -> Result<Response, ApiError> {
    let email = EmailAddress::parse("email", input.email.as_deref().unwrap_or_default())?;
    let code = input.code.as_deref().unwrap_or_default();
    let verified = email_verification::verify(&state.db, &caller.user, &email, code).await?;
    Ok(envelope::ok(VerifiedEmailOutput::from(verified)))
}

/// My verified addresses.
#[utoipa::path(get, path = "/v2/verified-resources/emails", tag = "Verified resources", security(("bearer" = [])),
    params(("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<VerifiedEmailOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_verified_emails(
    State(state): State<AppState>,
    caller: ApiUser,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = verified_emails::list(&state.db, caller.user.id, paging.skip, paging.take).await?;
    Ok(envelope::ok(
        list.into_iter().map(VerifiedEmailOutput::from).collect::<Vec<_>>(),
    ))
}

/// One of my verified addresses.
#[utoipa::path(get, path = "/v2/verified-resources/emails/{id}", tag = "Verified resources", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Envelope<VerifiedEmailOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_verified_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let found = verified_emails::find(&state.db, caller.user.id, ids.id("id")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Verified email"))?;
    Ok(envelope::ok(VerifiedEmailOutput::from(found)))
}
