//! What a host does to a booking after it is made, besides changing its status: mark who did not show up, add
//! guests, ask the attendee to pick a new time, move it to another place. The API's `/v2/bookings/{uid}/…`
//! operations and the host app's booking page both call these, so they accept and refuse the same things. Who may
//! act is the caller's business; what the booking's state allows, and the change with its webhooks, emails and
//! workflows in one transaction, is decided here.

use super::booking::{AttendeeInput, location_text};
use crate::email::{self, Mailer, queue::BookingChange};
use crate::webhooks::{self, Trigger};
use crate::workflows::WorkflowError;
use crate::workflows::plan::{BookingEvent, on_booking};
use convene_core::BookingStatus;
use convene_core::{EmailAddress, FieldError, HeaderText};
use convene_store::bookings::{self, BookingRecord, NewAttendee};
use convene_store::calendar_jobs;
use convene_store::{Db, StoreError, event_types};
use serde_json::Value;

/// Why a follow-up action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    /// The input names a field that is wrong.
    #[error("{0}")]
    Invalid(FieldError),
    /// The booking's state does not allow the action (the message names that state).
    #[error("{0}")]
    NotAllowed(String),
    #[error("Booking not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Emails(#[from] email::queue::EnqueueError),
    #[error(transparent)]
    Webhooks(#[from] webhooks::EnqueueError),
    #[error(transparent)]
    Workflows(#[from] WorkflowError),
}

impl From<FieldError> for FollowUpError {
    fn from(e: FieldError) -> Self {
        FollowUpError::Invalid(e)
    }
}

fn field(e: FieldError) -> FollowUpError {
    FollowUpError::Invalid(e)
}

/// One attendee's attendance as asked for: their email and whether they were absent.
#[derive(Debug, Clone, Default)]
pub struct AbsenceMark {
    pub email: Option<String>,
    pub absent: Option<bool>,
}

/// Records who did not show up to an accepted booking: the host (`host`) and attendees by email.
pub async fn mark_absent(
    db: &Db,
    mailer: &Mailer,
    booking: &BookingRecord,
    host: Option<bool>,
    attendees: &[AbsenceMark],
) -> Result<BookingRecord, FollowUpError> {
    if booking.status != BookingStatus::Accepted {
        return Err(FollowUpError::NotAllowed(format!(
            "Only accepted bookings have attendance; this one is {}",
            booking.status
        )));
    }
    let mut marks = Vec::new();
    for (i, a) in attendees.iter().enumerate() {
        let email = EmailAddress::parse(&format!("attendees[{i}].email"), a.email.as_deref().unwrap_or_default())?;
        let absent = a.absent.ok_or_else(|| {
            field(FieldError::coded(
                format!("attendees[{i}].absent"),
                "refusal-required",
                "is required",
            ))
        })?;
        marks.push((email.as_str().to_owned(), absent));
    }
    if host.is_none() && marks.is_empty() {
        return Err(field(FieldError::coded(
            "attendees",
            "refusal-no-attendees",
            "give `host` or at least one attendee",
        )));
    }
    let mut tx = db.begin().await?;
    let matched = bookings::set_absence(&mut tx, booking.id, host, &marks).await?;
    if matched < marks.len() as u64 {
        return Err(field(FieldError::coded(
            "attendees",
            "refusal-not-attendee",
            "every email must be an attendee of this booking",
        )));
    }
    let updated = bookings::find_by_uid(&mut tx, &booking.uid)
        .await?
        .ok_or(FollowUpError::NotFound)?;
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingNoShowUpdated, &updated, None).await?;
    email::queue::booking_emails(&mut tx, mailer, &updated, BookingChange::NoShowMarked).await?;
    on_booking(&mut tx, mailer, &updated, BookingEvent::NoShowUpdated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Adds guests to an accepted or pending booking and tells them. Each guest's name and time zone default to
/// their email and the main attendee's zone.
pub async fn add_guests(
    db: &Db,
    mailer: &Mailer,
    booking: &BookingRecord,
    guests: Option<Vec<AttendeeInput>>,
) -> Result<BookingRecord, FollowUpError> {
    if !booking.status.is_live() {
        return Err(FollowUpError::NotAllowed(format!(
            "Guests can't be added to a {} booking",
            booking.status
        )));
    }
    let guests = guests.filter(|g| !g.is_empty()).ok_or_else(|| {
        field(FieldError::coded(
            "guests",
            "refusal-no-guests-given",
            "must list at least one guest",
        ))
    })?;
    let existing = bookings::attendees(db, &[booking.id]).await?;
    if existing.len() + guests.len() > 31 {
        return Err(field(
            FieldError::coded("guests", "refusal-too-many-guests", "a booking has at most 30 guests").arg("max", 30),
        ));
    }
    if let Some(event_type_id) = booking.event_type_id
        && event_types::find(db, event_type_id)
            .await?
            .is_some_and(|e| e.disable_guests)
    {
        return Err(field(FieldError::coded(
            "guests",
            "refusal-no-guests",
            "this event type does not accept guests",
        )));
    }
    let main_zone = existing
        .iter()
        .find(|a| !a.is_guest)
        .map_or("UTC", |a| a.time_zone.as_str())
        .to_owned();
    let mut new: Vec<NewAttendee> = Vec::new();
    for (i, g) in guests.into_iter().enumerate() {
        let email = g.email.clone().unwrap_or_default();
        let filled = AttendeeInput {
            name: g.name.or_else(|| Some(email.clone())),
            time_zone: g.time_zone.or_else(|| Some(main_zone.clone())),
            ..g
        };
        let mut attendee = filled.parse(&format!("guests[{i}]"))?;
        if existing.iter().any(|a| a.email == attendee.email) || new.iter().any(|n| n.email == attendee.email) {
            return Err(field(FieldError::coded(
                format!("guests[{i}].email"),
                "refusal-already-on-booking",
                "is already on this booking",
            )));
        }
        attendee.is_guest = true;
        new.push(attendee);
    }
    let mut tx = db.begin().await?;
    bookings::add_attendees(&mut tx, booking.id, &new).await?;
    let updated = bookings::find_by_uid(&mut tx, &booking.uid)
        .await?
        .ok_or(FollowUpError::NotFound)?;
    let added: Vec<_> = bookings::attendees(&mut tx, &[booking.id])
        .await?
        .into_iter()
        .filter(|a| new.iter().any(|n| n.email == a.email))
        .collect();
    email::queue::booking_emails(&mut tx, mailer, &updated, BookingChange::GuestsAdded { guests: &added }).await?;
    calendar_jobs::enqueue(&mut tx, &updated.uid, updated.host_id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Asks the attendee to pick a new time: the booking is cancelled and marked so the attendee's email offers a link
/// to book again. `by` is the asking host's email.
pub async fn request_reschedule(
    db: &Db,
    mailer: &Mailer,
    booking: &BookingRecord,
    reason: Option<&str>,
    by: &str,
) -> Result<BookingRecord, FollowUpError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(field(
            FieldError::coded(
                "reschedulingReason",
                "refusal-too-long",
                "must be at most 1000 characters",
            )
            .arg("max", 1000),
        ));
    }
    let mut tx = db.begin().await?;
    let updated = bookings::request_reschedule(&mut tx, &booking.uid, reason, by)
        .await?
        .ok_or_else(|| FollowUpError::NotAllowed(format!("A {} booking can't be rescheduled", booking.status)))?;
    // Subscribers see a cancellation, as in Cal.com; the flag tells emails to offer a new time.
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingCancelled, &updated, None).await?;
    email::queue::booking_emails(&mut tx, mailer, &updated, BookingChange::RescheduleRequested).await?;
    // The booking is cancelled until the attendee picks a new time: its reminders go with it.
    on_booking(&mut tx, mailer, &updated, BookingEvent::Cancelled).await?;
    // And its event leaves the host's destination calendar.
    calendar_jobs::enqueue(&mut tx, &updated.uid, updated.host_id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// The place a location object names by itself, for a booking whose event type is gone.
fn own_value(location: &Value) -> Result<String, FollowUpError> {
    let value = ["address", "link", "phone", "location"]
        .iter()
        .find_map(|k| location.get(*k).and_then(Value::as_str))
        .ok_or_else(|| {
            field(FieldError::new(
                "location",
                "the booking's event type no longer exists: give the place itself (address, link or phone)",
            ))
        })?;
    Ok(HeaderText::parse("location", value)?.as_str().to_owned())
}

/// Moves an accepted or pending booking to another place: one of its event type's location kinds (`{"type": …}`
/// with its value, or without it for the event type's own). As on Cal.com, only the booking changes: no email goes
/// out and the invite already sent keeps the old place.
pub async fn change_location(
    db: &Db,
    booking: &BookingRecord,
    location: Option<Value>,
) -> Result<BookingRecord, FollowUpError> {
    let location = location
        .filter(|l| !l.is_null())
        .ok_or_else(|| field(FieldError::coded("location", "refusal-required", "is required")))?;
    if !location.is_object() {
        return Err(field(FieldError::new(
            "location",
            "must be a location object, e.g. {\"type\": \"link\", \"link\": …}",
        )));
    }
    if !booking.status.is_live() {
        return Err(FollowUpError::NotAllowed(format!(
            "The location of a {} booking can't be changed",
            booking.status
        )));
    }
    let event = match booking.event_type_id {
        Some(id) => event_types::find(db, id).await?,
        None => None,
    };
    let text = match &event {
        Some(event) => location_text(event, Some(&location))?,
        None => Some(own_value(&location)?),
    };
    let mut tx = db.begin().await?;
    if !bookings::set_location(&mut tx, booking.id, text.as_deref()).await? {
        return Err(FollowUpError::NotFound);
    }
    // The event in the host's destination calendar shows the new place.
    calendar_jobs::enqueue(&mut tx, &booking.uid, booking.host_id).await?;
    let updated = bookings::find_by_uid(&mut tx, &booking.uid)
        .await?
        .ok_or(FollowUpError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}
