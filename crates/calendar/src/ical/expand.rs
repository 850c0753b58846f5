//! Recurrence expansion with the `rrule` crate.
//!
//! The rule is expanded on wall-clock time: DTSTART's local time goes to `rrule` as if it were UTC (a zone without
//! DST changes), and each generated wall-clock time is then placed in the event's real zone with jiff. So "every
//! Monday 09:00 Europe/Berlin" stays at 09:00 on both sides of a DST change, which is what RFC 5545 means, and
//! zone data comes from one place (jiff's bundled tzdb) rather than two.

use calcard::icalendar::{ICalendarFrequency, ICalendarRecurrenceRule, ICalendarWeekday};
use chrono::{NaiveDate, NaiveDateTime, TimeZone as _};
use jiff::civil::DateTime;
use jiff::{Timestamp, Zoned};
use rrule::{Frequency, NWeekday, RRule, Tz, Unvalidated, Weekday};

use super::when::{When, Zones};

/// Occurrence start times of a rule, in order, up to (not including) `until_instant`.
pub(crate) struct Expansion {
    pub starts: Vec<Zoned>,
    /// The cap stopped the expansion before `until_instant`.
    pub truncated: bool,
}

/// Expands `rule` from `start` while occurrences start before `stop`, visiting at most `cap` occurrences (those
/// before the window count too: a rule is walked from its DTSTART). DTSTART itself is always the first occurrence
/// (RFC 5545 §3.8.5.3), whether or not it matches the rule.
pub(crate) fn expand(
    rule: &ICalendarRecurrenceRule,
    start: &When,
    zones: &mut Zones<'_>,
    stop: Timestamp,
    cap: usize,
) -> Result<Expansion, String> {
    let first = start.zoned().ok_or("DTSTART does not exist in its zone")?;
    let carrier_start = to_carrier(start.civil)?;
    let until = match &rule.until {
        Some(raw) => {
            let until = zones.when_value(raw, None).ok_or("UNTIL is not a valid date")?;
            // A DATE means through that whole day; a floating time is the event's own wall-clock; a UTC (or
            // offset) time is compared in the event's zone.
            let civil = if until.date_only {
                until.civil.date().to_datetime(jiff::civil::Time::MAX)
            } else if raw.tz_hour.is_none() {
                until.civil
            } else {
                until.civil_in(&start.zone).ok_or("UNTIL does not exist")?
            };
            Some(civil)
        }
        None => None,
    };
    if let Some(until) = until
        && until < start.civil
    {
        // A rule that ends before it starts: DTSTART is all there is.
        return Ok(Expansion {
            starts: vec![first],
            truncated: false,
        });
    }
    let set = to_rrule(rule, until)?
        .build(carrier_start)
        .map_err(|e| e.to_string())?
        .limit();

    let mut starts = vec![first.clone()];
    let mut visited = 1usize;
    let mut truncated = false;
    if first.timestamp() >= stop {
        return Ok(Expansion { starts, truncated });
    }
    for generated in &set {
        let civil = from_carrier(generated.naive_utc())?;
        if civil == start.civil {
            continue;
        }
        let Ok(zoned) = start.zone.to_ambiguous_zoned(civil).compatible() else {
            continue;
        };
        if zoned.timestamp() >= stop {
            break;
        }
        if visited >= cap {
            truncated = true;
            break;
        }
        visited += 1;
        starts.push(zoned);
    }
    Ok(Expansion { starts, truncated })
}

fn to_carrier(civil: DateTime) -> Result<chrono::DateTime<Tz>, String> {
    let date = NaiveDate::from_ymd_opt(i32::from(civil.year()), civil.month() as u32, civil.day() as u32)
        .ok_or("date out of range")?;
    let naive = date
        .and_hms_opt(civil.hour() as u32, civil.minute() as u32, civil.second() as u32)
        .ok_or("time out of range")?;
    Ok(Tz::UTC.from_utc_datetime(&naive))
}

fn from_carrier(naive: NaiveDateTime) -> Result<DateTime, String> {
    use chrono::{Datelike, Timelike};
    DateTime::new(
        i16::try_from(naive.year()).map_err(|_| "year out of range")?,
        naive.month() as i8,
        naive.day() as i8,
        naive.hour() as i8,
        naive.minute() as i8,
        naive.second() as i8,
        0,
    )
    .map_err(|e| e.to_string())
}

fn weekday(day: ICalendarWeekday) -> Weekday {
    match day {
        ICalendarWeekday::Monday => Weekday::Mon,
        ICalendarWeekday::Tuesday => Weekday::Tue,
        ICalendarWeekday::Wednesday => Weekday::Wed,
        ICalendarWeekday::Thursday => Weekday::Thu,
        ICalendarWeekday::Friday => Weekday::Fri,
        ICalendarWeekday::Saturday => Weekday::Sat,
        ICalendarWeekday::Sunday => Weekday::Sun,
    }
}

/// calcard's parsed rule as an `rrule` rule (UNTIL already in the event's wall-clock).
fn to_rrule(rule: &ICalendarRecurrenceRule, until: Option<DateTime>) -> Result<RRule<Unvalidated>, String> {
    if rule.rscale.is_some() {
        return Err("RSCALE (non-Gregorian recurrence) is not supported".into());
    }
    if rule.bymonth.iter().any(calcard::icalendar::ICalendarMonth::is_leap) {
        return Err("leap months are not supported".into());
    }
    let freq = match rule.freq {
        ICalendarFrequency::Yearly => Frequency::Yearly,
        ICalendarFrequency::Monthly => Frequency::Monthly,
        ICalendarFrequency::Weekly => Frequency::Weekly,
        ICalendarFrequency::Daily => Frequency::Daily,
        ICalendarFrequency::Hourly => Frequency::Hourly,
        ICalendarFrequency::Minutely => Frequency::Minutely,
        ICalendarFrequency::Secondly => Frequency::Secondly,
    };
    let mut out = RRule::new(freq).interval(rule.interval.unwrap_or(1).max(1));
    if let Some(count) = rule.count {
        out = out.count(count);
    }
    if let Some(until) = until {
        out = out.until(to_carrier(until)?);
    }
    if let Some(wkst) = rule.wkst {
        out = out.week_start(weekday(wkst));
    }
    let months: Vec<chrono::Month> = rule
        .bymonth
        .iter()
        .filter_map(|m| chrono::Month::try_from(m.month()).ok())
        .collect();
    if !months.is_empty() {
        out = out.by_month(&months);
    }
    let days: Vec<NWeekday> = rule
        .byday
        .iter()
        .map(|d| match d.ordwk {
            Some(n) => NWeekday::Nth(n, weekday(d.weekday)),
            None => NWeekday::Every(weekday(d.weekday)),
        })
        .collect();
    Ok(out
        .by_weekday(days)
        .by_month_day(rule.bymonthday.clone())
        .by_year_day(rule.byyearday.clone())
        .by_week_no(rule.byweekno.clone())
        .by_set_pos(rule.bysetpos.clone())
        .by_hour(rule.byhour.clone())
        .by_minute(rule.byminute.clone())
        .by_second(rule.bysecond.clone()))
}
