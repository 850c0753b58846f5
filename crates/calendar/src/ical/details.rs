//! One event of a CalDAV calendar as the unified calendar event shows it ([`event_details`]), and changes written
//! back into its iCalendar text ([`apply_changes`]).
//!
//! Changes edit the stored text rather than rebuild it: whatever convene does not understand (alarms, overrides of
//! single occurrences, vendor properties) stays as the calendar app wrote it. Only the master `VEVENT` (the one
//! without `RECURRENCE-ID`) is changed; new times are written in UTC, which needs no `VTIMEZONE`; attendees get
//! `SCHEDULE-AGENT=CLIENT`, so a scheduling server does not email them (convene's own emails are the invitations).

use calcard::icalendar::{
    ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarParameterName, ICalendarParameterValue,
    ICalendarParticipationRole, ICalendarParticipationStatus, ICalendarProperty, ICalendarStatus, ICalendarValue,
};
use calcard::{Entry, Parser};
use convene_core::ics::{address, line, param, text, utc};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::when::{Length, Zones};
use crate::error::CalendarError;
use crate::provider::{EventChanges, EventDetails, EventPerson};

/// The details of the event in `ics` (its master `VEVENT`), under the id `id`. All-day dates are read at midnight
/// UTC, as the Google client reads them.
pub fn event_details(ics: &str, id: &str) -> Result<EventDetails, CalendarError> {
    let unreadable = |what: &str| CalendarError::Protocol(format!("the calendar object has {what}"));
    let mut parser = Parser::new(ics);
    let Entry::ICalendar(ical) = parser.entry() else {
        return Err(unreadable("no VCALENDAR"));
    };
    let event = ical
        .components
        .iter()
        .find(|c| {
            c.component_type == ICalendarComponentType::VEvent && c.property(&ICalendarProperty::RecurrenceId).is_none()
        })
        .ok_or_else(|| unreadable("no VEVENT"))?;
    let mut zones = Zones::new(ical.build_tz_resolver(), TimeZone::UTC);
    let mut start = None;
    let mut end = None;
    let mut duration = None;
    let mut time_zone = None;
    let mut attendees = Vec::new();
    let mut organizer = None;
    for entry in &event.entries {
        match &entry.name {
            ICalendarProperty::Dtstart => {
                start = zones.when(entry);
                time_zone = entry.tz_id().map(str::to_owned);
            }
            ICalendarProperty::Dtend => end = zones.when(entry).and_then(|w| w.instant()),
            ICalendarProperty::Duration => {
                if let Some(ICalendarValue::Duration(d)) = entry.values.first() {
                    duration = Length::from_duration(d);
                }
            }
            ICalendarProperty::Attendee => attendees.extend(person(entry, false)),
            ICalendarProperty::Organizer => organizer = person(entry, true),
            _ => {}
        }
    }
    let start = start.ok_or_else(|| unreadable("an event without a valid DTSTART"))?;
    let start_at = start
        .instant()
        .ok_or_else(|| unreadable("an event without a valid DTSTART"))?;
    let end_at = match (end, duration) {
        (Some(end), _) => end,
        (None, Some(length)) => start
            .zoned()
            .and_then(|z| length.end_from(&z))
            .map_or(start_at, |z| z.timestamp()),
        // RFC 5545 §3.6.1: a date lasts one day, a date-time without end no time at all.
        (None, None) if start.date_only => start_at + jiff::SignedDuration::from_hours(24),
        (None, None) => start_at,
    };
    let status = match event.status() {
        Some(ICalendarStatus::Tentative) => "tentative",
        Some(ICalendarStatus::Cancelled) => "cancelled",
        _ => "confirmed",
    };
    Ok(EventDetails {
        id: id.to_owned(),
        title: text_of(event, ICalendarProperty::Summary).unwrap_or_default(),
        description: text_of(event, ICalendarProperty::Description),
        start: start_at,
        end: end_at,
        time_zone: time_zone.or_else(|| (!start.date_only).then(|| "UTC".to_owned())),
        status: Some(status.to_owned()),
        attendees,
        organizer,
        video_url: None,
        location: text_of(event, ICalendarProperty::Location),
    })
}

fn text_of(event: &ICalendarComponent, property: ICalendarProperty) -> Option<String> {
    event
        .property(&property)
        .and_then(|e| e.values.first())
        .and_then(ICalendarValue::as_text)
        .map(str::to_owned)
}

