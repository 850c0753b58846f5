//! Google Calendar API v3: calendar list, free/busy, and the booking's event (insert, patch, delete).
//!
//! Google reports rate limits as 429, or as 403 with reason `rateLimitExceeded` / `userRateLimitExceeded`; both
//! become [`CalendarError::RateLimited`].

use convene_core::schedule::Interval;
use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::booking::BookingEvent;
use crate::busy::{BusyInterval, BusyKind, BusyReport, BusySource, BusyWindow};
use crate::error::{CalendarError, short_code};
use crate::http::status_error;
use crate::oauth::{OAuthSession, rate_limited};
use crate::provider::{CalendarBusy, EventChanges, EventDetails, EventPerson, RemoteCalendar, RemoteEvent, endpoint};

/// Google's documented API root.
pub const GOOGLE_API: &str = "https://www.googleapis.com/calendar/v3/";
/// Google's freeBusy takes at most 50 calendars per request.
const FREE_BUSY_BATCH: usize = 50;

/// A Google Calendar connection.
#[derive(Debug)]
pub struct GoogleCalendar {
    session: OAuthSession,
    api: Url,
    max_pages: usize,
}

impl GoogleCalendar {
    pub fn new(session: OAuthSession) -> GoogleCalendar {
        // Constant, valid URL.
        let api = Url::parse(GOOGLE_API).unwrap_or_else(|_| unreachable!("constant URL"));
        GoogleCalendar {
            session,
            api,
            max_pages: 20,
        }
    }

    /// Another API root (tests use a local fake).
    pub fn with_api_base(mut self, api: Url) -> GoogleCalendar {
        self.api = api;
        self
    }

