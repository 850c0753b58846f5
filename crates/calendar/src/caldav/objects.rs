//! Writing events: create (`If-None-Match: *`), update (`If-Match`), read back, delete.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{CONTENT_TYPE, ETAG, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use url::Url;

use super::CalDavClient;
use super::resource::{CalendarObject, ETag};
use crate::error::CalendarError;
use crate::http::status_error;

/// Where an event was written, and its ETag when the server gave one (a server that altered the data on the way
/// in does not; read it back with [`CalDavClient::get_event`] to get it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub href: Url,
    pub etag: Option<ETag>,
}

/// Characters kept as they are in a resource name; everything else is percent-encoded.
const NAME_SAFE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// The resource URL for event `uid` in `calendar`: the UID, percent-encoded, plus `.ics`. The same UID always
/// gives the same URL, so a retried create finds its earlier attempt.
pub fn event_url(calendar: &Url, uid: &str) -> Result<Url, CalendarError> {
    let mut base = calendar.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    let name = format!("{}.ics", utf8_percent_encode(uid, NAME_SAFE));
    base.join(&name)
        .map_err(|_| CalendarError::Protocol("cannot build the event's address".into()))
}

impl CalDavClient {
    /// Creates the event `uid` in `calendar`; fails with [`CalendarError::AlreadyExists`] if it is already there.
    #[tracing::instrument(skip_all)]
    pub async fn create_event(&self, calendar: &Url, uid: &str, ics: &str) -> Result<StoredEvent, CalendarError> {
        let href = event_url(calendar, uid)?;
        match self.put(&href, ics, IF_NONE_MATCH, "*").await {
            Err(CalendarError::PreconditionFailed) => Err(CalendarError::AlreadyExists),
            other => other,
        }
    }

    /// Replaces the event at `href`. With `etag`, only if it is unchanged since ([`CalendarError::PreconditionFailed`]
    /// otherwise); without, only if it exists.
    #[tracing::instrument(skip_all)]
    pub async fn update_event(&self, href: &Url, ics: &str, etag: Option<&ETag>) -> Result<StoredEvent, CalendarError> {
        match etag {
            Some(etag) => self.put(href, ics, IF_MATCH, etag.as_str()).await,
            None => self.put(href, ics, IF_MATCH, "*").await,
        }
    }

    async fn put(
        &self,
        href: &Url,
        ics: &str,
        condition: reqwest::header::HeaderName,
        value: &str,
    ) -> Result<StoredEvent, CalendarError> {
        self.http.check_url(href)?;
        let value = HeaderValue::from_str(value).map_err(|_| CalendarError::Protocol("an unusable ETag".into()))?;
        let request = self
            .request(Method::PUT, href, true)
            .header(condition, value)
            .header(CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"))
            .body(ics.to_owned());
        let response = self.http.send(request).await?;
        if !response.status().is_success() {
            return Err(status_error(response.status(), response.headers()));
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(ETag::new);
        Ok(StoredEvent {
            href: href.clone(),
            etag,
        })
    }

    /// The event at `href` with its current ETag.
    pub async fn get_event(&self, href: &Url) -> Result<CalendarObject, CalendarError> {
        self.http.check_url(href)?;
        let response = self.http.send(self.request(Method::GET, href, true)).await?;
        if !response.status().is_success() {
            return Err(status_error(response.status(), response.headers()));
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(ETag::new);
        let data = self.http.text(response).await?;
        Ok(CalendarObject {
            href: href.clone(),
            etag,
            data,
        })
    }

    /// Deletes the event at `href` (only if unchanged, with `etag`). An event already gone is
    /// [`CalendarError::NotFound`], which a caller deleting a cancelled booking can treat as done.
    #[tracing::instrument(skip_all)]
    pub async fn delete_event(&self, href: &Url, etag: Option<&ETag>) -> Result<(), CalendarError> {
        self.http.check_url(href)?;
        let mut request = self.request(Method::DELETE, href, true);
        if let Some(etag) = etag {
            let value =
                HeaderValue::from_str(etag.as_str()).map_err(|_| CalendarError::Protocol("an unusable ETag".into()))?;
            request = request.header(IF_MATCH, value);
        }
        let response = self.http.send(request).await?;
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND | StatusCode::GONE => Err(CalendarError::NotFound),
            s => Err(status_error(s, response.headers())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_urls_are_stable_and_safe() {
        let cal = Url::parse("https://dav.example.com/cal/work").expect("url");
        let url = event_url(&cal, "booking-123@convene").expect("url");
        assert_eq!(
            url.as_str(),
            "https://dav.example.com/cal/work/booking-123%40convene.ics"
        );
        let url = event_url(&cal, "../../etc/passwd?x#y").expect("url");
        assert_eq!(
            url.as_str(),
            "https://dav.example.com/cal/work/..%2F..%2Fetc%2Fpasswd%3Fx%23y.ics"
        );
        assert_eq!(
            event_url(&cal, "a b").expect("url"),
            event_url(&cal, "a b").expect("url")
        );
    }
}
