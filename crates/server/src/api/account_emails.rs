//! Account emails: password reset (our addition) and Cal.com's email verification codes
//! (`/v2/verified-resources/emails/…`). Both always go through the platform's transport, and only hashes of
//! the codes are stored.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use crate::AppState;
use crate::credentials::{hash_api_key, hash_password_async, random_token};
use crate::email::compose;
use crate::email::queue::account_email;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_core::EmailAddress;
use convene_core::email::EmailKind;
use convene_store::{now_ms, one_time_codes, sessions, users, verified_emails};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

const RESET_MINUTES: i64 = 60;
const CODE_MINUTES: i64 = 10;
/// Wrong guesses allowed per verification code before it stops working.
const CODE_GUESSES: i64 = 5;

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
    ApiJson(input): ApiJson<PasswordResetInput>,
) -> Result<Response, ApiError> {
    let email = EmailAddress::parse("email", input.email.as_deref().unwrap_or_default())?;
    if state
        .login_limiter
        .check_key(&format!("reset:{}", email.as_str()))
        .is_err()
    {
        return Err(ApiError::RateLimited { retry_after_secs: 60 });
    }
    request_reset(&state, &email).await?;
    Ok(status_only())
}

/// Queues a password reset email for `email` when an account has that address, and does nothing otherwise;
/// callers answer the same either way. Rate limiting is the caller's job (the API and the web page share the
/// `reset:{address}` key of the login limiter).
pub async fn request_reset(state: &AppState, email: &EmailAddress) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    if let Some(user) = users::find_by_email(&mut tx, email.as_str()).await? {
        let token = random_token();
        let now = now_ms();
        one_time_codes::issue(
            &mut tx,
            "password_reset",
            user.id,
            &user.email,
            &hash_api_key(&token),
            now + RESET_MINUTES * 60_000,
            now,
        )
        .await?;
        let link = format!("{}/auth/reset-password?token={token}", state.mailer.settings.public_url);
        let rendered = compose::password_reset(&token, &link, RESET_MINUTES, &user.locale)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering a password reset email")))?;
        account_email(
            &mut tx,
            &state.mailer,
            EmailKind::PasswordReset,
            user.id,
            &user.email,
            user.name.as_deref(),
            rendered,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
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
    ApiJson(input): ApiJson<PasswordResetConfirmInput>,
) -> Result<Response, ApiError> {
    let token = input.token.unwrap_or_default();
    let password = input.password.unwrap_or_default();
    reset_password(&state, &token, password).await?;
    Ok(status_only())
}

/// Sets a new password with a reset token: the token works once and every web session of the account ends.
/// Errors name `token` or `password` (the web page shows them the same way).
pub async fn reset_password(state: &AppState, token: &str, password: String) -> Result<(), ApiError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::field("token", "is required"));
    }
    if password.chars().count() < 8 {
        return Err(ApiError::field("password", "must be at least 8 characters"));
    }
    if password.chars().count() > 256 {
        return Err(ApiError::field("password", "must be at most 256 characters"));
    }
    let invalid = || ApiError::field("token", "is invalid or has expired; ask for a new reset email");
    let code = one_time_codes::find_live(&state.db, "password_reset", &hash_api_key(token), now_ms())
        .await?
        .ok_or_else(invalid)?;
    let hash = hash_password_async(password)
        .await
        .map_err(|e| ApiError::Internal(e.context("hashing a password")))?;
    let mut tx = state.db.begin().await?;
    if !one_time_codes::consume(&mut tx, code.id, now_ms()).await? {
        return Err(invalid());
    }
    let patch = users::UserPatch {
        password_hash: Some(hash),
        ..users::UserPatch::default()
    };
    users::update(&mut tx, convene_core::UserId(code.user_id), &patch).await?;
    sessions::delete_for_user(&mut tx, code.user_id).await?;
    tx.commit().await?;
    Ok(())
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
    ApiJson(input): ApiJson<RequestEmailVerificationInput>,
) -> Result<Response, ApiError> {
    let email = EmailAddress::parse("email", input.email.as_deref().unwrap_or_default())?;
    if state
        .login_limiter
        .check_key(&format!("verify:{}:{}", caller.user.id, email.as_str()))
        .is_err()
    {
        return Err(ApiError::RateLimited { retry_after_secs: 60 });
    }
    let code = verification_code();
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    one_time_codes::issue(
        &mut tx,
        "email_verification",
        caller.user.id,
        email.as_str(),
        &code_hash(caller.user.id, email.as_str(), &code),
        now + CODE_MINUTES * 60_000,
        now,
    )
    .await?;
    let rendered = compose::verification_code(&code, CODE_MINUTES, &caller.user.locale)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering a verification email")))?;
    account_email(
        &mut tx,
        &state.mailer,
        EmailKind::EmailVerificationCode,
        caller.user.id,
        email.as_str(),
        None,
        rendered,
    )
    .await?;
    tx.commit().await?;
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
            id: v.id,
            email: v.email,
            user_id: v.user_id,
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
    let code = input.code.as_deref().map(str::trim).unwrap_or_default().to_uppercase();
    if code.is_empty() {
        return Err(ApiError::field("code", "is required"));
    }
    let wrong = || ApiError::field("code", "is wrong or has expired; request a new one");
    let now = now_ms();
    let live = one_time_codes::latest_live(&state.db, "email_verification", caller.user.id, email.as_str(), now)
        .await?
        .ok_or_else(wrong)?;
    if live.attempts >= CODE_GUESSES {
        return Err(wrong());
    }
    let matches = one_time_codes::find_live(
        &state.db,
        "email_verification",
        &code_hash(caller.user.id, email.as_str(), &code),
        now,
    )
    .await?
    .is_some_and(|found| found.id == live.id);
    if !matches {
        one_time_codes::count_attempt(&state.db, live.id).await?;
        return Err(wrong());
    }
    let mut tx = state.db.begin().await?;
    if !one_time_codes::consume(&mut tx, live.id, now).await? {
        return Err(wrong());
    }
    let verified = verified_emails::add(&mut tx, caller.user.id, email.as_str(), now).await?;
    tx.commit().await?;
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

/// Six characters from an alphabet without look-alikes (no 0/O, 1/I/L), like Cal.com's `1ABG2C`.
fn verification_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Codes are short, so the hash binds them to the user and address: equal codes of two users never collide.
fn code_hash(user_id: i64, email: &str, code: &str) -> String {
    hash_api_key(&format!("{user_id}:{email}:{code}"))
}
