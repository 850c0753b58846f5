//! Queuing emails in the transaction of the change that causes them: a committed change always has its
//! emails, a rolled-back one never does.

use super::compose::{self, BookingFacts, Reader, Rendered};
use super::routes::Mailer;
use crate::api::ApiError;
use crate::scheduling::time_text::ts;
use convene_core::email::EmailKind;
use convene_core::ics::{IcsEvent, Method, Party};
use convene_core::{TeamId, UserId};
use convene_store::bookings::{AttendeeRecord, BookingRecord};
use convene_store::outbox::{self, NewEmail};
use convene_store::{Tx, event_types, notification_preferences, teams, users};
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
}

impl BookingChange<'_> {
    /// The notification-preference event that governs it (Cal.com's names), if any.
    fn preference_event(&self) -> Option<&'static str> {
        match self {
            BookingChange::Scheduled | BookingChange::Requested => Some("bookingConfirmed"),
            BookingChange::Declined | BookingChange::Cancelled => Some("bookingCancelled"),
            BookingChange::Rescheduled { .. } | BookingChange::RescheduleRequested => Some("bookingRescheduled"),
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
                (booking.status == "accepted").then_some(Method::Request),
            ),
            BookingChange::NoShowMarked => (None, Some(K::BookingNoShowMarkedOrganizer), None),
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
) -> Result<usize, ApiError> {
    let Some(host) = users::find(&mut *tx, UserId(booking.host_id)).await? else {
        return Ok(0);
    };
    let event_type = match booking.event_type_id {
        Some(id) => event_types::find(&mut *tx, id).await?,
        None => None,
    };
    let settings: Value = event_type
        .as_ref()
        .and_then(|e| e.email_settings.as_deref())
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let flag = |key: &str| settings.get(key).and_then(Value::as_bool).unwrap_or(false);
    let (to_attendees, to_organizer) = (!flag("disableEmailsToAttendees"), !flag("disableEmailsToHosts"));

    let team_id = event_type.as_ref().and_then(|e| e.team_id);
    let organization_id = match team_id {
        Some(team) => teams::find(&mut *tx, TeamId(team))
            .await?
            .and_then(|t| t.parent_id)
            .or(host.organization_id),
        None => host.organization_id,
    };
    if let Some(event) = change.preference_event()
        && !notification_preferences::resolve(&mut *tx, host.id, organization_id, event, "email").await?
    {
        return Ok(0);
    }

    let attendees = convene_store::bookings::attendees(&mut *tx, &[booking.id]).await?;
    let organizer_name = host.name.clone().unwrap_or_else(|| host.username.clone());
    let booker = attendees.first();
    let booker_name = booker.map_or("", |a| a.name.as_str());
    let people: Vec<String> = match &change {
        BookingChange::GuestsAdded { guests } => guests.iter().map(|g| g.name.clone()).collect(),
        BookingChange::NoShowMarked => attendees.iter().filter(|a| a.absent).map(|a| a.name.clone()).collect(),
        _ => Vec::new(),
    };
    let reason = match &change {
        // A reschedule request is stored as the cancellation it is, with the host's reason.
        BookingChange::Cancelled | BookingChange::Declined | BookingChange::RescheduleRequested => {
            booking.cancellation_reason.as_deref()
        }
        BookingChange::Rescheduled { reason, .. } => *reason,
        _ => None,
    };
    let facts = BookingFacts {
        title: &booking.title,
        start: ts(booking.start_at),
        end: ts(booking.end_at),
        location: booking.location.as_deref(),
        organizer_name: &organizer_name,
        organizer_email: &host.email,
        attendees: attendees.iter().map(|a| format!("{} <{}>", a.name, a.email)).collect(),
        booker_name,
        description: &booking.description,
        reason,
        previous_start: match &change {
            BookingChange::Rescheduled { from, .. } => Some(ts(from.start_at)),
            _ => None,
        },
        people,
        uid: &booking.uid,
    };
    let (attendee_kind, organizer_kind, method) = change.kinds(booking);
    let ics = method.map(|method| {
        IcsEvent {
            method,
            uid: booking.ical_uid.clone(),
            sequence: booking.ical_sequence,
            stamp: Timestamp::now(),
            start: facts.start,
            end: facts.end,
            summary: booking.title.clone(),
            description: booking.description.clone(),
            location: booking.location.clone(),
            organizer: Party {
                name: organizer_name.clone(),
                email: host.email.clone(),
            },
            attendees: attendees
                .iter()
                .map(|a| Party {
                    name: a.name.clone(),
                    email: a.email.clone(),
                })
                .collect(),
            cancelled: method == Method::Cancel,
        }
        .render()
    });
    let method_name = method.map(|m| match m {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
        Method::Publish => "PUBLISH",
    });
    let base = NewEmail {
        organization_id,
        team_id,
        booking_id: Some(booking.id),
        user_id: Some(host.id),
        ics: ics.clone(),
        ics_method: method_name.map(str::to_owned),
        ..NewEmail::default()
    };
    let now = Timestamp::now().as_millisecond();
    let mut queued = 0;

    if to_attendees && let Some(kind) = attendee_kind {
        let recipients: Vec<&AttendeeRecord> = match &change {
            // The new guests get their own invitation; the others hear who joined.
            BookingChange::GuestsAdded { guests } => attendees
                .iter()
                .filter(|a| !guests.iter().any(|g| g.email == a.email))
                .collect(),
            _ => attendees.iter().collect(),
        };
        for attendee in recipients {
            let reader = Reader {
                locale: &attendee.language,
                time_zone: &attendee.time_zone,
                twelve_hour: false,
            };
            let rendered = render(kind, &facts, &reader)?;
            let email = NewEmail {
                message_id: mailer.new_message_id(),
                kind: kind.as_str().to_owned(),
                to_email: attendee.email.clone(),
                to_name: Some(attendee.name.clone()),
                reply_to_email: Some(host.email.clone()),
                reply_to_name: Some(organizer_name.clone()),
                subject: rendered.subject,
                body_text: rendered.text,
                body_html: rendered.html,
                ..base.clone()
            };
            outbox::enqueue(&mut *tx, &email, now).await?;
            queued += 1;
        }
        if let BookingChange::GuestsAdded { guests } = &change {
            for guest in guests.iter() {
                let reader = Reader {
                    locale: &guest.language,
                    time_zone: &guest.time_zone,
                    twelve_hour: false,
                };
                let rendered = render(EmailKind::BookingGuestInvited, &facts, &reader)?;
                let email = NewEmail {
                    message_id: mailer.new_message_id(),
                    kind: EmailKind::BookingGuestInvited.as_str().to_owned(),
                    to_email: guest.email.clone(),
                    to_name: Some(guest.name.clone()),
                    reply_to_email: Some(host.email.clone()),
                    reply_to_name: Some(organizer_name.clone()),
                    subject: rendered.subject,
                    body_text: rendered.text,
                    body_html: rendered.html,
                    ..base.clone()
                };
                outbox::enqueue(&mut *tx, &email, now).await?;
                queued += 1;
            }
        }
    }
    if to_organizer && let Some(kind) = organizer_kind {
        let reader = Reader {
            locale: &host.locale,
            time_zone: &host.time_zone,
            twelve_hour: host.time_format == 12,
        };
        let rendered = render(kind, &facts, &reader)?;
        let email = NewEmail {
            message_id: mailer.new_message_id(),
            kind: kind.as_str().to_owned(),
            to_email: host.email.clone(),
            to_name: Some(organizer_name.clone()),
            reply_to_email: booker.map(|a| a.email.clone()),
            reply_to_name: booker.map(|a| a.name.clone()),
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: rendered.html,
            ..base.clone()
        };
        outbox::enqueue(&mut *tx, &email, now).await?;
        queued += 1;
    }
    Ok(queued)
}

fn render(kind: EmailKind, facts: &BookingFacts<'_>, reader: &Reader<'_>) -> Result<Rendered, ApiError> {
    compose::booking(kind, facts, reader)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering a booking email")))
}

/// Queues an account email (password reset, verification code) to `to`, through the platform only.
pub async fn account_email(
    tx: &mut Tx,
    mailer: &Mailer,
    kind: EmailKind,
    user_id: i64,
    to_email: &str,
    to_name: Option<&str>,
    rendered: Rendered,
) -> Result<i64, ApiError> {
    let email = NewEmail {
        message_id: mailer.new_message_id(),
        kind: kind.as_str().to_owned(),
        user_id: Some(user_id),
        to_email: to_email.to_owned(),
        to_name: to_name.map(str::to_owned),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        ..NewEmail::default()
    };
    Ok(outbox::enqueue(&mut *tx, &email, Timestamp::now().as_millisecond()).await?)
}
