//! One Outlook event as the unified calendar event shows it: `GET /me/events/{id}` and `PATCH /me/events/{id}`.
//!
//! Graph's words are turned into Google's, which [`EventDetails`] speaks: `isCancelled` → `cancelled`, `showAs:
//! tentative` → `tentative`; an attendee's `tentativelyAccepted` → `tentative`, `notResponded` / `none` →
//! `needsAction`. A change of status is `showAs` (busy or tentative); Graph cancels a meeting only by emailing
//! everyone (`/cancel`), so `cancelled` is refused here and left to cancelling the booking.

use jiff::Timestamp;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{GraphCalendar, GraphDateTime, graph_time, instant};
use crate::error::CalendarError;
use crate::provider::{EventChanges, EventDetails, EventPerson, endpoint};

impl GraphCalendar {
    /// One event's details.
    #[tracing::instrument(skip_all)]
    pub async fn get_event(&self, event_id: &str) -> Result<EventDetails, CalendarError> {
        let url = endpoint(&self.api, &["me", "events", event_id]);
        let event: FullEvent = self.json(self.call(Method::GET, url, None).await?).await?;
        event.details()
    }

    /// Changes some of an event's fields and returns the event as it is now. Outlook invites attendees added to
    /// the list itself (Graph has no way to stop it).
    #[tracing::instrument(skip_all)]
    pub async fn update_fields(&self, event_id: &str, changes: &EventChanges) -> Result<EventDetails, CalendarError> {
        let body = patch_body(changes)?;
        let url = endpoint(&self.api, &["me", "events", event_id]);
        let event: FullEvent = self.json(self.call(Method::PATCH, url, Some(&body)).await?).await?;
        event.details()
    }
}

fn patch_body(changes: &EventChanges) -> Result<Value, CalendarError> {
    let mut body = json!({});
    if let Some(title) = &changes.title {
        body["subject"] = json!(title);
    }
    if let Some(description) = &changes.description {
        body["body"] = json!({ "contentType": "text", "content": description.clone().unwrap_or_default() });
    }
    let time = |(at, zone): &(Timestamp, Option<String>)| match zone.as_deref().map(jiff::tz::TimeZone::get) {
        // Shown in the zone given: the wall-clock time there, with its IANA name (which Graph accepts).
        Some(Ok(tz)) => json!({
            "dateTime": at.to_zoned(tz).datetime().strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            "timeZone": zone.as_deref().unwrap_or("UTC"),
        }),
        _ => graph_time(*at),
    };
    if let Some(start) = &changes.start {
        body["start"] = time(start);
    }
    if let Some(end) = &changes.end {
        body["end"] = time(end);
    }
    if let Some(attendees) = &changes.attendees {
        body["attendees"] = attendees
            .iter()
            .map(|a| {
                json!({
                    "emailAddress": { "address": a.email, "name": a.name.clone().unwrap_or_default() },
                    "type": if a.optional == Some(true) { "optional" } else { "required" },
                })
            })
            .collect();
    }
    match changes.status.as_deref() {
        None => {}
        Some("tentative") => body["showAs"] = json!("tentative"),
        Some("cancelled") => {
            return Err(CalendarError::Rejected {
                status: 400,
                detail: Some("an Outlook event is cancelled by cancelling its booking".into()),
            });
        }
        Some(_) => body["showAs"] = json!("busy"),
    }
    Ok(body)
}

/// `GET /me/events/{id}` as far as the unified event shows it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullEvent {
    id: String,
    subject: Option<String>,
    body: Option<ItemBody>,
    start: GraphDateTime,
    end: GraphDateTime,
    original_start_time_zone: Option<String>,
    show_as: Option<String>,
    #[serde(default)]
    is_cancelled: bool,
    #[serde(default)]
    attendees: Vec<Attendee>,
    organizer: Option<Recipient>,
    location: Option<Location>,
    online_meeting: Option<OnlineMeeting>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemBody {
    content: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailAddress {
    #[serde(default)]
    address: String,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: EmailAddress,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attendee {
    email_address: EmailAddress,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<ResponseStatus>,
}

#[derive(Deserialize)]
struct ResponseStatus {
    response: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnlineMeeting {
    join_url: Option<String>,
}

fn response_words(graph: Option<&str>) -> Option<String> {
    let word = match graph? {
        "accepted" | "organizer" => "accepted",
        "declined" => "declined",
        "tentativelyAccepted" => "tentative",
        _ => "needsAction",
    };
    Some(word.to_owned())
}

impl FullEvent {
    fn details(self) -> Result<EventDetails, CalendarError> {
        let missing = || CalendarError::Protocol("Graph's event has no readable start or end".into());
        let status = if self.is_cancelled {
            "cancelled"
        } else if self
            .show_as
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("tentative"))
        {
            "tentative"
        } else {
            "confirmed"
        };
        // An HTML body is kept as Graph gives it: the unified event's description is free text.
        let description = self.body.and_then(|b| b.content).filter(|c| !c.is_empty());
        Ok(EventDetails {
            id: self.id,
            title: self.subject.unwrap_or_default(),
            description,
            start: instant(&self.start).ok_or_else(missing)?,
            end: instant(&self.end).ok_or_else(missing)?,
            time_zone: self.original_start_time_zone,
            status: Some(status.to_owned()),
            attendees: self
                .attendees
                .into_iter()
                .map(|a| EventPerson {
                    email: a.email_address.address,
                    name: a.email_address.name.filter(|n| !n.is_empty()),
                    response_status: response_words(a.status.as_ref().and_then(|s| s.response.as_deref())),
                    is_self: None,
                    optional: Some(a.kind.as_deref() == Some("optional")),
                    organizer: Some(false),
                })
                .collect(),
            organizer: self.organizer.map(|o| EventPerson {
                email: o.email_address.address,
                name: o.email_address.name.filter(|n| !n.is_empty()),
                response_status: Some("accepted".to_owned()),
                organizer: Some(true),
                ..EventPerson::default()
            }),
            video_url: self.online_meeting.and_then(|m| m.join_url),
            location: self.location.and_then(|l| l.display_name).filter(|l| !l.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_writes_graphs_fields_and_the_wall_clock_of_the_zone_given() {
        let changes = EventChanges {
            title: Some("Renamed".into()),
            start: Some(("2030-07-01T08:00:00Z".parse().expect("ts"), Some("Europe/Paris".into()))),
            end: Some(("2030-07-01T09:00:00Z".parse().expect("ts"), None)),
            status: Some("tentative".into()),
            ..EventChanges::default()
        };
        let body = patch_body(&changes).expect("body");
        assert_eq!(body["subject"], "Renamed");
        assert_eq!(
            body["start"],
            json!({ "dateTime": "2030-07-01T10:00:00", "timeZone": "Europe/Paris" })
        );
        assert_eq!(
            body["end"],
            json!({ "dateTime": "2030-07-01T09:00:00", "timeZone": "UTC" })
        );
        assert_eq!(body["showAs"], "tentative");
        let cancel = EventChanges {
            status: Some("cancelled".into()),
            ..EventChanges::default()
        };
        assert!(matches!(
            patch_body(&cancel),
            Err(CalendarError::Rejected { status: 400, .. })
        ));
    }
}
