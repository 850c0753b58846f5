//! Turning a booking change into workflow emails, inside the change's own transaction: notices go out at once,
//! reminders become outbox rows due at their time. Cancelling or rescheduling a booking cancels its pending
//! reminders first (a reschedule then plans the new booking's own).

use super::WorkflowError;
use super::render::{Facts, Variables, render, render_text};
use crate::booking_links::{self, LinkAction};
use crate::email::Mailer;
use crate::email::booking_parties::BookingParties;
use crate::email::gathered::Gathered;
use crate::email::sms::{Channel, e164};
use crate::time_text::shifted;
use convene_core::BookingStatus;
use convene_core::email::EmailKind;
use convene_core::ics::{IcsEvent, Method, Party};
use convene_core::{EventTypeId, OffsetUnit, StepAction, TeamId, WorkflowId, WorkflowTrigger as Trigger};
use convene_store::Tx;
use convene_store::bookings::{self, AttendeeRecord, BookingRecord};
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::outbox::NewEmail;
use convene_store::users::UserRecord;
use convene_store::workflows::{self as store, ReminderScope, WorkflowOwner, WorkflowRecord};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

/// What happened to a booking, as workflows see it.
#[derive(Debug, Clone, Copy)]
pub enum BookingEvent<'a> {
    /// Made: accepted, or waiting for the host's approval (then only `bookingRequested` acts).
    Booked,
    /// `booking` replaced `from`.
    Rescheduled {
        from: &'a BookingRecord,
    },
    /// The host approved a request.
    Confirmed,
    Cancelled,
    Rejected,
    NoShowUpdated,
    /// A round-robin booking handed to another host: its reminders are planned again for them (no workflow
    /// trigger announces a reassignment).
    Reassigned,
}

/// Queues what the workflows of the booking's event type's owner (its team, or the user for a personal event type)
/// do for `event` on `booking`. Call inside the change's transaction, after the
/// booking row is written. Returns how many emails were queued.
pub async fn on_booking(
    tx: &mut Tx,
    mailer: &Mailer,
    booking: &BookingRecord,
    event: BookingEvent<'_>,
) -> Result<usize, WorkflowError> {
    cancel_moved_reminders(tx, booking, event).await?;
    let Some(event_type) = team_event_type(tx, booking).await? else {
        return Ok(0);
    };
    let Some(chosen) = chosen_workflows(tx, booking, &event_type, event).await? else {
        return Ok(0);
    };
    let Some(parties) = BookingParties::load(tx, booking).await? else {
        return Ok(0);
    };
    let chosen: Vec<&WorkflowRecord> = chosen.iter().collect();
    queue(tx, mailer, &People::of(booking, &parties), &chosen, Timestamp::now()).await
}

/// [`on_booking`] with the booking's parties already read (by the booking service, for its emails too), gathered
/// into `out` for the caller to write with the booking's own emails.
pub async fn gather_on_booking(
    tx: &mut Tx,
    mailer: &Mailer,
    parties: &BookingParties,
    booking: &BookingRecord,
    event: BookingEvent<'_>,
    out: &mut Gathered,
) -> Result<usize, WorkflowError> {
    cancel_moved_reminders(tx, booking, event).await?;
    let Some(event_type) = &parties.event_type else {
        return Ok(0);
    };
    let Some(chosen) = chosen_workflows(tx, booking, event_type, event).await? else {
        return Ok(0);
    };
    let chosen: Vec<&WorkflowRecord> = chosen.iter().collect();
    gather(
        tx,
        mailer,
        &People::of(booking, parties),
        &chosen,
        Timestamp::now(),
        out,
    )
    .await
}

/// What happened to one seat of a seated booking, as workflows see it.
#[derive(Debug, Clone, Copy)]
pub enum SeatEvent {
    /// The holder took a seat in a booking made by an earlier seat holder.
    Taken,
    /// The holder gave the seat up; others keep theirs.
    GivenUp,
}

