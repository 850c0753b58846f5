//! How webhook deliveries behave: which targets are allowed, timeouts, the lease and the retry schedule.

pub use crate::retry::RetryPolicy;
use convene_core::net_guard::PrivatePolicy;
use std::time::Duration;

/// Instance-wide webhook delivery settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Let subscribers use loopback, private and link-local addresses (self-hosted receivers on the local
    /// network). Cloud metadata, multicast and the like stay blocked regardless.
    pub allow_private_targets: bool,
    /// The whole request, connect to last byte.
    pub request_timeout: Duration,
    /// How long a claimed delivery stays reserved for its worker; longer than `request_timeout`, so a live
    /// worker never loses its row. A worker that died loses its delivery to the others when it runs out (a worker
    /// restarted under the same name takes it back at once).
    pub lease: Duration,
    /// How long the worker idles when nothing is due.
    pub poll_interval: Duration,
    pub retry: RetryPolicy,
}

impl WebhookSettings {
    pub fn private_policy(&self) -> PrivatePolicy {
        if self.allow_private_targets {
            PrivatePolicy::AllowPrivate
        } else {
            PrivatePolicy::PublicOnly
        }
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            request_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            retry: RetryPolicy::default(),
        }
    }
}
