//! Shared state handed to every handler.

use crate::calendars::{CalendarSettings, Calendars};
use crate::email::worker::{EmailWorker, QueueHealth};
use crate::email::{EmailSettings, Mailer};
use crate::limits::{ClientAddress, LimitSettings, Limits};
use crate::metrics::Metrics;
use crate::readiness::Readiness;
use crate::scheduling::slot_work::{SlotWork, SlotWorkSettings};
use crate::webhooks::{WebhookSettings, WebhookWorker};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use convene_core::rate::Rate;
use convene_keyring::Keyring;
use convene_store::Db;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Settings the HTTP layer needs; the binary builds them from its configuration.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Requests per minute allowed for each API key.
    pub rate_limit_per_minute: NonZeroU32,
    /// Request bodies above this many bytes get 413.
    pub max_body_bytes: usize,
    /// Mark session cookies `Secure` (browsers still accept them on http://localhost).
    pub secure_cookies: bool,
    /// How long a web sign-in lasts.
    pub session_hours: i64,
    /// Whether anyone may make an account at `/auth/signup`; when false (the default) people join by invitation.
    pub open_signup: bool,
    /// Which targets webhook deliveries may reach, their timeout and retry schedule.
    pub webhooks: WebhookSettings,
    /// The default email transport, From, timeouts and retry schedule.
    pub email: EmailSettings,
    /// Limits for anonymous callers, sign-in and account emails; trusted proxies.
    pub limits: LimitSettings,
    /// The name the background workers claim under. A process restarted under the same name takes back at once
    /// what it held when it died; two live processes must never share one. `None`: a fresh name per state (nothing
    /// to take back).
    pub worker_id: Option<String>,
    /// On stop, how long the workers let what is in flight finish before giving the rest back.
    pub shutdown_grace: Duration,
    /// How many candidate starts one slot listing, and all of them at once, may walk.
    pub slot_work: SlotWorkSettings,
    /// External calendars: address rules, timeouts, how often busy time is refreshed.
    pub calendars: CalendarSettings,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            rate_limit_per_minute: NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN),
            max_body_bytes: 1024 * 1024,
            secure_cookies: true,
            session_hours: 24 * 14,
            open_signup: false,
            webhooks: WebhookSettings::default(),
            email: EmailSettings::default(),
            limits: LimitSettings::default(),
            worker_id: None,
            shutdown_grace: Duration::from_secs(10),
            slot_work: SlotWorkSettings::default(),
            calendars: CalendarSettings::default(),
        }
    }
}

/// Shared by every handler: the database, settings, limiters, metrics, keys and the mailer.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<ServerSettings>,
    /// Every limit on callers: per API key (a burst of the whole minute's allowance, refilled evenly), per
    /// client address, per email, sign-in failures.
    pub limits: Arc<Limits>,
    pub metrics: Arc<Metrics>,
    /// Seals and opens stored secrets (webhook secrets). Passed in rather than defaulted: every process
    /// sharing a database must use the same keys.
    pub keyring: Arc<Keyring>,
    /// The platform's email transports (built once; they hold connection pools).
    pub mailer: Arc<Mailer>,
    /// The name this process's workers claim under (configured, or made up for this state).
    pub worker_id: Arc<str>,
    /// What the email worker last saw of the outbox (readiness reports it).
    pub email_health: Arc<QueueHealth>,
    /// The readiness checks, with their last result.
    pub readiness: Arc<Readiness>,
    /// The budget slot listings share.
    pub slot_work: Arc<SlotWork>,
    /// External calendars: connections, selection and the busy cache.
    pub calendars: Arc<Calendars>,
}

impl AppState {
    /// Builds the state (and the mailer with its transports) for `db`.
    pub fn new(db: Db, settings: ServerSettings, keyring: Arc<Keyring>) -> Self {
        let mailer = Arc::new(Mailer::new(settings.email.clone(), db.clone(), keyring.clone()));
        let metrics = Arc::new(Metrics::new());
        let limits = Arc::new(Limits::new(
            &db,
            settings.limits.clone(),
            Rate::per_minute(settings.rate_limit_per_minute),
            metrics.clone(),
        ));
        let worker_id: Arc<str> = match &settings.worker_id {
            Some(id) => id.as_str().into(),
            None => format!("convene-{}", crate::credentials::new_uid()).into(),
        };
        let calendars = Arc::new(Calendars::new(db.clone(), keyring.clone(), settings.calendars.clone()));
        Self {
            calendars,
            db,
            limits,
            worker_id,
            email_health: Arc::new(QueueHealth::default()),
            readiness: Arc::new(Readiness::default()),
            slot_work: Arc::new(SlotWork::new(settings.slot_work.clone())),
            mailer,
            settings: Arc::new(settings),
            metrics,
            keyring,
        }
    }
}

impl AppState {
    /// The client address of a request: the connection's peer, or behind a trusted proxy the client it names.
    /// `None` when the server was started without connection info (every face's server is, see `lib.rs`).
    pub fn client_address(&self, parts: &Parts) -> Option<ClientAddress> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0;
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Some(self.limits.client(peer, forwarded))
    }
}

/// For both faces: the request's client address (see [`AppState::client_address`]). A server started without
/// connection info answers 500 rather than count every caller as one.
impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        state.client_address(parts).ok_or_else(|| {
            tracing::error!("no client address: the server was started without connection info");
            StatusCode::INTERNAL_SERVER_ERROR
        })
    }
}

// The background workers take only their part of the state, so the services never depend on the server's.

impl From<&AppState> for EmailWorker {
    fn from(state: &AppState) -> Self {
        EmailWorker {
            mailer: state.mailer.clone(),
            metrics: state.metrics.clone(),
            id: state.worker_id.clone(),
            health: state.email_health.clone(),
            shutdown_grace: state.settings.shutdown_grace,
        }
    }
}

impl From<AppState> for EmailWorker {
    fn from(state: AppState) -> Self {
        EmailWorker::from(&state)
    }
}

impl From<&AppState> for WebhookWorker {
    fn from(state: &AppState) -> Self {
        WebhookWorker {
            db: state.db.clone(),
            keyring: state.keyring.clone(),
            settings: state.settings.webhooks.clone(),
            id: state.worker_id.clone(),
            shutdown_grace: state.settings.shutdown_grace,
        }
    }
}

impl From<AppState> for WebhookWorker {
    fn from(state: AppState) -> Self {
        WebhookWorker::from(&state)
    }
}
