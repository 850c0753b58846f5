//! A CalDAV client (RFC 4791, discovery per RFC 6764) for Apple iCloud (app passwords), Fastmail, Nextcloud and any
//! other server with Basic auth.
//!
//! The usual life of a connection:
//! 1. [`CalDavClient::discover`] from the address the user typed (well-known URL, `current-user-principal`,
//!    `calendar-home-set`) and [`CalDavClient::list_calendars`].
//! 2. Busy time: [`CalDavClient::busy`] (a `calendar-query` whose events we expand, or the server's
//!    `free-busy-query`), skipped while [`CalDavClient::collection_version`] (CTag / sync token) is unchanged, or
//!    kept up to date object by object with [`CalDavClient::sync_changes`] and [`CalDavClient::fetch_objects`].
//! 3. Writes: [`CalDavClient::create_event`], [`CalDavClient::update_event`] (`If-Match` on the ETag) and
//!    [`CalDavClient::delete_event`].

mod calendars;
mod discovery;
mod objects;
mod query;
mod resource;
pub(crate) mod xml;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::CalendarError;
use crate::http::{Http, status_error};

pub use calendars::{CalDavCalendar, CollectionVersion};
pub use discovery::CalDavAccount;
pub use objects::{StoredEvent, event_url};
pub use query::{BusyMethod, SyncChanges};
pub use resource::{CalendarObject, ETag};

/// A CalDAV user name and password (for iCloud, an app-specific password). The password never leaves the secret
/// wrapper except to build the `Authorization` header.
#[derive(Debug, Clone)]
pub struct CalDavCredentials {
    pub username: String,
    pub password: SecretString,
}

/// A client for one account on one CalDAV server.
#[derive(Debug, Clone)]
pub struct CalDavClient {
    http: Http,
    credentials: CalDavCredentials,
}

impl CalDavClient {
    pub fn new(http: Http, credentials: CalDavCredentials) -> CalDavClient {
        CalDavClient { http, credentials }
    }

    /// A request for `url` with credentials; `with_auth` is false for a redirect that would carry them off to
    /// another origin over plain HTTP.
    fn request(&self, method: Method, url: &Url, with_auth: bool) -> RequestBuilder {
        let request = self.http.client().request(method, url.clone());
        if with_auth {
            request.basic_auth(
                &self.credentials.username,
                Some(self.credentials.password.expose_secret()),
            )
        } else {
            request
        }
    }

    /// A WebDAV request with an XML body and a `Depth`; the URL is checked against the policy first.
    async fn dav(&self, method: &str, url: &Url, depth: &str, body: String) -> Result<Response, CalendarError> {
        self.http.check_url(url)?;
        let request = self
            .request(dav_method(method), url, true)
            .header("Depth", depth)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"))
            .body(body);
        self.http.send(request).await
    }

    /// A WebDAV request whose answer must be a 207 multistatus; returns the body text.
    async fn multistatus(&self, method: &str, url: &Url, depth: &str, body: String) -> Result<String, CalendarError> {
        let response = self.dav(method, url, depth, body).await?;
        self.expect_multistatus(response).await
    }

    async fn expect_multistatus(&self, response: Response) -> Result<String, CalendarError> {
        let status = response.status();
        if status == StatusCode::MULTI_STATUS {
            return self.http.text(response).await;
        }
        Err(if status.is_success() {
            CalendarError::Protocol(format!("expected a multistatus answer, got HTTP {}", status.as_u16()))
        } else {
            status_error(status, response.headers())
        })
    }
}

fn dav_method(name: &str) -> Method {
    // The names used here are all valid tokens.
    Method::from_bytes(name.as_bytes()).unwrap_or(Method::GET)
}

/// An href from an answer, resolved against the URL it came from.
pub(crate) fn resolve(base: &Url, href: &str) -> Result<Url, CalendarError> {
    base.join(href)
        .map_err(|_| CalendarError::Protocol("the server named an invalid address".into()))
}