/// Queues what the workflows of a seated booking do for one seat's holder, alone: their notices and reminders
/// when they take the seat, the notices of a cancellation when they give it up, and in both of the last cases
/// their pending reminders cancelled ([`seat_left`]). Steps for the host or a fixed address were planned with the booking's
/// first seat and are not repeated per seat; the booking's own cancellation (its last seat given up) is
/// [`on_booking`]'s. Call inside the change's transaction, with the seat already added or removed.
pub async fn on_seat(
    tx: &mut Tx,
    mailer: &Mailer,
    booking: &BookingRecord,
    seat: &AttendeeRecord,
    event: SeatEvent,
) -> Result<usize, WorkflowError> {
    let as_booking = match event {
        SeatEvent::Taken => BookingEvent::Booked,
        SeatEvent::GivenUp => {
            seat_left(tx, booking, seat, false).await?;
            BookingEvent::Cancelled
        }
    };
    let Some(mut parties) = BookingParties::load(tx, booking).await? else {
        return Ok(0);
    };
    let Some(event_type) = &parties.event_type else {
        return Ok(0);
    };
    let Some(chosen) = chosen_workflows(tx, booking, event_type, as_booking).await? else {
        return Ok(0);
    };
    let private = parties.seats_private();
    parties.attendees = vec![seat.clone()];
    let mut people = People::of(booking, &parties);
    people.seat_only = true;
    people.private_seats = private;
    let chosen: Vec<&WorkflowRecord> = chosen.iter().collect();
    queue(tx, mailer, &people, &chosen, Timestamp::now()).await
}

/// Cancels the pending reminders of a seat's holder who left `booking` (gave the seat up, or moved it to
/// another start, where it is planned anew); with `emptied`, the booking's other pending reminders too. Nothing
/// is sent for it.
pub async fn seat_left(
    tx: &mut Tx,
    booking: &BookingRecord,
    seat: &AttendeeRecord,
    emptied: bool,
) -> Result<(), WorkflowError> {
    let now = Timestamp::now();
    if emptied {
        store::cancel_pending(&mut *tx, ReminderScope::Booking(booking.id), now).await?;
        return Ok(());
    }
    let to: Vec<String> = Some(seat.email.clone())
        .filter(|e| !e.is_empty())
        .into_iter()
        .chain(seat.phone.as_deref().and_then(e164))
        .collect();
    store::cancel_pending_to(&mut *tx, booking.id, &to, now).await?;
    Ok(())
}

