//! Weekly availability schedules and the interval-set arithmetic built on them.
//!
//! A schedule is written in wall-clock time of one zone; [`WeeklySchedule::available`] turns it into instants
//! so that everything downstream (busy times, slots, team intersections) works on plain UTC intervals.

use std::collections::HashMap;

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, Time, Weekday},
    tz::TimeZone,
};

/// Half-open [start, end) instant range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Interval {
    /// The range [start, end), or `None` when it would be empty (`end <= start`).
    pub fn new(start: Timestamp, end: Timestamp) -> Option<Interval> {
        (start < end).then_some(Interval { start, end })
    }

    /// Whether the two ranges share an instant; touching ranges (`a.end == b.start`) do not.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `other` lies entirely within `self`.
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Length of the range.
    pub fn duration(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }
}

/// One weekly rule: on each of `days`, available from `start` to `end` (wall-clock in the schedule's zone).
/// `end == Time::midnight()` means "until the end of the day" (24:00). start < end otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyAvailability {
    pub days: Vec<Weekday>,
    pub start: Time,
    pub end: Time,
}

/// Availability for one specific date that replaces the weekly rules on that date. Several overrides on one
/// date add up. An override with start == end (e.g. 00:00–00:00) makes the whole date unavailable.
/// As in weekly rules, an `end` of midnight after a later `start` means 24:00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOverride {
    pub date: Date,
    pub start: Time,
    pub end: Time,
}

/// A host's recurring availability in one time zone, with per-date exceptions.
#[derive(Debug, Clone)]
pub struct WeeklySchedule {
    pub time_zone: TimeZone,
    pub availability: Vec<WeeklyAvailability>,
    pub overrides: Vec<DateOverride>,
}

impl WeeklySchedule {
    /// Available instants intersecting `window`, clipped to it, sorted and merged (adjacent/overlapping joined).
    ///
    /// Wall-clock times become instants in `time_zone` with jiff's "compatible" disambiguation, so a 01:00–03:00
    /// rule on a spring-forward day is 1 hour long and on a fall-back day 3 hours; a rule ending at 24:00 ends at
    /// the next day's local midnight. Rules with `end <= start` (other than an `end` of 24:00) contribute nothing.
    pub fn available(&self, window: Interval) -> Vec<Interval> {
        if window.end <= window.start {
            return Vec::new();
        }
        let tz = &self.time_zone;
        let mut overrides: HashMap<Date, Vec<&DateOverride>> = HashMap::new();
        for o in &self.overrides {
            overrides.entry(o.date).or_default().push(o);
        }

        // One local day of margin each side: a rule ending at 24:00, or a fold at midnight, can spill an
        // interval across the date boundary that `to_datetime` reports for the window's edges.
        let first = tz.to_datetime(window.start).date();
        let first = first.yesterday().unwrap_or(first);
        let last = tz.to_datetime(window.end).date();
        let last = last.tomorrow().unwrap_or(last);

        let mut out = Vec::new();
        let mut date = first;
        while date <= last {
            let ranges: Vec<(Time, Time)> = match overrides.get(&date) {
                Some(os) => os
                    .iter()
                    .filter(|o| o.start != o.end)
                    .map(|o| (o.start, o.end))
                    .collect(),
                None => {
                    let weekday = date.weekday();
                    self.availability
                        .iter()
                        .filter(|a| a.days.contains(&weekday))
                        .map(|a| (a.start, a.end))
                        .collect()
                }
            };
            out.extend(
                ranges
                    .into_iter()
                    .filter_map(|(start, end)| wall_clock_interval(tz, date, start, end))
                    .filter_map(|iv| Interval::new(iv.start.max(window.start), iv.end.min(window.end))),
            );
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        merge(out)
    }
}

/// `start`..`end` on `date` as instants; an `end` of midnight means the next day's midnight.
fn wall_clock_interval(tz: &TimeZone, date: Date, start: Time, end: Time) -> Option<Interval> {
    let start = tz.to_ambiguous_timestamp(date.to_datetime(start)).compatible().ok()?;
    let end = if end == Time::midnight() {
        tz.to_ambiguous_timestamp(date.tomorrow().ok()?.to_datetime(end))
            .compatible()
            .ok()?
    } else {
        tz.to_ambiguous_timestamp(date.to_datetime(end)).compatible().ok()?
    };
    Interval::new(start, end)
}

/// Sorts and joins overlapping or touching intervals. Empty intervals (possible through the public fields) are
/// dropped.
pub fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.retain(|iv| iv.start < iv.end);
    intervals.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for iv in intervals {
        match out.last_mut() {
            Some(last) if iv.start <= last.end => last.end = last.end.max(iv.end),
            _ => out.push(iv),
        }
    }
    out
}

