//! Creating bookings: input rules, then a per-host serialized check-and-insert so two
//! requests racing for one slot can never both win.

use super::answers;
use super::calendar::{Calendar, Exclusions};
use super::resolve::{Hosted, Hosting};
use super::seats;
use crate::credentials::new_uid;
use crate::email::booking_parties::BookingParties;
use crate::email::gathered::Gathered;
use crate::email::{self, Mailer, queue::BookingChange};
use crate::routing_forms;
use crate::webhooks::{self, Trigger};
use crate::workflows::{self, WorkflowError, plan::BookingEvent};
use convene_core::BookingStatus;
use convene_core::metadata::metadata_text;
use convene_core::schedule::Interval;
use convene_core::{EmailAddress, EventTypeId, FieldError, HeaderText, Locale, TimeZoneId, UserId};
use convene_store::bookings::{self, BookingRecord, NewAttendee, NewBooking};
use convene_store::event_types::EventTypeRecord;
use convene_store::users::UserRecord;
use convene_store::{Db, StoreError, Tx};
use convene_store::{calendar_jobs, private_links, reservations};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Why a booking was not made.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// Taken, held, outside availability, too soon, or over a booking limit (for every host that counts).
    #[error("This time slot is not available")]
    SlotUnavailable,
    /// The booking being rescheduled was cancelled or moved by someone else first.
    #[error("The booking was cancelled or moved meanwhile")]
    ChangedMeanwhile,
    /// A seated booking already holds a seat for this address (Cal.com: "Already signed up for this booking").
    #[error("This attendee already has a seat in this booking")]
    AlreadySeated,
    /// The private link it was booked through expired or reached its usage limit.
    #[error("This private link has expired or has been used up")]
    PrivateLinkUsedUp,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Emails(#[from] email::queue::EnqueueError),
    #[error(transparent)]
    Webhooks(#[from] webhooks::EnqueueError),
    #[error(transparent)]
    Workflows(#[from] WorkflowError),
}

impl From<seats::JoinError> for BookingError {
    fn from(e: seats::JoinError) -> Self {
        match e {
            seats::JoinError::Full => BookingError::SlotUnavailable,
            seats::JoinError::AlreadySeated => BookingError::AlreadySeated,
            seats::JoinError::Invalid(e) => BookingError::Invalid(e),
            seats::JoinError::Store(e) => BookingError::Store(e),
            seats::JoinError::Emails(e) => BookingError::Emails(e),
            seats::JoinError::Webhooks(e) => BookingError::Webhooks(e),
            seats::JoinError::Workflows(e) => BookingError::Workflows(e),
        }
    }
}

/// `CreateBookingAttendee`.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttendeeInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub time_zone: Option<String>,
    pub phone_number: Option<String>,
    pub language: Option<String>,
}

impl AttendeeInput {
    pub fn parse(&self, field: &str) -> Result<NewAttendee, FieldError> {
        let name = HeaderText::parse(&format!("{field}.name"), self.name.as_deref().unwrap_or_default())?;
        // Cal.com takes an attendee known only by phone: no address, so no attendee email (stored empty).
        let phone_only = self.email.as_deref().is_none_or(|e| e.trim().is_empty()) && self.phone_number.is_some();
        let email = if phone_only {
            String::new()
        } else {
            EmailAddress::parse(&format!("{field}.email"), self.email.as_deref().unwrap_or_default())?
                .as_str()
                .to_owned()
        };
        let zone = self
            .time_zone
            .as_deref()
            .ok_or_else(|| FieldError::coded(format!("{field}.timeZone"), "refusal-required", "is required"))?;
        let zone = TimeZoneId::parse(&format!("{field}.timeZone"), zone)?;
        let language = match &self.language {
            Some(l) => Locale::parse(&format!("{field}.language"), l)?,
            None => Locale::default(),
        };
        let phone = match self.phone_number.as_deref() {
            Some(p) => {
                let ok = p.len() <= 32 && p.starts_with('+') && p[1..].chars().all(|c| c.is_ascii_digit() || c == ' ');
                if !ok {
                    return Err(FieldError::coded(
                        format!("{field}.phoneNumber"),
                        "refusal-phone-international",
                        "must be in international format, e.g. +14155550123",
                    ));
                }
                Some(p.to_owned())
            }
            None => None,
        };
        Ok(NewAttendee {
            name: name.as_str().to_owned(),
            email,
            time_zone: zone.as_str().to_owned(),
            language: language.as_str().to_owned(),
            phone,
            is_guest: false,
            seat_uid: None,
            seat_responses: None,
        })
    }
}

/// The parts of a booking request that don't depend on where the event type came from.
#[derive(Clone)]
pub struct BookingRequest {
    pub start: Timestamp,
    pub length_minutes: i64,
    pub attendee: NewAttendee,
    pub guests: Vec<String>,
    pub responses: Map<String, Value>,
    pub metadata: Option<Map<String, Value>>,
    pub location: Option<Value>,
    pub rescheduled_from: Option<BookingRecord>,
    /// The caller's own hold on this slot (`reservationUid`, our addition): it doesn't block
    /// them, and it is released once the booking is made.
    pub reservation_uid: Option<String>,
    /// Why a reschedule happened (shown in its emails).
    pub rescheduling_reason: Option<String>,
    /// The private link booked through: one of its uses is taken in the booking's transaction, so racing
    /// bookings can't overdraw it and a failed booking takes none.
    pub private_link: Option<String>,
    /// The routing form response the booker came from: the booking is recorded on it.
    pub routing_form_response_id: Option<i64>,
}

/// Guests' addresses, validated and deduplicated (never the attendee themself).
pub fn parse_guests(
    event: &EventTypeRecord,
    guests: Option<&[String]>,
    attendee_email: &str,
) -> Result<Vec<String>, FieldError> {
    let Some(guests) = guests.filter(|g| !g.is_empty()) else {
        return Ok(Vec::new());
    };
    if event.disable_guests {
        return Err(FieldError::coded(
            "guests",
            "refusal-no-guests",
            "this event type does not accept guests",
        ));
    }
    if guests.len() > 30 {
        return Err(FieldError::coded("guests", "refusal-too-many-guests", "at most 30 guests").arg("max", 30));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, g) in guests.iter().enumerate() {
        let email = EmailAddress::parse(&format!("guests[{i}]"), g)?.as_str().to_owned();
        if email != attendee_email && !out.contains(&email) {
            out.push(email);
        }
    }
    Ok(out)
}

/// Where the meeting happens, as a display string: a plain string, or a location object whose
/// value comes from the request (attendee-provided kinds) or the event type (organizer kinds).
pub fn location_text(event: &EventTypeRecord, requested: Option<&Value>) -> Result<Option<String>, FieldError> {
    let defined: Vec<Value> = serde_json::from_str(&event.locations).unwrap_or_default();
    let value_of = |loc: &Value| -> Option<String> {
        ["address", "link", "phone", "location", "integration"]
            .iter()
            .find_map(|k| loc.get(*k).and_then(Value::as_str).map(str::to_owned))
    };
    match requested {
        None => Ok(defined.first().and_then(value_of)),
        Some(Value::String(s)) => Ok(Some(HeaderText::parse("location", s)?.as_str().to_owned())),
        Some(obj @ Value::Object(_)) => {
            let kind = obj
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| FieldError::coded("location.type", "refusal-required", "is required"))?;
            if let Some(v) = value_of(obj) {
                return Ok(Some(HeaderText::parse("location", &v)?.as_str().to_owned()));
            }
            let from_event = defined
                .iter()
                .find(|l| l.get("type").and_then(Value::as_str) == Some(kind))
                .and_then(value_of);
            from_event.map(Some).ok_or_else(|| {
                FieldError::coded(
                    "location.type",
                    "refusal-no-location",
                    format!("the event type has no '{kind}' location"),
                )
                .arg("value", kind)
            })
        }
        Some(_) => Err(FieldError::coded(
            "location",
            "refusal-wrong-type",
            "must be a string or a location object",
        )),
    }
}

