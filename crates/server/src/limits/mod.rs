//! Limits on how often callers may do things: per API key, and for the public operations per client address,
//! per attendee email and per event type, plus the sign-in and account-email limits. Both faces use this one
//! service; each limit has its own typed keys ([`LimitKey`]).
//!
//! Counting is GCRA ([`convene_core::rate`]). With one process (SQLite) the counts live in memory; when several
//! processes share a PostgreSQL database they live in it, one row per key moved by one upsert, so a limit holds
//! however many processes serve the requests.

pub mod client;
mod key;
mod memory;
mod settings;

pub use client::{ClientAddress, TrustedProxies};
pub use key::{LimitKey, PublicOperation};
pub use settings::{LimitSettings, LimitStore};

use crate::metrics::Metrics;
use convene_core::rate::{self, Rate};
use convene_store::{Db, StoreError, rate_limits};
use memory::MemoryCounts;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// How often (microseconds) a process clears expired rows from the shared table.
const SWEEP_EVERY_MICROS: i64 = 60_000_000;

/// A request over a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests ({limit}); retry in {retry_after_secs} s")]
pub struct Limited {
    /// The limit's name, e.g. `bookings_per_address`.
    pub limit: &'static str,
    /// Seconds until a request would pass (for `Retry-After`), at least one.
    pub retry_after_secs: u64,
}

/// Why a request was not let through.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error(transparent)]
    Limited(#[from] Limited),
    /// The shared counts could not be read: the request is refused rather than let through uncounted.
    #[error(transparent)]
    Store(#[from] StoreError),
}

enum Counts {
    Memory(MemoryCounts),
    Database { db: Db, last_sweep: AtomicI64 },
}

/// The limits of one server.
pub struct Limits {
    counts: Counts,
    settings: LimitSettings,
    api_key_rate: Rate,
    metrics: Arc<Metrics>,
}

impl Limits {
    /// Limits with `settings` (and `api_key_rate` for API keys), counting where `settings.store` says for `db`.
    pub fn new(db: &Db, settings: LimitSettings, api_key_rate: Rate, metrics: Arc<Metrics>) -> Self {
        let counts = if settings.store.uses_database(db.backend()) {
            Counts::Database {
                db: db.clone(),
                last_sweep: AtomicI64::new(0),
            }
        } else {
            Counts::Memory(MemoryCounts::default())
        };
        Self {
            counts,
            settings,
            api_key_rate,
            metrics,
        }
    }

    /// Whether the counts are shared through the database.
    pub fn shared(&self) -> bool {
        matches!(self.counts, Counts::Database { .. })
    }

    /// The client behind a connection from `peer` that carried these `X-Forwarded-For` values.
    pub fn client<'a>(
        &self,
        peer: std::net::SocketAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> ClientAddress {
        self.settings.trusted_proxies.client(peer, forwarded_for)
    }

    /// Counts one request against `key`, or refuses it.
    pub async fn take(&self, key: LimitKey) -> Result<(), LimitError> {
        let rate = key.rate(&self.settings, &self.api_key_rate);
        let now = now_micros();
        let refused = match &self.counts {
            Counts::Memory(counts) => counts.take(&key, now, &rate).err(),
            Counts::Database { db, last_sweep } => {
                self.sweep_now_and_then(db, last_sweep, now);
                rate_limits::take(db, key.limiter(), &key.subject(), now, &rate).await?
            }
        };
        match refused {
            None => Ok(()),
            Some(micros) => {
                let limit = key.limiter();
                self.metrics.count_limited(limit);
                tracing::debug!(limit, "request refused by a limit");
                Err(Limited {
                    limit,
                    retry_after_secs: rate::retry_after_seconds(micros),
                }
                .into())
            }
        }
    }

    /// Gives back one request counted against `key` (it turned out to be one the limit is not about, such as
    /// a sign-in by the account's owner).
    pub async fn give_back(&self, key: &LimitKey) -> Result<(), LimitError> {
        let rate = key.rate(&self.settings, &self.api_key_rate);
        let now = now_micros();
        match &self.counts {
            Counts::Memory(counts) => counts.give_back(key, now, &rate),
            Counts::Database { db, .. } => {
                rate_limits::give_back(db, key.limiter(), &key.subject(), now, &rate).await?;
            }
        }
        Ok(())
    }

    /// Restores `key`'s whole allowance.
    pub async fn forget(&self, key: &LimitKey) -> Result<(), LimitError> {
        match &self.counts {
            Counts::Memory(counts) => counts.forget(key),
            Counts::Database { db, .. } => rate_limits::forget(db, key.limiter(), &key.subject()).await?,
        }
        Ok(())
    }

    /// At most once a minute per process, clears expired rows in the background (a request never waits on it).
    fn sweep_now_and_then(&self, db: &Db, last_sweep: &AtomicI64, now: i64) {
        let last = last_sweep.load(Ordering::Relaxed);
        if now - last < SWEEP_EVERY_MICROS
            || last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(e) = rate_limits::sweep(&db, now).await {
                tracing::warn!(error = %e, "clearing expired limit counts failed");
            }
        });
    }
}

fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}
