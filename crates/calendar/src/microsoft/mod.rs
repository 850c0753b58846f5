//! Microsoft Graph (Outlook, Microsoft 365): calendars, busy time (`getSchedule` for whole mailboxes,
//! `calendarView` for one calendar, naming each event) and the booking's event.
//!
//! Times are requested in UTC (`Prefer: outlook.timezone="UTC"`); a zone Graph names anyway is read as IANA or
//! Windows name. `@odata.nextLink` is followed only while it stays under the configured API root, so the access
//! token never goes to another host.

use convene_core::schedule::Interval;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::booking::BookingEvent;
use crate::busy::{BusyInterval, BusyKind, BusyReport, BusySource, BusyWindow};
use crate::error::{CalendarError, short_code};
use crate::http::status_error;
use crate::oauth::OAuthSession;
use crate::provider::{CalendarBusy, RemoteCalendar, RemoteEvent, endpoint};

mod details;

/// Graph's documented API root.
pub const GRAPH_API: &str = "https://graph.microsoft.com/v1.0/";

/// A Microsoft Graph calendar connection.
#[derive(Debug)]
pub struct GraphCalendar {
    session: OAuthSession,
    api: Url,
    max_pages: usize,
}

impl GraphCalendar {
    pub fn new(session: OAuthSession) -> GraphCalendar {
        // Constant, valid URL.
        let api = Url::parse(GRAPH_API).unwrap_or_else(|_| unreachable!("constant URL"));
        GraphCalendar {
            session,
            api,
            max_pages: 20,
        }
    }

    /// Another API root (a national cloud; tests use a local fake).
    pub fn with_api_base(mut self, api: Url) -> GraphCalendar {
        self.api = api;
        self
    }

    /// At most this many pages of a list are read; more is an error, not a silent cut.
    pub fn with_max_pages(mut self, pages: usize) -> GraphCalendar {
        self.max_pages = pages.max(1);
        self
    }

    /// The OAuth session (for [`OAuthSession::take_refreshed`]).
    pub fn session(&self) -> &OAuthSession {
        &self.session
    }

    async fn call(&self, method: Method, url: Url, body: Option<&Value>) -> Result<Response, CalendarError> {
        self.session.http().check_url(&url)?;
        let http = self.session.http();
        self.session
            .send(|| {
                let request = http
                    .client()
                    .request(method.clone(), url.clone())
                    .header("Prefer", HeaderValue::from_static("outlook.timezone=\"UTC\""));
                match body {
                    Some(body) => request.json(body),
                    None => request,
                }
            })
            .await
    }

    async fn json<T: for<'de> Deserialize<'de>>(&self, response: Response) -> Result<T, CalendarError> {
        let status = response.status();
        let headers = response.headers().clone();
        let text = self.session.http().text(response).await?;
        if !status.is_success() {
            return Err(graph_error(status, &headers, &text));
        }
        serde_json::from_str(&text).map_err(|e| CalendarError::Protocol(format!("unexpected Graph answer: {e}")))
    }

