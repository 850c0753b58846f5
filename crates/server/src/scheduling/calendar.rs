//! A host's calendar for one event type: availability, busy blocks, rules and limits, loaded
//! once and asked either for all free slots in a window or whether one start is bookable.

use super::availability::{fallback_schedule, weekly_schedule};
use super::event_settings::booking_limits;
use crate::time_text::{shifted, ts};
use convene_core::schedule::{Interval, subtract};
use convene_core::slots::{
    BookingLimits, ExistingBooking, SlotQuery, SlotRules, Verdict, explain, free_slots, is_bookable,
};
use convene_store::calendars as calendar_busy;
use convene_store::event_types::EventTypeRecord;
use convene_store::users::UserRecord;
use convene_store::{Exec, StoreResult, bookings, out_of_office, schedules};
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Buffers are capped at a day, so busy blocks more than a day away never matter.
pub const MAX_BUFFER_MINUTES: i64 = 24 * 60;
const DAY_MS: i64 = 86_400_000;

/// The slot rules of `event` for a booking of `length_minutes`.
pub fn rules(event: &EventTypeRecord, length_minutes: i64) -> SlotRules {
    SlotRules {
        length: SignedDuration::from_mins(length_minutes),
        step: SignedDuration::from_mins(event.slot_interval.unwrap_or(length_minutes).max(1)),
        before_buffer: SignedDuration::from_mins(event.before_event_buffer),
        after_buffer: SignedDuration::from_mins(event.after_event_buffer),
        minimum_notice: SignedDuration::from_mins(event.minimum_booking_notice),
    }
}

pub struct Calendar {
    pub available: Vec<Interval>,
    /// The host's out-of-office periods around the window (already taken out of `available`), for explaining.
    pub away: Vec<Interval>,
    /// Bookings and holds first, then external calendars' busy time from this index on (for explaining).
    pub bookings: Vec<ExistingBooking>,
    pub external_from: usize,
    pub rules: SlotRules,
    pub limits: BookingLimits,
    pub time_zone: TimeZone,
    pub week_start: Weekday,
}

/// What to leave out of the busy blocks: the booking being rescheduled, the caller's own hold.
#[derive(Default, Clone, Copy)]
pub struct Exclusions<'a> {
    pub booking_uid: Option<&'a str>,
    pub reservation_uid: Option<&'a str>,
}

fn week_start(name: &str) -> Weekday {
    match name {
        "Monday" => Weekday::Monday,
        "Tuesday" => Weekday::Tuesday,
        "Wednesday" => Weekday::Wednesday,
        "Thursday" => Weekday::Thursday,
        "Friday" => Weekday::Friday,
        "Saturday" => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

impl Calendar {
    /// Loads what decides `host`'s free time for `event` around `window`.
    pub async fn load<'a>(
        exec: impl Into<Exec<'a>>,
        host: &UserRecord,
        event: &EventTypeRecord,
        length_minutes: i64,
        window: Interval,
        except: Exclusions<'_>,
    ) -> StoreResult<Calendar> {
        let mut exec = exec.into();
        let host_id = host.id;
        let schedule_record = match event.schedule_id {
            Some(id) => schedules::find(reborrow(&mut exec), host_id, id).await?,
            None => None,
        };
        let schedule_record = match schedule_record {
            Some(s) => Some(s),
            None => schedules::find_default(reborrow(&mut exec), host_id).await?,
        };
        let schedule = schedule_record
            .as_ref()
            .map_or_else(|| fallback_schedule(&host.time_zone), weekly_schedule);
        let limits = booking_limits(
            event.booking_limits_count.as_deref(),
            event.booking_limits_duration.as_deref(),
        );
        let has_limits = limits.count_per_day.is_some()
            || limits.count_per_week.is_some()
            || limits.count_per_month.is_some()
            || limits.count_per_year.is_some()
            || limits.duration_per_day.is_some()
            || limits.duration_per_week.is_some()
            || limits.duration_per_month.is_some()
            || limits.duration_per_year.is_some();
        // Slots align to the start of each availability block, so compute availability beyond
        // the window's edges and let the slot engine clip to the window.
        let margin = if has_limits {
            367 * DAY_MS
        } else {
            DAY_MS + MAX_BUFFER_MINUTES * 60_000
        };
        let margin = SignedDuration::from_millis(margin);
        let (from, to) = (shifted(window.start, -margin), shifted(window.end, margin));
        let wide = Interval::new(
            ts(window.start.as_millisecond() - DAY_MS),
            ts(window.end.as_millisecond() + DAY_MS),
        )
        .unwrap_or(window);
        // Out-of-office periods take whole stretches out of availability.
        let away: Vec<Interval> = out_of_office::overlapping(reborrow(&mut exec), host_id, wide.start, wide.end)
            .await?
            .into_iter()
            .filter_map(|(start, end)| Interval::new(start, end))
            .collect();
        let available = subtract(&schedule.available(wide), &away);
        let busy = bookings::busy(
            reborrow(&mut exec),
            host_id,
            from,
            to,
            except.booking_uid,
            except.reservation_uid,
        )
        .await?;
        // Busy time of the host's selected external calendars, from the cache the calendar refresher keeps
        // (never a remote call here). It blocks like a booking without buffers of its own and never counts
        // toward booking limits.
        let external = calendar_busy::busy_between(exec, host.id, from, to).await?;
        let mut bookings: Vec<ExistingBooking> = busy
            .into_iter()
            .filter_map(|b| {
                Some(ExistingBooking {
                    interval: Interval::new(b.start_at, b.end_at)?,
                    before_buffer: SignedDuration::from_millis(b.before_buffer_ms),
                    after_buffer: SignedDuration::from_millis(b.after_buffer_ms),
                    counts_toward_limits: b.event_type_id == Some(event.id),
                })
            })
            .collect();
        let external_from = bookings.len();
        bookings.extend(external.into_iter().filter_map(|(start, end)| {
            Some(ExistingBooking {
                interval: Interval::new(start, end)?,
                before_buffer: SignedDuration::ZERO,
                after_buffer: SignedDuration::ZERO,
                counts_toward_limits: false,
            })
        }));
        Ok(Calendar {
            available,
            away,
            bookings,
            external_from,
            rules: rules(event, length_minutes),
            limits,
            time_zone: schedule.time_zone.clone(),
            week_start: week_start(&host.week_start),
        })
    }

    fn query(&self, window: Interval, now: Timestamp) -> SlotQuery<'_> {
        SlotQuery {
            window,
            now,
            available: &self.available,
            bookings: &self.bookings,
            rules: &self.rules,
            limits: &self.limits,
            limits_time_zone: &self.time_zone,
            week_start: self.week_start,
        }
    }

    pub fn free_slots(&self, window: Interval, now: Timestamp) -> Vec<Timestamp> {
        free_slots(&self.query(window, now))
    }

    /// Why `start` is or isn't bookable: the verdict [`Calendar::is_bookable`] and the slot listing rest on.
    pub fn explain(&self, start: Timestamp, window: Interval, now: Timestamp) -> Verdict {
        explain(start, &self.query(window, now))
    }

    pub fn is_bookable(&self, start: Timestamp, now: Timestamp) -> bool {
        let window = Interval::new(start, ts(start.as_millisecond() + 1)).unwrap_or(Interval { start, end: start });
        is_bookable(start, &self.query(window, now))
    }
}

/// Lets one `Exec` serve several calls in a row.
fn reborrow<'b>(exec: &'b mut Exec<'_>) -> Exec<'b> {
    match exec {
        Exec::Db(db) => Exec::Db(db),
        Exec::Tx(tx) => Exec::Tx(tx),
    }
}
