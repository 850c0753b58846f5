//! Queuing emails in the transaction of the change that causes them: a committed change always has its
//! emails, a rolled-back one never does.

use super::booking_parties::BookingParties;
use super::compose::{self, BookingFacts, Reader, Rendered};
use super::gathered::Gathered;
use super::routes::Mailer;
use crate::booking_links::{self, LinkAction};
use crate::i18n::Lang;
use convene_core::BookingStatus;
use convene_core::email::EmailKind;
use convene_core::ics::{IcsEvent, Method, Party};
use convene_core::{EmailId, TeamId, UserId};
use convene_store::bookings::{AttendeeRecord, BookingRecord};
use convene_store::event_types::EventTypeRecord;
use convene_store::outbox::{self, NewEmail};
use convene_store::users::UserRecord;
use convene_store::{StoreError, Tx, notification_preferences};
use jiff::Timestamp;
use serde_json::Value;

/// What happened to a booking.
#[derive(Debug, Clone)]
pub enum BookingChange<'a> {
    /// Booked without needing approval, or a request the host confirmed.
    Scheduled,
    /// Booked, waiting for the host's approval.
    Requested,
    Declined,
    Cancelled,
    /// `booking` replaced `from`, for `reason`.
    Rescheduled {
        from: &'a BookingRecord,
        reason: Option<&'a str>,
    },
    RescheduleRequested,
    GuestsAdded {
        guests: &'a [AttendeeRecord],
    },
    NoShowMarked,
    /// A round-robin booking handed to its new organizer (the booking's host now), for `reason`: they and the
    /// attendees hear of it.
    Reassigned {
        reason: Option<&'a str>,
    },
    /// The same, told to the host it was taken from: the booking as it was, still naming them.
    Unassigned {
        reason: Option<&'a str>,
    },
}

impl BookingChange<'_> {
    /// The notification-preference event that governs it (Cal.com's names), if any.
    fn preference_event(&self) -> Option<&'static str> {
        match self {
            BookingChange::Scheduled | BookingChange::Requested => Some("bookingConfirmed"),
            BookingChange::Declined | BookingChange::Cancelled => Some("bookingCancelled"),
            BookingChange::Rescheduled { .. } | BookingChange::RescheduleRequested => Some("bookingRescheduled"),
            BookingChange::Reassigned { .. } => Some("bookingConfirmed"),
            BookingChange::Unassigned { .. } => Some("bookingCancelled"),
            BookingChange::GuestsAdded { .. } | BookingChange::NoShowMarked => None,
        }
    }

    /// (kind to each attendee, kind to the organizer, calendar method).
    fn kinds(&self, booking: &BookingRecord) -> (Option<EmailKind>, Option<EmailKind>, Option<Method>) {
        use EmailKind as K;
        match self {
            BookingChange::Scheduled => (
                Some(K::BookingScheduledAttendee),
                Some(K::BookingScheduledOrganizer),
                Some(Method::Request),
            ),
            BookingChange::Requested => (
                Some(K::BookingRequestedAttendee),
                Some(K::BookingAwaitingApprovalOrganizer),
                None,
            ),
            BookingChange::Declined => (Some(K::BookingDeclinedAttendee), None, None),
            BookingChange::Cancelled => (
                Some(K::BookingCancelledAttendee),
                Some(K::BookingCancelledOrganizer),
                Some(Method::Cancel),
            ),
            BookingChange::Rescheduled { .. } => (
                Some(K::BookingRescheduledAttendee),
                Some(K::BookingRescheduledOrganizer),
                Some(Method::Request),
            ),
            BookingChange::RescheduleRequested => (
                Some(K::BookingRescheduleRequestedAttendee),
                Some(K::BookingRescheduleRequestedOrganizer),
                Some(Method::Cancel),
            ),
            // An unconfirmed booking has no invite yet; its guests get one when the host confirms.
            BookingChange::GuestsAdded { .. } => (
                Some(K::BookingGuestsAdded),
                Some(K::BookingGuestsAdded),
                (booking.status == BookingStatus::Accepted).then_some(Method::Request),
            ),
            BookingChange::NoShowMarked => (None, Some(K::BookingNoShowMarkedOrganizer), None),
            BookingChange::Reassigned { .. } => (
                Some(K::BookingReassignedAttendee),
                Some(K::BookingReassignedOrganizer),
                Some(Method::Request),
            ),
            BookingChange::Unassigned { .. } => (None, Some(K::BookingUnassignedOrganizer), Some(Method::Cancel)),
        }
    }
}