    /// Reads every page of a collection, starting at `first`.
    async fn pages<T: for<'de> Deserialize<'de>>(&self, first: Url) -> Result<Vec<T>, CalendarError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        for _ in 0..self.max_pages {
            let Some(url) = next.take() else {
                return Ok(items);
            };
            let page: Page<T> = self.json(self.call(Method::GET, url, None).await?).await?;
            items.extend(page.value);
            if let Some(link) = page.next_link {
                let link = Url::parse(&link).map_err(|_| CalendarError::Protocol("a bad @odata.nextLink".into()))?;
                if link.origin() != self.api.origin() || !link.path().starts_with(self.api.path()) {
                    return Err(CalendarError::Protocol(
                        "an @odata.nextLink outside the Graph API".into(),
                    ));
                }
                next = Some(link);
            }
        }
        match next {
            None => Ok(items),
            Some(_) => Err(CalendarError::Protocol(format!("more than {} pages", self.max_pages))),
        }
    }

    /// The user's calendars (`GET /me/calendars`, following `@odata.nextLink`).
    #[tracing::instrument(skip_all)]
    pub async fn list_calendars(&self) -> Result<Vec<RemoteCalendar>, CalendarError> {
        let mut url = endpoint(&self.api, &["me", "calendars"]);
        url.query_pairs_mut()
            .append_pair("$select", "id,name,hexColor,isDefaultCalendar,canEdit")
            .append_pair("$top", "100");
        let items: Vec<GraphCalendarItem> = self.pages(url).await?;
        Ok(items
            .into_iter()
            .map(|c| RemoteCalendar {
                id: c.id,
                name: c.name.unwrap_or_default(),
                color: c.hex_color.filter(|h| !h.is_empty()),
                primary: c.is_default_calendar,
                read_only: !c.can_edit,
                free_busy_only: false,
                time_zone: None,
            })
            .collect())
    }

    /// Free/busy of whole mailboxes (`POST /me/calendar/getSchedule`; Graph allows a window of up to 62 days).
    /// `free` and `workingElsewhere` don't block; `busy`, `tentative` and `oof` do.
    #[tracing::instrument(skip_all, fields(schedules = schedules.len()))]
    pub async fn get_schedule(
        &self,
        schedules: &[String],
        window: &BusyWindow,
    ) -> Result<Vec<CalendarBusy>, CalendarError> {
        let body = json!({
            "schedules": schedules,
            "startTime": graph_time(window.from),
            "endTime": graph_time(window.to),
            "availabilityViewInterval": 30,
        });
        let url = endpoint(&self.api, &["me", "calendar", "getSchedule"]);
        let answer: Page<ScheduleInformation> = self.json(self.call(Method::POST, url, Some(&body)).await?).await?;
        let mut out = Vec::new();
        for id in schedules {
            let info = answer.value.iter().find(|s| s.schedule_id.eq_ignore_ascii_case(id));
            let result = match info {
                None => Err(CalendarError::Protocol("Graph did not answer for this schedule".into())),
                Some(ScheduleInformation { error: Some(e), .. }) => Err(CalendarError::Rejected {
                    status: 200,
                    detail: e.response_code.as_deref().and_then(short_code),
                }),
                Some(info) => {
                    let mut report = BusyReport::default();
                    for item in &info.schedule_items {
                        let Some(kind) = blocking(&item.status) else { continue };
                        if let Some(interval) = interval(&item.start, &item.end) {
                            report.busy.push(BusyInterval {
                                interval,
                                source: BusySource {
                                    calendar: id.clone(),
                                    uid: None,
                                    summary: item.subject.clone(),
                                    kind,
                                },
                            });
                        }
                    }
                    report.sort();
                    Ok(report)
                }
            };
            out.push(CalendarBusy {
                calendar_id: id.clone(),
                result,
            });
        }
        Ok(out)
    }

    /// Busy time of one calendar from its events (`GET /me/calendars/{id}/calendarView`), naming each event;
    /// all-day events are placed on the host's days. `label` names the calendar in each source.
    #[tracing::instrument(skip_all)]
    pub async fn calendar_view(
        &self,
        calendar_id: &str,
        label: &str,
        window: &BusyWindow,
    ) -> Result<BusyReport, CalendarError> {
        let mut url = endpoint(&self.api, &["me", "calendars", calendar_id, "calendarView"]);
        url.query_pairs_mut()
            .append_pair("startDateTime", &window.from.to_string())
            .append_pair("endDateTime", &window.to.to_string())
            .append_pair("$select", "subject,start,end,showAs,isCancelled,isAllDay,iCalUId")
            .append_pair("$top", "250");
        let events: Vec<ViewEvent> = self.pages(url).await?;
        let mut report = BusyReport::default();
        for event in events {
            if event.is_cancelled {
                continue;
            }
            let Some(kind) = blocking(event.show_as.as_deref().unwrap_or("busy")) else {
                continue;
            };
            let (interval, kind) = if event.is_all_day {
                (all_day(&event.start, &event.end, &window.host_zone), BusyKind::AllDay)
            } else {
                (interval(&event.start, &event.end), kind)
            };
            let Some(interval) = interval.filter(|i| i.overlaps(&window.interval())) else {
                continue;
            };
            report.busy.push(BusyInterval {
                interval,
                source: BusySource {
                    calendar: label.to_owned(),
                    uid: event.ical_uid,
                    summary: event.subject,
                    kind,
                },
            });
        }
        report.sort();
        Ok(report)
    }

    /// Creates the booking's event in `calendar_id`. Its `transactionId` (the booking UID) makes Graph answer a
    /// retried create with the event already made.
    #[tracing::instrument(skip_all)]
    pub async fn create_event(&self, calendar_id: &str, event: &BookingEvent) -> Result<RemoteEvent, CalendarError> {
        let url = endpoint(&self.api, &["me", "calendars", calendar_id, "events"]);
        let answer: GraphEvent = self
            .json(self.call(Method::POST, url, Some(&event.graph_body(true))).await?)
            .await?;
        Ok(answer.into())
    }

    /// Updates the booking's event.
    #[tracing::instrument(skip_all)]
    pub async fn update_event(&self, event_id: &str, event: &BookingEvent) -> Result<RemoteEvent, CalendarError> {
        let url = endpoint(&self.api, &["me", "events", event_id]);
        let answer: GraphEvent = self
            .json(self.call(Method::PATCH, url, Some(&event.graph_body(false))).await?)
            .await?;
        Ok(answer.into())
    }

    /// Deletes the booking's event; one already gone is [`CalendarError::NotFound`].
    #[tracing::instrument(skip_all)]
    pub async fn delete_event(&self, event_id: &str) -> Result<(), CalendarError> {
        let url = endpoint(&self.api, &["me", "events", event_id]);
        let response = self.call(Method::DELETE, url, None).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let text = self.session.http().text(response).await.unwrap_or_default();
        Err(graph_error(status, &headers, &text))
    }
}

