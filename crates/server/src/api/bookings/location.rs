//! `PATCH /v2/bookings/{bookingUid}/location` (`cal-api-version: 2024-08-13`): the host moves a booking to
//! another place. As on Cal.com, only the booking changes: no email goes out and the calendar invite
//! already sent keeps the old place.

use super::hosted;
use super::output::{BookingOutput, output};
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds};
use crate::scheduling::booking::location_text;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use convene_core::HeaderText;
use convene_store::{bookings, event_types};
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

/// The place a location object names by itself, for a booking whose event type is gone.
fn own_value(location: &Value) -> Result<String, ApiError> {
    let value = ["address", "link", "phone", "location"]
        .iter()
        .find_map(|k| location.get(*k).and_then(Value::as_str))
        .ok_or_else(|| {
            ApiError::field(
                "location",
                "the booking's event type no longer exists: give the place itself (address, link or phone)",
            )
        })?;
    Ok(HeaderText::parse("location", value)?.as_str().to_owned())
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
    let location = input
        .location
        .filter(|l| !l.is_null())
        .ok_or_else(|| ApiError::field("location", "is required"))?;
    if !location.is_object() {
        return Err(ApiError::field(
            "location",
            "must be a location object, e.g. {\"type\": \"link\", \"link\": …}",
        ));
    }
    if !matches!(booking.status.as_str(), "accepted" | "pending") {
        return Err(ApiError::BadRequest(format!(
            "The location of a {} booking can't be changed",
            booking.status
        )));
    }
    let event = match booking.event_type_id {
        Some(id) => event_types::find(&state.db, id).await?,
        None => None,
    };
    let text = match &event {
        Some(event) => location_text(event, Some(&location))?,
        None => Some(own_value(&location)?),
    };
    if !bookings::set_location(&state.db, booking.id, text.as_deref()).await? {
        return Err(ApiError::not_found("Booking"));
    }
    let updated = bookings::find_by_uid(&state.db, &booking.uid)
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}
