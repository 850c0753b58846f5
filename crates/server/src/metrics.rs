//! Prometheus metrics, one registry per server (so tests can run many servers in one process). The HTTP side —
//! counting requests and serving `/metrics` — is in `ops.rs`.

use convene_core::OutboxKind;
use convene_store::outbox::Settlement;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

/// Which readiness check a gauge is about: `database` or `outbox`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CheckLabels {
    pub check: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    pub limit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EmailLabels {
    pub kind: String,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub emails_sent: Family<EmailLabels, Counter>,
    pub emails_retried: Family<EmailLabels, Counter>,
    pub emails_failed: Family<EmailLabels, Counter>,
    /// Emails due and not yet settled, and how long the oldest has waited; refreshed at every scrape.
    pub email_queue_depth: Gauge,
    pub email_oldest_due_seconds: Gauge<f64, AtomicU64>,
    pub http_requests: Family<RouteLabels, Counter>,
    pub http_duration: Histogram,
    /// Requests refused by the per-API-key limit.
    pub rate_limited: Counter,
    /// Requests refused by any limit, by limit.
    pub limited: Family<LimitLabels, Counter>,
    /// 1 when every readiness check passed at the last look, else 0; refreshed at every scrape.
    pub ready: Gauge,
    /// 1 or 0 per readiness check.
    pub readiness_checks: Family<CheckLabels, Gauge>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("convene");
        let http_requests = Family::<RouteLabels, Counter>::default();
        let http_duration = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let rate_limited = Counter::default();
        let limited = Family::<LimitLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            http_duration.clone(),
        );
        registry.register(
            "api_rate_limited",
            "Requests refused by the per-key rate limit",
            rate_limited.clone(),
        );
        registry.register(
            "requests_limited",
            "Requests refused by a limit (per API key, per client address, per email…), by limit",
            limited.clone(),
        );
        let emails_sent = Family::<EmailLabels, Counter>::default();
        let emails_retried = Family::<EmailLabels, Counter>::default();
        let emails_failed = Family::<EmailLabels, Counter>::default();
        let email_queue_depth = Gauge::default();
        let email_oldest_due_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "emails_sent",
            "Emails accepted by a transport, by kind",
            emails_sent.clone(),
        );
        registry.register(
            "emails_retried",
            "Email attempts that failed and were scheduled again, by kind",
            emails_retried.clone(),
        );
        registry.register(
            "emails_failed",
            "Emails given up on (recipient rejected or retry budget spent), by kind",
            emails_failed.clone(),
        );
        registry.register(
            "email_queue_depth",
            "Emails due and not yet sent",
            email_queue_depth.clone(),
        );
        registry.register(
            "email_oldest_due_age_seconds",
            "How long the oldest due email has waited",
            email_oldest_due_seconds.clone(),
        );
        let ready = Gauge::default();
        let readiness_checks = Family::<CheckLabels, Gauge>::default();
        registry.register(
            "ready",
            "Whether the database accepts writes and the email worker reaches the outbox (1) or not (0)",
            ready.clone(),
        );
        registry.register(
            "readiness_check",
            "Each readiness check: passing (1) or failing (0)",
            readiness_checks.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            ready,
            readiness_checks,
            emails_sent,
            emails_retried,
            emails_failed,
            email_queue_depth,
            email_oldest_due_seconds,
            http_requests,
            http_duration,
            rate_limited,
            limited,
        }
    }

    /// Counts a request refused by the limit named `limit`.
    pub fn count_limited(&self, limit: &str) {
        if limit == "api_key" {
            self.rate_limited.inc();
        }
        self.limited
            .get_or_create(&LimitLabels {
                limit: limit.to_owned(),
            })
            .inc();
    }

    /// Counts a settled email attempt.
    pub fn record_email(&self, kind: OutboxKind, settlement: &Settlement) {
        let labels = EmailLabels {
            kind: kind.as_str().to_owned(),
        };
        match settlement {
            Settlement::Sent { .. } => self.emails_sent.get_or_create(&labels).inc(),
            Settlement::Retry { .. } => self.emails_retried.get_or_create(&labels).inc(),
            Settlement::Failed => self.emails_failed.get_or_create(&labels).inc(),
        };
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
