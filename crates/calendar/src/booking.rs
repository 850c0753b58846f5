//! [`BookingEvent`]: the event a host's destination calendar receives for a booking, in each provider's form.
//!
//! Invitations are convene's job (its own emails), so no provider is asked to send any: CalDAV gets
//! `SCHEDULE-AGENT=CLIENT` (RFC 6638), Google `sendUpdates=none`, and Microsoft Graph, which would invite every
//! attendee listed, gets the attendees in the body text instead.

use convene_core::ics::{IcsEvent, Method, Party};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A booking as a calendar event.
#[derive(Debug, Clone)]
pub struct BookingEvent {
    /// The booking's UID: the same for the booking's whole life, reschedules included.
    pub uid: String,
    /// Grows with every change, so calendar apps replace rather than add.
    pub sequence: i64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    pub organizer: Party,
    pub attendees: Vec<Party>,
    /// The organizer's IANA zone, which Google and Outlook show the event in.
    pub time_zone: String,
}

impl BookingEvent {
    /// The iCalendar object for a CalDAV `PUT` (convene's RFC 5545 writer; no `METHOD`, no server-sent invites).
    pub fn to_ics(&self, stamp: Timestamp) -> String {
        IcsEvent {
            method: Method::Publish,
            uid: self.uid.clone(),
            sequence: self.sequence,
            stamp,
            start: self.start,
            end: self.end,
            summary: self.summary.clone(),
            description: self.description.clone(),
            location: self.location.clone(),
            organizer: self.organizer.clone(),
            attendees: self.attendees.clone(),
            cancelled: false,
            rule: None,
            occurrence: None,
        }
        .render_calendar_resource()
    }

    /// The Google event id for this booking: derived from the UID (lowercase hex is within Google's base32hex
    /// alphabet), so a retried insert is refused as a duplicate instead of creating a second event.
    pub fn google_event_id(&self) -> String {
        let digest = Sha256::digest(self.uid.as_bytes());
        format!("cv{}", &hex::encode(digest)[..40])
    }

    /// The body for Google `events.insert` / `events.patch`.
    pub(crate) fn google_body(&self, with_id: bool) -> Value {
        let mut body = json!({
            "summary": self.summary,
            "description": self.description,
            "start": { "dateTime": self.start.to_string(), "timeZone": self.time_zone },
            "end": { "dateTime": self.end.to_string(), "timeZone": self.time_zone },
            "attendees": self.attendees.iter().map(|a| json!({ "email": a.email, "displayName": a.name })).collect::<Vec<_>>(),
            "extendedProperties": { "private": { "conveneUid": self.uid } },
        });
        if let Some(location) = &self.location {
            body["location"] = json!(location);
        }
        if with_id {
            body["id"] = json!(self.google_event_id());
        }
        body
    }

    /// The body for Graph `POST …/events` / `PATCH /me/events/{id}`. `transactionId` makes a retried create
    /// return the first event instead of a second one.
    pub(crate) fn graph_body(&self, with_transaction_id: bool) -> Value {
        let mut text = self.description.clone();
        if !self.attendees.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str("Attendees:");
            for a in &self.attendees {
                text.push_str(&format!("\n{} <{}>", a.name, a.email));
            }
        }
        let graph_time =
            |t: Timestamp| json!({ "dateTime": t.strftime("%Y-%m-%dT%H:%M:%S").to_string(), "timeZone": "UTC" });
        let mut body = json!({
            "subject": self.summary,
            "body": { "contentType": "text", "content": text },
            "start": graph_time(self.start),
            "end": graph_time(self.end),
            "showAs": "busy",
        });
        if let Some(location) = &self.location {
            body["location"] = json!({ "displayName": location });
        }
        if with_transaction_id {
            body["transactionId"] = json!(self.uid);
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking() -> BookingEvent {
        BookingEvent {
            uid: "bk_123@convene".into(),
            sequence: 1,
            start: "2030-01-07T10:00:00Z".parse().expect("ts"),
            end: "2030-01-07T10:30:00Z".parse().expect("ts"),
            summary: "Intro call".into(),
            description: "Agenda".into(),
            location: Some("https://meet.example/abc".into()),
            organizer: Party {
                name: "Olivia".into(),
                email: "olivia@example.com".into(),
            },
            attendees: vec![Party {
                name: "Eve".into(),
                email: "eve@example.com".into(),
            }],
            time_zone: "Europe/Berlin".into(),
        }
    }

    #[test]
    fn google_ids_are_stable_and_in_googles_alphabet() {
        let id = booking().google_event_id();
        assert_eq!(id, booking().google_event_id());
        assert_eq!(id.len(), 42);
        assert!(id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='v')), "{id}");
    }

    #[test]
    fn graph_gets_attendees_in_the_text_not_as_invitees() {
        let body = booking().graph_body(true);
        assert!(body.get("attendees").is_none());
        assert_eq!(body["transactionId"], "bk_123@convene");
        assert_eq!(body["start"]["dateTime"], "2030-01-07T10:00:00");
        assert!(
            body["body"]["content"]
                .as_str()
                .is_some_and(|t| t.contains("Eve <eve@example.com>"))
        );
    }

    #[test]
    fn the_calendar_object_is_a_store_resource() {
        let ics = booking().to_ics("2030-01-01T00:00:00Z".parse().expect("ts"));
        assert!(
            ics.contains("UID:bk_123@convene\r\n") && !ics.contains("METHOD:"),
            "{ics}"
        );
        assert!(ics.contains("DTSTART:20300107T100000Z"));
    }
}