/// Validates and books. 409 when the slot is not free (taken, held, outside availability, too
/// soon, or over a booking limit) — for every host of a collective event, for at least one host
/// of a round-robin one. Webhook deliveries (created, requested or rescheduled) are queued in the
/// booking's transaction.
pub async fn create(
    db: &Db,
    mailer: &Mailer,
    hosted: &Hosted,
    req: BookingRequest,
) -> Result<BookingRecord, BookingError> {
    let mut tx = db.begin().await?;
    let created = book(&mut tx, mailer, hosted, req, None).await?;
    tx.commit().await?;
    Ok(created)
}

/// One occurrence of a recurring series being booked in the series' transaction (`recurring::book_series`).
pub(super) struct Occurrence<'a> {
    /// The series' uid (`recurringBookingUid`), also its invite's UID.
    pub series_uid: &'a str,
    /// As in Cal.com, only the first occurrence is checked for availability; later ones are booked as they fall.
    pub first: bool,
    /// The first occurrence's organizer, whom later ones keep (a round robin picks once per series).
    pub organizer: Option<UserId>,
}

/// [`create`]'s work inside the caller's transaction. An occurrence of a series sends no emails of its own: the
/// series sends one invite for all.
pub(super) async fn book(
    tx: &mut Tx,
    mailer: &Mailer,
    hosted: &Hosted,
    req: BookingRequest,
    occurrence: Option<&Occurrence<'_>>,
) -> Result<BookingRecord, BookingError> {
    let event = &hosted.event;
    let mut answers = req.responses.clone();
    answers::check_all(&event.booking_fields, &mut answers)?;
    let offered: Vec<Value> = serde_json::from_str(&event.locations).unwrap_or_default();
    answers::check_defaults(
        &event.booking_fields,
        answers::DefaultAnswers {
            responses: &answers,
            guests: req.guests.len(),
            location_chosen: req.location.is_some(),
            locations_offered: offered.len(),
            reschedule_reason: req
                .rescheduled_from
                .as_ref()
                .map(|_| req.rescheduling_reason.as_deref()),
        },
    )?;
    let responses = metadata_text("bookingFieldsResponses", &answers)?;
    let metadata = match &req.metadata {
        Some(m) => metadata_text("metadata", m)?,
        None => "{}".to_owned(),
    };
    let location = location_text(event, req.location.as_ref())?;
    let end = Timestamp::from_millisecond(req.start.as_millisecond() + req.length_minutes * 60_000)
        .map_err(|_| FieldError::coded("start", "refusal-out-of-range", "is out of range"))?;
    let interval = Interval::new(req.start, end)
        .ok_or_else(|| FieldError::coded("start", "refusal-out-of-range", "is out of range"))?;
    let mut attendees = vec![req.attendee.clone()];
    attendees.extend(req.guests.iter().map(|g| NewAttendee {
        name: g.clone(),
        email: g.clone(),
        time_zone: req.attendee.time_zone.clone(),
        language: req.attendee.language.clone(),
        phone: None,
        is_guest: true,
        seat_uid: None,
        seat_responses: None,
    }));
    // A seated event type: the booker takes a seat (their own uid and answers); a rescheduled booking moves whole.
    let seated = seats::per_start(event).is_some() && req.rescheduled_from.is_none();
    if seated {
        if attendees.len() > 1 {
            return Err(FieldError::coded(
                "guests",
                "refusal-seats-no-guests",
                "a seated event type takes one attendee per seat, without guests",
            )
            .into());
        }
        let seat = &mut attendees[0];
        seat.seat_uid.get_or_insert_with(seats::new_seat_uid);
        seat.seat_responses = Some(responses.clone());
    }

    // Lock every host in id order (the order hosts come in), so concurrent team bookings never
    // wait on each other in a cycle.
    for host in &hosted.hosts {
        bookings::lock_host(&mut *tx, host.id).await?;
    }
    if seated && let Some(joined) = seats::join(&mut *tx, mailer, event, req.start, &attendees[0]).await? {
        return Ok(joined);
    }
    // A whole seated booking moved (by its host): every seat comes along, each under a new seat uid with its own
    // answers — read after the hosts are locked, so a seat taken meanwhile is not left behind.
    if let Some(old) = &req.rescheduled_from
        && seats::per_start(event).is_some()
    {
        let seated: Vec<NewAttendee> = bookings::attendees(&mut *tx, &[old.id])
            .await?
            .iter()
            .filter(|a| a.seat_uid.is_some())
            .map(seats::moved)
            .collect();
        if !seated.is_empty() {
            attendees = seated;
        }
    }
    let except = Exclusions {
        booking_uid: req.rescheduled_from.as_ref().map(|b| b.uid.as_str()),
        reservation_uid: req.reservation_uid.as_deref(),
    };
    let now = Timestamp::now();
    let mut free = Vec::new();
    for host in &hosted.hosts {
        let unchecked = occurrence.is_some_and(|o| !o.first);
        if unchecked {
            if occurrence.and_then(|o| o.organizer).is_none_or(|id| id == host.id) {
                free.push(host);
            }
            continue;
        }
        let calendar = Calendar::load(&mut *tx, host, event, req.length_minutes, interval, except).await?;
        if calendar.is_bookable(req.start, now) {
            free.push(host);
        }
    }
    let all_free = free.len() == hosted.hosts.len() || occurrence.is_some_and(|o| !o.first);
    let (organizer, co_hosts): (&UserRecord, Vec<UserId>) = match hosted.hosting {
        Hosting::Single | Hosting::Collective if all_free => {
            let organizer = &hosted.hosts[0];
            (organizer, hosted.hosts.iter().skip(1).map(|h| h.id).collect())
        }
        Hosting::RoundRobin if !free.is_empty() => (least_booked(&mut *tx, event.id, &free, now).await?, Vec::new()),
        _ => return Err(BookingError::SlotUnavailable),
    };

    let uid = new_uid();
    let (ical_uid, ical_sequence) = match (&req.rescheduled_from, occurrence) {
        (_, Some(o)) => (format!("{}@convene", o.series_uid), 0),
        // An occurrence moved out of its series becomes an invite of its own (its series' UID is the series').
        (Some(old), None) if old.recurring_event_uid.is_none() => (old.ical_uid.clone(), old.ical_sequence + 1),
        _ => (format!("{uid}@convene"), 0),
    };
    let host_name = organizer.name.clone().unwrap_or_else(|| organizer.username.clone());
    let booking = NewBooking {
        uid,
        event_type_id: hosted.stored_event_type_id().map(EventTypeId),
        host_id: organizer.id,
        title: format!("{} between {} and {}", event.title, host_name, req.attendee.name),
        description: event.description.clone(),
        start_at: req.start,
        end_at: end,
        before_buffer_ms: event.before_event_buffer * 60_000,
        after_buffer_ms: event.after_event_buffer * 60_000,
        status: if event.requires_confirmation {
            BookingStatus::Pending
        } else {
            BookingStatus::Accepted
        },
        location,
        metadata,
        responses,
        rescheduled_from_uid: req.rescheduled_from.as_ref().map(|b| b.uid.clone()),
        ical_uid,
        ical_sequence,
        recurring_event_uid: occurrence.map(|o| o.series_uid.to_owned()),
    };
    if let Some(link) = &req.private_link
        && !private_links::take_use(&mut *tx, link, now).await?
    {
        return Err(BookingError::PrivateLinkUsedUp);
    }
    let created = bookings::insert(&mut *tx, &booking, &attendees).await?;
    bookings::add_hosts(&mut *tx, created.id, &co_hosts).await?;
    if let Some(hold) = &req.reservation_uid {
        reservations::delete(&mut *tx, hold).await?;
    }
    if let Some(old) = &req.rescheduled_from
        && !bookings::mark_rescheduled(
            &mut *tx,
            &old.uid,
            &created.uid,
            req.rescheduling_reason.as_deref(),
            Some(&req.attendee.email),
        )
        .await?
    {
        return Err(BookingError::ChangedMeanwhile);
    }
    let trigger = match (&req.rescheduled_from, created.status) {
        (Some(_), _) => Trigger::BookingRescheduled,
        (None, BookingStatus::Pending) => Trigger::BookingRequested,
        (None, _) => Trigger::BookingCreated,
    };
    webhooks::enqueue_booking_event(&mut *tx, trigger, &created, req.rescheduled_from.as_ref()).await?;
    if let (Some(response), Some(event_type)) = (req.routing_form_response_id, created.event_type_id) {
        routing_forms::submit::link_booking(&mut *tx, response, &created.uid, event_type).await?;
    }
    let change = match (&req.rescheduled_from, created.status) {
        // A new time that needs the host's approval is a new request (same invite UID once confirmed).
        (_, BookingStatus::Pending) => BookingChange::Requested,
        (Some(from), _) => BookingChange::Rescheduled {
            from,
            reason: req.rescheduling_reason.as_deref(),
        },
        (None, _) => BookingChange::Scheduled,
    };
    // Read once for the booking's emails and its workflows' (the host was just checked, so it is there).
    let parties = BookingParties::load(&mut *tx, &created)
        .await?
        .ok_or(StoreError::NotFound("the booking's host"))?;
    // The booking's emails and its workflows' are written together, in one multi-row insert.
    let mut emails = Gathered::default();
    let first_seat = parties.attendees.first().filter(|_| seated);
    match (first_seat, occurrence) {
        (_, Some(_)) => 0,
        (Some(seat), None) => {
            email::queue::gather_seat_emails(&mut *tx, mailer, &parties, &created, seat, change, &mut emails).await?
        }
        (None, None) => {
            email::queue::gather_booking_emails(&mut *tx, mailer, &parties, &created, change, &mut emails).await?
        }
    };
    let planned = match &req.rescheduled_from {
        Some(from) => BookingEvent::Rescheduled { from },
        None => BookingEvent::Booked,
    };
    workflows::plan::gather_on_booking(&mut *tx, mailer, &parties, &created, planned, &mut emails).await?;
    emails.write(&mut *tx, now).await?;
    // The host's destination calendar follows the booking (a durable job, like its emails).
    calendar_jobs::enqueue(&mut *tx, &created.uid, created.host_id).await?;
    if let Some(old) = &req.rescheduled_from {
        calendar_jobs::enqueue(&mut *tx, &old.uid, old.host_id).await?;
    }
    Ok(created)
}

/// Round-robin fairness: the free host with the fewest live bookings of this event type over
/// the last 30 days and ahead; ties go to the host listed first.
pub(super) async fn least_booked<'h>(
    tx: &mut Tx,
    event_type: EventTypeId,
    free: &[&'h UserRecord],
    now: Timestamp,
) -> Result<&'h UserRecord, BookingError> {
    let since = now - jiff::SignedDuration::from_hours(30 * 24);
    let counts: HashMap<UserId, i64> = bookings::counts_by_host(&mut *tx, event_type, since)
        .await?
        .into_iter()
        .collect();
    free.iter()
        .min_by_key(|h| counts.get(&h.id).copied().unwrap_or(0))
        .copied()
        .ok_or(BookingError::SlotUnavailable)
}
