//! Free slot computation: which start instants a host can still be booked at.
//!
//! Arithmetic is done on `i128` nanoseconds since the epoch: buffers and lengths added to timestamps near the
//! edges of jiff's range can then neither overflow nor panic.

use std::collections::HashMap;

use jiff::{
    SignedDuration, Timestamp, ToSpan,
    civil::{Date, Weekday},
    tz::TimeZone,
};

use crate::schedule::{Interval, merge};

/// How slots of one event type are laid out and spaced from other events.
#[derive(Debug, Clone)]
pub struct SlotRules {
    /// Length of the event; must be positive.
    pub length: SignedDuration,
    /// Distance between candidate starts (the event's slotInterval, or its length); must be positive.
    pub step: SignedDuration,
    /// Free time required before the event (>= 0).
    pub before_buffer: SignedDuration,
    /// Free time required after the event (>= 0).
    pub after_buffer: SignedDuration,
    /// How far ahead of `now` the earliest slot may start (>= 0).
    pub minimum_notice: SignedDuration,
}

/// Cal.com's bookingLimitsCount / bookingLimitsDuration. Counted over periods in `SlotQuery::limits_time_zone`;
/// weeks start on `SlotQuery::week_start`. None = no limit.
#[derive(Debug, Clone, Default)]
pub struct BookingLimits {
    pub count_per_day: Option<u32>,
    pub count_per_week: Option<u32>,
    pub count_per_month: Option<u32>,
    pub count_per_year: Option<u32>,
    pub duration_per_day: Option<SignedDuration>,
    pub duration_per_week: Option<SignedDuration>,
    pub duration_per_month: Option<SignedDuration>,
    pub duration_per_year: Option<SignedDuration>,
}

/// A booking (or held reservation) already on the host's calendar.
#[derive(Debug, Clone)]
pub struct ExistingBooking {
    pub interval: Interval,
    pub before_buffer: SignedDuration,
    pub after_buffer: SignedDuration,
    /// Same event type as the one being offered: counts toward its booking limits.
    pub counts_toward_limits: bool,
}

/// Everything [`free_slots`] and [`is_bookable`] need to decide on a start.
pub struct SlotQuery<'a> {
    pub window: Interval,
    pub now: Timestamp,
    /// Host availability (schedule minus out-of-office), sorted and merged.
    pub available: &'a [Interval],
    pub bookings: &'a [ExistingBooking],
    pub rules: &'a SlotRules,
    pub limits: &'a BookingLimits,
    pub limits_time_zone: &'a TimeZone,
    pub week_start: Weekday,
}

fn ns(t: Timestamp) -> i128 {
    t.as_nanosecond()
}

