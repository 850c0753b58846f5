//! iCalendar data → busy time.
//!
//! [`busy_from_ics`] reads `VEVENT` and `VFREEBUSY` components (parsed by calcard), expands recurrences (with
//! `rrule`, see [`expand`]) and answers which time in a [`BusyWindow`] is busy, naming the event behind each
//! stretch. What blocks and what doesn't:
//! - `STATUS:CANCELLED`, `TRANSP:TRANSPARENT` and Outlook's `X-MICROSOFT-CDO-BUSYSTATUS:FREE` never block;
//!   `STATUS:TENTATIVE` blocks (as [`BusyKind::Tentative`]).
//! - `DATE` values block whole days in the host's zone; `DTEND` (exclusive) or `DURATION` give the length, else
//!   one day for a `DATE` and nothing for a date-time (a zero-length event blocks no time, RFC 5545 §3.6.1).
//! - Recurrences: `RRULE`, `RDATE` (dates and periods), `EXDATE` (matched as instants, or as days when the
//!   EXDATE is a `DATE` and the event is not), and `RECURRENCE-ID` overrides: the override replaces that
//!   occurrence (moved, retitled, or cancelled). `RANGE=THISANDFUTURE` is treated as a single-instance override.
//! - `VFREEBUSY`: `FREEBUSY` periods block unless `FBTYPE=FREE`.
//!
//! The input comes from remote servers, so the work is bounded by [`IcsLimits`]: input size, components,
//! occurrences per event and in total, and intervals returned.

pub mod details;
mod expand;
mod when;

use std::collections::{HashMap, HashSet};

use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarFreeBusyType, ICalendarParameterName,
    ICalendarParameterValue, ICalendarPeriod, ICalendarProperty, ICalendarRecurrenceRule, ICalendarStatus,
    ICalendarTransparency, ICalendarValue,
};
use calcard::{Entry, Parser};
use convene_core::schedule::Interval;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::busy::{BusyInterval, BusyKind, BusyReport, BusySource, BusyWarning, BusyWindow};
use crate::error::CalendarError;
pub use details::{apply_changes, event_details};
use when::{Length, When, Zones};

/// Bounds on the work one piece of iCalendar data may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcsLimits {
    /// Input larger than this is refused ([`CalendarError::TooLarge`]).
    pub max_bytes: usize,
    /// Components (events, time zones, alarms…) in one input.
    pub max_components: usize,
    /// Occurrences walked per recurring event, counted from its DTSTART (a daily event since 2010 walks ~5,500
    /// before reaching 2025).
    pub max_occurrences_per_event: usize,
    /// Occurrences walked for the whole input.
    pub max_occurrences_total: usize,
    /// Busy intervals returned.
    pub max_intervals: usize,
}

impl Default for IcsLimits {
    fn default() -> Self {
        IcsLimits {
            max_bytes: 8 * 1024 * 1024,
            max_components: 50_000,
            max_occurrences_per_event: 20_000,
            max_occurrences_total: 500_000,
            max_intervals: 20_000,
        }
    }
}

/// The busy time in `window` described by `ics` (one or more concatenated `VCALENDAR` objects). `calendar` names
/// the source in each [`BusySource`].
pub fn busy_from_ics(
    ics: &str,
    calendar: &str,
    window: &BusyWindow,
    limits: &IcsLimits,
) -> Result<BusyReport, CalendarError> {
    let mut budget = limits.max_occurrences_total;
    let mut report = BusyReport::default();
    read_into(ics, calendar, window, limits, &mut budget, &mut report)?;
    Ok(finish(report, limits))
}

/// Like [`busy_from_ics`] for many calendar objects (a CalDAV collection's resources) sharing one budget. An object
/// that can't be read is skipped with a [`BusyWarning::SkippedComponent`] naming why, rather than failing the
/// whole calendar.
pub fn busy_from_objects<'a>(
    objects: impl IntoIterator<Item = &'a str>,
    calendar: &str,
    window: &BusyWindow,
    limits: &IcsLimits,
) -> BusyReport {
    let mut budget = limits.max_occurrences_total;
    let mut report = BusyReport::default();
    for ics in objects {
        if let Err(e) = read_into(ics, calendar, window, limits, &mut budget, &mut report) {
            report.warnings.push(BusyWarning::SkippedComponent {
                uid: None,
                reason: e.to_string(),
            });
        }
    }
    finish(report, limits)
}

