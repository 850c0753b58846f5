//! `/v2/bookings` (`cal-api-version: 2024-08-13`): create (public), list, read, cancel, reschedule,
//! confirm and decline, and the follow-up actions. Requests with another version or none get the legacy
//! `2024-04-15` shapes of [`super::legacy::bookings`] for create, list, get, cancel and marking no-shows (the
//! operations of Cal.com's legacy controller), and the legacy booking from confirm, decline and reschedule;
//! the other follow-ups answer these shapes; adding guests exists in 2024-08-13 only.

mod actions;
mod attendees;
mod create;
mod list;
mod location;
mod org;
pub(in crate::api) mod output;
mod reassign;
mod seated;
mod status;

/// The version whose shapes this module speaks; others get the legacy ones where Cal.com's legacy
/// controller has the operation (create, list, get, cancel).
const CURRENT: &str = "2024-08-13";

/// Updating the location and the attendees operations exist in the current version only.
const LOCATION_VERSION: VersionRule = VersionRule::Required {
    version: CURRENT,
    missing: axum::http::StatusCode::NOT_FOUND,
};

use super::ApiError;
use super::auth::ApiUser;
use super::extract::PathIds;
use super::version::{VersionRule, enforce};
use crate::state::AppState;
use convene_store::Db;
use convene_store::bookings::{self, BookingRecord};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create::create_booking, list::list_bookings))
        .routes(routes!(list::get_booking))
        .routes(routes!(status::cancel_booking))
        .routes(routes!(create::reschedule_booking))
        .routes(routes!(status::confirm_booking))
        .routes(routes!(status::decline_booking))
        .routes(routes!(org::list_org_bookings))
        .routes(routes!(org::list_org_user_bookings))
        .routes(routes!(org::list_team_bookings))
        .merge(actions::router())
        .merge(reassign::router())
        .merge(
            // Cal.com documents a 404 for these endpoints without their version header.
            OpenApiRouter::new()
                .routes(routes!(location::update_location))
                .routes(routes!(attendees::list_attendees, attendees::add_attendee))
                .routes(routes!(attendees::get_attendee))
                .route_layer(axum::middleware::from_fn(|r, n| enforce(LOCATION_VERSION, r, n))),
        )
}

/// May `caller` see and act on `booking`? Its organizer and co-hosts, instance admins, and attendees by email —
/// only by the caller's verified address, so an address typed into a profile grants nothing.
async fn involved(db: &Db, caller: &ApiUser, booking: &BookingRecord) -> Result<bool, ApiError> {
    if booking.host_id == caller.user.id || caller.is_instance_admin() {
        return Ok(true);
    }
    if bookings::co_hosts(db, &[booking.id])
        .await?
        .iter()
        .any(|(_, user)| *user == caller.user.id)
    {
        return Ok(true);
    }
    let Some(email) = caller.user.verified_email() else {
        return Ok(false);
    };
    let list = bookings::attendees(db, &[booking.id]).await?;
    Ok(list.iter().any(|a| a.email == email))
}

/// The booking named in the path, if the caller (when authenticated) is involved in it. A
/// booking uid is an unguessable capability, like the links in booking emails, so anonymous
/// callers may cancel or reschedule with it; an authenticated stranger sees 404.
async fn booking_for(state: &AppState, caller: Option<&ApiUser>, ids: &PathIds) -> Result<BookingRecord, ApiError> {
    let uid = ids.text("bookingUid");
    let booking = bookings::find_by_uid(&state.db, uid)
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    if let Some(caller) = caller
        && !involved(&state.db, caller, &booking).await?
    {
        return Err(ApiError::not_found("Booking"));
    }
    Ok(booking)
}

/// The booking, if `caller` hosts it.
async fn hosted(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<BookingRecord, ApiError> {
    let booking = bookings::find_by_uid(&state.db, ids.text("bookingUid"))
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    if booking.host_id != caller.user.id && !caller.is_instance_admin() {
        return Err(ApiError::not_found("Booking"));
    }
    Ok(booking)
}

/// An optional reason (cancellation, rescheduling, decline): as `scheduling::status::reason` reads it.
fn reason(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    Ok(crate::scheduling::status::reason(field, raw)?)
}
