//! [`Http`]: how this crate talks HTTP. The caller supplies the `reqwest::Client` (the server passes its SSRF-safe
//! one), a timeout for each request, a cap on answer sizes and a URL policy that every URL passes before it is
//! fetched, including redirect targets and URLs a server names (a CalDAV home on another host, a Graph
//! `@odata.nextLink`).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use url::Url;

use crate::error::CalendarError;

/// Decides whether a URL may be fetched; `Err` carries the reason shown to the user.
pub type UrlPolicy = dyn Fn(&Url) -> Result<(), String> + Send + Sync;

/// The HTTP side of every client in this crate.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: usize,
    url_policy: Arc<UrlPolicy>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// Redirects followed at most (discovery and feeds only; writes never follow one).
pub(crate) const MAX_REDIRECTS: usize = 5;

impl Http {
    /// `client` for every request, each bounded by `timeout` from connecting to the last byte of the answer.
    /// Answers are capped at 8 MiB and every http(s) URL is allowed until [`Http::with_url_policy`] says otherwise.
    ///
    /// The client should not follow redirects (`redirect::Policy::none()`): this crate follows them where the
    /// protocols expect them (discovery, feeds), checking each target against the policy first.
    pub fn new(client: reqwest::Client, timeout: Duration) -> Http {
        Http {
            client,
            timeout,
            max_body_bytes: 8 * 1024 * 1024,
            url_policy: Arc::new(|_| Ok(())),
        }
    }

    /// Answers larger than `bytes` fail with [`CalendarError::TooLarge`].
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Http {
        self.max_body_bytes = bytes;
        self
    }

    /// Every URL is checked by `policy` before it is fetched (the server's public-address rules).
    pub fn with_url_policy(mut self, policy: impl Fn(&Url) -> Result<(), String> + Send + Sync + 'static) -> Http {
        self.url_policy = Arc::new(policy);
        self
    }

    /// The time allowed for one request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The largest answer accepted.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Refuses URLs that are not http(s), carry credentials, or fail the policy.
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), CalendarError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(CalendarError::UrlRejected(
                "only http and https addresses are supported".into(),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CalendarError::UrlRejected(
                "the address must not contain a user name or password".into(),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(CalendarError::UrlRejected("the address has no host".into()));
        }
        (self.url_policy)(url).map_err(CalendarError::UrlRejected)
    }

    /// Sends one request within the timeout; any answer comes back, failures to get one become errors.
    ///
    /// A client that follows redirects by itself would skip the URL policy on the way; its answer is refused when
    /// the final URL fails the policy (the request was made, but nothing from it is used).
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Response, CalendarError> {
        let response = request.timeout(self.timeout).send().await.map_err(transport_error)?;
        self.check_url(response.url())?;
        Ok(response)
    }

    /// Sends a request built for `url`, following up to [`MAX_REDIRECTS`] redirects, each target checked by the
    /// policy. `build` gets each URL and whether it is still the first one's origin (to decide about credentials).
    pub(crate) async fn send_following(
        &self,
        url: &Url,
        build: impl Fn(&Url, bool) -> RequestBuilder,
    ) -> Result<(Url, Response), CalendarError> {
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            self.check_url(&current)?;
            let same_origin = current.origin() == url.origin();
            let response = self.send(build(&current, same_origin)).await?;
            if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED {
                return Ok((current, response));
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| CalendarError::Protocol("a redirect without a Location".into()))?;
            current = current
                .join(location)
                .map_err(|_| CalendarError::Protocol("a redirect to an invalid address".into()))?;
        }
        Err(CalendarError::Protocol(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// The answer's body, refused past the size cap (by `Content-Length` before reading, or while reading).
    pub(crate) async fn body(&self, mut response: Response) -> Result<Vec<u8>, CalendarError> {
        let limit = self.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(CalendarError::TooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > limit {
                return Err(CalendarError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The body as text; invalid UTF-8 is replaced rather than refused (old feeds send Latin-1).
    pub(crate) async fn text(&self, response: Response) -> Result<String, CalendarError> {
        let body = self.body(response).await?;
        Ok(match String::from_utf8(body) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

/// The error for an answer with a failure status.
pub(crate) fn status_error(status: StatusCode, headers: &HeaderMap) -> CalendarError {
    match status.as_u16() {
        401 => CalendarError::Unauthorized,
        403 => CalendarError::Forbidden,
        404 | 410 => CalendarError::NotFound,
        412 => CalendarError::PreconditionFailed,
        429 | 503 => CalendarError::RateLimited {
            retry_after: retry_after(headers),
        },
        s if s >= 500 => CalendarError::ServerError { status: s },
        s => CalendarError::Rejected {
            status: s,
            detail: None,
        },
    }
}

/// `Retry-After` as seconds or an HTTP date, capped at a day (a server can't park a calendar for a year).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    const MAX: Duration = Duration::from_secs(24 * 3600);
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX));
    }
    let at = jiff::fmt::rfc2822::parse(raw).ok()?.timestamp();
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO).min(MAX))
}

/// A transport failure, described without the URL (an ICS feed's URL is its secret).
pub(crate) fn transport_error(e: reqwest::Error) -> CalendarError {
    if e.is_timeout() {
        return CalendarError::Timeout;
    }
    let mut reason = if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let e = e.without_url();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    CalendarError::Unreachable { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn statuses_map_to_errors_the_server_can_act_on() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            status_error(StatusCode::UNAUTHORIZED, &headers),
            CalendarError::Unauthorized
        );
        assert_eq!(
            status_error(StatusCode::PRECONDITION_FAILED, &headers),
            CalendarError::PreconditionFailed
        );
        assert_eq!(status_error(StatusCode::GONE, &headers), CalendarError::NotFound);
        assert_eq!(
            status_error(StatusCode::BAD_GATEWAY, &headers),
            CalendarError::ServerError { status: 502 }
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(
            status_error(StatusCode::TOO_MANY_REQUESTS, &headers),
            CalendarError::RateLimited {
                retry_after: Some(Duration::from_secs(120))
            }
        );
        assert_eq!(
            status_error(StatusCode::SERVICE_UNAVAILABLE, &headers),
            CalendarError::RateLimited {
                retry_after: Some(Duration::from_secs(120))
            }
        );
    }

    #[test]
    fn retry_after_accepts_http_dates_and_is_capped() {
        let mut headers = HeaderMap::new();
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(600);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&soon)
            .expect("http date");
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&date).expect("header"));
        let wait = retry_after(&headers).expect("parsed");
        assert!(
            wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
            "{wait:?}"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("99999999"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(24 * 3600)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn urls_with_credentials_or_other_schemes_are_refused() {
        let http = Http::new(reqwest::Client::new(), Duration::from_secs(1)).with_url_policy(|u| {
            if u.host_str() == Some("10.0.0.1") {
                Err("private".into())
            } else {
                Ok(())
            }
        });
        let check = |s: &str| http.check_url(&Url::parse(s).expect("url"));
        assert!(check("https://cal.example.com/dav/").is_ok());
        assert!(matches!(
            check("ftp://cal.example.com/"),
            Err(CalendarError::UrlRejected(_))
        ));
        assert!(matches!(
            check("https://u:p@cal.example.com/"),
            Err(CalendarError::UrlRejected(_))
        ));
        assert_eq!(
            check("http://10.0.0.1/"),
            Err(CalendarError::UrlRejected("private".into()))
        );
    }
}
