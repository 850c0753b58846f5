//! Busy time: what every source (iCalendar data, CalDAV, ICS feeds, Google, Microsoft) turns into.

use convene_core::schedule::Interval;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The question: which time in [`from`, `to`) is busy, for a host living in `host_zone`.
///
/// `host_zone` gives meaning to times that have none of their own: all-day events (a `DATE` blocks that whole day
/// in the host's zone) and floating times (wall-clock times without a zone).
#[derive(Debug, Clone)]
pub struct BusyWindow {
    pub from: Timestamp,
    pub to: Timestamp,
    pub host_zone: TimeZone,
}

impl BusyWindow {
    /// The window [`from`, `to`); `None` when it is empty.
    pub fn new(from: Timestamp, to: Timestamp, host_zone: TimeZone) -> Option<BusyWindow> {
        (from < to).then_some(BusyWindow { from, to, host_zone })
    }

    /// The window as an interval.
    pub fn interval(&self) -> Interval {
        Interval {
            start: self.from,
            end: self.to,
        }
    }
}

/// One busy stretch and what causes it. Intervals are not clipped to the window: a troubleshooter shows the real
/// event (a three-day conference starts before the week shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyInterval {
    pub interval: Interval,
    pub source: BusySource,
}

/// What blocks the time, so a host can be told "Dentist (Personal calendar)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusySource {
    /// The caller's name for the calendar (a label, an id, an href: whatever it passed in).
    pub calendar: String,
    /// The event's UID, when the source names events (free/busy answers don't).
    pub uid: Option<String>,
    /// The event's title, when known.
    pub summary: Option<String>,
    /// How the time was described.
    pub kind: BusyKind,
}

/// How a busy stretch was described by its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyKind {
    /// A timed event.
    Event,
    /// An all-day event (`DATE` values), placed on the host's days.
    AllDay,
    /// A tentative event or period: it blocks like a busy one (a host who half-accepted a meeting is not free).
    Tentative,
    /// A free/busy period (VFREEBUSY, CalDAV free-busy-query, Google freeBusy, Graph getSchedule).
    FreeBusy,
}

/// Busy intervals plus what was noticed on the way (unknown zones, truncated recurrences, skipped components).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusyReport {
    pub busy: Vec<BusyInterval>,
    pub warnings: Vec<BusyWarning>,
}

impl BusyReport {
    /// The busy intervals alone, sorted and merged: what slot computation subtracts.
    pub fn merged(&self) -> Vec<Interval> {
        convene_core::schedule::merge(self.busy.iter().map(|b| b.interval).collect())
    }

    /// Everything busy that overlaps `interval`: what a troubleshooter lists for an hour.
    pub fn blocking(&self, interval: Interval) -> impl Iterator<Item = &BusyInterval> {
        self.busy.iter().filter(move |b| b.interval.overlaps(&interval))
    }

    pub(crate) fn extend(&mut self, other: BusyReport) {
        self.busy.extend(other.busy);
        self.warnings.extend(other.warnings);
    }

    pub(crate) fn sort(&mut self) {
        self.busy.sort_by(|a, b| {
            (a.interval, &a.source.uid, &a.source.summary).cmp(&(b.interval, &b.source.uid, &b.source.summary))
        });
    }
}

/// Something in the calendar data that was handled by a documented fallback rather than read as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusyWarning {
    /// A `TZID` that is neither an IANA name, a Windows zone name, nor a `VTIMEZONE` we could map: its times were
    /// read in the host's zone.
    UnknownTimeZone { tzid: String },
    /// A recurring event had more occurrences before the window's end than the limit allows; later ones were not
    /// expanded.
    RecurrenceTruncated { uid: Option<String>, limit: usize },
    /// A recurrence rule the expander refused; only the first occurrence (DTSTART) counts.
    InvalidRecurrence { uid: Option<String>, reason: String },
    /// A component that could not be placed in time (no DTSTART, end before start…) and was left out.
    SkippedComponent { uid: Option<String>, reason: String },
    /// More busy intervals than the limit: the rest were dropped.
    TooManyIntervals { limit: usize },
}
