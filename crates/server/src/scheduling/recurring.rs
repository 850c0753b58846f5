//! Recurring event types (Cal.com's `recurrence`: every `interval` weeks, months or years, up to `occurrences`
//! times): the setting, the starts of a series, and its iCalendar rule.

use super::booking::{self, BookingError, BookingRequest, Occurrence};
use super::resolve::Hosted;
use crate::credentials::new_uid;
use crate::email::{self, Mailer, queue::BookingChange};
use crate::webhooks::{self, Trigger};
use crate::workflows::plan::{BookingEvent, on_booking};
use convene_core::BookingStatus;
use convene_core::FieldError;
use convene_store::bookings::{self, BookingRecord};
use convene_store::{Db, calendar_jobs, event_types, series};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde_json::{Value, json};

/// A bound on the work and emails of one series.
pub const MAX_OCCURRENCES: i64 = 100;
const MAX_INTERVAL: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    fn name(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Yearly => "yearly",
        }
    }
}

/// `Recurrence_2024_06_14`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub frequency: Frequency,
    pub interval: i64,
    pub occurrences: i64,
}

/// `Recurrence_2024_06_14` (→ recurring) or `{disabled: true}` (→ not).
pub fn parse_setting(value: &Value) -> Result<Option<Recurrence>, FieldError> {
    let Some(map) = value.as_object() else {
        return Err(FieldError::new(
            "recurrence",
            "must be an object like {\"frequency\": \"weekly\", \"interval\": 1, \"occurrences\": 4} or {\"disabled\": true}",
        ));
    };
    if map.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let frequency = match map.get("frequency").and_then(Value::as_str) {
        Some("weekly") => Frequency::Weekly,
        Some("monthly") => Frequency::Monthly,
        Some("yearly") => Frequency::Yearly,
        _ => {
            return Err(FieldError::coded(
                "recurrence.frequency",
                "refusal-frequency",
                "must be weekly, monthly or yearly",
            ));
        }
    };
    let number = |key: &str, max: i64| {
        map.get(key)
            .and_then(Value::as_i64)
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                FieldError::coded(
                    format!("recurrence.{key}"),
                    "refusal-whole-number-between",
                    format!("must be a whole number from 1 to {max}"),
                )
                .arg("min", 1)
                .arg("max", max)
            })
    };
    Ok(Some(Recurrence {
        frequency,
        interval: number("interval", MAX_INTERVAL)?,
        occurrences: number("occurrences", MAX_OCCURRENCES)?,
    }))
}

impl Recurrence {
    /// As stored and shown (`Recurrence_2024_06_14`).
    pub fn to_json(self) -> String {
        self.value().to_string()
    }

    pub fn value(self) -> Value {
        json!({"interval": self.interval, "occurrences": self.occurrences, "frequency": self.frequency.name()})
    }

    /// The stored setting of an event type.
    pub fn stored(text: Option<&str>) -> Option<Recurrence> {
        let value: Value = serde_json::from_str(text?).ok()?;
        parse_setting(&value).ok().flatten()
    }

    /// The starts of a series of `count` from `first`, stepped in `zone`'s wall clock (a weekly meeting at 9:00
    /// stays at 9:00 across a daylight-saving change, as in the booker's calendar). `None` past the calendar's end.
    pub fn starts(self, first: Timestamp, zone: &TimeZone, count: i64) -> Option<Vec<Timestamp>> {
        let local = first.to_zoned(zone.clone());
        (0..count)
            .map(|k| {
                let n = k * self.interval;
                let step = match self.frequency {
                    Frequency::Weekly => Span::new().try_weeks(n).ok()?,
                    Frequency::Monthly => Span::new().try_months(n).ok()?,
                    Frequency::Yearly => Span::new().try_years(n).ok()?,
                };
                local.checked_add(step).ok().map(|z| z.timestamp())
            })
            .collect()
    }

    /// The iCalendar rule of a series of `count` (RFC 5545 §3.3.10).
    pub fn rrule(self, count: i64) -> String {
        let freq = match self.frequency {
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        };
        format!("FREQ={freq};INTERVAL={};COUNT={count}", self.interval)
    }
}

