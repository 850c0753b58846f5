//! Times as iCalendar writes them (`DATE`, floating, `TZID=…`, UTC) turned into zoned times.
//!
//! Zone resolution, in order: the value's own UTC offset (`Z`), its `TZID` through calcard's resolver (IANA names,
//! Windows names such as "W. Europe Standard Time", Outlook's "(UTC+01:00) Amsterdam…", `VTIMEZONE` components
//! carrying `X-LIC-LOCATION` or `X-MICROSOFT-CDO-TZID`), and otherwise the host's zone. A `TZID` nothing can map
//! (a custom `VTIMEZONE` with made-up rules) is read in the host's zone with a [`BusyWarning::UnknownTimeZone`]:
//! the host's own calendar app most likely wrote it for the host's own zone, and guessing an offset from the
//! definition would be wrong for half the year anyway. Floating times and `DATE` values are the host's by
//! definition (RFC 5545 §3.3.5, §3.3.4).

use std::collections::{BTreeSet, HashMap};

use calcard::common::PartialDateTime;
use calcard::common::timezone::Tz;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{ICalendarDuration, ICalendarEntry, ICalendarValue};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp, Zoned};

use crate::busy::BusyWarning;

/// A point in time as the data wrote it, with the zone it is to be read in.
#[derive(Debug, Clone)]
pub(crate) struct When {
    /// Wall-clock time; midnight for `DATE` values.
    pub civil: DateTime,
    pub zone: TimeZone,
    /// A `DATE` value (all day): `zone` is the host's.
    pub date_only: bool,
}

impl When {
    /// The zoned time; a wall-clock time that doesn't exist (skipped by a DST change) moves forward by the gap, as
    /// RFC 5545 §3.3.5 asks.
    pub fn zoned(&self) -> Option<Zoned> {
        self.zone.to_ambiguous_zoned(self.civil).compatible().ok()
    }

    pub fn instant(&self) -> Option<Timestamp> {
        self.zoned().map(|z| z.timestamp())
    }

    /// The same instant seen in `zone` (for matching EXDATE / RECURRENCE-ID written in another zone).
    pub fn civil_in(&self, zone: &TimeZone) -> Option<DateTime> {
        if self.date_only {
            return Some(self.civil);
        }
        self.instant().map(|t| t.to_zoned(zone.clone()).datetime())
    }
}

/// How long an occurrence lasts: calendar days in its zone (all-day events, `P1D`), then exact time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Length {
    pub days: i32,
    pub exact: SignedDuration,
}

impl Length {
    pub const ZERO: Length = Length {
        days: 0,
        exact: SignedDuration::ZERO,
    };

    /// The end of an occurrence starting at `start`.
    pub fn end_from(&self, start: &Zoned) -> Option<Zoned> {
        let after_days = if self.days == 0 {
            start.clone()
        } else {
            start.checked_add(Span::new().try_days(self.days).ok()?).ok()?
        };
        after_days.checked_add(self.exact).ok()
    }

    /// A `DURATION` value; negative durations are refused (`None`).
    pub fn from_duration(d: &ICalendarDuration) -> Option<Length> {
        if d.neg {
            return None;
        }
        let days = i64::from(d.weeks) * 7 + i64::from(d.days);
        let secs = i64::from(d.hours) * 3600 + i64::from(d.minutes) * 60 + i64::from(d.seconds);
        Some(Length {
            days: i32::try_from(days).ok().filter(|d| *d <= 36_600)?,
            exact: SignedDuration::from_secs(secs),
        })
    }
}

/// Resolves `TZID`s of one calendar object, caching jiff zones and noting the unknown ones once.
pub(crate) struct Zones<'a> {
    resolver: TzResolver<&'a str>,
    host: TimeZone,
    cache: HashMap<String, Option<TimeZone>>,
    pub unknown: BTreeSet<String>,
}

