//! Moving a booking to another time: a new booking linked to the old one (which becomes cancelled), with the
//! same attendees, answers and invite UID (a higher SEQUENCE). Who may ask is the caller's business.

use super::booking::{self, AttendeeInput, BookingError, BookingRequest};
use super::resolve::{self, EventTypeRef, ResolveError};
use crate::email::Mailer;
use convene_core::FieldError;
use convene_store::bookings::{self, BookingRecord};
use convene_store::{Db, StoreError};
use jiff::Timestamp;
use serde_json::Value;

/// Why the booking was not moved.
#[derive(Debug, thiserror::Error)]
pub enum RescheduleError {
    /// Cancelled, declined or already moved (its status, and where it went).
    #[error("A {status} booking can't be rescheduled")]
    Settled { status: String, moved_to: Option<String> },
    /// Its event type was deleted.
    #[error("The booking's event type no longer exists")]
    NoEventType,
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
    if matches!(old.status.as_str(), "accepted" | "pending") {
        Ok(())
    } else {
        Err(RescheduleError::Settled {
            status: old.status.clone(),
            moved_to: old.rescheduled_to_uid.clone(),
        })
    }
}

/// Books `old` again at `start` (same length), optionally holding `reservation_uid`; returns the new booking.
pub async fn reschedule(
    db: &Db,
    mailer: &Mailer,
    old: &BookingRecord,
    start: Timestamp,
    reason: Option<String>,
    reservation_uid: Option<String>,
) -> Result<BookingRecord, RescheduleError> {
    check_movable(old)?;
    let event_type_id = old.event_type_id.ok_or(RescheduleError::NoEventType)?;
    let hosted = resolve::event_type(
        db,
        EventTypeRef {
            id: Some(event_type_id),
            ..EventTypeRef::default()
        },
    )
    .await?;
    let people = bookings::attendees(db, &[old.id]).await?;
    let main = people
        .iter()
        .find(|a| !a.is_guest)
        .ok_or_else(|| FieldError::new("attendee", "the booking has no attendee"))?;
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
        length_minutes: (old.end_at - old.start_at) / 60_000,
        attendee,
        guests: people.iter().filter(|a| a.is_guest).map(|a| a.email.clone()).collect(),
        responses: serde_json::from_str(&old.responses).unwrap_or_default(),
        metadata: serde_json::from_str(&old.metadata).ok(),
        location: old.location.clone().map(Value::String),
        rescheduled_from: Some(old.clone()),
        reservation_uid,
        rescheduling_reason: reason.clone(),
        routing_form_response_id: None,
    };
    let created = booking::create(db, mailer, &hosted, request).await?;
    if let Some(reason) = &reason {
        bookings::set_reschedule_details(db, &old.uid, Some(reason), None).await?;
    }
    Ok(created)
}