    /// At most this many pages of a list are read (250 items each); more is an error, not a silent cut.
    pub fn with_max_pages(mut self, pages: usize) -> GoogleCalendar {
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
                let request = http.client().request(method.clone(), url.clone());
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
            return Err(google_error(status, &headers, &text));
        }
        serde_json::from_str(&text).map_err(|e| CalendarError::Protocol(format!("unexpected Google answer: {e}")))
    }

    /// Every calendar in the user's list (`calendarList.list`, following `nextPageToken`).
    #[tracing::instrument(skip_all)]
    pub async fn list_calendars(&self) -> Result<Vec<RemoteCalendar>, CalendarError> {
        let mut calendars = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..self.max_pages {
            let mut url = endpoint(&self.api, &["users", "me", "calendarList"]);
            url.query_pairs_mut().append_pair("maxResults", "250");
            if let Some(token) = &page_token {
                url.query_pairs_mut().append_pair("pageToken", token);
            }
            let page: CalendarListPage = self.json(self.call(Method::GET, url, None).await?).await?;
            calendars.extend(page.items.into_iter().map(|item| {
                let role = item.access_role.as_deref().unwrap_or("reader");
                RemoteCalendar {
                    name: item
                        .summary_override
                        .or(item.summary)
                        .unwrap_or_else(|| item.id.clone()),
                    id: item.id,
                    color: item.background_color,
                    primary: item.primary,
                    read_only: !matches!(role, "owner" | "writer"),
                    free_busy_only: role == "freeBusyReader",
                    time_zone: item.time_zone,
                }
            }));
            match page.next_page_token {
                Some(token) => page_token = Some(token),
                None => return Ok(calendars),
            }
        }
        Err(CalendarError::Protocol(format!(
            "more than {} pages of calendars",
            self.max_pages
        )))
    }

    /// Busy time of `calendar_ids` in `window` (`freeBusy.query`, 50 calendars per request). Each calendar has its
    /// own result: one that Google can't read (not found, no access) fails alone.
    #[tracing::instrument(skip_all, fields(calendars = calendar_ids.len()))]
    pub async fn free_busy(
        &self,
        calendar_ids: &[String],
        window: &BusyWindow,
    ) -> Result<Vec<CalendarBusy>, CalendarError> {
        let mut out = Vec::new();
        for batch in calendar_ids.chunks(FREE_BUSY_BATCH) {
            let body = json!({
                "timeMin": window.from.to_string(),
                "timeMax": window.to.to_string(),
                "timeZone": "UTC",
                "items": batch.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
            });
            let answer: FreeBusyAnswer = self
                .json(
                    self.call(Method::POST, endpoint(&self.api, &["freeBusy"]), Some(&body))
                        .await?,
                )
                .await?;
            for id in batch {
                let result = match answer.calendars.get(id) {
                    None => Err(CalendarError::Protocol(
                        "Google did not answer for this calendar".into(),
                    )),
                    Some(cal) if !cal.errors.is_empty() => Err(free_busy_error(&cal.errors[0].reason)),
                    Some(cal) => Ok(BusyReport {
                        busy: cal
                            .busy
                            .iter()
                            .filter_map(|b| Interval::new(b.start.parse().ok()?, b.end.parse().ok()?))
                            .map(|interval| BusyInterval {
                                interval,
                                source: BusySource {
                                    calendar: id.clone(),
                                    uid: None,
                                    summary: None,
                                    kind: BusyKind::FreeBusy,
                                },
                            })
                            .collect(),
                        warnings: Vec::new(),
                    }),
                };
                out.push(CalendarBusy {
                    calendar_id: id.clone(),
                    result,
                });
            }
        }
        Ok(out)
    }

    /// Inserts the booking's event with an id derived from its UID, without Google emailing anyone. A retried
    /// insert of the same booking is [`CalendarError::AlreadyExists`] (patch it instead).
    #[tracing::instrument(skip_all)]
    pub async fn insert_event(&self, calendar_id: &str, event: &BookingEvent) -> Result<RemoteEvent, CalendarError> {
        let mut url = endpoint(&self.api, &["calendars", calendar_id, "events"]);
        url.query_pairs_mut().append_pair("sendUpdates", "none");
        let response = self.call(Method::POST, url, Some(&event.google_body(true))).await?;
        if response.status() == StatusCode::CONFLICT {
            return Err(CalendarError::AlreadyExists);
        }
        let answer: EventAnswer = self.json(response).await?;
        Ok(answer.into())
    }

    /// Updates the booking's event (times, title, attendees…).
    #[tracing::instrument(skip_all)]
    pub async fn patch_event(
        &self,
        calendar_id: &str,
        event_id: &str,
        event: &BookingEvent,
    ) -> Result<RemoteEvent, CalendarError> {
        let mut url = endpoint(&self.api, &["calendars", calendar_id, "events", event_id]);
        url.query_pairs_mut().append_pair("sendUpdates", "none");
        let answer: EventAnswer = self
            .json(self.call(Method::PATCH, url, Some(&event.google_body(false))).await?)
            .await?;
        Ok(answer.into())
    }

    /// One event's details (`events.get`).
    #[tracing::instrument(skip_all)]
    pub async fn get_event(&self, calendar_id: &str, event_id: &str) -> Result<EventDetails, CalendarError> {
        let url = endpoint(&self.api, &["calendars", calendar_id, "events", event_id]);
        let event: FullEvent = self.json(self.call(Method::GET, url, None).await?).await?;
        event.details()
    }

    /// Changes some of an event's fields (`events.patch`, nobody emailed) and returns the event as it is now.
    #[tracing::instrument(skip_all)]
    pub async fn update_fields(
        &self,
        calendar_id: &str,
        event_id: &str,
        changes: &EventChanges,
    ) -> Result<EventDetails, CalendarError> {
        let mut url = endpoint(&self.api, &["calendars", calendar_id, "events", event_id]);
        url.query_pairs_mut().append_pair("sendUpdates", "none");
        let mut body = json!({});
        if let Some(title) = &changes.title {
            body["summary"] = json!(title);
        }
        if let Some(description) = &changes.description {
            body["description"] = json!(description);
        }
        let time = |(at, zone): &(jiff::Timestamp, Option<String>)| match zone {
            Some(zone) => json!({ "dateTime": at.to_string(), "timeZone": zone }),
            None => json!({ "dateTime": at.to_string() }),
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
                    let mut one = json!({ "email": a.email });
                    if let Some(name) = &a.name {
                        one["displayName"] = json!(name);
                    }
                    if let Some(status) = &a.response_status {
                        one["responseStatus"] = json!(status);
                    }
                    if let Some(optional) = a.optional {
                        one["optional"] = json!(optional);
                    }
                    one
                })
                .collect();
        }
        if let Some(status) = &changes.status {
            body["status"] = json!(status);
        }
        let event: FullEvent = self.json(self.call(Method::PATCH, url, Some(&body)).await?).await?;
        event.details()
    }

    /// Deletes the booking's event. An event already gone (404, 410) is [`CalendarError::NotFound`].
    #[tracing::instrument(skip_all)]
    pub async fn delete_event(&self, calendar_id: &str, event_id: &str) -> Result<(), CalendarError> {
        let mut url = endpoint(&self.api, &["calendars", calendar_id, "events", event_id]);
        url.query_pairs_mut().append_pair("sendUpdates", "none");
        let response = self.call(Method::DELETE, url, None).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let text = self.session.http().text(response).await.unwrap_or_default();
        Err(google_error(status, &headers, &text))
    }
}

