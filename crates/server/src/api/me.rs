//! `GET/PATCH /v2/me`: the caller's own profile; `POST /v2/me/email/confirm` (ours) confirms a new address.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::MeOutput;
use super::envelope::{self, Envelope};
use super::extract::ApiJson;
use super::profile_input::ProfileInput;
use crate::accounts::email_change::{self, ChangeRequested, Confirmation};
use crate::accounts::verification_limits;
use crate::limits::ClientAddress;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use convene_core::{EmailAddress, ScheduleId};
use convene_store::schedules::{self, ScheduleFields};
use convene_store::users;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me))
        .routes(routes!(confirm_email))
}

/// Get my profile.
#[utoipa::path(get, path = "/v2/me", tag = "Me", security(("bearer" = [])),
    responses((status = 200, body = Envelope<MeOutput>)))]
#[tracing::instrument(skip_all, fields(user = caller.user.id.0))]
async fn get_me(State(state): State<AppState>, caller: ApiUser) -> Result<Response, ApiError> {
    let default_schedule = schedules::find_default(&state.db, caller.id()).await?;
    let pending = email_change::pending_email(&state.db, caller.user.id.0).await?;
    Ok(envelope::ok(MeOutput::new(
        &caller.user,
        default_schedule.map(|s| s.id).map(|id| id.0),
        pending,
    )))
}

/// Update my profile. A new `email` does not take effect yet: a code and a link go to it, and the answer shows the
/// current address with `emailChangeWaitingForVerification` until `POST /v2/me/email/confirm` (or the link)
/// confirms it. An address already proved through the verified-resources codes switches at once.
#[utoipa::path(patch, path = "/v2/me", tag = "Me", security(("bearer" = [])), request_body = ProfileInput,
    responses((status = 200, body = Envelope<MeOutput>)))]
#[tracing::instrument(skip_all, fields(user = caller.user.id.0))]
async fn update_me(
    State(state): State<AppState>,
    caller: ApiUser,
    client: ClientAddress,
    ApiJson(input): ApiJson<ProfileInput>,
) -> Result<Response, ApiError> {
    if input.username.is_some() {
        return Err(ApiError::field(
            "username",
            "can't be changed here; ask an organization admin",
        ));
    }
    let default_schedule_id = input.default_schedule_id;
    let mut patch = input.into_patch()?;
    // Everything that can refuse the request is checked before a confirmation email goes out.
    let new_default = match default_schedule_id {
        Some(id) => Some(
            schedules::find(&state.db, caller.id(), ScheduleId(id))
                .await?
                .ok_or_else(|| ApiError::field("defaultScheduleId", format!("schedule {id} not found")))?,
        ),
        None => None,
    };
    // The address changes only through the confirmation; everything else in the patch applies now.
    if let Some(raw) = patch.email.take() {
        let new_email = EmailAddress::parse("email", &raw)?;
        if new_email.as_str() != caller.user.email {
            verification_limits::email_code(&state.limits, caller.id(), client, &new_email).await?;
        }
        let requested = email_change::request_email_change(&state.db, &state.mailer, &caller.user, &new_email).await?;
        if let ChangeRequested::Changed(user) = &requested {
            tracing::info!(user = user.id.0, "email changed to an address the user had verified");
        }
    }
    let mut tx = state.db.begin().await?;
    if let Some(schedule) = new_default {
        let fields = ScheduleFields {
            name: schedule.name,
            time_zone: schedule.time_zone,
            availability: schedule.availability,
            overrides: schedule.overrides,
        };
        schedules::update(&mut tx, caller.id(), schedule.id, &fields, true).await?;
    }
    let user = users::update(&mut tx, caller.id(), &patch)
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    let default_schedule = schedules::find_default(&mut tx, caller.id()).await?;
    tx.commit().await?;
    let pending = email_change::pending_email(&state.db, caller.user.id.0).await?;
    Ok(envelope::ok(MeOutput::new(
        &user,
        default_schedule.map(|s| s.id).map(|id| id.0),
        pending,
    )))
}

/// `{"code"}`: the code from the email sent to the new address.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConfirmEmailInput {
    pub code: Option<String>,
}

/// Confirm my new email address (our addition) with the code mailed to it by `PATCH /v2/me`. The address becomes
/// the account's, verified, and the previous address is told. The email's link does the same in a browser.
#[utoipa::path(post, path = "/v2/me/email/confirm", tag = "Me", security(("bearer" = [])),
    request_body = ConfirmEmailInput, responses((status = 200, body = Envelope<MeOutput>)))]
#[tracing::instrument(skip_all, fields(user = caller.user.id.0))]
async fn confirm_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<ConfirmEmailInput>,
) -> Result<Response, ApiError> {
    let code = input.code.as_deref().unwrap_or_default();
    let user = email_change::confirm_email_change(
        &state.db,
        &state.mailer,
        Confirmation::Code {
            user: &caller.user,
            code,
        },
    )
    .await?;
    let default_schedule = schedules::find_default(&state.db, caller.id()).await?;
    Ok(envelope::ok(MeOutput::new(
        &user,
        default_schedule.map(|s| s.id).map(|id| id.0),
        None,
    )))
}