/// Cancels the pending reminders a reschedule, cancellation or rejection makes pointless.
async fn cancel_moved_reminders(
    tx: &mut Tx,
    booking: &BookingRecord,
    event: BookingEvent<'_>,
) -> Result<(), WorkflowError> {
    let now = Timestamp::now();
    match event {
        BookingEvent::Rescheduled { from } => {
            store::cancel_pending(&mut *tx, ReminderScope::Booking(from.id), now).await?;
        }
        BookingEvent::Cancelled | BookingEvent::Rejected | BookingEvent::Reassigned => {
            store::cancel_pending(&mut *tx, ReminderScope::Booking(booking.id), now).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The owner's active workflows that act on `event`; None when there are none.
async fn chosen_workflows(
    tx: &mut Tx,
    booking: &BookingRecord,
    event_type: &EventTypeRecord,
    event: BookingEvent<'_>,
) -> Result<Option<Vec<WorkflowRecord>>, WorkflowError> {
    let Some(owner) = owner_of(event_type) else {
        return Ok(None);
    };
    let workflows = store::active_for_event_type(&mut *tx, owner, event_type.id).await?;
    if workflows.is_empty() {
        return Ok(None);
    }
    let accepted = booking.status == BookingStatus::Accepted;
    let notice = match event {
        BookingEvent::Booked if accepted => Some(Trigger::NewEvent),
        BookingEvent::Booked => Some(Trigger::BookingRequested),
        BookingEvent::Rescheduled { .. } => Some(Trigger::RescheduleEvent),
        BookingEvent::Confirmed => Some(Trigger::NewEvent),
        BookingEvent::Cancelled => Some(Trigger::EventCancelled),
        BookingEvent::Rejected => Some(Trigger::BookingRejected),
        BookingEvent::NoShowUpdated => Some(Trigger::BookingNoShowUpdated),
        BookingEvent::Reassigned => None,
    };
    // Reminders belong to bookings that will take place: accepted ones, planned when made, moved, confirmed or
    // handed to another host.
    let reminders = accepted
        && matches!(
            event,
            BookingEvent::Booked
                | BookingEvent::Rescheduled { .. }
                | BookingEvent::Confirmed
                | BookingEvent::Reassigned
        );
    let chosen: Vec<WorkflowRecord> = workflows
        .into_iter()
        .filter(|w| Some(w.trigger) == notice || (reminders && w.trigger.is_scheduled()))
        .collect();
    Ok((!chosen.is_empty()).then_some(chosen))
}

/// Whose workflows act on an event type's bookings: its team's, or its owner's own.
fn owner_of(event_type: &EventTypeRecord) -> Option<WorkflowOwner> {
    match (event_type.team_id, event_type.owner_id) {
        (Some(team), _) => Some(WorkflowOwner::Team(team)),
        (None, Some(user)) => Some(WorkflowOwner::User(user)),
        (None, None) => None,
    }
}

/// The event type of a booking, if it still exists.
async fn team_event_type(tx: &mut Tx, booking: &BookingRecord) -> Result<Option<EventTypeRecord>, WorkflowError> {
    Ok(match booking.event_type_id {
        Some(id) => event_types::find(&mut *tx, id).await?,
        None => None,
    })
}

/// Plans `workflow` again for its owner's bookings still ahead (after an edit cancelled its pending rows).
pub(super) async fn replan(
    tx: &mut Tx,
    mailer: &Mailer,
    workflow: &WorkflowRecord,
    event_type_ids: &[EventTypeId],
    now: Timestamp,
) -> Result<usize, WorkflowError> {
    let owner = match (workflow.team_id, workflow.user_id) {
        (Some(team), _) => WorkflowOwner::Team(team),
        (None, Some(user)) => WorkflowOwner::User(user),
        (None, None) => return Ok(0),
    };
    if !workflow.trigger.is_scheduled() {
        return Ok(0);
    }
    // A before-reminder still ahead needs a start ahead (so an end ahead); an after-one an end within its offset.
    let since = if workflow.trigger == Trigger::AfterEvent {
        shifted(now, -offset(workflow))
    } else {
        now
    };
    let only = (!workflow.active_on_all).then_some(event_type_ids);
    let uids = store::live_booking_uids(&mut *tx, owner, only, since).await?;
    let mut queued = 0;
    for uid in uids {
        let Some(booking) = bookings::find_by_uid(&mut *tx, &uid).await? else {
            continue;
        };
        let Some(parties) = BookingParties::load(tx, &booking).await? else {
            continue;
        };
        if parties.event_type.is_none() {
            continue;
        }
        queued += queue(tx, mailer, &People::of(&booking, &parties), &[workflow], now).await?;
    }
    Ok(queued)
}

/// How far from the booking (or response) a scheduled workflow sends.
pub(super) fn offset(workflow: &WorkflowRecord) -> SignedDuration {
    let unit = workflow.offset_unit.map_or(0, OffsetUnit::millis);
    SignedDuration::from_millis(workflow.offset_value.unwrap_or(0).saturating_mul(unit))
}

/// Everyone a booking's workflow emails may concern, read once per change.
struct People<'a> {
    booking: &'a BookingRecord,
    event_title: &'a str,
    host: &'a UserRecord,
    attendees: &'a [AttendeeRecord],
    organization_id: Option<TeamId>,
    /// None for a personal event type (its emails go through the host's organization's sender, if any).
    team_id: Option<TeamId>,
    answers: Map<String, Value>,
    /// Seat holders who must not see each other: an attendee's calendar invitation names only them.
    private_seats: bool,
    /// Planning for one seat's holder: only the steps that write to attendees.
    seat_only: bool,
}

impl<'a> People<'a> {
    fn of(booking: &'a BookingRecord, parties: &'a BookingParties) -> People<'a> {
        People {
            private_seats: parties.seats_private(),
            seat_only: false,
            booking,
            event_title: parties.event_type.as_ref().map_or("", |e| e.title.as_str()),
            host: &parties.host,
            attendees: &parties.attendees,
            organization_id: parties.organization_id,
            team_id: parties.team_id,
            answers: serde_json::from_str(&booking.responses).unwrap_or_default(),
        }
    }

    /// The attendees a text message can reach, with their number (E.164): the one they booked with, or for the
    /// booker the `attendeePhoneNumber` booking field.
    fn phones(&self) -> Vec<(&AttendeeRecord, String)> {
        let field = self.answers.get("attendeePhoneNumber").and_then(Value::as_str);
        self.attendees
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let raw = a.phone.as_deref().or(if i == 0 { field } else { None })?;
                e164(raw).map(|phone| (a, phone))
            })
            .collect()
    }

    fn organizer_name(&self) -> &str {
        self.host.name.as_deref().unwrap_or(&self.host.username)
    }
}

/// One copy of a step: to whom, read in which zone, replying to whom, naming which attendee.
struct Copy<'p> {
    to_email: &'p str,
    to_name: &'p str,
    time_zone: &'p str,
    twelve_hour: bool,
    /// The reader's language: the host's profile language, an attendee's as they booked.
    locale: &'p str,
    reply_to: (&'p str, &'p str),
    attendee: Option<&'p AttendeeRecord>,
    /// Whether the copy is the attendee's own (not the host's or a fixed address's, which name the booker).
    to_attendee: bool,
}