/// Google's error envelope: `{"error": {"code", "message", "errors": [{"reason", …}]}}`.
fn google_error(status: StatusCode, headers: &HeaderMap, body: &str) -> CalendarError {
    let reason = serde_json::from_str::<ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.error.errors.into_iter().next())
        .map(|e| e.reason);
    match (status.as_u16(), reason.as_deref()) {
        (403, Some("rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded")) => rate_limited(headers),
        (400..=499, Some(reason)) if !matches!(status.as_u16(), 401 | 403 | 404 | 410 | 412 | 429) => {
            CalendarError::Rejected {
                status: status.as_u16(),
                detail: short_code(reason),
            }
        }
        _ => status_error(status, headers),
    }
}

fn free_busy_error(reason: &str) -> CalendarError {
    match reason {
        "notFound" => CalendarError::NotFound,
        "internalError" | "backendError" => CalendarError::ServerError { status: 500 },
        other => CalendarError::Rejected {
            status: 200,
            detail: short_code(other),
        },
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalendarListPage {
    #[serde(default)]
    items: Vec<CalendarListEntry>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalendarListEntry {
    id: String,
    summary: Option<String>,
    summary_override: Option<String>,
    background_color: Option<String>,
    access_role: Option<String>,
    #[serde(default)]
    primary: bool,
    time_zone: Option<String>,
}

#[derive(Deserialize)]
struct FreeBusyAnswer {
    #[serde(default)]
    calendars: std::collections::HashMap<String, FreeBusyCalendar>,
}

#[derive(Deserialize)]
struct FreeBusyCalendar {
    #[serde(default)]
    busy: Vec<FreeBusyPeriod>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct FreeBusyPeriod {
    start: String,
    end: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventAnswer {
    id: String,
    etag: Option<String>,
    #[serde(rename = "iCalUID")]
    ical_uid: Option<String>,
    html_link: Option<String>,
}

impl From<EventAnswer> for RemoteEvent {
    fn from(a: EventAnswer) -> RemoteEvent {
        RemoteEvent {
            id: a.id,
            etag: a.etag,
            ical_uid: a.ical_uid,
            web_link: a.html_link,
        }
    }
}

/// `events.get` / `events.patch` answers, as far as the unified event shows them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullEvent {
    id: String,
    summary: Option<String>,
    description: Option<String>,
    location: Option<String>,
    status: Option<String>,
    hangout_link: Option<String>,
    start: Option<GoogleTime>,
    end: Option<GoogleTime>,
    #[serde(default)]
    attendees: Vec<GooglePerson>,
    organizer: Option<GooglePerson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GoogleTime {
    date_time: Option<String>,
    /// All-day events: a date, taken at midnight UTC.
    date: Option<String>,
    time_zone: Option<String>,
}

impl GoogleTime {
    fn instant(&self) -> Option<jiff::Timestamp> {
        if let Some(t) = &self.date_time {
            return t.parse().ok();
        }
        let date: jiff::civil::Date = self.date.as_deref()?.parse().ok()?;
        date.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GooglePerson {
    #[serde(default)]
    email: String,
    display_name: Option<String>,
    response_status: Option<String>,
    #[serde(rename = "self")]
    is_self: Option<bool>,
    optional: Option<bool>,
    organizer: Option<bool>,
}

impl From<GooglePerson> for EventPerson {
    fn from(p: GooglePerson) -> EventPerson {
        EventPerson {
            email: p.email,
            name: p.display_name,
            response_status: p.response_status,
            is_self: p.is_self,
            optional: p.optional,
            organizer: p.organizer,
        }
    }
}

impl FullEvent {
    fn details(self) -> Result<EventDetails, CalendarError> {
        let missing = || CalendarError::Protocol("Google's event has no start or end".into());
        let start = self.start.as_ref().and_then(GoogleTime::instant).ok_or_else(missing)?;
        let end = self.end.as_ref().and_then(GoogleTime::instant).ok_or_else(missing)?;
        Ok(EventDetails {
            id: self.id,
            title: self.summary.unwrap_or_default(),
            description: self.description,
            start,
            end,
            time_zone: self.start.and_then(|s| s.time_zone),
            status: self.status,
            attendees: self.attendees.into_iter().map(EventPerson::from).collect(),
            organizer: self.organizer.map(EventPerson::from),
            video_url: self.hangout_link,
            location: self.location,
        })
    }
}