fn read_into(
    ics: &str,
    calendar: &str,
    window: &BusyWindow,
    limits: &IcsLimits,
    budget: &mut usize,
    report: &mut BusyReport,
) -> Result<(), CalendarError> {
    if ics.len() > limits.max_bytes {
        return Err(CalendarError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let mut parser = Parser::new(ics);
    let mut calendars = Vec::new();
    let mut components = 0usize;
    loop {
        match parser.entry() {
            Entry::ICalendar(ical) => {
                components += ical.components.len();
                if components > limits.max_components {
                    return Err(CalendarError::Protocol(format!(
                        "more than {} calendar components",
                        limits.max_components
                    )));
                }
                calendars.push(ical);
            }
            Entry::Eof => break,
            Entry::TooManyComponents => {
                return Err(CalendarError::Protocol("too many calendar components".into()));
            }
            // Stray lines and vCards are skipped: feeds in the wild carry both.
            _ => {}
        }
    }
    if calendars.is_empty() {
        return Err(CalendarError::Protocol("no VCALENDAR object in the data".into()));
    }
    for ical in &calendars {
        let mut reader = CalendarReader {
            label: calendar,
            window,
            limits,
            budget: &mut *budget,
            zones: Zones::new(ical.build_tz_resolver(), window.host_zone.clone()),
            report: BusyReport::default(),
        };
        reader.read(ical);
        let zones_warnings = reader.zones.warnings();
        let mut part = reader.report;
        part.warnings.extend(zones_warnings);
        report.extend(part);
    }
    Ok(())
}

fn finish(mut report: BusyReport, limits: &IcsLimits) -> BusyReport {
    report.sort();
    report.busy.dedup();
    dedup_warnings(&mut report.warnings);
    if report.busy.len() > limits.max_intervals {
        report.busy.truncate(limits.max_intervals);
        report.warnings.push(BusyWarning::TooManyIntervals {
            limit: limits.max_intervals,
        });
    }
    report
}

fn dedup_warnings(warnings: &mut Vec<BusyWarning>) {
    let mut seen = Vec::with_capacity(warnings.len());
    warnings.retain(|w| {
        if seen.contains(w) {
            false
        } else {
            seen.push(w.clone());
            true
        }
    });
}

/// One `VEVENT` as far as busy time goes.
struct Event<'a> {
    uid: Option<String>,
    summary: Option<String>,
    start: When,
    length: Length,
    rule: Option<&'a ICalendarRecurrenceRule>,
    rdates: Vec<(When, Option<When>)>,
    exdates: Vec<When>,
    recurrence_id: Option<When>,
    /// `None` when the event does not block time (cancelled, transparent, free).
    blocks: Option<BusyKind>,
}

struct CalendarReader<'a, 'z> {
    label: &'a str,
    window: &'a BusyWindow,
    limits: &'a IcsLimits,
    budget: &'a mut usize,
    zones: Zones<'z>,
    report: BusyReport,
}

impl<'z> CalendarReader<'_, 'z> {
    fn read(&mut self, ical: &'z ICalendar) {
        let mut by_uid: HashMap<Option<String>, Vec<Event<'z>>> = HashMap::new();
        let mut order: Vec<Option<String>> = Vec::new();
        for component in &ical.components {
            match component.component_type {
                ICalendarComponentType::VEvent => match self.event(component) {
                    Ok(event) => {
                        // Events without a UID can't have overrides: each stands alone.
                        let key = event.uid.clone();
                        if key.is_none() {
                            self.series(vec![event]);
                            continue;
                        }
                        if !by_uid.contains_key(&key) {
                            order.push(key.clone());
                        }
                        by_uid.entry(key).or_default().push(event);
                    }
                    Err(reason) => self.report.warnings.push(BusyWarning::SkippedComponent {
                        uid: component.uid().map(str::to_owned),
                        reason,
                    }),
                },
                ICalendarComponentType::VFreebusy => self.free_busy(component),
                _ => {}
            }
        }
        for key in order {
            if let Some(events) = by_uid.remove(&key) {
                self.series(events);
            }
        }
    }

    fn event(&mut self, component: &'z ICalendarComponent) -> Result<Event<'z>, String> {
        let text = |prop: ICalendarProperty| {
            component
                .property(&prop)
                .and_then(|e| e.values.first())
                .and_then(|v| v.as_text())
                .map(str::to_owned)
        };
        let uid = component.uid().map(str::to_owned);
        let summary = text(ICalendarProperty::Summary);
        let mut start = None;
        let mut end = None;
        let mut duration = None;
        let mut rule = None;
        let mut rdates = Vec::new();
        let mut exdates = Vec::new();
        let mut recurrence_id = None;
        let mut busy_status_free = false;
        let mut busy_status_tentative = false;
        for entry in &component.entries {
            match &entry.name {
                ICalendarProperty::Dtstart => start = self.zones.when(entry),
                ICalendarProperty::Dtend => end = self.zones.when(entry),
                ICalendarProperty::Duration => {
                    if let Some(ICalendarValue::Duration(d)) = entry.values.first() {
                        duration = Some(Length::from_duration(d).ok_or("negative or huge DURATION")?);
                    }
                }
                ICalendarProperty::Rrule if rule.is_none() => {
                    if let Some(ICalendarValue::RecurrenceRule(r)) = entry.values.first() {
                        rule = Some(r.as_ref());
                    }
                }
                ICalendarProperty::Rdate => {
                    let tzid = entry.tz_id();
                    for value in &entry.values {
                        match value {
                            ICalendarValue::PartialDateTime(p) => {
                                if let Some(w) = self.zones.when_value(p, tzid) {
                                    rdates.push((w, None));
                                }
                            }
                            ICalendarValue::Period(period) => {
                                if let Some(pair) = self.period(period, tzid) {
                                    rdates.push((pair.0, Some(pair.1)));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ICalendarProperty::Exdate => exdates.extend(self.zones.whens(entry)),
                ICalendarProperty::RecurrenceId => recurrence_id = self.zones.when(entry),
                ICalendarProperty::Other(name) if name.eq_ignore_ascii_case("X-MICROSOFT-CDO-BUSYSTATUS") => {
                    let value = entry.values.first().and_then(|v| v.as_text()).unwrap_or_default();
                    busy_status_free = value.eq_ignore_ascii_case("FREE");
                    busy_status_tentative = value.eq_ignore_ascii_case("TENTATIVE");
                }
                _ => {}
            }
        }
        let start = start.or_else(|| recurrence_id.clone()).ok_or("no valid DTSTART")?;
        let length = match (end, duration) {
            (Some(end), _) => length_between(&start, &end)?,
            (None, Some(duration)) => duration,
            (None, None) if start.date_only => Length {
                days: 1,
                exact: jiff::SignedDuration::ZERO,
            },
            (None, None) => Length::ZERO,
        };
        let blocks = if component.status() == Some(&ICalendarStatus::Cancelled)
            || component.transparency() == Some(&ICalendarTransparency::Transparent)
            || busy_status_free
        {
            None
        } else if component.status() == Some(&ICalendarStatus::Tentative) || busy_status_tentative {
            Some(BusyKind::Tentative)
        } else if start.date_only {
            Some(BusyKind::AllDay)
        } else {
            Some(BusyKind::Event)
        };
        Ok(Event {
            uid,
            summary,
            start,
            length,
            rule,
            rdates,
            exdates,
            recurrence_id,
            blocks,
        })
    }

    fn period(&mut self, period: &ICalendarPeriod, tzid: Option<&str>) -> Option<(When, When)> {
        match period {
            ICalendarPeriod::Range { start, end } => {
                Some((self.zones.when_value(start, tzid)?, self.zones.when_value(end, tzid)?))
            }
            ICalendarPeriod::Duration { start, duration } => {
                let start = self.zones.when_value(start, tzid)?;
                let end = Length::from_duration(duration)?.end_from(&start.zoned()?)?;
                let end = When {
                    civil: end.datetime(),
                    zone: start.zone.clone(),
                    date_only: false,
                };
                Some((start, end))
            }
        }
    }

    /// A master event with its overrides (same UID), or a lone event.
    fn series(&mut self, events: Vec<Event<'z>>) {
        let (overrides, masters): (Vec<_>, Vec<_>) = events.into_iter().partition(|e| e.recurrence_id.is_some());
        let mut replaced: HashSet<Timestamp> = HashSet::new();
        let mut replaced_days: HashSet<Date> = HashSet::new();
        for o in &overrides {
            if let Some(rid) = &o.recurrence_id {
                if rid.date_only {
                    replaced_days.insert(rid.civil.date());
                }
                if let Some(at) = rid.instant() {
                    replaced.insert(at);
                }
            }
        }
        for master in &masters {
            self.master(master, &replaced, &replaced_days);
        }
        for o in &overrides {
            if let (Some(kind), Some(start)) = (o.blocks, o.start.zoned()) {
                self.push(o, kind, start, None);
            }
        }
    }

    fn master(&mut self, event: &Event<'z>, replaced: &HashSet<Timestamp>, replaced_days: &HashSet<Date>) {
        let mut excluded: HashSet<Timestamp> = replaced.clone();
        let mut excluded_days: HashSet<Date> = HashSet::new();
        for ex in &event.exdates {
            if ex.date_only && !event.start.date_only {
                excluded_days.insert(ex.civil.date());
            } else if let Some(at) = ex.instant() {
                excluded.insert(at);
            }
        }
        if !event.start.date_only {
            excluded_days.extend(replaced_days.iter().copied());
        }
        let is_excluded = |start: &jiff::Zoned| {
            excluded.contains(&start.timestamp())
                || (!excluded_days.is_empty() && excluded_days.contains(&start.date()))
        };

        let starts = match event.rule {
            Some(rule) => {
                let cap = self.limits.max_occurrences_per_event.min(*self.budget).max(1);
                match expand::expand(rule, &event.start, &mut self.zones, self.window.to, cap) {
                    Ok(expansion) => {
                        if expansion.truncated {
                            self.report.warnings.push(BusyWarning::RecurrenceTruncated {
                                uid: event.uid.clone(),
                                limit: cap,
                            });
                        }
                        expansion.starts
                    }
                    Err(reason) => {
                        self.report.warnings.push(BusyWarning::InvalidRecurrence {
                            uid: event.uid.clone(),
                            reason,
                        });
                        event.start.zoned().into_iter().collect()
                    }
                }
            }
            None => event.start.zoned().into_iter().collect(),
        };
        *self.budget = self.budget.saturating_sub(starts.len());
        let Some(kind) = event.blocks else {
            return;
        };
        for start in starts {
            if !is_excluded(&start) {
                self.push(event, kind, start, None);
            }
        }
        for (rdate, period_end) in &event.rdates {
            let Some(start) = rdate.zoned() else { continue };
            if !is_excluded(&start) {
                let end = period_end.as_ref().and_then(When::instant);
                self.push(event, kind, start, end);
            }
        }
    }

    /// Records one occurrence if it overlaps the window.
    fn push(&mut self, event: &Event<'_>, kind: BusyKind, start: jiff::Zoned, end: Option<Timestamp>) {
        let end = match end {
            Some(end) => Some(end),
            None => event.length.end_from(&start).map(|z| z.timestamp()),
        };
        let Some(interval) = end.and_then(|end| Interval::new(start.timestamp(), end)) else {
            return;
        };
        if !interval.overlaps(&self.window.interval()) {
            return;
        }
        self.report.busy.push(BusyInterval {
            interval,
            source: BusySource {
                calendar: self.label.to_owned(),
                uid: event.uid.clone(),
                summary: event.summary.clone(),
                kind,
            },
        });
    }

    fn free_busy(&mut self, component: &ICalendarComponent) {
        let uid = component.uid().map(str::to_owned);
        for entry in component
            .entries
            .iter()
            .filter(|e| e.name == ICalendarProperty::Freebusy)
        {
            let kind = match entry.parameter(&ICalendarParameterName::Fbtype) {
                Some(ICalendarParameterValue::Fbtype(ICalendarFreeBusyType::Free)) => continue,
                Some(ICalendarParameterValue::Fbtype(ICalendarFreeBusyType::BusyTentative)) => BusyKind::Tentative,
                _ => BusyKind::FreeBusy,
            };
            for value in &entry.values {
                let ICalendarValue::Period(period) = value else {
                    continue;
                };
                let Some((start, end)) = self.period(period, None) else {
                    continue;
                };
                let (Some(start), Some(end)) = (start.instant(), end.instant()) else {
                    continue;
                };
                let Some(interval) = Interval::new(start, end) else {
                    continue;
                };
                if interval.overlaps(&self.window.interval()) {
                    self.report.busy.push(BusyInterval {
                        interval,
                        source: BusySource {
                            calendar: self.label.to_owned(),
                            uid: uid.clone(),
                            summary: None,
                            kind,
                        },
                    });
                }
            }
        }
    }
}

/// The length from DTSTART to DTEND: whole days between two `DATE`s (at least one), else the exact time between.
fn length_between(start: &When, end: &When) -> Result<Length, String> {
    if start.date_only && end.date_only {
        let days = (end.civil.date() - start.civil.date()).get_days();
        return Ok(Length {
            days: days.max(1),
            exact: jiff::SignedDuration::ZERO,
        });
    }
    let (Some(s), Some(e)) = (start.instant(), end.instant()) else {
        return Err("DTSTART or DTEND does not exist in its zone".into());
    };
    let exact = e.duration_since(s);
    if exact.is_negative() {
        return Err("DTEND is before DTSTART".into());
    }
    Ok(Length { days: 0, exact })
}

#[cfg(test)]
mod tests;