/// Why emails could not be queued. The change they belong to fails with them: a committed change always has its
/// emails.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// A template failed to render (a bug, not bad input).
    #[error("rendering a {what} email")]
    Render {
        what: &'static str,
        #[source]
        source: askama::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One email of a booking change: who gets which kind, how they read dates, and whom they reply to.
struct Recipient<'a> {
    kind: EmailKind,
    email: &'a str,
    name: &'a str,
    reader: Reader<'a>,
    /// (address, name) for Reply-To.
    reply_to: Option<(&'a str, &'a str)>,
}

impl<'a> Recipient<'a> {
    /// An attendee or guest, replying to the organizer.
    fn attendee(kind: EmailKind, person: &'a AttendeeRecord, organizer: (&'a str, &'a str)) -> Self {
        Recipient {
            kind,
            email: &person.email,
            name: &person.name,
            reader: Reader {
                locale: &person.language,
                time_zone: &person.time_zone,
                twelve_hour: false,
            },
            reply_to: Some(organizer),
        }
    }
}

/// Who hears about `change`: the attendees (minus any just-added guests, who get their own invitation), the new
/// guests, then the organizer — each side only when the event type's `emailSettings` allow it.
fn recipients<'a>(
    change: &'a BookingChange<'a>,
    booking: &BookingRecord,
    attendees: &'a [AttendeeRecord],
    new_guests: &'a [AttendeeRecord],
    host: &'a UserRecord,
    organizer_name: &'a str,
    settings: EmailSwitches,
) -> Vec<Recipient<'a>> {
    let (attendee_kind, organizer_kind, _) = change.kinds(booking);
    let organizer = (host.email.as_str(), organizer_name);
    let mut out = Vec::new();
    if settings.to_attendees
        && let Some(kind) = attendee_kind
    {
        // A booker known only by phone (Cal.com's phone-only attendee) gets no email.
        let earlier = attendees
            .iter()
            .filter(|a| !a.email.is_empty())
            .filter(|a| !new_guests.iter().any(|g| g.email == a.email));
        out.extend(earlier.map(|a| Recipient::attendee(kind, a, organizer)));
        out.extend(
            new_guests
                .iter()
                .map(|g| Recipient::attendee(EmailKind::BookingGuestInvited, g, organizer)),
        );
    }
    if settings.to_organizer
        && let Some(kind) = organizer_kind
    {
        let booker = attendees.first();
        out.push(Recipient {
            kind,
            email: &host.email,
            name: organizer_name,
            reader: Reader {
                locale: &host.locale,
                time_zone: &host.time_zone,
                twelve_hour: host.time_format == 12,
            },
            reply_to: booker
                .filter(|a| !a.email.is_empty())
                .map(|a| (a.email.as_str(), a.name.as_str())),
        });
    }
    out
}

/// The event type's `emailSettings`: which side of a booking gets emails.
#[derive(Debug, Clone, Copy)]
struct EmailSwitches {
    to_attendees: bool,
    to_organizer: bool,
}

impl EmailSwitches {
    fn of(event_type: Option<&EventTypeRecord>) -> Self {
        let settings: Value = event_type
            .and_then(|e| e.email_settings.as_deref())
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        let flag = |key: &str| settings.get(key).and_then(Value::as_bool).unwrap_or(false);
        EmailSwitches {
            to_attendees: !flag("disableEmailsToAttendees"),
            to_organizer: !flag("disableEmailsToHosts"),
        }
    }
}

