//! Cal.com's verified resources beyond a user's own emails ([`super::account_emails`]): a user's phone numbers,
//! and a team's emails and phone numbers under `/v2/teams/{teamId}/…` and `/v2/organizations/{orgId}/teams/
//! {teamId}/…`. Phone codes go out by SMS through the instance's Twilio account, team email codes through the
//! platform transport. Team resources are for the team's ADMINs and OWNERs (and its organization's), as Cal.com
//! guards them with `TEAM_ADMIN`; other members get 403, strangers the team's "not found" or 403 as on every team
//! route.

use super::ApiError;
use super::account_emails::{RequestEmailVerificationInput, StatusOnly, VerifyEmailInput};
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use crate::accounts::{email_verification, phone_verification, verification_limits};
use crate::limits::ClientAddress;
use crate::state::AppState;
use crate::tenancy::access::TeamAccess;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_core::{EmailAddress, TeamId};
use convene_store::team_verified_emails::{self, TeamVerifiedEmail};
use convene_store::verified_phones::{self, VerifiedPhone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_phone_code))
        .routes(routes!(verify_phone))
        .routes(routes!(list_phones))
        .routes(routes!(get_phone))
        .routes(routes!(team_request_email_code))
        .routes(routes!(team_request_phone_code))
        .routes(routes!(team_verify_email))
        .routes(routes!(team_verify_phone))
        .routes(routes!(team_list_emails))
        .routes(routes!(team_list_phones))
        .routes(routes!(team_get_email))
        .routes(routes!(team_get_phone))
        .routes(routes!(org_team_request_email_code))
        .routes(routes!(org_team_request_phone_code))
        .routes(routes!(org_team_verify_email))
        .routes(routes!(org_team_verify_phone))
        .routes(routes!(org_team_list_emails))
        .routes(routes!(org_team_list_phones))
        .routes(routes!(org_team_get_email))
        .routes(routes!(org_team_get_phone))
}

/// `RequestPhoneVerificationInput`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RequestPhoneVerificationInput {
    pub phone: Option<String>,
}

/// `VerifyPhoneInput`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VerifyPhoneInput {
    pub phone: Option<String>,
    pub code: Option<String>,
}

/// A user's verified number (`UserVerifiedPhoneOutputData`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserVerifiedPhoneOutput {
    pub id: i64,
    pub phone_number: String,
    pub user_id: i64,
}

/// A team's verified number (`TeamVerifiedPhoneOutputData`); `userId` is who verified it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamVerifiedPhoneOutput {
    pub id: i64,
    pub phone_number: String,
    pub user_id: Option<i64>,
    pub team_id: i64,
}

/// A team's verified address (`TeamVerifiedEmailOutputData`); `userId` is who verified it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamVerifiedEmailOutput {
    pub id: i64,
    pub email: String,
    pub user_id: Option<i64>,
    pub team_id: i64,
}

fn user_phone(v: VerifiedPhone, user_id: i64) -> UserVerifiedPhoneOutput {
    UserVerifiedPhoneOutput {
        id: v.id.0,
        phone_number: v.phone_number,
        user_id: v.user_id.map_or(user_id, |id| id.0),
    }
}

fn team_phone(v: VerifiedPhone, team_id: i64) -> TeamVerifiedPhoneOutput {
    TeamVerifiedPhoneOutput {
        id: v.id.0,
        phone_number: v.phone_number,
        user_id: v.user_id.map(|id| id.0),
        team_id: v.team_id.unwrap_or(TeamId(team_id)).0,
    }
}

impl From<TeamVerifiedEmail> for TeamVerifiedEmailOutput {
    fn from(v: TeamVerifiedEmail) -> Self {
        Self {
            id: v.id.0,
            email: v.email,
            user_id: v.user_id.map(|id| id.0),
            team_id: v.team_id.0,
        }
    }
}

fn status_only() -> Response {
    Json(StatusOnly { status: "success" }).into_response()
}

/// Texts a code to `raw` for the caller, or for the team when `team_id` is given.
async fn send_phone_code(
    state: &AppState,
    caller: &ApiUser,
    client: ClientAddress,
    raw: Option<&str>,
    team_id: Option<i64>,
) -> Result<Response, ApiError> {
    let phone = phone_verification::parse_phone(raw.unwrap_or_default())?;
    verification_limits::phone_code(&state.limits, caller.id(), client, &phone).await?;
    phone_verification::send_code(&state.db, &state.mailer, &caller.user, &phone, team_id).await?;
    Ok(status_only())
}

