//! Types shared by the Google and Microsoft clients.

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
