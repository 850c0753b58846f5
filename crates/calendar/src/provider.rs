//! Types shared by the Google and Microsoft clients.

use jiff::Timestamp;
use url::Url;

use crate::busy::BusyReport;
use crate::error::CalendarError;

/// A calendar in a provider's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCalendar {
    /// The provider's id (Google: often the address; Graph: an opaque id).
    pub id: String,
    pub name: String,
    pub color: Option<String>,
    /// The account's main calendar.
    pub primary: bool,
    pub read_only: bool,
    /// Only free/busy is visible (Google `freeBusyReader`).
    pub free_busy_only: bool,
    pub time_zone: Option<String>,
}

/// An event as the provider stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEvent {
    /// The provider's event id: keep it to update or delete the event.
    pub id: String,
    pub etag: Option<String>,
    pub ical_uid: Option<String>,
    /// A link to the event in the provider's web app.
    pub web_link: Option<String>,
}

/// An event's details as a provider shows them (the unified calendar event of Cal.com's API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDetails {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The zone the event is shown in, when the provider says.
    pub time_zone: Option<String>,
    /// `confirmed`, `tentative` or `cancelled` (Google's words).
    pub status: Option<String>,
    pub attendees: Vec<EventPerson>,
    pub organizer: Option<EventPerson>,
    /// The video meeting's link (Google Meet's `hangoutLink`).
    pub video_url: Option<String>,
    pub location: Option<String>,
}

/// An attendee or organizer of an event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventPerson {
    pub email: String,
    pub name: Option<String>,
    /// `accepted`, `declined`, `tentative`, `needsAction`.
    pub response_status: Option<String>,
    pub is_self: Option<bool>,
    pub optional: Option<bool>,
    pub organizer: Option<bool>,
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EventChanges {
    pub title: Option<String>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    pub start: Option<(Timestamp, Option<String>)>,
    pub end: Option<(Timestamp, Option<String>)>,
    /// The whole new list (attendees left out are removed).
    pub attendees: Option<Vec<EventPerson>>,
    pub status: Option<String>,
}

/// The busy time of one calendar in a multi-calendar answer; each calendar succeeds or fails on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarBusy {
    pub calendar_id: String,
    pub result: Result<BusyReport, CalendarError>,
}

/// `api` with `segments` appended, each percent-encoded (calendar ids hold `@`, `#`, `/`, `=`…).
pub(crate) fn endpoint(api: &Url, segments: &[&str]) -> Url {
    let mut url = api.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_encoded_as_single_path_segments() {
        let api = Url::parse("https://www.googleapis.com/calendar/v3/").expect("url");
        let url = endpoint(&api, &["calendars", "team#x/y@group.calendar.google.com", "events"]);
        assert_eq!(
            url.as_str(),
            "https://www.googleapis.com/calendar/v3/calendars/team%23x%2Fy@group.calendar.google.com/events"
        );
    }
}