// ---- a user's phones ----

/// Send a verification code by SMS to a number the caller wants to prove they own.
#[utoipa::path(post, path = "/v2/verified-resources/phones/verification-code/request", tag = "Verified resources",
    security(("bearer" = [])), request_body = RequestPhoneVerificationInput,
    responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn request_phone_code(
    State(state): State<AppState>,
    caller: ApiUser,
    client: ClientAddress,
    ApiJson(input): ApiJson<RequestPhoneVerificationInput>,
) -> Result<Response, ApiError> {
    send_phone_code(&state, &caller, client, input.phone.as_deref(), None).await
}

/// Prove ownership of a number with the code texted to it.
#[utoipa::path(post, path = "/v2/verified-resources/phones/verification-code/verify", tag = "Verified resources",
    security(("bearer" = [])), request_body = VerifyPhoneInput,
    responses((status = 200, body = Envelope<UserVerifiedPhoneOutput>)))]
#[tracing::instrument(skip_all)]
async fn verify_phone(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<VerifyPhoneInput>,
) -> Result<Response, ApiError> {
    let phone = input.phone.as_deref().unwrap_or_default();
    let code = input.code.as_deref().unwrap_or_default();
    let verified = phone_verification::verify(&state.db, &caller.user, phone, code, None).await?;
    Ok(envelope::ok(user_phone(verified, caller.user.id.0)))
}

/// My verified phone numbers.
#[utoipa::path(get, path = "/v2/verified-resources/phones", tag = "Verified resources", security(("bearer" = [])),
    params(("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<UserVerifiedPhoneOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_phones(State(state): State<AppState>, caller: ApiUser, q: QueryPairs) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 250, 1000)?;
    let me = caller.user.id;
    let list = verified_phones::list_for_user(&state.db, me, paging.skip, paging.take).await?;
    Ok(envelope::ok(
        list.into_iter().map(|v| user_phone(v, me.0)).collect::<Vec<_>>(),
    ))
}

/// One of my verified phone numbers.
#[utoipa::path(get, path = "/v2/verified-resources/phones/{id}", tag = "Verified resources", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Envelope<UserVerifiedPhoneOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_phone(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let me = caller.user.id;
    let found = verified_phones::find_for_user(&state.db, me, ids.id("id")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Verified phone"))?;
    Ok(envelope::ok(user_phone(found, me.0)))
}

// ---- a team's, shared by both paths ----

/// The team named by the path (inside the organization when `in_org`), once the caller may manage it.
async fn managed_team(state: &AppState, caller: &ApiUser, ids: &PathIds, in_org: bool) -> Result<i64, ApiError> {
    let org_id = if in_org { Some(ids.id("orgId")?) } else { None };
    let access = TeamAccess::load(&state.db, &caller.user, org_id, ids.id("teamId")?).await?;
    access.require_manager()?;
    Ok(access.team.id.0)
}

async fn team_request_email(
    state: AppState,
    caller: ApiUser,
    client: ClientAddress,
    ids: PathIds,
    input: RequestEmailVerificationInput,
    in_org: bool,
) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    let email = EmailAddress::parse("email", input.email.as_deref().unwrap_or_default())?;
    verification_limits::email_code(&state.limits, caller.id(), client, &email).await?;
    email_verification::send_code(&state.db, &state.mailer, &caller.user, &email, Some(team_id)).await?;
    Ok(status_only())
}

async fn team_request_phone(
    state: AppState,
    caller: ApiUser,
    client: ClientAddress,
    ids: PathIds,
    input: RequestPhoneVerificationInput,
    in_org: bool,
) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    send_phone_code(&state, &caller, client, input.phone.as_deref(), Some(team_id)).await
}

async fn team_verify_email_in(
    state: AppState,
    caller: ApiUser,
    ids: PathIds,
    input: VerifyEmailInput,
    in_org: bool,
) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    let email = EmailAddress::parse("email", input.email.as_deref().unwrap_or_default())?;
    let code = input.code.as_deref().unwrap_or_default();
    let verified = email_verification::verify_for_team(&state.db, &caller.user, team_id, &email, code).await?;
    Ok(envelope::ok(TeamVerifiedEmailOutput::from(verified)))
}