/// Books a series of `hosted.event`'s recurrence from `req.start`: `count` occurrences (the event type's
/// `occurrences` when not given, never more), stepped in the attendee's time zone, sharing one
/// `recurringBookingUid`, all in one transaction, with one invite whose RRULE covers them.
///
/// Availability as Cal.com checks it (`handleNewRecurringBooking`, `numSlotsToCheckForAvailability`): the first
/// occurrence must be free (409 otherwise, and nothing is booked); later ones are not checked, so an occurrence
/// falling on a conflict is booked anyway and overlaps it — the host sees both, as in Cal.com.
pub async fn book_series(
    db: &Db,
    mailer: &Mailer,
    hosted: &Hosted,
    req: BookingRequest,
    count: Option<i64>,
) -> Result<Vec<BookingRecord>, BookingError> {
    let rule = Recurrence::stored(hosted.event.recurrence.as_deref()).ok_or_else(|| {
        FieldError::coded(
            "recurrenceCount",
            "refusal-not-recurring",
            "the event type is not recurring",
        )
    })?;
    let count = match count {
        None => rule.occurrences,
        Some(n) if (1..=rule.occurrences).contains(&n) => n,
        Some(_) => {
            return Err(FieldError::coded(
                "recurrenceCount",
                "refusal-occurrences",
                format!("must be from 1 to the event type's {} occurrences", rule.occurrences),
            )
            .arg("max", rule.occurrences)
            .into());
        }
    };
    let zone = TimeZone::get(&req.attendee.time_zone).unwrap_or(TimeZone::UTC);
    let starts = rule.starts(req.start, &zone, count).ok_or_else(|| {
        FieldError::coded(
            "start",
            "refusal-series-too-long",
            "the series runs past the calendar's end",
        )
    })?;
    let series_uid = new_uid();
    let mut tx = db.begin().await?;
    let mut booked: Vec<BookingRecord> = Vec::with_capacity(starts.len());
    for (i, start) in starts.into_iter().enumerate() {
        let first = i == 0;
        let part = BookingRequest {
            start,
            // The hold, the private link's use and the routing response belong to the booking made first.
            reservation_uid: req.reservation_uid.clone().filter(|_| first),
            private_link: req.private_link.clone().filter(|_| first),
            routing_form_response_id: req.routing_form_response_id.filter(|_| first),
            ..req.clone()
        };
        let occurrence = Occurrence {
            series_uid: &series_uid,
            first,
            organizer: booked.first().map(|b| b.host_id),
        };
        booked.push(booking::book(&mut tx, mailer, hosted, part, Some(&occurrence)).await?);
    }
    let first = booked.first().ok_or(BookingError::SlotUnavailable)?;
    let change = match first.status {
        BookingStatus::Pending => BookingChange::Requested,
        _ => BookingChange::Scheduled,
    };
    email::queue::series_emails(&mut tx, mailer, first, change, &rule.rrule(count)).await?;
    tx.commit().await?;
    Ok(booked)
}

/// Cancels the live occurrences of series `series_uid` from `from` on (all of them when `None`), in one
/// transaction, each with its webhooks. The whole series cancelled: one cancellation whose RRULE covers it;
/// the rest of a series: one per occurrence (each names its occurrence). Returns the cancelled occurrences.
pub async fn cancel_series(
    db: &Db,
    mailer: &Mailer,
    series_uid: &str,
    from: Option<Timestamp>,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<Vec<BookingRecord>, BookingError> {
    let mut tx = db.begin().await?;
    let all = series::occurrences(&mut tx, series_uid).await?;
    let mut cancelled = Vec::new();
    for occurrence in all.iter().filter(|b| from.is_none_or(|t| b.start_at >= t)) {
        let Some(updated) = bookings::set_status(
            &mut tx,
            &occurrence.uid,
            &[BookingStatus::Accepted, BookingStatus::Pending],
            BookingStatus::Cancelled,
            reason,
            by,
        )
        .await?
        else {
            continue;
        };
        webhooks::enqueue_booking_event(&mut tx, Trigger::BookingCancelled, &updated, None).await?;
        on_booking(&mut tx, mailer, &updated, BookingEvent::Cancelled).await?;
        calendar_jobs::enqueue(&mut tx, &updated.uid, updated.host_id).await?;
        if from.is_some() {
            email::queue::booking_emails(&mut tx, mailer, &updated, BookingChange::Cancelled).await?;
        }
        cancelled.push(updated);
    }
    if from.is_none()
        && let Some(first) = cancelled.first()
    {
        let count = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let rule = match first.event_type_id {
            Some(id) => event_types::find(&mut tx, id)
                .await?
                .and_then(|e| Recurrence::stored(e.recurrence.as_deref())),
            None => None,
        };
        match rule {
            Some(rule) => {
                email::queue::series_emails(&mut tx, mailer, first, BookingChange::Cancelled, &rule.rrule(count))
                    .await?
            }
            None => email::queue::booking_emails(&mut tx, mailer, first, BookingChange::Cancelled).await?,
        };
    }
    tx.commit().await?;
    Ok(cancelled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_series_keep_the_wall_clock_across_daylight_saving() {
        let weekly = Recurrence {
            frequency: Frequency::Weekly,
            interval: 1,
            occurrences: 4,
        };
        let zone = TimeZone::get("Europe/Berlin").expect("zone");
        // 2030-03-20 09:00 CET; summer time starts on 2030-03-31.
        let first: Timestamp = "2030-03-20T08:00:00Z".parse().expect("instant");
        let starts = weekly.starts(first, &zone, 3).expect("starts");
        let utc: Vec<String> = starts.iter().map(ToString::to_string).collect();
        assert_eq!(
            utc,
            ["2030-03-20T08:00:00Z", "2030-03-27T08:00:00Z", "2030-04-03T07:00:00Z"]
        );
        assert_eq!(weekly.rrule(3), "FREQ=WEEKLY;INTERVAL=1;COUNT=3");
    }

    #[test]
    fn settings_are_read_or_refused_naming_the_field() {
        let on = parse_setting(&json!({"frequency": "monthly", "interval": 2, "occurrences": 6})).expect("valid");
        assert_eq!(
            on.map(Recurrence::value),
            Some(json!({"interval": 2, "occurrences": 6, "frequency": "monthly"}))
        );
        assert_eq!(parse_setting(&json!({"disabled": true})).expect("valid"), None);
        let bad = parse_setting(&json!({"frequency": "daily", "interval": 1, "occurrences": 2})).expect_err("daily");
        assert_eq!(bad.field, "recurrence.frequency");
        let bad = parse_setting(&json!({"frequency": "weekly", "interval": 1, "occurrences": 0})).expect_err("none");
        assert_eq!(bad.field, "recurrence.occurrences");
    }
}
