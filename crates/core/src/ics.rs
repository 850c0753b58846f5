//! A small RFC 5545 writer for one event: what booking emails attach and `.ics` links carry.
//!
//! Written here rather than taken from a crate because the escaping must be exact: TEXT values
//! escape `\`, `;`, `,` and newlines (§3.3.11), parameter values can't be escaped at all, so
//! they are stripped of what would break them (§3.2), and lines fold at 75 octets without
//! splitting a UTF-8 character (§3.1).

use crate::text::is_line_break_or_control;
use jiff::Timestamp;
use std::fmt::Write;

/// `METHOD` of the calendar object (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// An invitation or an update of one.
    Request,
    /// The event is off.
    Cancel,
    /// A plain calendar file (for "add to calendar" downloads).
    Publish,
}

/// A person on the invite.
#[derive(Debug, Clone)]
pub struct Party {
    pub name: String,
    pub email: String,
}

/// One event. `uid` stays the same for the life of a booking (reschedules included) and
/// `sequence` grows on every change, so calendar apps update the event rather than add one.
#[derive(Debug, Clone)]
pub struct IcsEvent {
    pub method: Method,
    pub uid: String,
    pub sequence: i64,
    pub stamp: Timestamp,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    pub organizer: Party,
    pub attendees: Vec<Party>,
    pub cancelled: bool,
    /// A series' rule (`RRULE` value, RFC 5545 §3.3.10, e.g. `FREQ=WEEKLY;INTERVAL=1;COUNT=4`).
    pub rule: Option<String>,
    /// One occurrence of a series (`RECURRENCE-ID`): the change concerns that occurrence only.
    pub occurrence: Option<Timestamp>,
}

/// TEXT escaping (RFC 5545 §3.3.11): line breaks, U+2028 and U+2029 included, become `\n`; other control
/// characters are dropped.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (e.g. `CN`): no escaping exists, so remove control characters and double
/// quotes, and quote the value when it holds `:`, `;` or `,` (RFC 5545 §3.2).
pub fn param(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|c| !is_line_break_or_control(*c) && *c != '"')
        .collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// An address for `mailto:`: control characters and spaces removed (callers pass validated addresses).
pub fn address(value: &str) -> String {
    value
        .chars()
        .filter(|c| !is_line_break_or_control(*c) && !c.is_whitespace())
        .collect()
}

/// A UTC DATE-TIME value (`20300107T100000Z`).
pub fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Appends one content line, folded at 75 octets with CRLF + space (§3.1).
pub fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// Who the text is for: a scheduling message (email attachment, download) or a calendar store.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Message,
    CalendarStore,
}

impl IcsEvent {
    /// The whole `VCALENDAR` text with CRLF line ends.
    pub fn render(&self) -> String {
        self.render_for(Audience::Message)
    }

    /// The text for a calendar server to store (a CalDAV `PUT`): no `METHOD`, which calendar collections must not
    /// hold (RFC 4791 §4.1), and `SCHEDULE-AGENT=CLIENT` on the organizer and attendees so a scheduling server does
    /// not send invitations of its own (RFC 6638 §7.1): convene sends them.
    pub fn render_calendar_resource(&self) -> String {
        self.render_for(Audience::CalendarStore)
    }

