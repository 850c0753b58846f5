//! Changing a booking's status: cancel (anyone holding its uid), confirm or decline a request (its host). Each
//! change queues its webhooks and emails in the same transaction.

use super::output::{BookingOutput, output};
use super::{booking_for, hosted, reason};
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::caller::Caller;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds};
use crate::api::version::Requested;
use crate::email::{self, queue::BookingChange};
use crate::limits::PublicOperation;
use crate::state::AppState;
use crate::webhooks::{self, Trigger};
use crate::workflows::plan::{BookingEvent, on_booking};
use axum::extract::State;
use axum::response::Response;
use convene_store::bookings;
use serde::Deserialize;
use utoipa::ToSchema;

/// `CancelBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelBookingInput {
    pub cancellation_reason: Option<String>,
}

/// Cancel a booking (host, attendee, or anyone holding its uid).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/cancel", tag = "Bookings",
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = CancelBookingInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn cancel_booking(
    State(state): State<AppState>,
    version: Requested,
    caller: Caller,
    ids: PathIds,
    ApiJson(input): ApiJson<CancelBookingInput>,
) -> Result<Response, ApiError> {
    caller.limit(&state, PublicOperation::Booking).await?;
    let booking = booking_for(&state, caller.user(), &ids).await?;
    let why = reason("cancellationReason", input.cancellation_reason.as_deref())?;
    let by = caller.user().map(|c| c.user.email.clone());
    let mut tx = state.db.begin().await?;
    let updated = bookings::set_status(
        &mut tx,
        &booking.uid,
        &["accepted", "pending"],
        "cancelled",
        why.as_deref(),
        by.as_deref(),
    )
    .await?
    .ok_or_else(|| ApiError::Conflict(format!("A {} booking can't be cancelled", booking.status)))?;
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingCancelled, &updated, None).await?;
    email::queue::booking_emails(&mut tx, &state.mailer, &updated, BookingChange::Cancelled).await?;
    on_booking(&mut tx, &state.mailer, &updated, BookingEvent::Cancelled).await?;
    tx.commit().await?;
    let out = output(&state.db, &updated).await?;
    if !version.is_current(super::CURRENT) {
        return Ok(envelope::ok(crate::api::legacy::bookings::output(&out)));
    }
    Ok(envelope::ok(out))
}

/// Confirm a pending booking (its host).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/confirm", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn confirm_booking(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let mut tx = state.db.begin().await?;
    let updated = bookings::set_status(&mut tx, &booking.uid, &["pending"], "accepted", None, None)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "Only pending bookings can be confirmed; this one is {}",
                booking.status
            ))
        })?;
    // As in Cal.com, a confirmed request is announced as a created booking.
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingCreated, &updated, None).await?;
    email::queue::booking_emails(&mut tx, &state.mailer, &updated, BookingChange::Scheduled).await?;
    on_booking(&mut tx, &state.mailer, &updated, BookingEvent::Confirmed).await?;
    tx.commit().await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}

/// `DeclineBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeclineBookingInput {
    pub reason: Option<String>,
}

/// Decline a pending booking (its host).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/decline", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = DeclineBookingInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]

pub(super) async fn decline_booking(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<DeclineBookingInput>,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let why = reason("reason", input.reason.as_deref())?;
    let mut tx = state.db.begin().await?;
    let updated = bookings::set_status(
        &mut tx,
        &booking.uid,
        &["pending"],
        "rejected",
        why.as_deref(),
        Some(&caller.user.email),
    )
    .await?
    .ok_or_else(|| {
        ApiError::Conflict(format!(
            "Only pending bookings can be declined; this one is {}",
            booking.status
        ))
    })?;
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingRejected, &updated, None).await?;
    email::queue::booking_emails(&mut tx, &state.mailer, &updated, BookingChange::Declined).await?;
    on_booking(&mut tx, &state.mailer, &updated, BookingEvent::Rejected).await?;
    tx.commit().await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}