/// Queues every step of `workflows` for one booking; scheduled ones at their time, or not at all when that time
/// has passed. Returns how many emails were queued.
async fn queue(
    tx: &mut Tx,
    mailer: &Mailer,
    people: &People<'_>,
    workflows: &[&WorkflowRecord],
    now: Timestamp,
) -> Result<usize, WorkflowError> {
    let mut out = Gathered::default();
    let queued = gather(tx, mailer, people, workflows, now, &mut out).await?;
    out.write(tx, now).await?;
    Ok(queued)
}

/// [`queue`]'s emails, into `out`; how many.
async fn gather(
    tx: &mut Tx,
    mailer: &Mailer,
    people: &People<'_>,
    workflows: &[&WorkflowRecord],
    now: Timestamp,
    out: &mut Gathered,
) -> Result<usize, WorkflowError> {
    let before = out.len();
    let ids: Vec<WorkflowId> = workflows.iter().map(|w| w.id).collect();
    let steps = store::steps(&mut *tx, &ids).await?;
    let booking = people.booking;
    let organizer = (people.host.email.as_str(), people.organizer_name());
    let booker = people.attendees.first();
    // An attendee known only by phone has no address: no email goes to them, and replies go to the organizer.
    let reachable = |a: &&AttendeeRecord| !a.email.is_empty();
    let notes = people.answers.get("notes").and_then(Value::as_str);
    // The same sealed manage links booking emails carry, while the booking can still be changed.
    let link = |action: LinkAction| {
        booking
            .status
            .is_live()
            .then(|| booking_links::url(&mailer.settings.public_url, mailer.keyring(), &booking.uid, action))
            .flatten()
            .unwrap_or_default()
    };
    let (cancel_url, reschedule_url) = (link(LinkAction::Cancel), link(LinkAction::Reschedule));
    for workflow in workflows {
        let send_at = match workflow.trigger {
            Trigger::BeforeEvent => Some(shifted(booking.start_at, -offset(workflow))),
            Trigger::AfterEvent => Some(shifted(booking.end_at, offset(workflow))),
            _ => None,
        };
        // Documented choice: a reminder whose moment has passed is dropped rather than sent late.
        if send_at.is_some_and(|at| at <= now) {
            continue;
        }
        // A seat's holder gets the steps that write to attendees; the rest went out with the first seat.
        let for_seat = |action: StepAction| !people.seat_only || action.is_to_attendee();
        for step in steps
            .iter()
            .filter(|s| s.workflow_id == workflow.id && for_seat(s.action))
        {
            let facts = |attendee: Option<&AttendeeRecord>, time_zone, twelve_hour, locale| {
                Variables::new(&Facts {
                    event_name: people.event_title,
                    organizer_name: people.organizer_name(),
                    organizer_email: &people.host.email,
                    attendee_name: attendee.map_or("", |a| a.name.as_str()),
                    attendee_email: attendee.map_or("", |a| a.email.as_str()),
                    start: booking.start_at,
                    end: booking.end_at,
                    location: booking.location.as_deref(),
                    notes,
                    cancel_url: &cancel_url,
                    reschedule_url: &reschedule_url,
                    answers: &people.answers,
                    time_zone,
                    twelve_hour,
                    locale,
                })
            };
            if let Some(channel) = Channel::of_step(step.action) {
                // Text steps go to each attendee who gave a number, in their zone and language; a number step goes
                // to its verified number alone, written as the host reads it.
                let targets: Vec<(Option<&AttendeeRecord>, String)> = if step.action.is_to_number() {
                    step.phone.iter().map(|phone| (None, phone.clone())).collect()
                } else {
                    people.phones().into_iter().map(|(a, phone)| (Some(a), phone)).collect()
                };
                for (attendee, phone) in targets {
                    let vars = match attendee {
                        Some(a) => facts(Some(a), &a.time_zone, false, &a.language),
                        None => facts(
                            booker,
                            &people.host.time_zone,
                            people.host.time_format == 12,
                            &people.host.locale,
                        ),
                    };
                    let (subject, text) = render_text(&step.subject, &step.html, &vars);
                    let row = NewEmail {
                        message_id: mailer.new_message_id(),
                        organization_id: people.organization_id,
                        team_id: people.team_id,
                        booking_id: Some(booking.id),
                        user_id: Some(people.host.id),
                        to_name: attendee.map(|a| a.name.clone()),
                        to_email: phone,
                        subject,
                        body_text: text,
                        not_before: send_at,
                        ..NewEmail::of(channel.kind())
                    };
                    match send_at {
                        Some(_) => out.push_reminder(row, workflow.id, booking.id),
                        None => out.push(row),
                    }
                }
                continue;
            }
            let host_copy = || Copy {
                to_email: &people.host.email,
                to_name: people.organizer_name(),
                time_zone: &people.host.time_zone,
                twelve_hour: people.host.time_format == 12,
                locale: &people.host.locale,
                reply_to: booker
                    .filter(reachable)
                    .map_or(organizer, |b| (b.email.as_str(), b.name.as_str())),
                attendee: booker,
                to_attendee: false,
            };
            let copies: Vec<Copy<'_>> = match step.action {
                StepAction::EmailHost => vec![host_copy()],
                StepAction::EmailAttendee => people
                    .attendees
                    .iter()
                    .filter(reachable)
                    .map(|a| Copy {
                        to_email: &a.email,
                        to_name: &a.name,
                        time_zone: &a.time_zone,
                        twelve_hour: false,
                        locale: &a.language,
                        reply_to: organizer,
                        attendee: Some(a),
                        to_attendee: true,
                    })
                    .collect(),
                StepAction::EmailAddress => match step.email.as_deref() {
                    Some(address) => vec![Copy {
                        to_email: address,
                        to_name: address,
                        reply_to: organizer,
                        ..host_copy()
                    }],
                    None => Vec::new(),
                },
                // Text steps went out above.
                _ => Vec::new(),
            };
            for copy in copies {
                let vars = facts(copy.attendee, copy.time_zone, copy.twelve_hour, copy.locale);
                let rendered = render(&step.subject, &step.html, &vars).map_err(WorkflowError::Render)?;
                let email = NewEmail {
                    message_id: mailer.new_message_id(),
                    kind: EmailKind::WorkflowEmail.into(),
                    from_name: Some(step.sender_name.clone()),
                    organization_id: people.organization_id,
                    team_id: people.team_id,
                    booking_id: Some(booking.id),
                    user_id: Some(people.host.id),
                    to_email: copy.to_email.to_owned(),
                    to_name: Some(copy.to_name.to_owned()),
                    reply_to_email: Some(copy.reply_to.0.to_owned()),
                    reply_to_name: Some(copy.reply_to.1.to_owned()),
                    subject: rendered.subject,
                    body_text: rendered.text,
                    body_html: rendered.html,
                    not_before: send_at,
                    ics: step
                        .include_calendar_event
                        .then(|| invite(people, copy.attendee.filter(|_| copy.to_attendee))),
                    ics_method: step.include_calendar_event.then(|| "REQUEST".to_owned()),
                };
                // A reminder is linked to its workflow and booking, so that moving or cancelling the booking or
                // editing the workflow finds it.
                match send_at {
                    Some(_) => out.push_reminder(email, workflow.id, booking.id),
                    None => out.push(email),
                }
            }
        }
    }
    Ok(out.len() - before)
}

