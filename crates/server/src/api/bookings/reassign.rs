//! `POST /v2/bookings/{bookingUid}/reassign` and `…/reassign/{userId}`: a round-robin booking handed to the next
//! free host or to a chosen one, through `scheduling::reassign`. Who may ask: the booking's organizer, an ADMIN or
//! OWNER of the event type's team (or of its organization), an instance admin; anyone else gets 404, as for the
//! other host actions.

use super::reason;
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::extract::{ApiJson, PathIds};
use crate::scheduling::reassign::{self, NewHost};
use crate::state::AppState;
use crate::tenancy::access::TeamAccess;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_store::bookings::{self, BookingRecord};
use convene_store::users::UserRecord;
use convene_store::{event_types, teams};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reassign_booking))
        .routes(routes!(reassign_booking_to_user))
}

/// `ReassignToUserBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReassignInput {
    pub reason: Option<String>,
}

/// `ReassignedToDto`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReassignedTo {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// `ReassignBookingOutput_2024_08_13`'s data.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReassignOutput {
    pub booking_uid: String,
    pub reassigned_to: ReassignedTo,
}

/// `ReassignBookingOutput_2024_08_13`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReassignEnvelope {
    pub status: &'static str,
    pub data: ReassignOutput,
}

/// Reassign a round-robin booking to the next available host.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/reassign", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    responses((status = 200, body = ReassignEnvelope)))]
#[tracing::instrument(skip_all)]
async fn reassign_booking(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let booking = reassignable(&state, &caller, &ids).await?;
    let (updated, host) = reassign::reassign(&state.db, &state.mailer, &booking, NewHost::Next, None).await?;
    Ok(answer(&updated, &host))
}

/// Reassign a round-robin booking to one of its event type's hosts, who must be free then.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/reassign/{userId}", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("userId" = i64, Path),
        ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = ReassignInput, responses((status = 200, body = ReassignEnvelope)))]
#[tracing::instrument(skip_all)]
async fn reassign_booking_to_user(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<ReassignInput>,
) -> Result<Response, ApiError> {
    let user_id = ids.id("userId")?;
    let reason = reason("reason", input.reason.as_deref())?;
    let booking = reassignable(&state, &caller, &ids).await?;
    let (updated, host) = reassign::reassign(
        &state.db,
        &state.mailer,
        &booking,
        NewHost::Chosen(user_id),
        reason.as_deref(),
    )
    .await?;
    Ok(answer(&updated, &host))
}

fn answer(booking: &BookingRecord, host: &UserRecord) -> Response {
    Json(ReassignEnvelope {
        status: "success",
        data: ReassignOutput {
            booking_uid: booking.uid.clone(),
            reassigned_to: ReassignedTo {
                id: host.id.0,
                name: host.name.clone().unwrap_or_else(|| host.username.clone()),
                email: host.email.clone(),
            },
        },
    })
    .into_response()
}

/// The booking, if the caller may hand it on: its organizer, an instance admin, or a manager of its team.
async fn reassignable(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<BookingRecord, ApiError> {
    let booking = bookings::find_by_uid(&state.db, ids.text("bookingUid"))
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    if booking.host_id == caller.user.id || caller.is_instance_admin() {
        return Ok(booking);
    }
    let event = match booking.event_type_id {
        Some(id) => event_types::find(&state.db, id).await?,
        None => None,
    };
    let Some(team_id) = event.and_then(|e| e.team_id) else {
        return Err(ApiError::not_found("Booking"));
    };
    let org = teams::find(&state.db, team_id).await?.and_then(|t| t.parent_id);
    let manages = TeamAccess::load(&state.db, &caller.user, org, team_id)
        .await
        .is_ok_and(|access| access.require_manager().is_ok());
    if manages {
        Ok(booking)
    } else {
        Err(ApiError::not_found("Booking"))
    }
}