/// Queues the emails `change` calls for, honouring the event type's `emailSettings` and the host's notification
/// preferences. Returns how many were queued.
pub async fn booking_emails(
    tx: &mut Tx,
    mailer: &Mailer,
    booking: &BookingRecord,
    change: BookingChange<'_>,
) -> Result<usize, EnqueueError> {
    load_and_queue(tx, mailer, booking, change, None, None).await
}

/// The emails of a whole recurring series, sent once for its first occurrence `first`: one invite whose `rule`
/// (an RRULE) covers every occurrence — booked, or cancelled together.
pub async fn series_emails(
    tx: &mut Tx,
    mailer: &Mailer,
    first: &BookingRecord,
    change: BookingChange<'_>,
    rule: &str,
) -> Result<usize, EnqueueError> {
    load_and_queue(tx, mailer, first, change, None, Some(rule)).await
}

/// The emails of a change to one seat of a seated booking (taken, given up, moved): that seat's attendee and the
/// organizer hear of it, and the invite names only that attendee — other seats' people are not shown to them
/// (Cal.com's seats without `showAttendeeInfo`, and what its seat emails do).
pub async fn seat_emails(
    tx: &mut Tx,
    mailer: &Mailer,
    booking: &BookingRecord,
    seat: &AttendeeRecord,
    change: BookingChange<'_>,
) -> Result<usize, EnqueueError> {
    load_and_queue(tx, mailer, booking, change, Some(seat), None).await
}

/// [`booking_emails`] with the booking's parties already read, gathered into `out` for the caller to write with
/// its workflows' (the booking service reads the parties once, and writes all of a booking's emails together).
pub async fn gather_booking_emails(
    tx: &mut Tx,
    mailer: &Mailer,
    parties: &BookingParties,
    booking: &BookingRecord,
    change: BookingChange<'_>,
    out: &mut Gathered,
) -> Result<usize, EnqueueError> {
    gather(tx, mailer, parties, booking, change, None, None, out).await
}

/// [`seat_emails`] with the booking's parties already read, gathered into `out`.
pub async fn gather_seat_emails(
    tx: &mut Tx,
    mailer: &Mailer,
    parties: &BookingParties,
    booking: &BookingRecord,
    seat: &AttendeeRecord,
    change: BookingChange<'_>,
    out: &mut Gathered,
) -> Result<usize, EnqueueError> {
    gather(tx, mailer, parties, booking, change, Some(seat), None, out).await
}

/// Reads the booking's parties, then queues its emails (written at once: no workflow emails join them here).
async fn load_and_queue(
    tx: &mut Tx,
    mailer: &Mailer,
    booking: &BookingRecord,
    change: BookingChange<'_>,
    seat: Option<&AttendeeRecord>,
    series_rule: Option<&str>,
) -> Result<usize, EnqueueError> {
    let Some(parties) = BookingParties::load(tx, booking).await? else {
        return Ok(0);
    };
    let mut out = Gathered::default();
    let queued = gather(tx, mailer, &parties, booking, change, seat, series_rule, &mut out).await?;
    out.write(tx, Timestamp::now()).await?;
    Ok(queued)
}

