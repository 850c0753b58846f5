//! Making bookings: a new one (public, as in Cal.com), or a move of an existing one to another time.

use super::output::{BookingOutput, output, outputs};
use super::seated::seated_output;
use super::{booking_for, reason};
use crate::api::ApiError;
use crate::api::caller::Caller;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds, from_value};
use crate::api::legacy::bookings as legacy;
use crate::api::version::Requested;
use crate::limits::{LimitKey, PublicOperation};
use crate::scheduling::booking::{self, AttendeeInput, BookingRequest, parse_guests};
use crate::scheduling::reschedule::{self, Move};
use crate::scheduling::resolve::{self, EventTypeRef};
use crate::scheduling::{recurring, seats};
use crate::state::AppState;
use crate::time_text::parse_instant;
use axum::extract::State;
use axum::response::Response;
use convene_core::{EmailAddress, HeaderText};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// `CreateBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateBookingInput {
    pub start: Option<String>,
    pub attendee: Option<AttendeeInput>,
    #[schema(value_type = Option<Object>)]
    pub booking_fields_responses: Option<Map<String, Value>>,
    pub event_type_id: Option<i64>,
    pub event_type_slug: Option<String>,
    pub username: Option<String>,
    pub team_slug: Option<String>,
    pub organization_slug: Option<String>,
    pub guests: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub location: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub length_in_minutes: Option<i64>,
    /// Our addition: the uid of the caller's own slot reservation, which then doesn't block the
    /// booking (and is released by it). Without it a held slot is taken, as for anyone else.
    pub reservation_uid: Option<String>,
    /// `CreateRecurringBookingInput_2024_08_13`: how many occurrences of a recurring event type to book (at most
    /// its `occurrences`, which is the default).
    pub recurrence_count: Option<i64>,
    /// The routing form response the booking follows (`routing.responseId`; `teamMemberIds` is not used yet).
    pub routing: Option<RoutingInput>,
}

/// `Routing`: what a routing form answered. Its `teamMemberIds` are accepted and not used (no round-robin routing
/// yet), so they are not read.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoutingInput {
    pub response_id: Option<i64>,
}