/// `a` minus the union of `b` (both any order; result sorted, merged).
pub fn subtract(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (a, b) = (merge(a.to_vec()), merge(b.to_vec()));
    let mut out = Vec::new();
    // `j` only moves past cuts that end before the current piece: a cut may span several pieces of `a`.
    let mut j = 0;
    for piece in a {
        let mut cursor = piece.start;
        while j < b.len() && b[j].end <= cursor {
            j += 1;
        }
        for cut in b[j..].iter().take_while(|cut| cut.start < piece.end) {
            out.extend(Interval::new(cursor, cut.start));
            cursor = cursor.max(cut.end);
        }
        out.extend(Interval::new(cursor, piece.end));
    }
    out
}

/// Intersection of two interval sets (any order; result sorted, merged). Used for COLLECTIVE team events.
pub fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (a, b) = (merge(a.to_vec()), merge(b.to_vec()));
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        out.extend(Interval::new(a[i].start.max(b[j].start), a[i].end.min(b[j].end)));
        // Whichever ends first cannot meet anything further in the other set.
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("valid RFC 3339 timestamp")
    }

    fn iv(start: &str, end: &str) -> Interval {
        Interval::new(ts(start), ts(end)).expect("non-empty interval")
    }

    fn secs(start: i64, end: i64) -> Interval {
        Interval::new(
            Timestamp::from_second(start).expect("in range"),
            Timestamp::from_second(end).expect("in range"),
        )
        .expect("non-empty interval")
    }

    fn schedule(zone: &str, availability: Vec<WeeklyAvailability>, overrides: Vec<DateOverride>) -> WeeklySchedule {
        WeeklySchedule {
            time_zone: TimeZone::get(zone).expect("known zone"),
            availability,
            overrides,
        }
    }

    fn every_day(start: Time, end: Time) -> WeeklyAvailability {
        use Weekday::*;
        WeeklyAvailability {
            days: vec![Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday],
            start,
            end,
        }
    }

    fn weekdays_nine_to_five() -> WeeklyAvailability {
        use Weekday::*;
        WeeklyAvailability {
            days: vec![Monday, Tuesday, Wednesday, Thursday, Friday],
            start: time(9, 0, 0, 0),
            end: time(17, 0, 0, 0),
        }
    }

    /// The local day `d` as a UTC window in `zone`.
    fn local_day(zone: &str, d: Date) -> Interval {
        let tz = TimeZone::get(zone).expect("known zone");
        let start = d.to_zoned(tz.clone()).expect("valid").timestamp();
        let end = d.tomorrow().expect("valid").to_zoned(tz).expect("valid").timestamp();
        Interval::new(start, end).expect("non-empty day")
    }

    #[test]
    fn interval_rejects_empty_ranges_and_touching_is_not_overlapping() {
        assert_eq!(
            Interval::new(ts("2026-01-01T10:00:00Z"), ts("2026-01-01T10:00:00Z")),
            None
        );
        let a = iv("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z");
        let b = iv("2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z");
        assert!(!a.overlaps(&b) && !b.overlaps(&a));
        assert!(a.overlaps(&iv("2026-01-01T09:59:00Z", "2026-01-01T10:01:00Z")));
        assert!(a.contains(&a) && !a.contains(&b));
        assert_eq!(a.duration(), SignedDuration::from_hours(1));
    }

    #[test]
    fn weekday_rule_in_london_covers_nine_to_five_local_on_weekdays_only() {
        let s = schedule("Europe/London", vec![weekdays_nine_to_five()], vec![]);
        // Fri 2026-07-03 .. Mon 2026-07-06 (BST, UTC+1): Saturday and Sunday are free of availability.
        let got = s.available(iv("2026-07-03T00:00:00Z", "2026-07-07T00:00:00Z"));
        assert_eq!(
            got,
            vec![
                iv("2026-07-03T08:00:00Z", "2026-07-03T16:00:00Z"),
                iv("2026-07-06T08:00:00Z", "2026-07-06T16:00:00Z")
            ]
        );
        // In winter London is on UTC.
        let got = s.available(iv("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"));
        assert_eq!(got, vec![iv("2026-01-05T09:00:00Z", "2026-01-05T17:00:00Z")]);
    }

    #[test]
    fn result_is_clipped_to_the_window() {
        let s = schedule("Europe/London", vec![weekdays_nine_to_five()], vec![]);
        let got = s.available(iv("2026-01-05T10:30:00Z", "2026-01-05T12:00:00Z"));
        assert_eq!(got, vec![iv("2026-01-05T10:30:00Z", "2026-01-05T12:00:00Z")]);
        assert!(
            s.available(iv("2026-01-05T17:00:00Z", "2026-01-06T09:00:00Z"))
                .is_empty()
        );
    }

    #[test]
    fn whole_day_rule_gives_23_and_25_hour_days_across_dst_in_new_york_and_london() {
        for (zone, spring, fall) in [
            ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
            ("Europe/London", date(2026, 3, 29), date(2026, 10, 25)),
        ] {
            let s = schedule(zone, vec![every_day(Time::midnight(), Time::midnight())], vec![]);
            let spring_day = local_day(zone, spring);
            assert_eq!(s.available(spring_day), vec![spring_day]);
            assert_eq!(spring_day.duration(), SignedDuration::from_hours(23), "{zone}");
            let fall_day = local_day(zone, fall);
            assert_eq!(s.available(fall_day), vec![fall_day]);
            assert_eq!(fall_day.duration(), SignedDuration::from_hours(25), "{zone}");
        }
    }

    #[test]
    fn rule_spanning_the_change_is_one_hour_in_spring_and_three_in_autumn() {
        let s = schedule(
            "America/New_York",
            vec![every_day(time(1, 0, 0, 0), time(3, 0, 0, 0))],
            vec![],
        );
        let spring = s.available(local_day("America/New_York", date(2026, 3, 8)));
        assert_eq!(spring, vec![iv("2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z")]);
        let fall = s.available(local_day("America/New_York", date(2026, 11, 1)));
        assert_eq!(fall, vec![iv("2026-11-01T05:00:00Z", "2026-11-01T08:00:00Z")]);
    }

    #[test]
    fn nine_oclock_stays_nine_oclock_local_on_both_sides_of_each_change() {
        let s = schedule(
            "America/New_York",
            vec![every_day(time(9, 0, 0, 0), time(10, 0, 0, 0))],
            vec![],
        );
        let got = s.available(iv("2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"));
        let starts: Vec<_> = got.iter().map(|i| i.start).collect();
        assert_eq!(
            starts,
            [
                ts("2026-03-07T14:00:00Z"),
                ts("2026-03-08T13:00:00Z"),
                ts("2026-03-09T13:00:00Z")
            ]
        );

        let s = schedule(
            "Europe/London",
            vec![every_day(time(9, 0, 0, 0), time(10, 0, 0, 0))],
            vec![],
        );
        let got = s.available(iv("2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"));
        let starts: Vec<_> = got.iter().map(|i| i.start).collect();
        assert_eq!(
            starts,
            [
                ts("2026-10-24T08:00:00Z"),
                ts("2026-10-25T09:00:00Z"),
                ts("2026-10-26T09:00:00Z")
            ]
        );
    }

    #[test]
    fn kolkata_host_seen_from_a_utc_window_is_offset_by_five_and_a_half_hours() {
        let s = schedule("Asia/Kolkata", vec![weekdays_nine_to_five()], vec![]);
        // UTC Monday 2026-01-05 sees Monday 09:00–17:00 IST = 03:30–11:30Z; Tuesday's starts at 03:30Z next day.
        let got = s.available(iv("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"));
        assert_eq!(got, vec![iv("2026-01-05T03:30:00Z", "2026-01-05T11:30:00Z")]);
    }

    #[test]
    fn a_far_east_zone_contributes_the_next_local_date_to_a_utc_window() {
        // Kiritimati is UTC+14: UTC Sunday 2026-01-04 12:00 is already Monday 02:00 there.
        let s = schedule("Pacific/Kiritimati", vec![weekdays_nine_to_five()], vec![]);
        let got = s.available(iv("2026-01-04T12:00:00Z", "2026-01-05T00:00:00Z"));
        assert_eq!(got, vec![iv("2026-01-04T19:00:00Z", "2026-01-05T00:00:00Z")]);
    }

    #[test]
    fn rule_ending_at_midnight_runs_to_the_end_of_the_day_and_joins_the_next_morning() {
        let s = schedule(
            "Europe/London",
            vec![
                WeeklyAvailability {
                    days: vec![Weekday::Monday],
                    start: time(20, 0, 0, 0),
                    end: Time::midnight(),
                },
                WeeklyAvailability {
                    days: vec![Weekday::Tuesday],
                    start: Time::midnight(),
                    end: time(2, 0, 0, 0),
                },
            ],
            vec![],
        );
        let got = s.available(iv("2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z"));
        assert_eq!(got, vec![iv("2026-01-05T20:00:00Z", "2026-01-06T02:00:00Z")]);
    }

    #[test]
    fn date_override_replaces_the_weekly_rules_on_its_date_and_several_add_up() {
        let overrides = vec![
            DateOverride {
                date: date(2026, 1, 5),
                start: time(7, 0, 0, 0),
                end: time(8, 0, 0, 0),
            },
            DateOverride {
                date: date(2026, 1, 5),
                start: time(18, 0, 0, 0),
                end: time(19, 0, 0, 0),
            },
            // Saturday has no weekly rule, yet an override makes it available.
            DateOverride {
                date: date(2026, 1, 10),
                start: time(10, 0, 0, 0),
                end: time(11, 0, 0, 0),
            },
        ];
        let s = schedule("Europe/London", vec![weekdays_nine_to_five()], overrides);
        let got = s.available(iv("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"));
        assert_eq!(
            got,
            vec![
                iv("2026-01-05T07:00:00Z", "2026-01-05T08:00:00Z"),
                iv("2026-01-05T18:00:00Z", "2026-01-05T19:00:00Z")
            ]
        );
        let got = s.available(iv("2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"));
        assert_eq!(got, vec![iv("2026-01-10T10:00:00Z", "2026-01-10T11:00:00Z")]);
    }

    #[test]
    fn midnight_to_midnight_override_blocks_the_whole_date() {
        let blocked = DateOverride {
            date: date(2026, 1, 6),
            start: Time::midnight(),
            end: Time::midnight(),
        };
        let s = schedule("Europe/London", vec![weekdays_nine_to_five()], vec![blocked]);
        let got = s.available(iv("2026-01-05T00:00:00Z", "2026-01-08T00:00:00Z"));
        assert_eq!(
            got,
            vec![
                iv("2026-01-05T09:00:00Z", "2026-01-05T17:00:00Z"),
                iv("2026-01-07T09:00:00Z", "2026-01-07T17:00:00Z")
            ]
        );
    }

    #[test]
    fn merge_joins_overlapping_and_touching_but_not_separated_intervals() {
        let got = merge(vec![
            secs(10, 20),
            secs(0, 5),
            secs(5, 7),
            secs(15, 30),
            secs(31, 40),
            secs(12, 13),
        ]);
        assert_eq!(got, vec![secs(0, 7), secs(10, 30), secs(31, 40)]);
        assert!(merge(vec![]).is_empty());
    }

    #[test]
    fn subtract_cuts_holes_trims_edges_and_handles_cuts_spanning_several_pieces() {
        assert_eq!(subtract(&[secs(0, 10)], &[secs(3, 5)]), vec![secs(0, 3), secs(5, 10)]);
        assert_eq!(subtract(&[secs(0, 10)], &[secs(-5, 2), secs(8, 20)]), vec![secs(2, 8)]);
        assert_eq!(subtract(&[secs(0, 10)], &[secs(0, 10)]), vec![]);
        assert_eq!(
            subtract(&[secs(0, 10)], &[secs(10, 20)]),
            vec![secs(0, 10)],
            "touching removes nothing"
        );
        assert_eq!(
            subtract(&[secs(20, 30), secs(0, 10)], &[secs(5, 25)]),
            vec![secs(0, 5), secs(25, 30)]
        );
        assert_eq!(subtract(&[secs(0, 10)], &[]), vec![secs(0, 10)]);
    }

    #[test]
    fn intersect_keeps_only_shared_time_and_drops_mere_touches() {
        assert_eq!(
            intersect(&[secs(0, 10), secs(20, 30)], &[secs(5, 25)]),
            vec![secs(5, 10), secs(20, 25)]
        );
        assert_eq!(intersect(&[secs(0, 10)], &[secs(10, 20)]), vec![]);
        assert_eq!(intersect(&[secs(0, 10)], &[]), vec![]);
        assert_eq!(
            intersect(&[secs(0, 100)], &[secs(50, 60), secs(10, 20)]),
            vec![secs(10, 20), secs(50, 60)]
        );
    }

    fn interval_set() -> impl Strategy<Value = Vec<Interval>> {
        prop::collection::vec((0i64..60, 1i64..15), 0..8)
            .prop_map(|v| v.into_iter().map(|(start, len)| secs(start, start + len)).collect())
    }

    fn covers(set: &[Interval], second: i64) -> bool {
        let t = Timestamp::from_second(second).expect("in range");
        set.iter().any(|iv| iv.start <= t && t < iv.end)
    }

    fn is_sorted_and_merged(set: &[Interval]) -> bool {
        set.iter().all(|iv| iv.start < iv.end) && set.windows(2).all(|w| w[0].end < w[1].start)
    }

    proptest! {
        #[test]
        fn set_operations_agree_with_pointwise_membership(a in interval_set(), b in interval_set()) {
            let (union, minus, both) = (merge([a.clone(), b.clone()].concat()), subtract(&a, &b), intersect(&a, &b));
            for result in [&union, &minus, &both] {
                prop_assert!(is_sorted_and_merged(result));
            }
            for t in -1..80 {
                prop_assert_eq!(covers(&union, t), covers(&a, t) || covers(&b, t));
                prop_assert_eq!(covers(&minus, t), covers(&a, t) && !covers(&b, t));
                prop_assert_eq!(covers(&both, t), covers(&a, t) && covers(&b, t));
            }
        }
    }
}
