//! Listing calendar collections and reading their version (CTag, sync token) for change detection.

use url::Url;

use super::query::BusyMethod;
use super::xml::{APPLE_ICAL, CALDAV, CALSERVER, DAV, DavResponse, Element, XmlBody, multistatus};
use super::{CalDavClient, resolve};
use crate::error::CalendarError;

/// One calendar collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalDavCalendar {
    pub url: Url,
    pub display_name: Option<String>,
    /// `#RRGGBB` or `#RRGGBBAA`, as Apple's `calendar-color` gives it.
    pub color: Option<String>,
    pub description: Option<String>,
    /// Component types it holds (`VEVENT`, `VTODO`…); all of them when the server doesn't say.
    pub components: Vec<String>,
    pub version: CollectionVersion,
    /// No `write`/`write-content`/`bind` privilege for this user.
    pub read_only: bool,
    /// Only `read-free-busy` (a shared calendar showing free/busy, not events).
    pub free_busy_only: bool,
    /// The server lists `free-busy-query` among its supported reports.
    pub supports_free_busy_query: bool,
    /// The server lists `sync-collection` (RFC 6578).
    pub supports_sync: bool,
}

impl CalDavCalendar {
    /// Whether it can hold events (task lists can't block time).
    pub fn holds_events(&self) -> bool {
        self.components.is_empty() || self.components.iter().any(|c| c.eq_ignore_ascii_case("VEVENT"))
    }

    /// How to read its busy time: our own expansion of its events, which names each event and places all-day
    /// events on the host's days, unless only free/busy may be read.
    pub fn busy_method(&self) -> BusyMethod {
        if self.free_busy_only {
            BusyMethod::FreeBusyReport
        } else {
            BusyMethod::Events
        }
    }
}

/// A collection's change markers. When one of them is known and unchanged, the contents are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionVersion {
    /// `getctag` (calendarserver.org), changed by every write to the collection.
    pub ctag: Option<String>,
    /// RFC 6578 sync token.
    pub sync_token: Option<String>,
}

impl CollectionVersion {
    /// True when both versions carry the same marker: the contents did not change. Unknown markers never compare
    /// equal (the caller must read again).
    pub fn unchanged_since(&self, earlier: &CollectionVersion) -> bool {
        if let (Some(a), Some(b)) = (&self.sync_token, &earlier.sync_token) {
            return a == b;
        }
        matches!((&self.ctag, &earlier.ctag), (Some(a), Some(b)) if a == b)
    }
}

fn text_prop(response: &DavResponse, ns: &str, name: &str) -> Option<String> {
    response
        .prop(ns, name)
        .map(|p| p.trimmed().to_owned())
        .filter(|t| !t.is_empty())
}

fn version(response: &DavResponse) -> CollectionVersion {
    CollectionVersion {
        ctag: text_prop(response, CALSERVER, "getctag"),
        sync_token: text_prop(response, DAV, "sync-token"),
    }
}

/// Local names of the privileges in a `current-user-privilege-set`.
fn privileges(set: &Element) -> Vec<String> {
    set.children_named(DAV, "privilege")
        .flat_map(|p| p.children.iter().map(|c| c.name.clone()))
        .collect()
}

/// Local names of the reports in a `supported-report-set`.
fn reports(set: &Element) -> Vec<String> {
    set.children_named(DAV, "supported-report")
        .filter_map(|s| s.child(DAV, "report"))
        .flat_map(|r| r.children.iter().map(|c| c.name.clone()))
        .collect()
}