/// The emails `change` calls for, into `out`; how many.
#[allow(clippy::too_many_arguments)] // one change's parts, passed through from the public entry points
async fn gather(
    tx: &mut Tx,
    mailer: &Mailer,
    parties: &BookingParties,
    booking: &BookingRecord,
    change: BookingChange<'_>,
    seat: Option<&AttendeeRecord>,
    series_rule: Option<&str>,
    out: &mut Gathered,
) -> Result<usize, EnqueueError> {
    let host = &parties.host;
    if let Some(event) = change.preference_event()
        && !notification_preferences::resolve(&mut *tx, host.id, parties.organization_id, event, "email").await?
    {
        return Ok(0);
    }
    let new_guests: &[AttendeeRecord] = match &change {
        BookingChange::GuestsAdded { guests } => guests,
        _ => &[],
    };
    let whole = Audience {
        shown: &parties.attendees,
        new_guests,
        to_attendees: true,
        to_organizer: true,
        links: true,
        title: booking.title.clone(),
    };
    let job = Job {
        mailer,
        parties,
        booking,
        change: &change,
        series_rule,
    };
    match seat {
        // A booking link acts on the whole booking; a seat's holder must not cancel or move the other seats.
        Some(seat) => {
            let alone = Audience {
                shown: std::slice::from_ref(seat),
                links: false,
                title: seat_title(parties, seat).unwrap_or_else(|| booking.title.clone()),
                ..whole
            };
            job.gather(&alone, out)
        }
        // A change to the whole seated booking (moved, cancelled by its host): each seat holder hears of it in an
        // email of their own that names only them, as their seat's emails do; the organizer's names everyone.
        None if parties.seats_private() => {
            let mut queued = 0;
            for person in &parties.attendees {
                let alone = Audience {
                    shown: std::slice::from_ref(person),
                    new_guests: if new_guests.iter().any(|g| g.id == person.id) {
                        std::slice::from_ref(person)
                    } else {
                        &[]
                    },
                    to_organizer: false,
                    links: false,
                    title: seat_title(parties, person).unwrap_or_else(|| booking.title.clone()),
                    ..whole.clone()
                };
                queued += job.gather(&alone, out)?;
            }
            let organizer = Audience {
                to_attendees: false,
                ..whole
            };
            Ok(queued + job.gather(&organizer, out)?)
        }
        None => job.gather(&whole, out),
    }
}

/// The title a seat's emails show: the booking's title names its first booker, so each seat holder's names them
/// instead. None for an event type that is not seated (its title is the booking's).
fn seat_title(parties: &BookingParties, seat: &AttendeeRecord) -> Option<String> {
    let event = parties.event_type.as_ref()?;
    event.seats_per_time_slot.filter(|n| *n > 0)?;
    Some(format!(
        "{} between {} and {}",
        event.title,
        parties.organizer_name(),
        seat.name
    ))
}

/// Who one set of a change's emails goes to and what they are shown.
#[derive(Clone)]
struct Audience<'a> {
    /// The attendees the emails name (and, when `to_attendees`, send to).
    shown: &'a [AttendeeRecord],
    /// Those of `shown` just added as guests (they get an invitation instead).
    new_guests: &'a [AttendeeRecord],
    to_attendees: bool,
    to_organizer: bool,
    /// Whether attendees' emails carry the booking's manage links.
    links: bool,
    title: String,
}

/// One change of one booking, whose emails are queued audience by audience.
struct Job<'a> {
    mailer: &'a Mailer,
    parties: &'a BookingParties,
    booking: &'a BookingRecord,
    change: &'a BookingChange<'a>,
    series_rule: Option<&'a str>,
}

