//! Reading a calendar: busy time (calendar-query or free-busy-query), objects in a range, and change detection
//! (sync-collection, ETags, multiget).

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use url::Url;

use super::resource::{CalendarObject, ETag};
use super::xml::{CALDAV, DAV, XmlBody, multistatus};
use super::{CalDavClient, resolve};
use crate::busy::{BusyReport, BusyWindow};
use crate::error::CalendarError;
use crate::http::status_error;
use crate::ical::{IcsLimits, busy_from_ics, busy_from_objects};

/// How [`CalDavClient::busy`] reads busy time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyMethod {
    /// `calendar-query` for the events overlapping the window, expanded here: names each blocking event, reads
    /// all-day and floating events in the host's zone, and applies this crate's rules for transparency and
    /// cancellations. The default.
    Events,
    /// The server's `free-busy-query` report: times only, computed by the server (all-day events land on the
    /// server's idea of a day). For calendars shared as free/busy only.
    FreeBusyReport,
}

/// What changed in a collection since a sync token ([`CalDavClient::sync_changes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncChanges {
    /// The token to pass next time.
    pub sync_token: Option<String>,
    /// Added or modified members, with their new ETags: fetch them with [`CalDavClient::fetch_objects`].
    pub changed: Vec<(Url, Option<ETag>)>,
    /// Removed members.
    pub removed: Vec<Url>,
}

/// iCalendar UTC form for CalDAV `time-range` attributes.
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Servers evaluate floating and all-day events in their own zone; a day either side catches every one that
/// could overlap the window in the host's zone, and our expansion then keeps only those that do.
const ZONE_MARGIN: SignedDuration = SignedDuration::from_hours(26);

impl CalDavClient {
    /// Busy time of one calendar in `window`; `label` names it in each source.
    #[tracing::instrument(skip_all, fields(method = ?method))]
    pub async fn busy(
        &self,
        calendar: &Url,
        label: &str,
        window: &BusyWindow,
        method: BusyMethod,
        limits: &IcsLimits,
    ) -> Result<BusyReport, CalendarError> {
        match method {
            BusyMethod::Events => {
                let objects = self.objects_in_range(calendar, window.from, window.to).await?;
                Ok(busy_from_objects(
                    objects.iter().map(|o| o.data.as_str()),
                    label,
                    window,
                    limits,
                ))
            }
            BusyMethod::FreeBusyReport => {
                let mut body = XmlBody::new("c:free-busy-query");
                body.empty(
                    "c:time-range",
                    &[("start", &utc(window.from)), ("end", &utc(window.to))],
                );
                let response = self.dav("REPORT", calendar, "1", body.finish()).await?;
                if !response.status().is_success() {
                    return Err(status_error(response.status(), response.headers()));
                }
                let text = self.http.text(response).await?;
                busy_from_ics(&text, label, window, limits)
            }
        }
    }