impl CalDavClient {
    /// The calendar collections in the account's homes.
    #[tracing::instrument(skip_all)]
    pub async fn list_calendars(&self, homes: &[Url]) -> Result<Vec<CalDavCalendar>, CalendarError> {
        let mut calendars = Vec::new();
        for home in homes {
            let mut body = XmlBody::new("d:propfind");
            body.open("d:prop", &[])
                .empty("d:resourcetype", &[])
                .empty("d:displayname", &[])
                .empty("ic:calendar-color", &[])
                .empty("c:calendar-description", &[])
                .empty("c:supported-calendar-component-set", &[])
                .empty("cs:getctag", &[])
                .empty("d:sync-token", &[])
                .empty("d:current-user-privilege-set", &[])
                .empty("d:supported-report-set", &[]);
            let text = self.multistatus("PROPFIND", home, "1", body.finish()).await?;
            let (responses, _) = multistatus(&text)?;
            for response in &responses {
                let is_calendar = response
                    .prop(DAV, "resourcetype")
                    .is_some_and(|t| t.child(CALDAV, "calendar").is_some());
                if !is_calendar {
                    continue;
                }
                let url = resolve(home, &response.href)?;
                if self.http.check_url(&url).is_err() {
                    continue;
                }
                let privileges = response.prop(DAV, "current-user-privilege-set").map(privileges);
                let reports = response
                    .prop(DAV, "supported-report-set")
                    .map(reports)
                    .unwrap_or_default();
                let (read_only, free_busy_only) = match &privileges {
                    Some(p) => {
                        let has = |name: &str| p.iter().any(|x| x == name);
                        let writable = has("all") || has("write") || has("write-content") || has("bind");
                        let readable = has("all") || has("read");
                        (!writable, !readable && has("read-free-busy"))
                    }
                    None => (false, false),
                };
                calendars.push(CalDavCalendar {
                    url,
                    display_name: text_prop(response, DAV, "displayname"),
                    color: text_prop(response, APPLE_ICAL, "calendar-color"),
                    description: text_prop(response, CALDAV, "calendar-description"),
                    components: response
                        .prop(CALDAV, "supported-calendar-component-set")
                        .map(|set| {
                            set.children_named(CALDAV, "comp")
                                .filter_map(|c| c.attr("name"))
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    version: version(response),
                    read_only,
                    free_busy_only,
                    supports_free_busy_query: reports.iter().any(|r| r == "free-busy-query"),
                    supports_sync: reports.iter().any(|r| r == "sync-collection"),
                });
            }
        }
        Ok(calendars)
    }

    /// The calendar's CTag and sync token: compare with the last ones seen to skip reading an unchanged calendar.
    pub async fn collection_version(&self, calendar: &Url) -> Result<CollectionVersion, CalendarError> {
        let mut body = XmlBody::new("d:propfind");
        body.open("d:prop", &[])
            .empty("cs:getctag", &[])
            .empty("d:sync-token", &[]);
        let text = self.multistatus("PROPFIND", calendar, "0", body.finish()).await?;
        let (responses, _) = multistatus(&text)?;
        Ok(responses.first().map(version).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_only_when_a_marker_is_known() {
        let a = CollectionVersion {
            ctag: Some("1".into()),
            sync_token: None,
        };
        let b = CollectionVersion {
            ctag: Some("1".into()),
            sync_token: None,
        };
        let c = CollectionVersion {
            ctag: Some("2".into()),
            sync_token: None,
        };
        assert!(a.unchanged_since(&b));
        assert!(!c.unchanged_since(&a));
        assert!(!CollectionVersion::default().unchanged_since(&CollectionVersion::default()));
        let synced = CollectionVersion {
            ctag: Some("1".into()),
            sync_token: Some("t2".into()),
        };
        let before = CollectionVersion {
            ctag: Some("1".into()),
            sync_token: Some("t1".into()),
        };
        assert!(
            !synced.unchanged_since(&before),
            "the sync token wins over an equal ctag"
        );
    }

    #[test]
    fn privileges_and_reports_are_read_from_an_icloud_style_answer() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<multistatus xmlns="DAV:"><response><href>/123/calendars/home/</href><propstat><prop>
 <resourcetype><collection/><calendar xmlns="urn:ietf:params:xml:ns:caldav"/></resourcetype>
 <current-user-privilege-set><privilege><read/></privilege><privilege><read-free-busy xmlns="urn:ietf:params:xml:ns:caldav"/></privilege></current-user-privilege-set>
 <supported-report-set><supported-report><report><sync-collection/></report></supported-report>
 <supported-report><report><free-busy-query xmlns="urn:ietf:params:xml:ns:caldav"/></report></supported-report></supported-report-set>
</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;
        let (responses, _) = multistatus(xml).expect("parse");
        let p = privileges(responses[0].prop(DAV, "current-user-privilege-set").expect("set"));
        assert_eq!(p, vec!["read", "read-free-busy"]);
        let r = reports(responses[0].prop(DAV, "supported-report-set").expect("set"));
        assert_eq!(r, vec!["sync-collection", "free-busy-query"]);
    }
}
