//! Read-only ICS feeds (a published calendar's URL): fetched with a conditional GET so an unchanged feed costs a
//! 304, capped in size, then read with [`crate::ical::busy_from_ics`].
//!
//! A feed's URL is usually its only secret (iCloud, Google and Outlook "secret address" links), so it never
//! appears in an error or a log line.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use url::Url;

use crate::error::CalendarError;
use crate::http::{Http, status_error};

/// What a feed said about its version last time, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedValidators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The result of [`fetch_feed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedFetch {
    /// 304: the copy held is current.
    NotModified,
    /// The feed's text, and the validators to send next time.
    Fetched { ics: String, validators: FeedValidators },
}

/// The address a user pasted, as an http(s) URL: `webcal://` and `webcals://` (what "subscribe" links use) become
/// `https://`.
pub fn feed_url(raw: &str) -> Result<Url, CalendarError> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    let normalized = if let Some(rest) = lower
        .strip_prefix("webcals://")
        .or_else(|| lower.strip_prefix("webcal://"))
    {
        format!("https://{}", &raw[raw.len() - rest.len()..])
    } else {
        raw.to_owned()
    };
    let url = Url::parse(&normalized).map_err(|_| CalendarError::UrlRejected("not a valid address".into()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CalendarError::UrlRejected(
            "a calendar feed address starts with https:// or webcal://".into(),
        ));
    }
    Ok(url)
}

/// Fetches the feed at `url`, conditionally on `previous` (empty validators fetch unconditionally). Redirects are
/// followed, each target checked by the URL policy. A body that is not iCalendar is a
/// [`CalendarError::Protocol`] (a login page, an HTML error).
#[tracing::instrument(skip_all)]
pub async fn fetch_feed(http: &Http, url: &Url, previous: &FeedValidators) -> Result<FeedFetch, CalendarError> {
    let header = |value: &Option<String>| value.as_deref().and_then(|v| HeaderValue::from_str(v).ok());
    let (if_none_match, if_modified_since) = (header(&previous.etag), header(&previous.last_modified));
    let (_, response) = http
        .send_following(url, |target, _| {
            let mut request = http.client().get(target.clone()).header(
                ACCEPT,
                HeaderValue::from_static("text/calendar, text/plain;q=0.5, */*;q=0.1"),
            );
            if let Some(v) = &if_none_match {
                request = request.header(IF_NONE_MATCH, v.clone());
            }
            if let Some(v) = &if_modified_since {
                request = request.header(IF_MODIFIED_SINCE, v.clone());
            }
            request
        })
        .await?;
    match response.status() {
        StatusCode::NOT_MODIFIED => return Ok(FeedFetch::NotModified),
        s if !s.is_success() => return Err(status_error(s, response.headers())),
        _ => {}
    }
    let text_header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let validators = FeedValidators {
        etag: text_header(ETAG),
        last_modified: text_header(LAST_MODIFIED),
    };
    let ics = http.text(response).await?;
    let looks_like_ics = ics
        .trim_start_matches('\u{feff}')
        .trim_start()
        .get(..15)
        .is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCALENDAR"));
    if !looks_like_ics {
        return Err(CalendarError::Protocol(
            "the address does not serve an iCalendar feed".into(),
        ));
    }
    Ok(FeedFetch::Fetched { ics, validators })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webcal_links_become_https() {
        assert_eq!(
            feed_url(" webcal://p01-caldav.icloud.com/published/2/ABC ")
                .expect("url")
                .as_str(),
            "https://p01-caldav.icloud.com/published/2/ABC"
        );
        assert_eq!(
            feed_url("WEBCALS://x.example/a.ics").expect("url").as_str(),
            "https://x.example/a.ics"
        );
        assert_eq!(
            feed_url("https://x.example/a.ics").expect("url").as_str(),
            "https://x.example/a.ics"
        );
        assert!(matches!(
            feed_url("file:///etc/passwd"),
            Err(CalendarError::UrlRejected(_))
        ));
        assert!(matches!(feed_url("not a url"), Err(CalendarError::UrlRejected(_))));
    }
}