impl<'a> Zones<'a> {
    pub fn new(resolver: TzResolver<&'a str>, host: TimeZone) -> Zones<'a> {
        Zones {
            resolver,
            host,
            cache: HashMap::new(),
            unknown: BTreeSet::new(),
        }
    }

    /// The zone named by `tzid`, or the host's (noted as unknown).
    pub fn zone(&mut self, tzid: &str) -> TimeZone {
        if let Some(found) = self.cache.get(tzid) {
            return found.clone().unwrap_or_else(|| self.host.clone());
        }
        let found = match self.resolver.resolve(tzid) {
            Some(Tz::Tz(tz)) => TimeZone::get(tz.name()).ok(),
            Some(Tz::Fixed(offset)) => Offset::from_seconds(offset.local_minus_utc()).ok().map(TimeZone::fixed),
            Some(Tz::Floating) => Some(self.host.clone()),
            None => TimeZone::get(tzid).ok(),
        };
        if found.is_none() {
            self.unknown.insert(tzid.chars().take(100).collect());
        }
        self.cache.insert(tzid.to_owned(), found.clone());
        found.unwrap_or_else(|| self.host.clone())
    }

    /// The first value of a date/date-time property, read with the property's `TZID`.
    pub fn when(&mut self, entry: &ICalendarEntry) -> Option<When> {
        let ICalendarValue::PartialDateTime(value) = entry.values.first()? else {
            return None;
        };
        self.when_value(value, entry.tz_id())
    }

    /// Every date/date-time value of a multi-valued property (`EXDATE`, `RDATE`).
    pub fn whens(&mut self, entry: &ICalendarEntry) -> Vec<When> {
        let tzid = entry.tz_id();
        entry
            .values
            .iter()
            .filter_map(|v| match v {
                ICalendarValue::PartialDateTime(p) => self.when_value(p, tzid),
                _ => None,
            })
            .collect()
    }

    pub fn when_value(&mut self, value: &PartialDateTime, tzid: Option<&str>) -> Option<When> {
        let date = civil_date(value)?;
        if !value.has_time() {
            return Some(When {
                civil: date.to_datetime(Time::midnight()),
                zone: self.host.clone(),
                date_only: true,
            });
        }
        let time = Time::new(
            i8::try_from(value.hour?).ok()?,
            i8::try_from(value.minute?).ok()?,
            // A leap second (60) is read as the last second of the minute.
            i8::try_from(value.second.unwrap_or(0).min(59)).ok()?,
            0,
        )
        .ok()?;
        let civil = date.to_datetime(time);
        let zone = if let Some(hours) = value.tz_hour {
            let secs = i32::from(hours) * 3600 + i32::from(value.tz_minute.unwrap_or(0)) * 60;
            let secs = if value.tz_minus { -secs } else { secs };
            if secs == 0 {
                TimeZone::UTC
            } else {
                TimeZone::fixed(Offset::from_seconds(secs).ok()?)
            }
        } else if let Some(tzid) = tzid {
            self.zone(tzid)
        } else {
            self.host.clone()
        };
        Some(When {
            civil,
            zone,
            date_only: false,
        })
    }

    /// Warnings for the `TZID`s that could not be mapped.
    pub fn warnings(&self) -> Vec<BusyWarning> {
        self.unknown
            .iter()
            .map(|tzid| BusyWarning::UnknownTimeZone { tzid: tzid.clone() })
            .collect()
    }
}

fn civil_date(value: &PartialDateTime) -> Option<Date> {
    Date::new(
        i16::try_from(value.year?).ok()?,
        i8::try_from(value.month?).ok()?,
        i8::try_from(value.day?).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calcard::icalendar::ICalendar;

    fn zones_for(ics: &ICalendar) -> Zones<'_> {
        Zones::new(ics.build_tz_resolver(), TimeZone::get("Europe/Berlin").expect("zone"))
    }

    #[test]
    fn windows_and_vtimezone_names_map_to_iana_zones() {
        let ics = ICalendar::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Custom Outlook Zone\r\nX-MICROSOFT-CDO-TZID:4\r\n\
             END:VTIMEZONE\r\nEND:VCALENDAR\r\n",
        )
        .expect("parse");
        let mut zones = zones_for(&ics);
        assert_eq!(
            zones.zone("Pacific Standard Time").iana_name(),
            Some("America/Los_Angeles")
        );
        assert_eq!(zones.zone("America/New_York").iana_name(), Some("America/New_York"));
        assert!(zones.unknown.is_empty());
        assert_eq!(zones.zone("Nowhere/Special").iana_name(), Some("Europe/Berlin"));
        assert_eq!(
            zones.warnings(),
            vec![BusyWarning::UnknownTimeZone {
                tzid: "Nowhere/Special".into()
            }]
        );
    }

    #[test]
    fn nominal_days_keep_the_wall_clock_across_a_dst_change() {
        let start: Zoned = "2025-03-29T00:00[Europe/Berlin]".parse().expect("zoned");
        let end = Length {
            days: 1,
            exact: SignedDuration::ZERO,
        }
        .end_from(&start)
        .expect("end");
        assert_eq!(end.to_string(), "2025-03-30T00:00:00+01:00[Europe/Berlin]");
        let next = Length {
            days: 1,
            exact: SignedDuration::ZERO,
        }
        .end_from(&end)
        .expect("end");
        // 23 hours long, still midnight to midnight.
        assert_eq!(next.to_string(), "2025-03-31T00:00:00+02:00[Europe/Berlin]");
    }
}