async fn team_verify_phone_in(
    state: AppState,
    caller: ApiUser,
    ids: PathIds,
    input: VerifyPhoneInput,
    in_org: bool,
) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    let phone = input.phone.as_deref().unwrap_or_default();
    let code = input.code.as_deref().unwrap_or_default();
    let verified = phone_verification::verify(&state.db, &caller.user, phone, code, Some(team_id)).await?;
    Ok(envelope::ok(team_phone(verified, team_id)))
}

async fn team_emails(
    state: AppState,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
    in_org: bool,
) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = team_verified_emails::list(&state.db, TeamId(team_id), paging.skip, paging.take).await?;
    Ok(envelope::ok(
        list.into_iter().map(TeamVerifiedEmailOutput::from).collect::<Vec<_>>(),
    ))
}

async fn team_phones(
    state: AppState,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
    in_org: bool,
) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = verified_phones::list_for_team(&state.db, TeamId(team_id), paging.skip, paging.take).await?;
    Ok(envelope::ok(
        list.into_iter().map(|v| team_phone(v, team_id)).collect::<Vec<_>>(),
    ))
}

async fn team_email(state: AppState, caller: ApiUser, ids: PathIds, in_org: bool) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    let found = team_verified_emails::find(&state.db, TeamId(team_id), ids.id("id")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Verified email"))?;
    Ok(envelope::ok(TeamVerifiedEmailOutput::from(found)))
}

async fn team_phone_one(state: AppState, caller: ApiUser, ids: PathIds, in_org: bool) -> Result<Response, ApiError> {
    let team_id = managed_team(&state, &caller, &ids, in_org).await?;
    let found = verified_phones::find_for_team(&state.db, TeamId(team_id), ids.id("id")?)
        .await?
        .ok_or_else(|| ApiError::not_found("Verified phone"))?;
    Ok(envelope::ok(team_phone(found, team_id)))
}

// ---- /v2/teams/{teamId}/verified-resources ----

/// Send a verification code to an address the team wants to use (its ADMINs and OWNERs).
#[utoipa::path(post, path = "/v2/teams/{teamId}/verified-resources/emails/verification-code/request",
    tag = "Teams / Verified resources", security(("bearer" = [])), params(("teamId" = i64, Path)),
    request_body = RequestEmailVerificationInput, responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn team_request_email_code(
    State(state): State<AppState>,
    caller: ApiUser,
    client: ClientAddress,
    ids: PathIds,
    ApiJson(input): ApiJson<RequestEmailVerificationInput>,
) -> Result<Response, ApiError> {
    team_request_email(state, caller, client, ids, input, false).await
}

/// Send a verification code by SMS to a number the team wants to use (its ADMINs and OWNERs).
#[utoipa::path(post, path = "/v2/teams/{teamId}/verified-resources/phones/verification-code/request",
    tag = "Teams / Verified resources", security(("bearer" = [])), params(("teamId" = i64, Path)),
    request_body = RequestPhoneVerificationInput, responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn team_request_phone_code(
    State(state): State<AppState>,
    caller: ApiUser,
    client: ClientAddress,
    ids: PathIds,
    ApiJson(input): ApiJson<RequestPhoneVerificationInput>,
) -> Result<Response, ApiError> {
    team_request_phone(state, caller, client, ids, input, false).await
}

/// Verify an address for the team with the code the caller asked for.
#[utoipa::path(post, path = "/v2/teams/{teamId}/verified-resources/emails/verification-code/verify",
    tag = "Teams / Verified resources", security(("bearer" = [])), params(("teamId" = i64, Path)),
    request_body = VerifyEmailInput, responses((status = 200, body = Envelope<TeamVerifiedEmailOutput>)))]
#[tracing::instrument(skip_all)]
async fn team_verify_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<VerifyEmailInput>,
) -> Result<Response, ApiError> {
    team_verify_email_in(state, caller, ids, input, false).await
}

/// Verify a number for the team with the code the caller asked for.
#[utoipa::path(post, path = "/v2/teams/{teamId}/verified-resources/phones/verification-code/verify",
    tag = "Teams / Verified resources", security(("bearer" = [])), params(("teamId" = i64, Path)),
    request_body = VerifyPhoneInput, responses((status = 200, body = Envelope<TeamVerifiedPhoneOutput>)))]
#[tracing::instrument(skip_all)]
async fn team_verify_phone(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<VerifyPhoneInput>,
) -> Result<Response, ApiError> {
    team_verify_phone_in(state, caller, ids, input, false).await
}

