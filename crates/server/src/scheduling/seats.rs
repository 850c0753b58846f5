//! Seats (Cal.com's `seatsPerTimeSlot`): each start of a seated event type holds one booking, which bookers join
//! seat by seat until it is full; each seat has its own uid, answers and emails, and is cancelled or moved alone.
//!
//! Joining happens inside `booking::create`'s transaction, after the hosts are locked: counting the seats and
//! adding one can't race another booker (3 seats, 4 bookers at once: 3 seats taken, 1 refused).

use super::calendar::rules;
use crate::credentials::new_uid;
use crate::email::{self, Mailer, queue::BookingChange};
use crate::time_text::shifted;
use crate::webhooks::{self, Trigger};
use crate::workflows::WorkflowError;
use crate::workflows::plan::{self, BookingEvent, SeatEvent};
use convene_core::BookingStatus;
use convene_core::FieldError;
use convene_core::schedule::Interval;
use convene_store::bookings::{self, AttendeeRecord, BookingRecord, NewAttendee};
use convene_store::event_types::EventTypeRecord;
use convene_store::seats::{self as store_seats, SeatedStart};
use convene_store::{Db, StoreError, Tx, calendar_jobs};
use jiff::Timestamp;
use serde_json::Value;
use std::collections::HashMap;

/// Why a booker could not join a seated booking (the booking service turns it into its own refusal).
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// Every seat is taken, or the start is too soon now.
    #[error("This time slot is not available")]
    Full,
    /// The same address already holds a seat there.
    #[error("This attendee already has a seat in this booking")]
    AlreadySeated,
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Emails(#[from] email::queue::EnqueueError),
    #[error(transparent)]
    Webhooks(#[from] webhooks::EnqueueError),
    #[error(transparent)]
    Workflows(#[from] WorkflowError),
}

/// Why a seat was not given up or moved.
#[derive(Debug, thiserror::Error)]
pub enum SeatError {
    #[error("Seat not found in this booking")]
    NotFound,
    /// The booking is no longer live (its status).
    #[error("A {0} booking's seats can't be changed")]
    Settled(BookingStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Emails(#[from] email::queue::EnqueueError),
    #[error(transparent)]
    Webhooks(#[from] webhooks::EnqueueError),
    #[error(transparent)]
    Workflows(#[from] WorkflowError),
}

/// An event type's `seats` setting (`Seats_2024_06_14`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatsSetting {
    pub per_start: i64,
    pub show_attendees: bool,
    pub show_availability_count: bool,
}

/// Cal.com caps seats per slot in its booker at this many.
const MAX_SEATS: i64 = 1000;

/// `Seats_2024_06_14` (→ seats) or `{disabled: true}` (→ none).
pub fn parse_setting(value: &Value) -> Result<Option<SeatsSetting>, FieldError> {
    let Some(map) = value.as_object() else {
        return Err(FieldError::new(
            "seats",
            "must be an object like {\"seatsPerTimeSlot\": 4, \"showAttendeeInfo\": false, \"showAvailabilityCount\": true} or {\"disabled\": true}",
        ));
    };
    if map.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let per_start = map
        .get("seatsPerTimeSlot")
        .and_then(Value::as_i64)
        .filter(|n| (1..=MAX_SEATS).contains(n))
        .ok_or_else(|| {
            FieldError::coded(
                "seats.seatsPerTimeSlot",
                "refusal-whole-number-between",
                format!("must be a whole number from 1 to {MAX_SEATS}"),
            )
            .arg("min", 1)
            .arg("max", MAX_SEATS)
        })?;
    let flag = |key: &str, default: bool| match map.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| FieldError::coded(format!("seats.{key}"), "refusal-boolean", "must be true or false")),
    };
    Ok(Some(SeatsSetting {
        per_start,
        show_attendees: flag("showAttendeeInfo", false)?,
        show_availability_count: flag("showAvailabilityCount", true)?,
    }))
}

/// `event`'s `seats` as the API shows it, when it is seated.
pub fn setting(event: &EventTypeRecord) -> Option<SeatsSetting> {
    per_start(event).map(|per_start| SeatsSetting {
        per_start,
        show_attendees: event.seats_show_attendees,
        show_availability_count: event.seats_show_availability_count,
    })
}

/// Seats per start of `event`, when it is seated.
pub fn per_start(event: &EventTypeRecord) -> Option<i64> {
    event.seats_per_time_slot.filter(|n| *n > 0)
}

/// A new seat's uid.
pub fn new_seat_uid() -> String {
    new_uid()
}

/// What a listing shows of one start of a seated event type.
#[derive(Debug, Clone)]
pub struct SeatCount {
    pub booked: i64,
    pub total: i64,
    /// The booking holding the seats, once there is one.
    pub booking_uid: Option<String>,
}

/// Seats of a seated event's listing: the starts with seats left in a booking (open even though the booking
/// makes the host busy then) merged into `starts`, full ones taken out, and the count of each start.
pub async fn open_seats(
    db: &Db,
    event: &EventTypeRecord,
    starts: Vec<Timestamp>,
    window: Interval,
    now: Timestamp,
) -> Result<(Vec<Timestamp>, HashMap<Timestamp, SeatCount>), StoreError> {
    let Some(total) = per_start(event) else {
        return Ok((starts, HashMap::new()));
    };
    let earliest = shifted(now, rules(event, event.length_minutes).minimum_notice);
    let booked: HashMap<Timestamp, SeatedStart> = store_seats::in_window(db, event.id, window.start, window.end)
        .await?
        .into_iter()
        .map(|s| (s.start_at, s))
        .collect();
    let mut all: Vec<Timestamp> = starts
        .into_iter()
        .filter(|s| booked.get(s).is_none_or(|b| b.taken < total))
        .collect();
    for (at, seated) in &booked {
        if seated.taken < total && *at >= earliest && !all.contains(at) {
            all.push(*at);
        }
    }
    all.sort();
    let counts = all
        .iter()
        .map(|s| {
            let seated = booked.get(s);
            let count = SeatCount {
                booked: seated.map_or(0, |b| b.taken),
                total,
                booking_uid: seated.map(|b| b.uid.clone()),
            };
            (*s, count)
        })
        .collect();
    Ok((all, counts))
}

/// Inside `booking::create`'s transaction, hosts locked: when `event` is seated and a live booking already starts
/// at `start`, `seat` joins it (409 when full, or when the same address already holds a seat there). `None`:
/// no booking yet, the caller books the slot as usual with `seat` as its first seat.
pub(super) async fn join(
    tx: &mut Tx,
    mailer: &Mailer,
    event: &EventTypeRecord,
    start: Timestamp,
    seat: &NewAttendee,
) -> Result<Option<BookingRecord>, JoinError> {
    let Some(total) = per_start(event) else {
        return Ok(None);
    };
    let Some(booking) = store_seats::booking_at(&mut *tx, event.id, start).await? else {
        return Ok(None);
    };
    let earliest = shifted(Timestamp::now(), rules(event, event.length_minutes).minimum_notice);
    if booking.start_at < earliest {
        return Err(JoinError::Full);
    }
    let seated = bookings::attendees(&mut *tx, &[booking.id]).await?;
    if !seat.email.is_empty() && seated.iter().any(|a| a.seat_uid.is_some() && a.email == seat.email) {
        return Err(JoinError::AlreadySeated);
    }
    if store_seats::taken(&mut *tx, booking.id).await? >= total {
        return Err(JoinError::Full);
    }
    let now_seated = store_seats::add(&mut *tx, booking.id, std::slice::from_ref(seat)).await?;
    let added = now_seated
        .iter()
        .find(|a| a.seat_uid == seat.seat_uid)
        .ok_or_else(|| FieldError::coded("attendee", "refusal-not-seated", "could not be seated"))?;
    webhooks::enqueue_booking_event(&mut *tx, Trigger::BookingCreated, &booking, None).await?;
    email::queue::seat_emails(&mut *tx, mailer, &booking, added, BookingChange::Scheduled).await?;
    plan::on_seat(&mut *tx, mailer, &booking, added, SeatEvent::Taken).await?;
    calendar_jobs::enqueue(&mut *tx, &booking.uid, booking.host_id).await?;
    Ok(Some(booking))
}

/// Gives up seat `seat_uid` of `booking`: the others keep theirs. The last seat given up cancels the booking.
/// That seat's attendee and the organizer are told.
pub async fn cancel(
    db: &Db,
    mailer: &Mailer,
    booking: &BookingRecord,
    seat_uid: &str,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<BookingRecord, SeatError> {
    let mut tx = db.begin().await?;
    bookings::lock_host(&mut tx, booking.host_id).await?;
    let current = bookings::find_by_uid(&mut tx, &booking.uid)
        .await?
        .ok_or(SeatError::NotFound)?;
    if !current.status.is_live() {
        return Err(SeatError::Settled(current.status));
    }
    let seat = seat_of(&mut tx, &current, seat_uid).await?;
    store_seats::remove(&mut tx, current.id, seat_uid).await?;
    let left = store_seats::taken(&mut tx, current.id).await?;
    let updated = if left == 0 {
        bookings::set_status(
            &mut tx,
            &current.uid,
            &[BookingStatus::Accepted, BookingStatus::Pending],
            BookingStatus::Cancelled,
            reason,
            by,
        )
        .await?
        .ok_or_else(|| SeatError::Settled(current.status))?
    } else {
        current
    };
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingCancelled, &updated, None).await?;
    let mut told = updated.clone();
    told.cancellation_reason = reason.map(str::to_owned).or(told.cancellation_reason);
    email::queue::seat_emails(&mut tx, mailer, &told, &seat, BookingChange::Cancelled).await?;
    plan::on_seat(&mut tx, mailer, &told, &seat, SeatEvent::GivenUp).await?;
    if left == 0 {
        // The booking itself is cancelled: its host's reminders go too, and its workflows hear of it.
        plan::on_booking(&mut tx, mailer, &told, BookingEvent::Cancelled).await?;
    }
    calendar_jobs::enqueue(&mut tx, &updated.uid, updated.host_id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// The seat `seat_uid` of `booking`, or not found.
async fn seat_of(tx: &mut Tx, booking: &BookingRecord, seat_uid: &str) -> Result<AttendeeRecord, SeatError> {
    store_seats::find(&mut *tx, seat_uid)
        .await?
        .filter(|s| s.booking_id == booking.id)
        .ok_or(SeatError::NotFound)
}

/// The seat `seat_uid` of `booking` (for the API's checks before a move).
pub async fn find(db: &Db, booking: &BookingRecord, seat_uid: &str) -> Result<AttendeeRecord, SeatError> {
    store_seats::find(db, seat_uid)
        .await?
        .filter(|s| s.booking_id == booking.id)
        .ok_or(SeatError::NotFound)
}

/// Inside a seat move's transaction (`reschedule::move_seat`), after the seat took its place at the new time:
/// seat `seat_uid` leaves `booking` (the last one leaving cancels it). Not found when it was given up meanwhile,
/// which rolls the move back.
pub(super) async fn leave(tx: &mut Tx, booking: &BookingRecord, seat_uid: &str) -> Result<(), SeatError> {
    let seat = seat_of(&mut *tx, booking, seat_uid).await?;
    store_seats::remove(&mut *tx, booking.id, seat_uid).await?;
    let emptied = store_seats::taken(&mut *tx, booking.id).await? == 0;
    plan::seat_left(&mut *tx, booking, &seat, emptied).await?;
    if emptied
        && let Some(emptied) = bookings::set_status(
            &mut *tx,
            &booking.uid,
            &[BookingStatus::Accepted, BookingStatus::Pending],
            BookingStatus::Cancelled,
            None,
            None,
        )
        .await?
    {
        webhooks::enqueue_booking_event(&mut *tx, Trigger::BookingCancelled, &emptied, None).await?;
    }
    calendar_jobs::enqueue(&mut *tx, &booking.uid, booking.host_id).await?;
    Ok(())
}

/// A seat of a booking being moved: a new seat uid (the old one stays with the old row), the same person and
/// answers.
pub(super) fn moved(seat: &AttendeeRecord) -> NewAttendee {
    NewAttendee {
        name: seat.name.clone(),
        email: seat.email.clone(),
        time_zone: seat.time_zone.clone(),
        language: seat.language.clone(),
        phone: seat.phone.clone(),
        is_guest: false,
        seat_uid: Some(new_seat_uid()),
        seat_responses: seat.seat_responses.clone(),
    }
}