/// Create a booking (public, as in Cal.com): `accepted`, or `pending` when the event type
/// requires confirmation. 409 when the slot is not free. Without `cal-api-version: 2024-08-13` a
/// legacy body (the booker in `responses`) is read too and the legacy booking is answered.
#[utoipa::path(post, path = "/v2/bookings", tag = "Bookings",
    params(("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = CreateBookingInput, responses((status = 201, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn create_booking(
    State(state): State<AppState>,
    version: Requested,
    caller: Caller,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let current = version.is_current(super::CURRENT);
    let body = if current { body } else { legacy::create_input(body)? };
    let input: CreateBookingInput = from_value(Value::Object(body))?;
    caller.limit(&state, PublicOperation::Booking).await?;
    let start = parse_instant(
        "start",
        input
            .start
            .as_deref()
            .ok_or_else(|| ApiError::field("start", "is required"))?,
    )?;
    let mut attendee = input
        .attendee
        .as_ref()
        .ok_or_else(|| ApiError::field("attendee", "is required"))?
        .parse("attendee")?;
    let hosted = resolve::event_type(
        &state.db,
        EventTypeRef {
            id: input.event_type_id,
            slug: input.event_type_slug.as_deref(),
            username: input.username.as_deref(),
            team_slug: input.team_slug.as_deref(),
            organization_slug: input.organization_slug.as_deref(),
        },
    )
    .await?;
    let length_minutes = resolve::length(&hosted.event, "lengthInMinutes", input.length_in_minutes)?;
    // A seated event type: the booker takes a seat, whose uid the answer names.
    let seat_uid = seats::per_start(&hosted.event).map(|_| seats::new_seat_uid());
    attendee.seat_uid.clone_from(&seat_uid);
    let guests = parse_guests(&hosted.event, input.guests.as_deref(), &attendee.email)?;
    if let Caller::Anonymous(_) = caller {
        limit_anonymous_booking(&state, hosted.event.id.0, &attendee.email, &guests).await?;
    }
    let request = BookingRequest {
        start,
        length_minutes,
        attendee,
        guests,
        responses: input.booking_fields_responses.unwrap_or_default(),
        metadata: input.metadata,
        location: input.location,
        rescheduled_from: None,
        reservation_uid: input.reservation_uid,
        rescheduling_reason: None,
        private_link: None,
        routing_form_response_id: input.routing.as_ref().and_then(|r| r.response_id),
    };
    if hosted.event.recurrence.is_some() {
        let series = recurring::book_series(&state.db, &state.mailer, &hosted, request, input.recurrence_count).await?;
        let outs = outputs(&state.db, &series).await?;
        if !current {
            return Ok(envelope::created(outs.iter().map(legacy::output).collect::<Vec<_>>()));
        }
        return Ok(envelope::created(outs));
    }
    let created = booking::create(&state.db, &state.mailer, &hosted, request).await?;
    if current && let Some(seat) = &seat_uid {
        return Ok(envelope::created(
            seated_output(&state.db, &created, Some(seat), false).await?,
        ));
    }
    let out = output(&state.db, &created).await?;
    if !current {
        return Ok(envelope::created(legacy::output(&out)));
    }
    Ok(envelope::created(out))
}

/// An anonymous booking emails its attendee and guests and fills its host's calendar: each address it emails and
/// its event type have their own allowance, whoever asks and from wherever.
async fn limit_anonymous_booking(
    state: &AppState,
    event_type_id: i64,
    attendee: &str,
    guests: &[String],
) -> Result<(), ApiError> {
    state.limits.take(LimitKey::BookingEventType(event_type_id)).await?;
    // A phone-only attendee (empty address) is emailed nothing, so has no allowance to take.
    let attendee = Some(("attendee.email", attendee)).filter(|(_, a)| !a.is_empty());
    for (field, raw) in attendee
        .into_iter()
        .chain(guests.iter().map(|g| ("guests", g.as_str())))
    {
        let email = EmailAddress::parse(field, raw)?;
        state.limits.take(LimitKey::BookingRecipient(email)).await?;
    }
    Ok(())
}

/// `RescheduleBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RescheduleBookingInput {
    pub start: Option<String>,
    pub rescheduled_by: Option<String>,
    /// Also read as `rescheduleReason`, the name Cal.com's agent guide sends.
    #[serde(alias = "rescheduleReason")]
    pub rescheduling_reason: Option<String>,
    /// `RescheduleSeatedBookingInput_2024_08_13`: move this seat only.
    pub seat_uid: Option<String>,
}

/// Move a booking: a new booking at `start` linked to the old one (cancelled), keeping the
/// calendar invite's UID with a higher SEQUENCE.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/reschedule", tag = "Bookings",
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = RescheduleBookingInput, responses((status = 201, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn reschedule_booking(
    State(state): State<AppState>,
    version: Requested,
    caller: Caller,
    ids: PathIds,
    ApiJson(input): ApiJson<RescheduleBookingInput>,
) -> Result<Response, ApiError> {
    caller.limit(&state, PublicOperation::Booking).await?;
    let old = booking_for(&state, caller.user(), &ids).await?;
    reschedule::check_movable(&old)?;
    let start = parse_instant(
        "start",
        input
            .start
            .as_deref()
            .ok_or_else(|| ApiError::field("start", "is required"))?,
    )?;
    if let Some(seat) = &input.seat_uid {
        let (moved, moved_seat) = reschedule::move_seat(&state.db, &state.mailer, &old, seat, start).await?;
        return Ok(envelope::created(
            seated_output(&state.db, &moved, Some(&moved_seat), false).await?,
        ));
    }
    let reason = reason("reschedulingReason", input.rescheduling_reason.as_deref())?;
    if let Some(by) = &input.rescheduled_by {
        HeaderText::parse("rescheduledBy", by)?;
    }
    let to = Move {
        start,
        reason,
        by: input.rescheduled_by,
        reservation_uid: None,
    };
    let created = reschedule::reschedule(&state.db, &state.mailer, &old, to).await?;
    let out = output(&state.db, &created).await?;
    // Without the current header, the new booking as a legacy create (Cal.com reschedules through it) answers it.
    if !version.is_current(super::CURRENT) {
        return Ok(envelope::created(legacy::output(&out)));
    }
    Ok(envelope::created(out))
}
