//! `/v2/bookings/{bookingUid}/attendees` (`cal-api-version: 2024-08-13`): a booking's attendees, read one by
//! one or all, and one more added. Open to the people the booking concerns (its host, co-hosts and attendees by
//! verified address), as adding guests is.

use super::involved;
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds};
use crate::email::{self, queue::BookingChange};
use crate::scheduling::booking::AttendeeInput;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use convene_store::bookings::{self, AttendeeRecord, BookingRecord};
use serde::Serialize;
use utoipa::ToSchema;

/// `BookingAttendeeOutput_2024_08_13`: an attendee with its id and its booking's.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttendeeOutput {
    pub id: i64,
    pub booking_id: i64,
    pub name: String,
    pub email: String,
    pub display_email: String,
    pub time_zone: String,
    pub language: String,
    pub absent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

impl From<&AttendeeRecord> for AttendeeOutput {
    fn from(a: &AttendeeRecord) -> Self {
        AttendeeOutput {
            id: a.id.0,
            booking_id: a.booking_id.0,
            name: a.name.clone(),
            email: a.email.clone(),
            display_email: a.email.clone(),
            time_zone: a.time_zone.clone(),
            language: a.language.clone(),
            absent: a.absent,
            phone_number: a.phone.clone(),
        }
    }
}

/// The booking in the path, if the caller is concerned by it (404 otherwise, so uids can't be probed).
async fn concerned(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<BookingRecord, ApiError> {
    let booking = bookings::find_by_uid(&state.db, ids.text("bookingUid"))
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    if !involved(&state.db, caller, &booking).await? {
        return Err(ApiError::not_found("Booking"));
    }
    Ok(booking)
}

/// Get all attendees of a booking.
#[utoipa::path(get, path = "/v2/bookings/{bookingUid}/attendees", tag = "Bookings / Attendees", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = String, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<Vec<AttendeeOutput>>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_attendees(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let booking = concerned(&state, &caller, &ids).await?;
    let list = bookings::attendees(&state.db, &[booking.id]).await?;
    Ok(envelope::ok(list.iter().map(AttendeeOutput::from).collect::<Vec<_>>()))
}

/// Get one attendee of a booking.
#[utoipa::path(get, path = "/v2/bookings/{bookingUid}/attendees/{attendeeId}", tag = "Bookings / Attendees", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("attendeeId" = i64, Path), ("cal-api-version" = String, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<AttendeeOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn get_attendee(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let attendee_id = ids.id("attendeeId")?;
    let booking = concerned(&state, &caller, &ids).await?;
    let list = bookings::attendees(&state.db, &[booking.id]).await?;
    let attendee = list
        .iter()
        .find(|a| a.id == attendee_id)
        .ok_or_else(|| ApiError::not_found("Attendee"))?;
    Ok(envelope::ok(AttendeeOutput::from(attendee)))
}

/// Add an attendee to a booking: emailed an invitation like an added guest, and shown on the invite.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/attendees", tag = "Bookings / Attendees", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = String, Header, description = "2024-08-13")),
    request_body = AttendeeInput, responses((status = 201, body = Envelope<AttendeeOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn add_attendee(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<AttendeeInput>,
) -> Result<Response, ApiError> {
    let booking = concerned(&state, &caller, &ids).await?;
    if !booking.status.is_live() {
        return Err(ApiError::BadRequest(format!(
            "Attendees can't be added to a {} booking",
            booking.status
        )));
    }
    // The body is the attendee itself: errors name its fields without a prefix.
    let attendee = input.parse("attendee").map_err(|mut e| {
        e.field = e.field.trim_start_matches("attendee.").to_owned();
        ApiError::Validation(e)
    })?;
    if attendee.email.is_empty() {
        // Added attendees are told by email; one known only by phone could not be.
        return Err(ApiError::field("email", "is required"));
    }
    let existing = bookings::attendees(&state.db, &[booking.id]).await?;
    if existing.len() >= 31 {
        return Err(ApiError::BadRequest("A booking has at most 31 attendees".into()));
    }
    if existing.iter().any(|a| a.email == attendee.email) {
        return Err(ApiError::field("email", "is already on this booking"));
    }
    let mut tx = state.db.begin().await?;
    bookings::add_attendees(&mut tx, booking.id, std::slice::from_ref(&attendee)).await?;
    let updated = bookings::find_by_uid(&mut tx, &booking.uid)
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    let added: Vec<AttendeeRecord> = bookings::attendees(&mut tx, &[booking.id])
        .await?
        .into_iter()
        .filter(|a| a.email == attendee.email)
        .collect();
    email::queue::booking_emails(
        &mut tx,
        &state.mailer,
        &updated,
        BookingChange::GuestsAdded { guests: &added },
    )
    .await?;
    tx.commit().await?;
    let out = added
        .first()
        .map(AttendeeOutput::from)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the added attendee was not read back")))?;
    Ok(envelope::created(out))
}
