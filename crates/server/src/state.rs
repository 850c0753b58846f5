//! Shared state handed to every handler.

use crate::email::worker::EmailWorker;
use crate::email::{EmailSettings, Mailer};
use crate::metrics::Metrics;
use crate::webhooks::{WebhookSettings, WebhookWorker};
use convene_keyring::Keyring;
use convene_store::Db;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

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
    /// Which targets webhook deliveries may reach, their timeout and retry schedule.
    pub webhooks: WebhookSettings,
    /// The default email transport, From, timeouts and retry schedule.
    pub email: EmailSettings,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            rate_limit_per_minute: NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN),
            max_body_bytes: 1024 * 1024,
            secure_cookies: true,
            session_hours: 24 * 14,
            webhooks: WebhookSettings::default(),
            email: EmailSettings::default(),
        }
    }
}

/// Shared by every handler: the database, settings, limiters, metrics, keys and the mailer.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<ServerSettings>,
    /// Per-API-key limiter (GCRA: a burst of the whole minute's allowance, refilled evenly).
    pub api_key_limiter: Arc<DefaultKeyedRateLimiter<i64>>,
    /// Sign-in attempts per email address, against password guessing.
    pub login_limiter: Arc<DefaultKeyedRateLimiter<String>>,
    pub metrics: Arc<Metrics>,
    /// Seals and opens stored secrets (webhook secrets). Passed in rather than defaulted: every process
    /// sharing a database must use the same keys.
    pub keyring: Arc<Keyring>,
    /// The platform's email transports (built once; they hold connection pools).
    pub mailer: Arc<Mailer>,
}

impl AppState {
    /// Builds the state (and the mailer with its transports) for `db`.
    pub fn new(db: Db, settings: ServerSettings, keyring: Arc<Keyring>) -> Self {
        let quota = Quota::per_minute(settings.rate_limit_per_minute);
        let mailer = Arc::new(Mailer::new(settings.email.clone(), db.clone(), keyring.clone()));
        Self {
            db,
            api_key_limiter: Arc::new(RateLimiter::keyed(quota)),
            login_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            ))),
            mailer,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::new()),
            keyring,
        }
    }
}

// The background workers take only their part of the state, so the services never depend on the server's.

impl From<&AppState> for EmailWorker {
    fn from(state: &AppState) -> Self {
        EmailWorker {
            mailer: state.mailer.clone(),
            metrics: state.metrics.clone(),
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
        }
    }
}

impl From<AppState> for WebhookWorker {
    fn from(state: AppState) -> Self {
        WebhookWorker::from(&state)
    }
}