/// The team's verified addresses.
#[utoipa::path(get, path = "/v2/teams/{teamId}/verified-resources/emails", tag = "Teams / Verified resources",
    security(("bearer" = [])),
    params(("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamVerifiedEmailOutput>>)))]
#[tracing::instrument(skip_all)]
async fn team_list_emails(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    team_emails(state, caller, ids, q, false).await
}

/// The team's verified phone numbers.
#[utoipa::path(get, path = "/v2/teams/{teamId}/verified-resources/phones", tag = "Teams / Verified resources",
    security(("bearer" = [])),
    params(("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamVerifiedPhoneOutput>>)))]
#[tracing::instrument(skip_all)]
async fn team_list_phones(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    team_phones(state, caller, ids, q, false).await
}

/// One of the team's verified addresses.
#[utoipa::path(get, path = "/v2/teams/{teamId}/verified-resources/emails/{id}", tag = "Teams / Verified resources",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<TeamVerifiedEmailOutput>)))]
#[tracing::instrument(skip_all)]
async fn team_get_email(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    team_email(state, caller, ids, false).await
}

/// One of the team's verified phone numbers.
#[utoipa::path(get, path = "/v2/teams/{teamId}/verified-resources/phones/{id}", tag = "Teams / Verified resources",
    security(("bearer" = [])), params(("teamId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<TeamVerifiedPhoneOutput>)))]
#[tracing::instrument(skip_all)]
async fn team_get_phone(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    team_phone_one(state, caller, ids, false).await
}

// ---- /v2/organizations/{orgId}/teams/{teamId}/verified-resources ----

/// Send a verification code to an address the organization's team wants to use (its ADMINs and OWNERs, or the
/// organization's).
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/emails/verification-code/request",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)),
    request_body = RequestEmailVerificationInput, responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn org_team_request_email_code(
    State(state): State<AppState>,
    caller: ApiUser,
    client: ClientAddress,
    ids: PathIds,
    ApiJson(input): ApiJson<RequestEmailVerificationInput>,
) -> Result<Response, ApiError> {
    team_request_email(state, caller, client, ids, input, true).await
}

/// Send a verification code by SMS to a number the organization's team wants to use.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/phones/verification-code/request",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)),
    request_body = RequestPhoneVerificationInput, responses((status = 200, body = StatusOnly)))]
#[tracing::instrument(skip_all)]
async fn org_team_request_phone_code(
    State(state): State<AppState>,
    caller: ApiUser,
    client: ClientAddress,
    ids: PathIds,
    ApiJson(input): ApiJson<RequestPhoneVerificationInput>,
) -> Result<Response, ApiError> {
    team_request_phone(state, caller, client, ids, input, true).await
}

/// Verify an address for the organization's team.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/emails/verification-code/verify",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)),
    request_body = VerifyEmailInput, responses((status = 200, body = Envelope<TeamVerifiedEmailOutput>)))]
#[tracing::instrument(skip_all)]
async fn org_team_verify_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<VerifyEmailInput>,
) -> Result<Response, ApiError> {
    team_verify_email_in(state, caller, ids, input, true).await
}

/// Verify a number for the organization's team.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/phones/verification-code/verify",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)),
    request_body = VerifyPhoneInput, responses((status = 200, body = Envelope<TeamVerifiedPhoneOutput>)))]
#[tracing::instrument(skip_all)]
async fn org_team_verify_phone(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<VerifyPhoneInput>,
) -> Result<Response, ApiError> {
    team_verify_phone_in(state, caller, ids, input, true).await
}

/// The organization's team's verified addresses.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/emails",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamVerifiedEmailOutput>>)))]
#[tracing::instrument(skip_all)]
async fn org_team_list_emails(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    team_emails(state, caller, ids, q, true).await
}

/// The organization's team's verified phone numbers.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/phones",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamVerifiedPhoneOutput>>)))]
#[tracing::instrument(skip_all)]
async fn org_team_list_phones(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    team_phones(state, caller, ids, q, true).await
}

/// One of the organization's team's verified addresses.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/emails/{id}",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<TeamVerifiedEmailOutput>)))]
#[tracing::instrument(skip_all)]
async fn org_team_get_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    team_email(state, caller, ids, true).await
}

/// One of the organization's team's verified phone numbers.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/verified-resources/phones/{id}",
    tag = "Orgs / Teams / Verified resources", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<TeamVerifiedPhoneOutput>)))]
#[tracing::instrument(skip_all)]
async fn org_team_get_phone(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    team_phone_one(state, caller, ids, true).await
}
