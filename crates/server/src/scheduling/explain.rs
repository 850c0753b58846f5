//! The troubleshooter's question: for each hour of one day, why a host can or can't be booked for an event type.
//! It loads the same [`Calendar`] as `/v2/slots` and asks the core's [`convene_core::slots::explain`], the verdict
//! `is_bookable` and the slot listing rest on; this module only names what the verdict points at (which booking,
//! which calendar event, out of office or outside working hours).

use super::calendar::{Calendar, Exclusions};
use crate::time_text::{shifted, ts};
use convene_core::BookingStatus;
use convene_core::schedule::{Interval, merge};
use convene_core::slots::Verdict;
use convene_store::bookings::{self, BookingFilter};
use convene_store::calendars as calendar_busy;
use convene_store::event_types::EventTypeRecord;
use convene_store::users::UserRecord;
use convene_store::{Db, StoreError};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

const HOUR_MS: i64 = 3_600_000;

/// What keeps an hour from being bookable (or that it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// At least one start in the hour can be booked: these.
    Bookable(Vec<Timestamp>),
    /// Outside the schedule's working hours (or too short a stretch of them for the event).
    OutsideHours,
    /// The host is out of office.
    OutOfOffice,
    /// Sooner than the event type's minimum notice (or past).
    MinimumNotice,
    /// A booking takes the time (`through_buffer`: only a buffer reaches into it).
    Booked {
        uid: String,
        title: String,
        through_buffer: bool,
    },
    /// Someone is holding the slot while booking it.
    Held,
    /// An event in one of the host's selected calendars.
    CalendarBusy {
        calendar: String,
        summary: Option<String>,
        through_buffer: bool,
    },
    /// The event type's booking limit for the day, week, month or year is reached.
    LimitReached,
    /// No start of the event's slot grid falls in this hour.
    NoStart,
}

/// One hour of the day, explained.
#[derive(Debug, Clone)]
pub struct Hour {
    pub start: Timestamp,
    pub reason: Reason,
}

/// Explains each hour of `day` in `zone` for `host` and `event` (as `/v2/slots` would answer at `now`).
#[tracing::instrument(skip_all, fields(host = host.id.0, event = event.id.0, %day))]
pub async fn explain_day(
    db: &Db,
    host: &UserRecord,
    event: &EventTypeRecord,
    day: Date,
    zone: &TimeZone,
    now: Timestamp,
) -> Result<Vec<Hour>, StoreError> {
    let start = day
        .to_zoned(zone.clone())
        .map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp());
    let end = day
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned(zone.clone()).ok())
        .map_or(start, |z| z.timestamp());
    let Some(window) = Interval::new(start, end) else {
        return Ok(Vec::new());
    };
    let length = event.length_minutes;
    let calendar = Calendar::load(db, host, event, length, window, Exclusions::default()).await?;
    let free = calendar.free_slots(window, now);
    let names = Names::load(db, host, window).await?;
    let step = calendar.rules.step;
    let available = merge(calendar.available.clone());
    let mut hours = Vec::new();
    let mut at = start.as_millisecond();
    while at < end.as_millisecond() {
        let hour_end = (at + HOUR_MS).min(end.as_millisecond());
        let in_hour = |t: &Timestamp| (at..hour_end).contains(&t.as_millisecond());
        let bookable: Vec<Timestamp> = free.iter().copied().filter(in_hour).collect();
        let reason = if bookable.is_empty() {
            // The grid's starts in this hour, else the hour's own start: the first one's verdict speaks for it.
            let first = grid_starts(&available, step, at, hour_end).into_iter().next();
            let verdict = calendar.explain(first.unwrap_or(ts(at)), window, now);
            name(&calendar, &names, verdict, first.unwrap_or(ts(at)))
        } else {
            Reason::Bookable(bookable)
        };
        hours.push(Hour { start: ts(at), reason });
        at = hour_end;
    }
    Ok(hours)
}