fn overlaps(a: (i128, i128), b: (i128, i128)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Whether a new booking [start, start+length) with the rules' buffers conflicts with `existing`:
/// the new event's buffered range [start - before, end + after) overlaps the existing booking's interval, OR the
/// new event's bare interval overlaps the existing booking's buffered range. (Buffers may overlap each other.)
pub fn conflicts(start: Timestamp, rules: &SlotRules, existing: &ExistingBooking) -> bool {
    let (s, e) = (ns(start), ns(start) + rules.length.as_nanos());
    let (es, ee) = (ns(existing.interval.start), ns(existing.interval.end));
    overlaps(
        (s - rules.before_buffer.as_nanos(), e + rules.after_buffer.as_nanos()),
        (es, ee),
    ) || overlaps(
        (s, e),
        (
            es - existing.before_buffer.as_nanos(),
            ee + existing.after_buffer.as_nanos(),
        ),
    )
}

/// Starts `s` for which [`conflicts`] holds, as half-open nanosecond ranges.
///
/// Solving the two overlap conditions of `conflicts` for `s` gives two open ranges `lo < s < hi`; on integer
/// nanoseconds that is `[lo + 1, hi)`. For any real booking the two overlap, and returning them joined halves
/// the sort that follows.
fn blocked_starts(rules: &SlotRules, b: &ExistingBooking) -> impl Iterator<Item = (i128, i128)> {
    let len = rules.length.as_nanos();
    let (es, ee) = (ns(b.interval.start), ns(b.interval.end));
    let own_buffers = (
        es - len - rules.after_buffer.as_nanos() + 1,
        ee + rules.before_buffer.as_nanos(),
    );
    let its_buffers = (
        es - b.before_buffer.as_nanos() - len + 1,
        ee + b.after_buffer.as_nanos(),
    );
    let nonempty = |r: (i128, i128)| (r.0 < r.1).then_some(r);
    let ranges = match (nonempty(own_buffers), nonempty(its_buffers)) {
        (Some(x), Some(y)) if x.0 <= y.1 && y.0 <= x.1 => [Some((x.0.min(y.0), x.1.max(y.1))), None],
        (x, y) => [x, y],
    };
    ranges.into_iter().flatten()
}

/// The first point of the grid `origin + k * step` (k >= 0) at or after `t`.
fn grid_at_or_after(origin: i128, step: i128, t: i128) -> i128 {
    if t <= origin {
        origin
    } else {
        origin + (t - origin + step - 1) / step * step
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Period {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    count: u32,
    nanos: i128,
}

/// Booking limits with the existing counting bookings tallied per period, keyed by each period's first date.
struct LimitCheck<'a> {
    limits: [(Period, Option<u32>, Option<i128>); 4],
    tz: &'a TimeZone,
    week_start: Weekday,
    length: i128,
    tallies: HashMap<(Period, Date), Tally>,
    /// Starts on one local date share a verdict; slots come in date runs, so one entry saves most zone lookups.
    last: Option<(Date, bool)>,
}

impl<'a> LimitCheck<'a> {
    fn new(q: &SlotQuery<'a>) -> Self {
        let l = q.limits;
        let nanos = |d: Option<SignedDuration>| d.map(|d| d.as_nanos());
        let limits = [
            (Period::Day, l.count_per_day, nanos(l.duration_per_day)),
            (Period::Week, l.count_per_week, nanos(l.duration_per_week)),
            (Period::Month, l.count_per_month, nanos(l.duration_per_month)),
            (Period::Year, l.count_per_year, nanos(l.duration_per_year)),
        ];
        let mut check = LimitCheck {
            limits,
            tz: q.limits_time_zone,
            week_start: q.week_start,
            length: q.rules.length.as_nanos(),
            tallies: HashMap::new(),
            last: None,
        };
        let periods: Vec<Period> = check.active().map(|(p, _, _)| p).collect();
        if !periods.is_empty() {
            // Tally per date first: bookings cluster on few dates, so the period maps see few updates.
            let mut per_date: HashMap<Date, Tally> = HashMap::new();
            for b in q.bookings.iter().filter(|b| b.counts_toward_limits) {
                let tally = per_date
                    .entry(check.tz.to_datetime(b.interval.start).date())
                    .or_default();
                tally.count = tally.count.saturating_add(1);
                tally.nanos += b.interval.duration().as_nanos();
            }
            for (date, day) in per_date {
                for &period in &periods {
                    let tally = check
                        .tallies
                        .entry((period, period_start(period, date, check.week_start)))
                        .or_default();
                    tally.count = tally.count.saturating_add(day.count);
                    tally.nanos += day.nanos;
                }
            }
        }
        check
    }

    fn active(&self) -> impl Iterator<Item = (Period, Option<u32>, Option<i128>)> + '_ {
        self.limits
            .iter()
            .copied()
            .filter(|(_, count, nanos)| count.is_some() || nanos.is_some())
    }

    /// Whether one more booking starting at `start` stays within every limit.
    fn allows(&mut self, start: Timestamp) -> bool {
        if self.active().next().is_none() {
            return true;
        }
        let date = self.tz.to_datetime(start).date();
        if let Some((last_date, verdict)) = self.last
            && last_date == date
        {
            return verdict;
        }
        let verdict = self.active().all(|(period, count, nanos)| {
            let key = (period, period_start(period, date, self.week_start));
            let tally = self.tallies.get(&key).copied().unwrap_or_default();
            count.is_none_or(|max| tally.count < max) && nanos.is_none_or(|max| tally.nanos + self.length <= max)
        });
        self.last = Some((date, verdict));
        verdict
    }
}

/// The first date of the `period` containing `date`.
fn period_start(period: Period, date: Date, week_start: Weekday) -> Date {
    match period {
        Period::Day => date,
        // Only fails at the very start of jiff's calendar, where the date itself is as good a key as any.
        Period::Week => date
            .checked_sub(i64::from(date.weekday().since(week_start)).days())
            .unwrap_or(date),
        Period::Month => date.first_of_month(),
        Period::Year => date.first_of_year(),
    }
}

/// Rules that hold regardless of bookings; `None` when the rules cannot produce any slot.
fn earliest_start(q: &SlotQuery<'_>) -> Option<i128> {
    let (length, step) = (q.rules.length.as_nanos(), q.rules.step.as_nanos());
    (length > 0 && step > 0).then(|| ns(q.window.start).max(ns(q.now) + q.rules.minimum_notice.as_nanos()))
}

/// Start instants of free slots, ascending.
///
/// Candidates start at each available interval's start and advance by `rules.step`; a candidate s is offered
/// when: window.start <= s < window.end; [s, s+length) lies inside that one available interval;
/// s >= now + minimum_notice; it conflicts with no booking; and adding it would not exceed any booking limit for
/// the day/week/month/year (in limits_time_zone) containing s. A non-positive `length` or `step` yields nothing.
///
/// `available` is merged defensively, so touching intervals form one grid anchored at the earlier start.
pub fn free_slots(q: &SlotQuery<'_>) -> Vec<Timestamp> {
    let Some(earliest) = earliest_start(q) else {
        return Vec::new();
    };
    let (length, step, window_end) = (q.rules.length.as_nanos(), q.rules.step.as_nanos(), ns(q.window.end));

    // Each booking forbids a range of starts; sorted and merged once, they are swept alongside the candidates.
    // Ranges wholly before the earliest or after the last possible start cannot matter.
    let mut blocked: Vec<(i128, i128)> = q
        .bookings
        .iter()
        .flat_map(|b| blocked_starts(q.rules, b))
        .filter(|&(from, to)| to > earliest && from < window_end)
        .collect();
    blocked.sort_unstable();
    let mut merged: Vec<(i128, i128)> = Vec::with_capacity(blocked.len());
    for (from, to) in blocked {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }

    let mut limits = LimitCheck::new(q);
    let mut slots = Vec::new();
    let mut next_block = 0;
    for iv in merge(q.available.to_vec()) {
        let (origin, last_start) = (ns(iv.start), (ns(iv.end) - length).min(window_end - 1));
        let mut s = grid_at_or_after(origin, step, earliest);
        while s <= last_start {
            while next_block < merged.len() && merged[next_block].1 <= s {
                next_block += 1;
            }
            if let Some(&(from, to)) = merged.get(next_block)
                && from <= s
            {
                s = grid_at_or_after(origin, step, to);
                continue;
            }
            if let Ok(start) = Timestamp::from_nanosecond(s)
                && limits.allows(start)
            {
                slots.push(start);
            }
            s += step;
        }
    }
    slots
}

/// Why a start is or is not bookable: the answer of [`explain`], in the order it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Bookable,
    /// The rules can't produce any slot (non-positive length or step), or the start is at or past the window's end.
    OutsideWindow,
    /// [start, start+length) does not lie inside one available interval.
    OutsideAvailability,
    /// Inside availability, but not one of the starts the grid of `step` offers.
    OffGrid,
    /// Earlier than `now + minimum_notice`.
    TooSoon,
    /// Conflicts with `bookings[index]`; `through_buffer` when only a buffer (the new event's or the booking's)
    /// reaches into it.
    Conflict {
        index: usize,
        through_buffer: bool,
    },
    /// One more booking would exceed a booking limit of its day, week, month or year.
    LimitReached,
}

