//! `PATCH /v2/bookings/{bookingUid}/location` (`cal-api-version: 2024-08-13`): the host moves a booking to
//! another place. As on Cal.com, only the booking changes: no email goes out and the calendar invite
//! already sent keeps the old place.

use super::hosted;
use super::output::{BookingOutput, output};
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds};
use crate::scheduling::follow_up;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `UpdateBookingLocationInput_2024_08_13`: one of the event type's kinds, with its value (`address`,
/// `link`, `phone` or, for an attendee-defined place, `location`) or without it for the event type's own.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateLocationInput {
    #[schema(value_type = Option<Object>)]
    pub location: Option<Value>,
}

/// Update a booking's location (its host).
#[utoipa::path(patch, path = "/v2/bookings/{bookingUid}/location", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = String, Header, description = "2024-08-13")),
    request_body = UpdateLocationInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn update_location(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<UpdateLocationInput>,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let updated = follow_up::change_location(&state.db, &booking, input.location).await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}