/// Starts of the slot grid (each available interval's start plus multiples of `step`) in [`from`, `to`).
fn grid_starts(available: &[Interval], step: SignedDuration, from: i64, to: i64) -> Vec<Timestamp> {
    let step = step.as_millis().max(1);
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for iv in available {
        let origin = iv.start.as_millisecond();
        if origin >= to || iv.end.as_millisecond() <= from {
            continue;
        }
        let first = if from <= origin {
            origin
        } else {
            origin + (from - origin + step - 1) / step * step
        };
        if first < to && first < iv.end.as_millisecond() {
            out.push(ts(first));
        }
    }
    out.sort();
    out
}

/// The bookings and calendar events around the day, to name what a verdict points at.
struct Names {
    bookings: Vec<(Timestamp, Timestamp, String, String)>,
    events: Vec<calendar_busy::NamedBusy>,
}

impl Names {
    async fn load(db: &Db, host: &UserRecord, window: Interval) -> Result<Names, StoreError> {
        // Buffers are capped at a day, so what can touch the day lies within a day of it.
        let margin = SignedDuration::from_hours(2 * 24);
        let (from, to) = (shifted(window.start, -margin), shifted(window.end, margin));
        let filter = BookingFilter {
            hosts: vec![host.id],
            statuses: vec![BookingStatus::Accepted, BookingStatus::Pending],
            after_start: Some(from),
            before_end: Some(to),
            order: "b.start_at ASC",
            take: 1_000,
            ..BookingFilter::default()
        };
        let bookings = bookings::list(db, &filter)
            .await?
            .into_iter()
            .map(|b| (b.start_at, b.end_at, b.uid, b.title))
            .collect();
        let events = calendar_busy::named_busy_between(db, host.id, from, to).await?;
        Ok(Names { bookings, events })
    }
}

/// The verdict for `start`, with what it points at named.
fn name(calendar: &Calendar, names: &Names, verdict: Verdict, start: Timestamp) -> Reason {
    match verdict {
        Verdict::Bookable => Reason::Bookable(vec![start]),
        Verdict::OutsideWindow | Verdict::OffGrid => Reason::NoStart,
        Verdict::OutsideAvailability => {
            let s = start.as_millisecond();
            let away = calendar
                .away
                .iter()
                .any(|iv| iv.start.as_millisecond() <= s && s < iv.end.as_millisecond());
            if away {
                Reason::OutOfOffice
            } else {
                Reason::OutsideHours
            }
        }
        Verdict::TooSoon => Reason::MinimumNotice,
        Verdict::LimitReached => Reason::LimitReached,
        Verdict::Conflict { index, through_buffer } => {
            let Some(blocking) = calendar.bookings.get(index) else {
                return Reason::NoStart;
            };
            if index < calendar.external_from {
                names
                    .bookings
                    .iter()
                    .find(|b| b.0 == blocking.interval.start && b.1 == blocking.interval.end)
                    .map_or(Reason::Held, |b| Reason::Booked {
                        uid: b.2.clone(),
                        title: b.3.clone(),
                        through_buffer,
                    })
            } else {
                let event = names
                    .events
                    .iter()
                    .find(|n| n.start_at == blocking.interval.start && n.end_at == blocking.interval.end);
                Reason::CalendarBusy {
                    calendar: event.map(|n| n.calendar_name.clone()).unwrap_or_default(),
                    summary: event.and_then(|n| n.summary.clone()),
                    through_buffer,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    #[test]
    fn grid_starts_follow_each_interval_and_step() {
        let available = vec![
            Interval::new(at("2030-01-07T09:30:00Z"), at("2030-01-07T12:00:00Z")).expect("iv"),
            Interval::new(at("2030-01-07T13:00:00Z"), at("2030-01-07T14:00:00Z")).expect("iv"),
        ];
        let hour = |h: &str| at(&format!("2030-01-07T{h}:00:00Z")).as_millisecond();
        let step = SignedDuration::from_mins(45);
        assert_eq!(
            grid_starts(&available, step, hour("09"), hour("10")),
            vec![at("2030-01-07T09:30:00Z")]
        );
        assert_eq!(
            grid_starts(&available, step, hour("10"), hour("11")),
            vec![at("2030-01-07T10:15:00Z")]
        );
        assert!(grid_starts(&available, step, hour("12"), hour("13")).is_empty());
        assert_eq!(
            grid_starts(&available, step, hour("13"), hour("14")),
            vec![at("2030-01-07T13:00:00Z")]
        );
    }
}
