//! Changing a booking's status: cancel (anyone holding its uid), confirm or decline a request (its host). Who may
//! is checked here; the change itself, with its webhooks, emails and workflows, is `scheduling::status`, which the
//! booking pages' links use too.

use super::output::{BookingOutput, output, outputs};
use super::seated::seated_output;
use super::{booking_for, hosted, reason};
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::caller::Caller;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds};
use crate::api::legacy::bookings as legacy;
use crate::api::version::Requested;
use crate::limits::PublicOperation;
use crate::scheduling::status::{self, StatusError};
use crate::scheduling::{recurring, seats};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use convene_store::bookings::BookingRecord;
use convene_store::series;
use serde::Deserialize;
use utoipa::ToSchema;

/// `CancelBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelBookingInput {
    pub cancellation_reason: Option<String>,
    /// `CancelSeatedBookingInput_2024_08_13`: give up this seat only; the others keep theirs.
    pub seat_uid: Option<String>,
    /// An occurrence of a recurring series: cancel it and every later one.
    pub cancel_subsequent_bookings: Option<bool>,
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
    let why = reason("cancellationReason", input.cancellation_reason.as_deref())?;
    let by = caller.user().map(|c| c.user.email.clone());
    // A series' uid (`recurringBookingUid`) cancels every occurrence still live.
    let series_uid = ids.text("bookingUid");
    let series = series::occurrences(&state.db, series_uid).await?;
    if let Some(first) = series.first() {
        if let Some(caller) = caller.user()
            && !super::involved(&state.db, caller, first).await?
        {
            return Err(ApiError::not_found("Booking"));
        }
        let cancelled = recurring::cancel_series(
            &state.db,
            &state.mailer,
            series_uid,
            None,
            why.as_deref(),
            by.as_deref(),
        )
        .await?;
        return Ok(envelope::ok(outputs(&state.db, &cancelled).await?));
    }
    let booking = booking_for(&state, caller.user(), &ids).await?;
    if input.cancel_subsequent_bookings == Some(true)
        && let Some(series_uid) = &booking.recurring_event_uid
    {
        let cancelled = recurring::cancel_series(
            &state.db,
            &state.mailer,
            series_uid,
            Some(booking.start_at),
            why.as_deref(),
            by.as_deref(),
        )
        .await?;
        return Ok(envelope::ok(outputs(&state.db, &cancelled).await?));
    }
    let current = version.is_current(super::CURRENT);
    if let Some(seat) = &input.seat_uid {
        let updated = seats::cancel(&state.db, &state.mailer, &booking, seat, why.as_deref(), by.as_deref()).await?;
        if !current {
            return Ok(envelope::ok(legacy::cancelled(booking.id.0, &booking.uid, true)));
        }
        return Ok(envelope::ok(seated_output(&state.db, &updated, None, false).await?));
    }
    let updated = status::cancel(&state.db, &state.mailer, &booking.uid, why.as_deref(), by.as_deref())
        .await
        .map_err(|e| refused(e, |current| format!("A {current} booking can't be cancelled")))?;
    if !current {
        return Ok(envelope::ok(legacy::cancelled(updated.id.0, &updated.uid, false)));
    }
    Ok(envelope::ok(output(&state.db, &updated).await?))
}

/// Confirm a pending booking (its host).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/confirm", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn confirm_booking(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let updated = status::confirm(&state.db, &state.mailer, &booking.uid)
        .await
        .map_err(|e| {
            refused(e, |current| {
                format!("Only pending bookings can be confirmed; this one is {current}")
            })
        })?;
    answer(&state, version, &updated).await
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
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<DeclineBookingInput>,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let why = reason("reason", input.reason.as_deref())?;
    let updated = status::decline(
        &state.db,
        &state.mailer,
        &booking.uid,
        why.as_deref(),
        Some(&caller.user.email),
    )
    .await
    .map_err(|e| {
        refused(e, |current| {
            format!("Only pending bookings can be declined; this one is {current}")
        })
    })?;
    answer(&state, version, &updated).await
}

/// The changed booking in the requested version's shape (the legacy booking without the current header).
async fn answer(state: &AppState, version: Requested, updated: &BookingRecord) -> Result<Response, ApiError> {
    let out = output(&state.db, updated).await?;
    if version.is_current(super::CURRENT) {
        Ok(envelope::ok(out))
    } else {
        Ok(envelope::ok(legacy::output(&out)))
    }
}

/// A status change the booking's current status does not allow is 409 with `message` naming that status; the
/// rest as their own errors.
fn refused(e: StatusError, message: impl FnOnce(&str) -> String) -> ApiError {
    match e {
        StatusError::Settled(current) => ApiError::Conflict(message(current.as_str())),
        StatusError::NotFound => ApiError::not_found("Booking"),
        StatusError::Store(e) => e.into(),
        StatusError::Emails(e) => e.into(),
        StatusError::Webhooks(e) => e.into(),
        StatusError::Workflows(e) => e.into(),
    }
}
