//! External calendars, wired into convene: connecting ICS feeds and CalDAV accounts (Apple iCloud or any RFC 4791
//! server), choosing which calendars count as busy and where bookings go, and keeping a cache of their busy time
//! that slot listings read (`scheduling::calendar` subtracts it; no slot request ever calls out).
//!
//! - [`connect`]: connect, list, select, destination, disconnect (what both faces call).
//! - [`refresh`]: reading busy time of selected calendars into the cache, with change detection, all calendars of a
//!   pass concurrently, each under a timeout; [`refresh::spawn_refresher`] repeats it every
//!   [`CalendarSettings::refresh_interval`].
//! - [`guard`]: outbound HTTP under the instance's public-address rules (the SMTP [`HostPolicy`]).
//! - [`secret`]: credentials sealed with the keyring, bound to their connection.
//! - [`writes`]: bookings written into destination calendars from durable jobs the booking changes queue.
//!
//! **When a calendar fails** (server down, slow, credentials revoked), its last cached busy time keeps blocking
//! slots and the calendar and its connection show the error and since when. Stale busy time may hide a slot that
//! became free, but never offers one that is taken: for a double-booking complaint that is the safe side. A calendar
//! that never succeeded has nothing cached and blocks nothing.

pub mod connect;
pub mod events;
pub mod guard;
pub mod oauth;
pub mod refresh;
pub mod secret;
pub mod writes;

use crate::email::host_guard::HostPolicy;
use convene_calendar::{CalendarError, Http};
use convene_core::FieldError;
use convene_keyring::{Keyring, KeyringError};
use convene_store::{Db, StoreError};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Instance settings for external calendars.
#[derive(Debug, Clone)]
pub struct CalendarSettings {
    /// Which addresses calendar servers and feeds may have (public only, plus the listed private networks).
    pub host_policy: Arc<HostPolicy>,
    /// The time allowed for one HTTP request to a calendar server.
    pub request_timeout: Duration,
    /// How often selected calendars are read again in the background: an event added remotely blocks slots after
    /// at most this interval plus the time the read takes (bounded by the request timeouts).
    pub refresh_interval: Duration,
    /// How far ahead busy time is cached (slots further out don't see external calendars).
    pub horizon_days: i64,
    /// Where Apple iCloud's CalDAV service starts discovery.
    pub apple_server: String,
    /// Google Calendar's OAuth client, when the instance registered one.
    pub google: Option<OAuthProvider>,
    /// Microsoft 365 / Outlook's OAuth client (Microsoft identity platform), when registered.
    pub microsoft: Option<OAuthProvider>,
    /// This server's address as browsers reach it: OAuth callbacks are `{public_url}/v2/calendars/{calendar}/save`.
    pub public_url: String,
}

/// An OAuth client registered with Google or Microsoft, and the provider's addresses (overridable for a sovereign
/// cloud, a single tenant, or a local fake in tests).
#[derive(Debug, Clone)]
pub struct OAuthProvider {
    pub client_id: String,
    pub client_secret: SecretString,
    pub authorize_url: Url,
    pub token_url: Url,
    /// The REST API's root (`https://www.googleapis.com/calendar/v3/`, `https://graph.microsoft.com/v1.0/`).
    pub api_base: Url,
}

impl OAuthProvider {
    /// Google's documented endpoints.
    pub fn google(client_id: String, client_secret: SecretString) -> OAuthProvider {
        OAuthProvider {
            client_id,
            client_secret,
            authorize_url: fixed("https://accounts.google.com/o/oauth2/v2/auth"),
            token_url: fixed("https://oauth2.googleapis.com/token"),
            api_base: fixed(convene_calendar::google::GOOGLE_API),
        }
    }

    /// Microsoft's documented endpoints (`common` tenant: work, school and personal accounts).
    pub fn microsoft(client_id: String, client_secret: SecretString) -> OAuthProvider {
        OAuthProvider {
            client_id,
            client_secret,
            authorize_url: fixed("https://login.microsoftonline.com/common/oauth2/v2.0/authorize"),
            token_url: fixed("https://login.microsoftonline.com/common/oauth2/v2.0/token"),
            api_base: fixed(convene_calendar::microsoft::GRAPH_API),
        }
    }
}

fn fixed(url: &str) -> Url {
    // Constant, valid URLs.
    Url::parse(url).unwrap_or_else(|_| unreachable!("constant URL {url} is valid"))
}

impl Default for CalendarSettings {
    fn default() -> Self {
        Self {
            host_policy: Arc::new(HostPolicy::default()),
            request_timeout: Duration::from_secs(10),
            refresh_interval: Duration::from_secs(60),
            horizon_days: 120,
            apple_server: "https://caldav.icloud.com/".to_owned(),
            google: None,
            microsoft: None,
            public_url: "http://localhost:8080".to_owned(),
        }
    }
}

/// What a connection is: the type lives in core because the store reads it from its column.
pub use convene_core::ConnectionKind;

/// Why a calendar operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CalendarsError {
    /// Bad input, naming the field.
    #[error("{0}")]
    Invalid(FieldError),
    /// No such connection or calendar for this user.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The calendar server refused or failed; the text is safe to show (no URL, no credential).
    #[error("{0}")]
    Remote(#[from] CalendarError),
    /// This kind of calendar can't be connected this way (yet).
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("a stored credential could not be opened")]
    Keyring(#[from] KeyringError),
}

impl From<FieldError> for CalendarsError {
    fn from(e: FieldError) -> Self {
        CalendarsError::Invalid(e)
    }
}

/// The calendar service: what the faces and the background refresher call.
pub struct Calendars {
    db: Db,
    keyring: Arc<Keyring>,
    settings: CalendarSettings,
    http: Http,
}

impl Calendars {
    pub fn new(db: Db, keyring: Arc<Keyring>, settings: CalendarSettings) -> Calendars {
        let http = guard::http(&settings.host_policy, settings.request_timeout);
        Calendars {
            db,
            keyring,
            settings,
            http,
        }
    }

    pub fn settings(&self) -> &CalendarSettings {
        &self.settings
    }
}

/// `at` moved forward by `by`, held at the end of jiff's range rather than overflowing (a horizon or backoff
/// configured absurdly long).
pub(super) fn later(at: jiff::Timestamp, by: jiff::SignedDuration) -> jiff::Timestamp {
    at.checked_add(by).unwrap_or(jiff::Timestamp::MAX)
}