impl Job<'_> {
    /// The emails of one audience, into `out`; how many.
    fn gather(&self, audience: &Audience<'_>, out: &mut Gathered) -> Result<usize, EnqueueError> {
        let Job {
            mailer,
            parties,
            booking,
            change,
            series_rule,
        } = *self;
        let host = &parties.host;
        let attendees = audience.shown;
        let organizer_name = parties.organizer_name().to_owned();
        let people: Vec<String> = match change {
            BookingChange::GuestsAdded { guests } => guests.iter().map(|g| g.name.clone()).collect(),
            BookingChange::NoShowMarked => attendees.iter().filter(|a| a.absent).map(|a| a.name.clone()).collect(),
            _ => Vec::new(),
        };
        let reason = match change {
            // A reschedule request is stored as the cancellation it is, with the host's reason.
            BookingChange::Cancelled | BookingChange::Declined | BookingChange::RescheduleRequested => {
                booking.cancellation_reason.as_deref()
            }
            BookingChange::Rescheduled { reason, .. }
            | BookingChange::Reassigned { reason }
            | BookingChange::Unassigned { reason } => *reason,
            _ => None,
        };
        let facts = BookingFacts {
            title: &audience.title,
            start: booking.start_at,
            end: booking.end_at,
            location: booking.location.as_deref(),
            organizer_name: &organizer_name,
            organizer_email: &host.email,
            attendees: attendees
                .iter()
                .map(|a| match a.email.as_str() {
                    "" => a.name.clone(),
                    email => format!("{} <{email}>", a.name),
                })
                .collect(),
            booker_name: attendees.first().map_or("", |a| a.name.as_str()),
            description: &booking.description,
            reason,
            previous_start: match change {
                BookingChange::Rescheduled { from, .. } => Some(from.start_at),
                _ => None,
            },
            people,
            uid: &booking.uid,
        };
        let (_, _, method) = change.kinds(booking);
        let ics = method.map(|method| {
            let mut event = invite(booking, method, &facts, &organizer_name, &host.email, attendees);
            // One occurrence of a series is named by its start; the whole series by its rule.
            match series_rule {
                Some(rule) => event.rule = Some(rule.to_owned()),
                None if booking.recurring_event_uid.is_some() => event.occurrence = Some(facts.start),
                None => {}
            }
            event.render()
        });
        // What every email of the change shares, for a recipient's kind.
        let base = |kind: EmailKind| NewEmail {
            organization_id: parties.organization_id,
            team_id: parties.team_id,
            booking_id: Some(booking.id),
            user_id: Some(host.id),
            ics: ics.clone(),
            ics_method: method.map(|m| method_name(m).to_owned()),
            ..NewEmail::of(kind)
        };
        let all = EmailSwitches::of(parties.event_type.as_ref());
        let switches = EmailSwitches {
            to_attendees: all.to_attendees && audience.to_attendees,
            to_organizer: all.to_organizer && audience.to_organizer,
        };
        let recipients = recipients(
            change,
            booking,
            attendees,
            audience.new_guests,
            host,
            &organizer_name,
            switches,
        );
        for to in &recipients {
            let links = match audience.links {
                true => manage_links(mailer, booking, to.kind, to.reader.locale),
                false => Vec::new(),
            };
            let rendered =
                compose::booking(to.kind, &facts, &to.reader, links).map_err(|source| EnqueueError::Render {
                    what: "booking",
                    source,
                })?;
            out.push(NewEmail {
                message_id: mailer.new_message_id(),
                to_email: to.email.to_owned(),
                to_name: Some(to.name.to_owned()),
                reply_to_email: to.reply_to.map(|(email, _)| email.to_owned()),
                reply_to_name: to.reply_to.map(|(_, name)| name.to_owned()),
                subject: rendered.subject,
                body_text: rendered.text,
                body_html: rendered.html,
                ..base(to.kind)
            });
        }
        Ok(recipients.len())
    }
}

/// The buttons of one recipient's email: attendees may reschedule or cancel a live booking, a host asked to
/// approve may confirm or decline — each through a link whose token works only for that booking and action.
fn manage_links(mailer: &Mailer, booking: &BookingRecord, kind: EmailKind, locale: &str) -> Vec<(String, String)> {
    let actions: &[(LinkAction, &str)] = match kind {
        EmailKind::BookingScheduledAttendee
        | EmailKind::BookingRequestedAttendee
        | EmailKind::BookingRescheduledAttendee
        | EmailKind::BookingReassignedAttendee
        | EmailKind::BookingGuestInvited => &[(LinkAction::Reschedule, "reschedule"), (LinkAction::Cancel, "cancel")],
        EmailKind::BookingAwaitingApprovalOrganizer => &[
            (LinkAction::Confirm, "confirm-submit"),
            (LinkAction::Decline, "decline-submit"),
        ],
        _ => &[],
    };
    let lang = Lang::from_tag(locale).unwrap_or_default();
    actions
        .iter()
        .filter_map(|(action, label)| {
            let url = booking_links::url(&mailer.settings.public_url, mailer.keyring(), &booking.uid, *action)?;
            Some((lang.text(label), format!("{url}&lang={}", lang.code())))
        })
        .collect()
}