/// Why `start` may or may not be booked. It is [`is_bookable`]'s question answered with its first failing rule (a
/// troubleshooter shows it), so the two can never disagree.
pub fn explain(start: Timestamp, q: &SlotQuery<'_>) -> Verdict {
    let Some(earliest) = earliest_start(q) else {
        return Verdict::OutsideWindow;
    };
    let (s, length, step) = (ns(start), q.rules.length.as_nanos(), q.rules.step.as_nanos());
    if start >= q.window.end {
        return Verdict::OutsideWindow;
    }
    let available = merge(q.available.to_vec());
    let Some(inside) = available
        .iter()
        .find(|iv| ns(iv.start) <= s && s + length <= ns(iv.end))
    else {
        return Verdict::OutsideAvailability;
    };
    if (s - ns(inside.start)) % step != 0 {
        return Verdict::OffGrid;
    }
    if s < earliest {
        return Verdict::TooSoon;
    }
    if let Some((index, b)) = q
        .bookings
        .iter()
        .enumerate()
        .find(|(_, b)| conflicts(start, q.rules, b))
    {
        let bare = overlaps((s, s + length), (ns(b.interval.start), ns(b.interval.end)));
        return Verdict::Conflict {
            index,
            through_buffer: !bare,
        };
    }
    if !LimitCheck::new(q).allows(start) {
        return Verdict::LimitReached;
    }
    Verdict::Bookable
}

