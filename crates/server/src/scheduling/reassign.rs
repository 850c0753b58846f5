//! Round-robin reassignment (Cal.com's `/v2/bookings/{uid}/reassign`): a live booking of a round-robin event type
//! is handed to another of its hosts, at the same time and under the same uid. Automatically, the next host is
//! picked by the booking rule (free then, fewest bookings of the event type); or the caller names one, who must
//! host the event type and be free then. The host it was taken from is told it is off their calendar; the new
//! host and the attendees get the invite with the new organizer (Cal.com's round-robin cancelled, scheduled and
//! updated emails). Cal.com's webhook triggers have none for a reassignment, so none is sent.

use super::booking::{BookingError, least_booked};
use super::calendar::{Calendar, Exclusions};
use super::resolve::{self, EventTypeRef, Hosted, Hosting, ResolveError};
use crate::email::{self, Mailer, queue::BookingChange};
use crate::workflows::{self, WorkflowError, plan::BookingEvent};
use convene_core::BookingStatus;
use convene_core::UserId;
use convene_core::schedule::Interval;
use convene_store::bookings::{self, BookingRecord};
use convene_store::users::UserRecord;
use convene_store::{Db, StoreError, Tx, calendar_jobs};
use jiff::Timestamp;

/// Why the booking was not reassigned.
#[derive(Debug, thiserror::Error)]
pub enum ReassignError {
    /// Only round-robin bookings change hands (Cal.com: "only supports reassigning host for round robin bookings").
    #[error("Only bookings of a round-robin event type can be reassigned")]
    NotRoundRobin,
    /// Cancelled, declined, moved or over: there is nothing left to host (its status).
    #[error("A {0} booking can't be reassigned")]
    Settled(BookingStatus),
    /// The chosen user is not one of the event type's hosts.
    #[error("User {0} is not a host of this event type")]
    NotAHost(UserId),
    /// The chosen user already hosts it.
    #[error("User {0} already hosts this booking")]
    AlreadyHost(UserId),
    /// The chosen host is busy or unavailable then.
    #[error("User {0} is not available at the booking's time")]
    HostBusy(i64),
    /// No other host is free then.
    #[error("No other host of this event type is available at the booking's time")]
    NoFreeHost,
    /// Someone else cancelled, moved or reassigned it first.
    #[error("The booking was changed meanwhile")]
    ChangedMeanwhile,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Emails(#[from] email::queue::EnqueueError),
    #[error(transparent)]
    Workflows(#[from] WorkflowError),
}

/// Who takes the booking over.
#[derive(Debug, Clone, Copy)]
pub enum NewHost {
    /// The next free host, by the rule new bookings follow.
    Next,
    /// This user, who must host the event type and be free.
    Chosen(UserId),
}

/// Hands `booking` to another host; returns the booking as it is now and its new organizer.
pub async fn reassign(
    db: &Db,
    mailer: &Mailer,
    booking: &BookingRecord,
    to: NewHost,
    reason: Option<&str>,
) -> Result<(BookingRecord, UserRecord), ReassignError> {
    let Some(event_type_id) = booking.event_type_id else {
        return Err(ReassignError::NotRoundRobin);
    };
    let named = EventTypeRef {
        id: Some(event_type_id.0),
        ..EventTypeRef::default()
    };
    let hosted = match resolve::event_type(db, named).await {
        Ok(h) => h,
        Err(ResolveError::Store(e)) => return Err(e.into()),
        // Its event type is gone or hostless: no one to hand it to, as for any other non-round-robin booking.
        Err(_) => return Err(ReassignError::NotRoundRobin),
    };
    if hosted.hosting != Hosting::RoundRobin {
        return Err(ReassignError::NotRoundRobin);
    }
    if !booking.status.is_live() {
        return Err(ReassignError::Settled(booking.status));
    }
    if let NewHost::Chosen(id) = to {
        if id == booking.host_id {
            return Err(ReassignError::AlreadyHost(id));
        }
        if !hosted.hosts.iter().any(|h| h.id == id) {
            return Err(ReassignError::NotAHost(id));
        }
    }

    let mut tx = db.begin().await?;
    // The same lock order as booking: every host, by id, so this can't deadlock with a booking of the event type.
    for host in &hosted.hosts {
        bookings::lock_host(&mut tx, host.id).await?;
    }
    let current = bookings::find_by_uid(&mut tx, &booking.uid)
        .await?
        .filter(|b| b.host_id == booking.host_id && b.status.is_live())
        .ok_or(ReassignError::ChangedMeanwhile)?;
    let organizer = pick(&mut tx, &hosted, &current, to).await?.clone();
    let attendees = bookings::attendees(&mut tx, &[current.id]).await?;
    let booker = attendees
        .iter()
        .find(|a| !a.is_guest)
        .map_or_else(String::new, |a| a.name.clone());
    let host_name = organizer.name.clone().unwrap_or_else(|| organizer.username.clone());
    let title = format!("{} between {} and {}", hosted.event.title, host_name, booker);
    let updated = bookings::reassign(&mut tx, &current.uid, current.host_id, organizer.id, &title)
        .await?
        .ok_or(ReassignError::ChangedMeanwhile)?;
    // The previous host hears of it through the booking as they knew it (naming them as its organizer), with the
    // new SEQUENCE so their calendar takes the cancellation.
    let as_known = BookingRecord {
        ical_sequence: updated.ical_sequence,
        ..current
    };
    email::queue::booking_emails(&mut tx, mailer, &as_known, BookingChange::Unassigned { reason }).await?;
    email::queue::booking_emails(&mut tx, mailer, &updated, BookingChange::Reassigned { reason }).await?;
    // Reminders already planned name and reach the previous host: planned again, for the new one.
    workflows::plan::on_booking(&mut tx, mailer, &updated, BookingEvent::Reassigned).await?;
    // The new host's calendar gets the event; the previous host's loses it (a job for someone who no longer hosts
    // the booking deletes what was written for them).
    calendar_jobs::enqueue(&mut tx, &updated.uid, updated.host_id).await?;
    calendar_jobs::enqueue(&mut tx, &updated.uid, as_known.host_id).await?;
    tx.commit().await?;
    Ok((updated, organizer))
}

/// The host who takes `booking` over, checked free at its time inside the transaction.
async fn pick<'h>(
    tx: &mut Tx,
    hosted: &'h Hosted,
    booking: &BookingRecord,
    to: NewHost,
) -> Result<&'h UserRecord, ReassignError> {
    let (start, end) = (booking.start_at, booking.end_at);
    let length_minutes = booking.end_at.duration_since(booking.start_at).as_mins();
    let interval = Interval::new(start, end).ok_or(ReassignError::NoFreeHost)?;
    let except = Exclusions {
        booking_uid: Some(booking.uid.as_str()),
        reservation_uid: None,
    };
    let now = Timestamp::now();
    let candidates = hosted.hosts.iter().filter(|h| match to {
        NewHost::Next => h.id != booking.host_id,
        NewHost::Chosen(id) => h.id == id,
    });
    let mut free = Vec::new();
    for host in candidates {
        let calendar = Calendar::load(&mut *tx, host, &hosted.event, length_minutes, interval, except).await?;
        if calendar.is_bookable(start, now) {
            free.push(host);
        }
    }
    match to {
        NewHost::Chosen(id) => free.first().copied().ok_or(ReassignError::HostBusy(id.0)),
        NewHost::Next if free.is_empty() => Err(ReassignError::NoFreeHost),
        NewHost::Next => least_booked(tx, hosted.event.id, &free, now)
            .await
            .map_err(|e| match e {
                BookingError::Store(e) => ReassignError::Store(e),
                _ => ReassignError::NoFreeHost,
            }),
    }
}