/// An `ATTENDEE` or `ORGANIZER`: the address without `mailto:`, `CN`, and `PARTSTAT` / `ROLE` in Google's words.
fn person(entry: &ICalendarEntry, is_organizer: bool) -> Option<EventPerson> {
    let raw = entry.values.first()?.as_text()?;
    let email = match raw.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &raw[7..],
        _ => raw,
    };
    let name = match entry.parameter(&ICalendarParameterName::Cn) {
        Some(ICalendarParameterValue::Text(cn)) => Some(cn.clone()),
        _ => None,
    };
    let response_status = match entry.parameter(&ICalendarParameterName::Partstat) {
        Some(ICalendarParameterValue::Partstat(p)) => Some(match p {
            ICalendarParticipationStatus::Accepted => "accepted",
            ICalendarParticipationStatus::Declined => "declined",
            ICalendarParticipationStatus::Tentative => "tentative",
            _ => "needsAction",
        }),
        _ if is_organizer => Some("accepted"),
        _ => None,
    };
    let optional = matches!(
        entry.parameter(&ICalendarParameterName::Role),
        Some(ICalendarParameterValue::Role(
            ICalendarParticipationRole::OptParticipant
        ))
    );
    Some(EventPerson {
        email: email.to_owned(),
        name,
        response_status: response_status.map(str::to_owned),
        is_self: None,
        optional: (!is_organizer).then_some(optional),
        organizer: Some(is_organizer),
    })
}

/// `ics` with `changes` made to its master event, its `SEQUENCE` raised and `DTSTAMP` / `LAST-MODIFIED` set to
/// `stamp`. A change of start or end writes both (the other as it was).
pub fn apply_changes(ics: &str, changes: &EventChanges, stamp: Timestamp) -> Result<String, CalendarError> {
    let current = event_details(ics, "")?;
    let unfolded = ics
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "");
    let lines: Vec<&str> = unfolded.lines().filter(|l| !l.is_empty()).collect();
    let (begin, end) =
        master_event(&lines).ok_or_else(|| CalendarError::Protocol("the calendar object has no VEVENT".into()))?;
    let moved = changes.start.is_some() || changes.end.is_some();
    let replaced = |name: &str| match name {
        "SUMMARY" => changes.title.is_some(),
        "DESCRIPTION" => changes.description.is_some(),
        "DTSTART" | "DTEND" | "DURATION" => moved,
        "ATTENDEE" => changes.attendees.is_some(),
        "STATUS" => changes.status.is_some(),
        "SEQUENCE" | "DTSTAMP" | "LAST-MODIFIED" => true,
        _ => false,
    };
    let mut sequence = 0i64;
    let mut out = String::with_capacity(ics.len() + 256);
    let mut depth = 0usize;
    for (i, l) in lines.iter().enumerate() {
        let inside = i > begin && i < end;
        if inside {
            let name = property_name(l);
            if name == "BEGIN" {
                depth += 1;
            }
            let top = depth == 0;
            if name == "END" {
                depth = depth.saturating_sub(1);
            }
            if top && name == "SEQUENCE" {
                sequence = l.split_once(':').and_then(|(_, v)| v.trim().parse().ok()).unwrap_or(0);
            }
            if top && replaced(&name) {
                continue;
            }
        }
        if i == end {
            new_lines(&mut out, changes, &current, sequence + 1, stamp);
        }
        line(&mut out, l);
    }
    Ok(out)
}

/// The properties a change writes, before the master event's `END:VEVENT`.
fn new_lines(out: &mut String, changes: &EventChanges, current: &EventDetails, sequence: i64, stamp: Timestamp) {
    line(out, &format!("SEQUENCE:{sequence}"));
    line(out, &format!("DTSTAMP:{}", utc(stamp)));
    line(out, &format!("LAST-MODIFIED:{}", utc(stamp)));
    if let Some(title) = &changes.title {
        line(out, &format!("SUMMARY:{}", text(title)));
    }
    if let Some(Some(description)) = &changes.description {
        line(out, &format!("DESCRIPTION:{}", text(description)));
    }
    if changes.start.is_some() || changes.end.is_some() {
        let start = changes.start.as_ref().map_or(current.start, |(at, _)| *at);
        let end = changes.end.as_ref().map_or(current.end, |(at, _)| *at);
        line(out, &format!("DTSTART:{}", utc(start)));
        line(out, &format!("DTEND:{}", utc(end)));
    }
    if let Some(status) = &changes.status {
        let value = match status.as_str() {
            "tentative" => "TENTATIVE",
            "cancelled" => "CANCELLED",
            _ => "CONFIRMED",
        };
        line(out, &format!("STATUS:{value}"));
    }
    for a in changes.attendees.iter().flatten() {
        let partstat = match a.response_status.as_deref() {
            Some("accepted") => "ACCEPTED",
            Some("declined") => "DECLINED",
            Some("tentative") => "TENTATIVE",
            _ => "NEEDS-ACTION",
        };
        let role = if a.optional == Some(true) {
            "OPT-PARTICIPANT"
        } else {
            "REQ-PARTICIPANT"
        };
        let cn = a
            .name
            .as_deref()
            .map(|n| format!(";CN={}", param(n)))
            .unwrap_or_default();
        line(
            out,
            &format!(
                "ATTENDEE{cn};ROLE={role};PARTSTAT={partstat};SCHEDULE-AGENT=CLIENT:mailto:{}",
                address(&a.email)
            ),
        );
    }
}

/// A content line's property name, upper-cased.
fn property_name(content: &str) -> String {
    let end = content.find([';', ':']).unwrap_or(content.len());
    content[..end].trim().to_ascii_uppercase()
}