    fn render_for(&self, audience: Audience) -> String {
        let mut out = String::new();
        let method = match self.method {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        };
        let agent = if audience == Audience::CalendarStore {
            ";SCHEDULE-AGENT=CLIENT"
        } else {
            ""
        };
        line(&mut out, "BEGIN:VCALENDAR");
        line(&mut out, "VERSION:2.0");
        line(&mut out, "PRODID:-//convene//convene//EN");
        line(&mut out, "CALSCALE:GREGORIAN");
        if audience == Audience::Message {
            line(&mut out, &format!("METHOD:{method}"));
        }
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&self.uid)));
        line(&mut out, &format!("SEQUENCE:{}", self.sequence));
        line(&mut out, &format!("DTSTAMP:{}", utc(self.stamp)));
        line(&mut out, &format!("DTSTART:{}", utc(self.start)));
        line(&mut out, &format!("DTEND:{}", utc(self.end)));
        if let Some(rule) = &self.rule {
            // A rule is built from fixed words and numbers; anything else is dropped rather than injected.
            let rule: String = rule
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | ';' | ','))
                .collect();
            line(&mut out, &format!("RRULE:{rule}"));
        }
        if let Some(at) = self.occurrence {
            line(&mut out, &format!("RECURRENCE-ID:{}", utc(at)));
        }
        line(&mut out, &format!("SUMMARY:{}", text(&self.summary)));
        if !self.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", text(&self.description)));
        }
        if let Some(location) = &self.location {
            line(&mut out, &format!("LOCATION:{}", text(location)));
        }
        line(
            &mut out,
            &format!(
                "ORGANIZER;CN={}{agent}:mailto:{}",
                param(&self.organizer.name),
                address(&self.organizer.email)
            ),
        );
        for a in &self.attendees {
            let mut attendee = String::new();
            let _ = write!(
                attendee,
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE{agent}:mailto:{}",
                param(&a.name),
                address(&a.email)
            );
            line(&mut out, &attendee);
        }
        let status = if self.cancelled || self.method == Method::Cancel {
            "CANCELLED"
        } else {
            "CONFIRMED"
        };
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "END:VEVENT");
        line(&mut out, "END:VCALENDAR");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event() -> IcsEvent {
        IcsEvent {
            method: Method::Request,
            uid: "abc@convene".into(),
            sequence: 2,
            stamp: "2030-01-01T00:00:00Z".parse().expect("ts"),
            start: "2030-01-07T10:00:00Z".parse().expect("ts"),
            end: "2030-01-07T10:30:00Z".parse().expect("ts"),
            summary: "Intro, call; with \\ Ada".into(),
            description: "Line one\nLine two".into(),
            location: Some("Room 1".into()),
            organizer: Party {
                name: "Olivia \"O\" Owner".into(),
                email: "owner@example.com".into(),
            },
            attendees: vec![Party {
                name: "Eve\r\nX-INJECTED:1".into(),
                email: "eve@example.com".into(),
            }],
            cancelled: false,
            rule: None,
            occurrence: None,
        }
    }

    #[test]
    fn text_values_are_escaped_and_times_are_utc() {
        let ics = event().render();
        assert!(ics.contains("SUMMARY:Intro\\, call\\; with \\\\ Ada\r\n"), "{ics}");
        assert!(ics.contains("DESCRIPTION:Line one\\nLine two\r\n"));
        assert!(ics.contains("DTSTART:20300107T100000Z\r\n"));
        assert!(ics.contains("METHOD:REQUEST\r\nBEGIN:VEVENT"));
        assert!(ics.contains("SEQUENCE:2\r\n"));
        assert!(ics.contains("STATUS:CONFIRMED"));
    }

    #[test]
    fn parameters_cannot_inject_lines_or_break_quoting() {
        let ics = event().render();
        assert!(!ics.contains("\r\nX-INJECTED"), "{ics}");
        assert!(
            ics.contains("ORGANIZER;CN=Olivia O Owner:mailto:owner@example.com"),
            "{ics}"
        );
    }

    #[test]
    fn unicode_line_separators_are_line_breaks_in_text_and_gone_from_parameters() {
        let mut e = event();
        e.summary = "Intro\u{2028}call".into();
        e.description = "One\u{2029}Two".into();
        e.attendees[0].name = "Eve\u{2028}X-INJECTED:1".into();
        let ics = e.render();
        assert!(ics.contains("SUMMARY:Intro\\ncall\r\n"), "{ics}");
        assert!(ics.contains("DESCRIPTION:One\\nTwo\r\n"), "{ics}");
        assert!(!ics.contains('\u{2028}') && !ics.contains('\u{2029}'), "{ics}");
        assert!(ics.contains("CN=\"EveX-INJECTED:1\""), "{ics}");
    }

    #[test]
    fn cancellations_say_so() {
        let mut e = event();
        e.method = Method::Cancel;
        let ics = e.render();
        assert!(ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED"));
    }

    #[test]
    fn calendar_resources_have_no_method_and_keep_the_server_from_inviting() {
        let ics = event().render_calendar_resource();
        assert!(!ics.contains("METHOD:"), "{ics}");
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("ORGANIZER;CN=Olivia O Owner;SCHEDULE-AGENT=CLIENT:mailto:owner@example.com"));
        assert!(
            unfolded.contains("RSVP=TRUE;SCHEDULE-AGENT=CLIENT:mailto:eve@example.com"),
            "{unfolded}"
        );
        assert!(!event().render().contains("SCHEDULE-AGENT"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut e = event();
        e.description = "ü".repeat(100);
        let ics = e.render();
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("DESCRIPTION:{}", "ü".repeat(100))));
    }

    proptest! {
        #[test]
        fn any_text_stays_inside_its_lines(s in any::<String>(), n in any::<String>()) {
            let mut e = event();
            e.summary = s;
            e.attendees[0].name = n;
            let ics = e.render();
            // Every physical line is a content line, a fold continuation, or empty at the end;
            // no bare CR or LF survives inside a value.
            for l in ics.split("\r\n") {
                prop_assert!(!l.contains('\r') && !l.contains('\n'));
                prop_assert!(l.len() <= 75);
            }
            prop_assert_eq!(ics.matches("\r\nBEGIN:VEVENT\r\n").count(), 1);
            prop_assert_eq!(ics.lines().filter(|l| l.starts_with("ATTENDEE")).count(), 1);
        }
    }
}