/// Whether `start` may be booked: true exactly when [`free_slots`] for the same query would offer it.
/// Checks each booking directly, so it costs O(bookings) for one start.
pub fn is_bookable(start: Timestamp, q: &SlotQuery<'_>) -> bool {
    explain(start, q) == Verdict::Bookable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{WeeklyAvailability, WeeklySchedule};
    use jiff::civil::time;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("valid RFC 3339 timestamp")
    }

    fn iv(start: &str, end: &str) -> Interval {
        Interval::new(ts(start), ts(end)).expect("non-empty interval")
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn rules(length: i64, step: i64) -> SlotRules {
        SlotRules {
            length: mins(length),
            step: mins(step),
            before_buffer: SignedDuration::ZERO,
            after_buffer: SignedDuration::ZERO,
            minimum_notice: SignedDuration::ZERO,
        }
    }

    fn booking(start: &str, end: &str) -> ExistingBooking {
        ExistingBooking {
            interval: iv(start, end),
            before_buffer: SignedDuration::ZERO,
            after_buffer: SignedDuration::ZERO,
            counts_toward_limits: true,
        }
    }

    /// Owns everything a `SlotQuery` borrows, with defaults that impose nothing.
    #[derive(Debug)]
    struct Fixture {
        window: Interval,
        now: Timestamp,
        available: Vec<Interval>,
        bookings: Vec<ExistingBooking>,
        rules: SlotRules,
        limits: BookingLimits,
        tz: TimeZone,
        week_start: Weekday,
    }

    impl Fixture {
        fn new(available: Vec<Interval>, rules: SlotRules) -> Self {
            Fixture {
                window: iv("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
                now: ts("2025-12-01T00:00:00Z"),
                available,
                bookings: vec![],
                rules,
                limits: BookingLimits::default(),
                tz: TimeZone::UTC,
                week_start: Weekday::Monday,
            }
        }

        fn query(&self) -> SlotQuery<'_> {
            SlotQuery {
                window: self.window,
                now: self.now,
                available: &self.available,
                bookings: &self.bookings,
                rules: &self.rules,
                limits: &self.limits,
                limits_time_zone: &self.tz,
                week_start: self.week_start,
            }
        }

        fn slots(&self) -> Vec<Timestamp> {
            free_slots(&self.query())
        }
    }

    fn times(list: &[&str]) -> Vec<Timestamp> {
        list.iter().map(|s| ts(s)).collect()
    }

    #[test]
    fn hourly_slots_fill_the_interval_and_the_last_one_ends_exactly_at_its_end() {
        let f = Fixture::new(vec![iv("2026-01-05T09:00:00Z", "2026-01-05T12:30:00Z")], rules(60, 60));
        assert_eq!(
            f.slots(),
            times(&["2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"])
        );
    }

    #[test]
    fn a_thirty_minute_event_every_fifteen_minutes_offers_overlapping_starts() {
        let f = Fixture::new(vec![iv("2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z")], rules(30, 15));
        assert_eq!(
            f.slots(),
            times(&["2026-01-05T09:00:00Z", "2026-01-05T09:15:00Z", "2026-01-05T09:30:00Z"])
        );
    }

    #[test]
    fn the_grid_is_anchored_at_each_available_interval_start() {
        let available = vec![
            iv("2026-01-05T09:10:00Z", "2026-01-05T10:30:00Z"),
            iv("2026-01-05T13:00:00Z", "2026-01-05T14:00:00Z"),
        ];
        let f = Fixture::new(available, rules(60, 60));
        assert_eq!(f.slots(), times(&["2026-01-05T09:10:00Z", "2026-01-05T13:00:00Z"]));
        assert!(!is_bookable(ts("2026-01-05T09:00:00Z"), &f.query()), "off-grid start");
    }

    #[test]
    fn minimum_notice_hides_slots_starting_too_soon_after_now() {
        let mut f = Fixture::new(vec![iv("2026-01-05T09:00:00Z", "2026-01-05T12:00:00Z")], rules(30, 30));
        f.now = ts("2026-01-05T09:20:00Z");
        f.rules.minimum_notice = mins(60);
        assert_eq!(
            f.slots(),
            times(&["2026-01-05T10:30:00Z", "2026-01-05T11:00:00Z", "2026-01-05T11:30:00Z"])
        );
        assert!(!is_bookable(ts("2026-01-05T10:00:00Z"), &f.query()));
    }

    #[test]
    fn only_the_start_must_lie_in_the_window_and_its_end_is_exclusive() {
        let mut f = Fixture::new(vec![iv("2026-01-05T09:00:00Z", "2026-01-05T17:00:00Z")], rules(60, 60));
        f.window = iv("2026-01-05T10:00:00Z", "2026-01-05T11:30:00Z");
        assert_eq!(f.slots(), times(&["2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"]));
        f.window = iv("2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z");
        assert_eq!(f.slots(), times(&["2026-01-05T10:00:00Z"]));
    }

    #[test]
    fn a_booking_removes_overlapping_slots_but_not_touching_ones() {
        let mut f = Fixture::new(vec![iv("2026-01-05T09:00:00Z", "2026-01-05T13:00:00Z")], rules(60, 30));
        f.bookings = vec![booking("2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z")];
        let expected = [
            "2026-01-05T09:00:00Z",
            "2026-01-05T11:00:00Z",
            "2026-01-05T11:30:00Z",
            "2026-01-05T12:00:00Z",
        ];
        assert_eq!(f.slots(), times(&expected));
    }

    #[test]
    fn the_new_events_buffers_must_not_reach_into_an_existing_booking() {
        let existing = booking("2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z");
        let mut r = rules(60, 60);
        r.after_buffer = mins(15);
        assert!(conflicts(ts("2026-01-05T10:00:00Z"), &r, &existing));
        assert!(!conflicts(ts("2026-01-05T09:45:00Z"), &r, &existing));
        r.before_buffer = mins(15);
        assert!(conflicts(ts("2026-01-05T12:00:00Z"), &r, &existing));
        assert!(!conflicts(ts("2026-01-05T12:15:00Z"), &r, &existing));
    }

    #[test]
    fn an_existing_bookings_buffers_must_not_reach_into_the_new_event() {
        let mut existing = booking("2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z");
        existing.before_buffer = mins(30);
        existing.after_buffer = mins(10);
        let r = rules(60, 60);
        assert!(conflicts(ts("2026-01-05T10:00:00Z"), &r, &existing));
        assert!(!conflicts(ts("2026-01-05T09:30:00Z"), &r, &existing));
        assert!(conflicts(ts("2026-01-05T12:05:00Z"), &r, &existing));
        assert!(!conflicts(ts("2026-01-05T12:10:00Z"), &r, &existing));
    }

    #[test]
    fn buffers_may_overlap_each_other() {
        let mut existing = booking("2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z");
        existing.before_buffer = mins(15);
        let mut r = rules(60, 60);
        r.after_buffer = mins(15);
        // New event 09:45–10:45 buffered to 11:00; existing buffered from 10:45: only the buffers meet.
        assert!(!conflicts(ts("2026-01-05T09:45:00Z"), &r, &existing));
    }

    #[test]
    fn free_slots_skip_starts_whose_buffers_collide() {
        let mut f = Fixture::new(vec![iv("2026-01-05T09:00:00Z", "2026-01-05T14:00:00Z")], rules(60, 30));
        f.rules.after_buffer = mins(30);
        let mut b = booking("2026-01-05T11:00:00Z", "2026-01-05T12:00:00Z");
        b.after_buffer = mins(30);
        f.bookings = vec![b];
        // 10:00 would run its buffer into 11:00; 12:00 and 12:30 are inside the booking's after buffer.
        assert_eq!(
            f.slots(),
            times(&[
                "2026-01-05T09:00:00Z",
                "2026-01-05T09:30:00Z",
                "2026-01-05T12:30:00Z",
                "2026-01-05T13:00:00Z"
            ])
        );
    }

    #[test]
    fn explain_names_the_first_rule_a_start_breaks() {
        let mut f = Fixture::new(vec![iv("2026-01-05T09:00:00Z", "2026-01-05T17:00:00Z")], rules(60, 60));
        f.rules.after_buffer = mins(30);
        f.now = ts("2026-01-05T09:30:00Z");
        f.bookings = vec![booking("2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z")];
        let why = |at: &str| explain(ts(at), &f.query());
        assert_eq!(why("2026-01-05T08:00:00Z"), Verdict::OutsideAvailability);
        assert_eq!(
            why("2026-01-05T16:30:00Z"),
            Verdict::OutsideAvailability,
            "would end after 17:00"
        );
        assert_eq!(why("2026-01-05T10:15:00Z"), Verdict::OffGrid);
        assert_eq!(why("2026-01-05T09:00:00Z"), Verdict::TooSoon);
        assert_eq!(
            why("2026-01-05T12:00:00Z"),
            Verdict::Conflict {
                index: 0,
                through_buffer: false
            }
        );
        assert_eq!(
            why("2026-01-05T11:00:00Z"),
            Verdict::Conflict {
                index: 0,
                through_buffer: true
            },
            "its own 30-minute after-buffer reaches into 12:00"
        );
        assert_eq!(why("2026-01-05T14:00:00Z"), Verdict::Bookable);
        assert_eq!(why("2026-02-05T14:00:00Z"), Verdict::OutsideWindow);
        f.limits.count_per_day = Some(1);
        assert_eq!(explain(ts("2026-01-05T14:00:00Z"), &f.query()), Verdict::LimitReached);
    }

    fn two_days() -> Vec<Interval> {
        // Monday and Tuesday 2026-01-05/06, 09:00–11:00 UTC.
        vec![
            iv("2026-01-05T09:00:00Z", "2026-01-05T11:00:00Z"),
            iv("2026-01-06T09:00:00Z", "2026-01-06T11:00:00Z"),
        ]
    }

    #[test]
    fn a_daily_count_limit_closes_a_day_once_reached_counting_only_the_same_event_type() {
        let mut f = Fixture::new(two_days(), rules(60, 60));
        f.limits.count_per_day = Some(2);
        let mut other_event = booking("2026-01-05T20:00:00Z", "2026-01-05T21:00:00Z");
        other_event.counts_toward_limits = false;
        f.bookings = vec![booking("2026-01-05T07:00:00Z", "2026-01-05T08:00:00Z"), other_event];
        assert_eq!(f.slots().len(), 4, "one counting booking leaves room");
        f.bookings.push(booking("2026-01-05T18:00:00Z", "2026-01-05T19:00:00Z"));
        assert_eq!(f.slots(), times(&["2026-01-06T09:00:00Z", "2026-01-06T10:00:00Z"]));
    }

    #[test]
    fn a_weekly_limit_follows_the_week_start() {
        // Sunday 2026-01-04 ends a Monday-started week but starts a Sunday-started one.
        let mut f = Fixture::new(two_days(), rules(60, 60));
        f.limits.count_per_week = Some(1);
        f.bookings = vec![booking("2026-01-04T10:00:00Z", "2026-01-04T11:00:00Z")];
        f.week_start = Weekday::Monday;
        assert_eq!(f.slots().len(), 4);
        f.week_start = Weekday::Sunday;
        assert!(f.slots().is_empty());
    }

    #[test]
    fn a_daily_duration_limit_allows_only_events_that_still_fit() {
        let mut f = Fixture::new(two_days(), rules(30, 60));
        f.limits.duration_per_day = Some(mins(120));
        f.bookings = vec![booking("2026-01-05T12:00:00Z", "2026-01-05T13:30:00Z")];
        assert_eq!(f.slots().len(), 4, "90 + 30 minutes is exactly the limit");
        f.rules.length = mins(60);
        assert_eq!(f.slots(), times(&["2026-01-06T09:00:00Z", "2026-01-06T10:00:00Z"]));
    }

    #[test]
    fn limit_periods_are_days_in_the_limits_time_zone() {
        // 20:00Z Monday is already Tuesday 01:30 in Kolkata, so it fills Tuesday there, not Monday.
        let mut f = Fixture::new(two_days(), rules(60, 60));
        f.limits.count_per_day = Some(1);
        f.bookings = vec![booking("2026-01-05T20:00:00Z", "2026-01-05T20:30:00Z")];
        assert_eq!(f.slots(), times(&["2026-01-06T09:00:00Z", "2026-01-06T10:00:00Z"]));
        f.tz = TimeZone::get("Asia/Kolkata").expect("known zone");
        assert_eq!(f.slots(), times(&["2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"]));
    }

    #[test]
    fn slots_from_a_new_york_schedule_stay_at_nine_local_across_spring_forward() {
        let schedule = WeeklySchedule {
            time_zone: TimeZone::get("America/New_York").expect("known zone"),
            availability: vec![WeeklyAvailability {
                days: vec![Weekday::Saturday, Weekday::Sunday, Weekday::Monday],
                start: time(9, 0, 0, 0),
                end: time(10, 0, 0, 0),
            }],
            overrides: vec![],
        };
        let mut f = Fixture::new(vec![], rules(60, 60));
        f.window = iv("2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z");
        f.available = schedule.available(f.window);
        assert_eq!(
            f.slots(),
            times(&["2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z"])
        );
    }

    #[test]
    fn non_positive_length_or_step_offers_nothing() {
        let available = vec![iv("2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z")];
        for r in [rules(0, 15), rules(30, 0), rules(-30, 15)] {
            let f = Fixture::new(available.clone(), r);
            assert!(f.slots().is_empty());
            assert!(!is_bookable(ts("2026-01-05T09:00:00Z"), &f.query()));
        }
    }

    #[test]
    fn a_month_with_a_thousand_bookings_offers_exactly_the_starts_no_booking_blocks() {
        let day = |d: i64| ts("2026-01-01T00:00:00Z") + SignedDuration::from_hours(24 * d);
        let available: Vec<Interval> = (0..31)
            .filter_map(|d| Interval::new(day(d) + mins(6 * 60), day(d) + mins(22 * 60)))
            .collect();
        let mut f = Fixture::new(available, rules(30, 15));
        f.bookings = (0..1000)
            .map(|i| {
                let start = day(i % 31) + mins(8 * 60 + (i * 37) % 600);
                ExistingBooking {
                    interval: Interval::new(start, start + mins(5)).expect("non-empty"),
                    before_buffer: mins(i % 3),
                    after_buffer: mins(i % 2),
                    counts_toward_limits: i % 2 == 0,
                }
            })
            .collect();
        f.limits.count_per_day = Some(40);
        // Every quarter-hour start inside the day's availability that no booking blocks (at most 33 short bookings
        // a day, 17 of them counted: the daily limit of 40 is never reached), found the slow way.
        let expected: Vec<Timestamp> = f
            .available
            .iter()
            .flat_map(|day| {
                (0..)
                    .map(move |k| day.start + mins(15 * k))
                    .take_while(move |s| *s + mins(30) <= day.end)
            })
            .filter(|s| f.bookings.iter().all(|b| !conflicts(*s, &f.rules, b)))
            .collect();
        assert!(
            expected.len() > 100,
            "the bookings leave room: {} starts",
            expected.len()
        );
        assert_eq!(f.slots(), expected);
    }

    fn five_min(base: Timestamp, k: i64) -> Timestamp {
        base + mins(5 * k)
    }

    prop_compose! {
        fn arb_fixture()(
            available in prop::collection::vec((0i64..800, 1i64..60), 0..6),
            bookings in prop::collection::vec((0i64..800, 1i64..30, 0i64..6, 0i64..6, any::<bool>()), 0..8),
            (length, step, before, after, notice) in (1i64..12, 1i64..12, 0i64..6, 0i64..6, 0i64..40),
            (now, window_start, window_len) in (0i64..400, 0i64..400, 1i64..800),
            limits in (prop::option::of(0u32..4), prop::option::of(0u32..3), prop::option::of(1i64..30)),
            sunday_weeks in any::<bool>(),
        ) -> Fixture {
            // Five-minute units from a Saturday spanning New York's spring-forward, so periods cross DST.
            let base = ts("2026-03-07T00:00:00Z");
            let unit = |k: i64| five_min(base, k);
            let span = |(k, n): (i64, i64)| Interval::new(unit(k), unit(k + n)).expect("n > 0");
            let mut f = Fixture::new(merge(available.into_iter().map(span).collect()), rules(5 * length, 5 * step));
            f.bookings = bookings.into_iter().map(|(k, n, b, a, counts)| ExistingBooking {
                interval: span((k, n)),
                before_buffer: mins(5 * b),
                after_buffer: mins(5 * a),
                counts_toward_limits: counts,
            }).collect();
            f.rules.before_buffer = mins(5 * before);
            f.rules.after_buffer = mins(5 * after);
            f.rules.minimum_notice = mins(5 * notice);
            f.now = unit(now);
            f.window = span((window_start, window_len));
            f.limits.count_per_day = limits.0;
            f.limits.count_per_week = limits.1;
            f.limits.duration_per_day = limits.2.map(|n| mins(5 * n));
            f.tz = TimeZone::get("America/New_York").expect("known zone");
            f.week_start = if sunday_weeks { Weekday::Sunday } else { Weekday::Monday };
            f
        }
    }

    proptest! {
        #[test]
        fn offered_slots_are_ascending_free_inside_availability_and_respect_notice(f in arb_fixture()) {
            let slots = f.slots();
            prop_assert!(slots.windows(2).all(|w| w[0] < w[1]));
            for &s in &slots {
                let event = Interval::new(s, s + f.rules.length).expect("positive length");
                prop_assert!(f.available.iter().any(|a| a.contains(&event)));
                prop_assert!(f.bookings.iter().all(|b| !conflicts(s, &f.rules, b)));
                prop_assert!(s >= f.now + f.rules.minimum_notice);
                prop_assert!(f.window.start <= s && s < f.window.end);
            }
        }

        #[test]
        fn free_slots_are_exactly_the_bookable_grid_points(f in arb_fixture()) {
            let q = f.query();
            let grid = f.available.iter().flat_map(|a| {
                let n = a.duration().as_nanos() / f.rules.step.as_nanos();
                (0..=n).map(move |k| a.start + f.rules.step * i32::try_from(k).expect("small"))
            });
            let bookable: Vec<Timestamp> = grid.filter(|&s| is_bookable(s, &q)).collect();
            prop_assert_eq!(free_slots(&q), bookable);
        }

        #[test]
        fn is_bookable_holds_for_a_random_start_iff_it_is_offered(f in arb_fixture(), k in 0i64..900, off_minute in 0i64..5) {
            let start = five_min(ts("2026-03-07T00:00:00Z"), k) + mins(off_minute);
            prop_assert_eq!(is_bookable(start, &f.query()), f.slots().contains(&start));
        }
    }
}
