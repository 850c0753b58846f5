//! Moving a booking to another time: a new booking linked to the old one (which becomes cancelled), with the
//! same attendees, answers and invite UID (a higher SEQUENCE). Who may ask is the caller's business.

use super::booking::{self, AttendeeInput, BookingError, BookingRequest};
use super::resolve::{self, EventTypeRef, ResolveError};
use super::seats::{self, SeatError};
use crate::email::Mailer;
use convene_core::BookingStatus;
use convene_core::{FieldError, UserId};
use convene_store::bookings::{self, BookingRecord};
use convene_store::{Db, StoreError};
use jiff::Timestamp;
use serde_json::Value;

/// Why the booking was not moved.
#[derive(Debug, thiserror::Error)]
pub enum RescheduleError {
    /// Cancelled, declined or already moved (its status, and where it went).
    #[error("A {status} booking can't be rescheduled")]
    Settled {
        status: BookingStatus,
        moved_to: Option<String>,
    },
    /// Nobody but guests attends it, so there is nobody to book again.
    #[error("The booking has no attendee")]
    NoAttendee,
    #[error(transparent)]
    Seat(#[from] SeatError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Booking(#[from] BookingError),
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `old` may still be moved.
pub fn check_movable(old: &BookingRecord) -> Result<(), RescheduleError> {
    if old.status.is_live() {
        Ok(())
    } else {
        Err(RescheduleError::Settled {
            status: old.status,
            moved_to: old.rescheduled_to_uid.clone(),
        })
    }
}

/// Where a booking moves to, and what is recorded about the move.
#[derive(Debug)]
pub struct Move {
    pub start: Timestamp,
    /// Shown to the host and kept on the old booking.
    pub reason: Option<String>,
    /// Who asked (an email address or name), kept on the old booking.
    pub by: Option<String>,
    /// The mover's own hold on the new time, which must not block the move.
    pub reservation_uid: Option<String>,
}

/// Books `old` again at `to.start` (same length); returns the new booking.
pub async fn reschedule(
    db: &Db,
    mailer: &Mailer,
    old: &BookingRecord,
    to: Move,
) -> Result<BookingRecord, RescheduleError> {
    let Move {
        start,
        reason,
        by,
        reservation_uid,
    } = to;
    check_movable(old)?;
    let length_minutes = old.end_at.duration_since(old.start_at).as_mins();
    let hosted = match old.event_type_id {
        Some(id) => {
            let named = EventTypeRef {
                id: Some(id.0),
                ..EventTypeRef::default()
            };
            resolve::event_type(db, named).await?
        }
        // A dynamic group's booking (or one whose event type is gone): the same people again.
        None => {
            let co_hosts: Vec<UserId> = bookings::co_hosts(db, &[old.id])
                .await?
                .into_iter()
                .map(|(_, u)| u)
                .collect();
            resolve::booking_hosts(db, old.host_id, &co_hosts, length_minutes).await?
        }
    };
    let people = bookings::attendees(db, &[old.id]).await?;
    let main = people.iter().find(|a| !a.is_guest).ok_or(RescheduleError::NoAttendee)?;
    let attendee = AttendeeInput {
        name: Some(main.name.clone()),
        email: Some(main.email.clone()),
        time_zone: Some(main.time_zone.clone()),
        phone_number: main.phone.clone(),
        language: Some(main.language.clone()),
    }
    .parse("attendee")?;
    let request = BookingRequest {
        start,
        length_minutes,
        attendee,
        guests: people.iter().filter(|a| a.is_guest).map(|a| a.email.clone()).collect(),
        responses: serde_json::from_str(&old.responses).unwrap_or_default(),
        metadata: serde_json::from_str(&old.metadata).ok(),
        location: old.location.clone().map(Value::String),
        rescheduled_from: Some(old.clone()),
        reservation_uid,
        rescheduling_reason: reason.clone(),
        private_link: None,
        routing_form_response_id: None,
    };
    let created = booking::create(db, mailer, &hosted, request).await?;
    if reason.is_some() || by.is_some() {
        bookings::set_reschedule_details(db, &old.uid, reason.as_deref(), by.as_deref()).await?;
    }
    Ok(created)
}

/// Moves seat `seat_uid` of `booking` to `start`, in one transaction: the seat joins the booking there (or starts
/// one, if the hosts are free then) under a new seat uid with its answers, and leaves the old booking (the last
/// seat leaving cancels it). Either both happen or neither, so the holder is never seatless nor seated twice. The
/// seat's holder gets the new time's confirmation; returns the booking and the new seat uid.
pub async fn move_seat(
    db: &Db,
    mailer: &Mailer,
    booking: &BookingRecord,
    seat_uid: &str,
    start: Timestamp,
) -> Result<(BookingRecord, String), RescheduleError> {
    check_movable(booking)?;
    let seat = seats::find(db, booking, seat_uid).await?;
    let named = EventTypeRef {
        id: booking.event_type_id.map(|id| id.0),
        ..EventTypeRef::default()
    };
    let hosted = resolve::event_type(db, named).await?;
    let attendee = seats::moved(&seat);
    let moved_uid = attendee.seat_uid.clone().unwrap_or_default();
    let request = BookingRequest {
        start,
        length_minutes: booking.end_at.duration_since(booking.start_at).as_mins(),
        attendee,
        guests: Vec::new(),
        responses: serde_json::from_str(seat.seat_responses.as_deref().unwrap_or("{}")).unwrap_or_default(),
        metadata: serde_json::from_str(&booking.metadata).ok(),
        location: booking.location.clone().map(Value::String),
        rescheduled_from: None,
        reservation_uid: None,
        rescheduling_reason: None,
        private_link: None,
        routing_form_response_id: None,
    };
    let mut tx = db.begin().await?;
    let moved = booking::book(&mut tx, mailer, &hosted, request, None).await?;
    seats::leave(&mut tx, booking, seat_uid).await?;
    tx.commit().await?;
    Ok((moved, moved_uid))
}