/// The line indexes of the master event's `BEGIN:VEVENT` and `END:VEVENT`.
fn master_event(lines: &[&str]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().eq_ignore_ascii_case("BEGIN:VEVENT") {
            let begin = i;
            let mut depth = 0usize;
            let mut is_override = false;
            for (j, l) in lines.iter().enumerate().skip(begin + 1) {
                let name = property_name(l);
                match name.as_str() {
                    "BEGIN" => depth += 1,
                    "END" if depth == 0 => {
                        if !is_override {
                            return Some((begin, j));
                        }
                        i = j;
                        break;
                    }
                    "END" => depth -= 1,
                    "RECURRENCE-ID" if depth == 0 => is_override = true,
                    _ => {}
                }
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n\
TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:weekly@test\r\nSEQUENCE:3\r\nDTSTAMP:20300101T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20300107T100000\r\nDURATION:PT45M\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Planning\r\n\
DESCRIPTION:Long text that is folded over two lines because it is longer than seventy-\r\n five octets\r\n\
ORGANIZER;CN=Olivia:mailto:olivia@example.com\r\n\
ATTENDEE;CN=\"Eve, E.\";PARTSTAT=ACCEPTED:mailto:eve@example.com\r\n\
ATTENDEE;ROLE=OPT-PARTICIPANT:MAILTO:sam@example.com\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n\
DESCRIPTION:Reminder\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:weekly@test\r\n\
RECURRENCE-ID;TZID=Europe/Berlin:20300114T100000\r\nDTSTART;TZID=Europe/Berlin:20300114T120000\r\n\
DURATION:PT45M\r\nSUMMARY:Planning (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn the_master_event_is_read_with_its_zone_duration_and_people() {
        let e = event_details(STORED, "weekly@test").expect("details");
        assert_eq!(e.title, "Planning");
        assert_eq!(e.start, "2030-01-07T09:00:00Z".parse::<Timestamp>().expect("ts"));
        assert_eq!(e.end, "2030-01-07T09:45:00Z".parse::<Timestamp>().expect("ts"));
        assert_eq!(e.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(e.status.as_deref(), Some("confirmed"));
        assert!(
            e.description
                .as_deref()
                .is_some_and(|d| d.ends_with("seventy-five octets"))
        );
        assert_eq!(e.attendees.len(), 2);
        assert_eq!(e.attendees[0].name.as_deref(), Some("Eve, E."));
        assert_eq!(e.attendees[0].response_status.as_deref(), Some("accepted"));
        assert_eq!(e.attendees[1].email, "sam@example.com");
        assert_eq!(e.attendees[1].optional, Some(true));
        assert_eq!(
            e.organizer.as_ref().map(|o| o.email.as_str()),
            Some("olivia@example.com")
        );
    }

    #[test]
    fn changes_replace_only_the_master_events_named_properties() {
        let changes = EventChanges {
            title: Some("Planning; renamed".into()),
            description: Some(None),
            end: Some(("2030-01-07T10:00:00Z".parse().expect("ts"), None)),
            attendees: Some(vec![EventPerson {
                email: "new@example.com".into(),
                name: Some("New".into()),
                ..EventPerson::default()
            }]),
            status: Some("tentative".into()),
            ..EventChanges::default()
        };
        let out = apply_changes(STORED, &changes, "2030-01-02T00:00:00Z".parse().expect("ts")).expect("changed");
        let e = event_details(&out, "weekly@test").expect("details");
        assert_eq!(e.title, "Planning; renamed");
        assert_eq!(e.description, None);
        assert_eq!(
            e.start,
            "2030-01-07T09:00:00Z".parse::<Timestamp>().expect("ts"),
            "start kept"
        );
        assert_eq!(e.end, "2030-01-07T10:00:00Z".parse::<Timestamp>().expect("ts"));
        assert_eq!(e.status.as_deref(), Some("tentative"));
        assert_eq!(e.attendees.len(), 1);
        assert_eq!(e.attendees[0].email, "new@example.com");
        assert!(out.contains("SEQUENCE:4\r\n"), "{out}");
        assert!(out.contains("SUMMARY:Planning\\; renamed\r\n"));
        assert!(
            out.replace("\r\n ", "")
                .contains("SCHEDULE-AGENT=CLIENT:mailto:new@example.com")
        );
        // The alarm, the rule and the moved occurrence are untouched.
        assert!(out.contains("DESCRIPTION:Reminder\r\nTRIGGER:-PT10M\r\n"), "{out}");
        assert!(out.contains("RRULE:FREQ=WEEKLY\r\n"));
        assert!(out.contains("SUMMARY:Planning (moved)\r\n"));
        assert!(
            !out.contains("DURATION:PT45M\r\nRRULE"),
            "the master's duration gave way to DTEND"
        );
        assert!(out.lines().all(|l| l.len() <= 76), "folded: {out}");
    }

    #[test]
    fn an_object_without_an_event_is_a_protocol_error() {
        let none = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
        assert!(matches!(event_details(none, "x"), Err(CalendarError::Protocol(_))));
        assert!(apply_changes(none, &EventChanges::default(), Timestamp::UNIX_EPOCH).is_err());
    }
}