    /// The calendar objects with events overlapping [`from`, `to`) (widened by a day each side for zone-less
    /// events), as stored: masters with their overrides, unexpanded.
    pub async fn objects_in_range(
        &self,
        calendar: &Url,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CalendarObject>, CalendarError> {
        let start = utc(from.checked_sub(ZONE_MARGIN).unwrap_or(from));
        let end = utc(to.checked_add(ZONE_MARGIN).unwrap_or(to));
        let mut body = XmlBody::new("c:calendar-query");
        body.open("d:prop", &[])
            .empty("d:getetag", &[])
            .empty("c:calendar-data", &[])
            .close();
        body.open("c:filter", &[])
            .open("c:comp-filter", &[("name", "VCALENDAR")])
            .open("c:comp-filter", &[("name", "VEVENT")])
            .empty("c:time-range", &[("start", &start), ("end", &end)]);
        let text = self.multistatus("REPORT", calendar, "1", body.finish()).await?;
        objects(calendar, &text)
    }

    /// Every member's href and ETag (for servers without sync tokens: compare with the ETags held).
    pub async fn object_etags(&self, calendar: &Url) -> Result<Vec<(Url, Option<ETag>)>, CalendarError> {
        let mut body = XmlBody::new("d:propfind");
        body.open("d:prop", &[])
            .empty("d:getetag", &[])
            .empty("d:resourcetype", &[]);
        let text = self.multistatus("PROPFIND", calendar, "1", body.finish()).await?;
        let (responses, _) = multistatus(&text)?;
        let mut out = Vec::new();
        for response in &responses {
            let url = resolve(calendar, &response.href)?;
            let is_collection = response
                .prop(DAV, "resourcetype")
                .is_some_and(|t| t.child(DAV, "collection").is_some());
            if is_collection || url.path() == calendar.path() {
                continue;
            }
            out.push((url, response.prop(DAV, "getetag").map(|e| ETag::new(e.trimmed()))));
        }
        Ok(out)
    }

    /// What changed since `token` (RFC 6578); `None` lists every member (the initial sync). A token the server
    /// no longer accepts is [`CalendarError::SyncTokenInvalid`]: start again with `None`.
    pub async fn sync_changes(&self, calendar: &Url, token: Option<&str>) -> Result<SyncChanges, CalendarError> {
        let mut body = XmlBody::new("d:sync-collection");
        body.text("d:sync-token", token.unwrap_or(""))
            .text("d:sync-level", "1")
            .open("d:prop", &[])
            .empty("d:getetag", &[]);
        let response = self.dav("REPORT", calendar, "0", body.finish()).await?;
        let status = response.status();
        if matches!(
            status,
            StatusCode::FORBIDDEN | StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED
        ) {
            let text = self.http.text(response).await.unwrap_or_default();
            return Err(if text.contains("valid-sync-token") {
                CalendarError::SyncTokenInvalid
            } else {
                status_error(status, &reqwest::header::HeaderMap::new())
            });
        }
        let text = self.expect_multistatus(response).await?;
        let (responses, sync_token) = multistatus(&text)?;
        let mut changes = SyncChanges {
            sync_token,
            ..SyncChanges::default()
        };
        for response in &responses {
            let url = resolve(calendar, &response.href)?;
            if url.path() == calendar.path() {
                continue;
            }
            if response.status == Some(404) {
                changes.removed.push(url);
            } else if response.found.is_empty() && response.status.is_some_and(|s| s >= 300) {
                continue;
            } else {
                changes
                    .changed
                    .push((url, response.prop(DAV, "getetag").map(|e| ETag::new(e.trimmed()))));
            }
        }
        Ok(changes)
    }

    /// The named members' data (`calendar-multiget`); members that are gone are left out.
    pub async fn fetch_objects(&self, calendar: &Url, hrefs: &[Url]) -> Result<Vec<CalendarObject>, CalendarError> {
        if hrefs.is_empty() {
            return Ok(Vec::new());
        }
        let mut body = XmlBody::new("c:calendar-multiget");
        body.open("d:prop", &[])
            .empty("d:getetag", &[])
            .empty("c:calendar-data", &[])
            .close();
        for href in hrefs {
            body.text("d:href", href.path());
        }
        let text = self.multistatus("REPORT", calendar, "1", body.finish()).await?;
        objects(calendar, &text)
    }
}

fn objects(calendar: &Url, multistatus_text: &str) -> Result<Vec<CalendarObject>, CalendarError> {
    let (responses, _) = multistatus(multistatus_text)?;
    let mut out = Vec::new();
    for response in &responses {
        let Some(data) = response.prop(CALDAV, "calendar-data") else {
            continue;
        };
        out.push(CalendarObject {
            href: resolve(calendar, &response.href)?,
            etag: response.prop(DAV, "getetag").map(|e| ETag::new(e.trimmed())),
            data: data.text.clone(),
        });
    }
    Ok(out)
}