/// The booking as a calendar invitation, for steps with `includeCalendarEvent` (the same event, by iCalendar UID,
/// as the booking emails carry: adding it again updates it). For seat holders who must not see each other, an
/// attendee's copy names only `reader`.
fn invite(people: &People<'_>, reader: Option<&AttendeeRecord>) -> String {
    let booking = people.booking;
    IcsEvent {
        method: Method::Request,
        uid: booking.ical_uid.clone(),
        sequence: booking.ical_sequence,
        stamp: Timestamp::now(),
        start: booking.start_at,
        end: booking.end_at,
        summary: booking.title.clone(),
        description: booking.description.clone(),
        location: booking.location.clone(),
        organizer: Party {
            name: people.organizer_name().to_owned(),
            email: people.host.email.clone(),
        },
        attendees: people
            .attendees
            .iter()
            .filter(|a| !a.email.is_empty())
            .filter(|a| !people.private_seats || reader.is_none_or(|r| r.id == a.id))
            .map(|a| Party {
                name: a.name.clone(),
                email: a.email.clone(),
            })
            .collect(),
        cancelled: false,
        rule: None,
        // An occurrence of a series shares the series' UID: name the occurrence so only it is touched.
        occurrence: booking.recurring_event_uid.as_ref().map(|_| booking.start_at),
    }
    .render()
}