/// The calendar object every email of one change carries.
fn invite(
    booking: &BookingRecord,
    method: Method,
    facts: &BookingFacts<'_>,
    organizer_name: &str,
    organizer_email: &str,
    attendees: &[AttendeeRecord],
) -> IcsEvent {
    IcsEvent {
        method,
        uid: booking.ical_uid.clone(),
        sequence: booking.ical_sequence,
        stamp: Timestamp::now(),
        start: facts.start,
        end: facts.end,
        summary: facts.title.to_owned(),
        description: booking.description.clone(),
        location: booking.location.clone(),
        organizer: Party {
            name: organizer_name.to_owned(),
            email: organizer_email.to_owned(),
        },
        // An attendee without an address can't be an iCalendar ATTENDEE (a mailto: URI).
        attendees: attendees
            .iter()
            .filter(|a| !a.email.is_empty())
            .map(|a| Party {
                name: a.name.clone(),
                email: a.email.clone(),
            })
            .collect(),
        cancelled: method == Method::Cancel,
        rule: None,
        occurrence: None,
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
        Method::Publish => "PUBLISH",
    }
}

/// One routing form response, as its email needs it.
#[derive(Debug, Clone)]
pub struct FormResponseFacts<'a> {
    pub form_name: &'a str,
    pub organization_id: Option<TeamId>,
    pub team_id: Option<TeamId>,
    pub owner_user_id: UserId,
    /// (label, answer) in the form's order.
    pub answers: &'a [(String, String)],
    /// Where the response was sent (an event type's title, a URL, a message).
    pub routed_to: Option<&'a str>,
    /// The visitor's address, when the form asked for one: replies go to them.
    pub reply_to: Option<&'a str>,
}

/// Queues a routing form response email (its own kind) to each of `recipients` — (address, name, language) —
/// through the organization's sender like booking emails. Returns how many were queued.
pub async fn form_response_emails(
    tx: &mut Tx,
    mailer: &Mailer,
    facts: &FormResponseFacts<'_>,
    recipients: &[(String, Option<String>, String)],
) -> Result<usize, EnqueueError> {
    let now = Timestamp::now();
    for (address, name, locale) in recipients {
        let rendered = compose::routing_form_response(facts.form_name, facts.answers, facts.routed_to, locale)
            .map_err(|source| EnqueueError::Render {
                what: "routing form response",
                source,
            })?;
        let email = NewEmail {
            message_id: mailer.new_message_id(),
            organization_id: facts.organization_id,
            team_id: facts.team_id,
            user_id: Some(facts.owner_user_id),
            to_email: address.clone(),
            to_name: name.clone(),
            reply_to_email: facts.reply_to.map(str::to_owned),
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: rendered.html,
            ..NewEmail::of(EmailKind::RoutingFormResponse)
        };
        outbox::enqueue(&mut *tx, &email, now).await?;
    }
    Ok(recipients.len())
}

/// Queues an account email (password reset, verification code) to `to`, through the platform only.
pub async fn account_email(
    tx: &mut Tx,
    mailer: &Mailer,
    kind: EmailKind,
    user_id: UserId,
    to_email: &str,
    to_name: Option<&str>,
    rendered: Rendered,
) -> Result<EmailId, StoreError> {
    let email = NewEmail {
        message_id: mailer.new_message_id(),
        user_id: Some(user_id),
        to_email: to_email.to_owned(),
        to_name: to_name.map(str::to_owned),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        ..NewEmail::of(kind)
    };
    outbox::enqueue(&mut *tx, &email, Timestamp::now()).await
}