/// How a Graph free/busy status blocks time, if it does.
fn blocking(status: &str) -> Option<BusyKind> {
    match status.to_ascii_lowercase().as_str() {
        "free" | "workingelsewhere" => None,
        "tentative" => Some(BusyKind::Tentative),
        _ => Some(BusyKind::Event),
    }
}

fn graph_time(at: Timestamp) -> Value {
    json!({ "dateTime": at.strftime("%Y-%m-%dT%H:%M:%S").to_string(), "timeZone": "UTC" })
}

fn zone(name: &str) -> Option<TimeZone> {
    if name.eq_ignore_ascii_case("UTC") || name.is_empty() {
        return Some(TimeZone::UTC);
    }
    TimeZone::get(name)
        .ok()
        .or_else(|| match name.parse::<calcard::common::timezone::Tz>() {
            Ok(calcard::common::timezone::Tz::Tz(tz)) => TimeZone::get(tz.name()).ok(),
            _ => None,
        })
}

fn instant(t: &GraphDateTime) -> Option<Timestamp> {
    let civil: DateTime = t.date_time.parse().ok()?;
    civil.to_zoned(zone(&t.time_zone)?).ok().map(|z| z.timestamp())
}

fn interval(start: &GraphDateTime, end: &GraphDateTime) -> Option<Interval> {
    Interval::new(instant(start)?, instant(end)?)
}

/// An all-day event's dates, placed on the host's days.
fn all_day(start: &GraphDateTime, end: &GraphDateTime, host: &TimeZone) -> Option<Interval> {
    let day = |t: &GraphDateTime| -> Option<Timestamp> {
        let civil: DateTime = t.date_time.parse().ok()?;
        civil.date().to_zoned(host.clone()).ok().map(|z| z.timestamp())
    };
    Interval::new(day(start)?, day(end)?)
}

/// Graph's error envelope: `{"error": {"code", "message"}}`.
fn graph_error(status: reqwest::StatusCode, headers: &HeaderMap, body: &str) -> CalendarError {
    let code = serde_json::from_str::<GraphErrorEnvelope>(body)
        .ok()
        .map(|e| e.error.code);
    match (status.as_u16(), code.as_deref()) {
        (400 | 405 | 409 | 422, Some(code)) => CalendarError::Rejected {
            status: status.as_u16(),
            detail: short_code(code),
        },
        _ => status_error(status, headers),
    }
}

#[derive(Deserialize)]
struct GraphErrorEnvelope {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphCalendarItem {
    id: String,
    name: Option<String>,
    hex_color: Option<String>,
    #[serde(default)]
    is_default_calendar: bool,
    #[serde(default = "yes")]
    can_edit: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphDateTime {
    date_time: String,
    #[serde(default)]
    time_zone: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleInformation {
    schedule_id: String,
    #[serde(default)]
    schedule_items: Vec<ScheduleItem>,
    error: Option<ScheduleError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleError {
    response_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleItem {
    status: String,
    subject: Option<String>,
    start: GraphDateTime,
    end: GraphDateTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewEvent {
    subject: Option<String>,
    start: GraphDateTime,
    end: GraphDateTime,
    show_as: Option<String>,
    #[serde(default)]
    is_cancelled: bool,
    #[serde(default)]
    is_all_day: bool,
    #[serde(rename = "iCalUId")]
    ical_uid: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphEvent {
    id: String,
    #[serde(rename = "@odata.etag")]
    etag: Option<String>,
    #[serde(rename = "iCalUId")]
    ical_uid: Option<String>,
    web_link: Option<String>,
}

impl From<GraphEvent> for RemoteEvent {
    fn from(e: GraphEvent) -> RemoteEvent {
        RemoteEvent {
            id: e.id,
            etag: e.etag,
            ical_uid: e.ical_uid,
            web_link: e.web_link,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(date_time: &str, time_zone: &str) -> GraphDateTime {
        GraphDateTime {
            date_time: date_time.into(),
            time_zone: time_zone.into(),
        }
    }

    #[test]
    fn graph_times_are_read_in_utc_iana_or_windows_zones() {
        assert_eq!(
            instant(&dt("2025-03-10T14:00:00.0000000", "UTC")),
            Some("2025-03-10T14:00:00Z".parse().expect("ts"))
        );
        assert_eq!(
            instant(&dt("2025-03-10T10:00:00.0000000", "Eastern Standard Time")),
            Some("2025-03-10T14:00:00Z".parse().expect("ts"))
        );
        assert_eq!(
            instant(&dt("2025-07-10T10:00:00", "Europe/Paris")),
            Some("2025-07-10T08:00:00Z".parse().expect("ts"))
        );
        assert_eq!(instant(&dt("2025-07-10T10:00:00", "Nowhere")), None);
    }

    #[test]
    fn free_and_working_elsewhere_do_not_block() {
        assert_eq!(blocking("free"), None);
        assert_eq!(blocking("workingElsewhere"), None);
        assert_eq!(blocking("Tentative"), Some(BusyKind::Tentative));
        assert_eq!(blocking("oof"), Some(BusyKind::Event));
        assert_eq!(blocking("busy"), Some(BusyKind::Event));
    }
}
