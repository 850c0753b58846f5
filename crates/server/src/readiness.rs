//! Readiness: whether this process can do its work right now — its database accepts writes, and its email worker
//! reaches the outbox. A database that still answers reads on a full disk or a read-only file is not ready, so the
//! check writes (one tiny row), and for SQLite it also looks at the room left on the disk: a tiny write can still
//! fit in space SQLite's write-ahead log already holds when a booking no longer does. `/health/ready` and `/metrics`
//! report it; results are reused for a second, so probes and scrapes, however frequent, cost at most one write a
//! second.

use crate::email::worker::{OutboxState, QueueHealth};
use convene_store::{Db, outbox};
use jiff::Timestamp;
use serde::Serialize;
use std::time::{Duration, Instant};

/// How long a result is reused.
const FRESH: Duration = Duration::from_secs(1);
/// A database that takes longer than this to accept one small write is not ready.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// An SQLite database with less room than this left on its disk is not ready: a booking with its emails takes
/// tens of kilobytes, and SQLite needs room to grow its log before it can fold it back into the file.
pub const MIN_FREE_BYTES: u64 = 1024 * 1024;

/// The checks, with their last result.
#[derive(Debug, Default)]
pub struct Readiness {
    last: tokio::sync::Mutex<Option<(Instant, Report)>>,
}

/// What the checks found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Every check passed.
    #[serde(skip)]
    pub ready: bool,
    pub database: Check,
    pub outbox: Check,
}

/// One check's result. The reason is a fixed sentence; the underlying error goes to the log, not to the caller.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub status: CheckStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Failing,
}

impl Check {
    fn ok() -> Self {
        Self {
            status: CheckStatus::Ok,
            reason: None,
        }
    }

    fn ok_because(reason: &'static str) -> Self {
        Self {
            status: CheckStatus::Ok,
            reason: Some(reason),
        }
    }

    fn failing(reason: &'static str) -> Self {
        Self {
            status: CheckStatus::Failing,
            reason: Some(reason),
        }
    }

    pub fn passed(&self) -> bool {
        self.status == CheckStatus::Ok
    }
}

impl Readiness {
    /// The checks' result: the last one if it is under a second old, else a fresh one (concurrent callers share
    /// it).
    pub async fn check(&self, db: &Db, outbox: &QueueHealth) -> Report {
        let mut last = self.last.lock().await;
        if let Some((at, report)) = last.as_ref()
            && at.elapsed() < FRESH
        {
            return report.clone();
        }
        let report = run(db, outbox).await;
        *last = Some((Instant::now(), report.clone()));
        report
    }
}

async fn run(db: &Db, worker: &QueueHealth) -> Report {
    let database = match tokio::time::timeout(
        PROBE_TIMEOUT,
        convene_store::readiness::probe_write(db, Timestamp::now()),
    )
    .await
    {
        Ok(Ok(())) => match convene_store::readiness::sqlite_free_space(db) {
            Some(free) if free < MIN_FREE_BYTES => {
                tracing::warn!(free_bytes = free, "not ready: the disk holding the database is full");
                Check::failing("the disk holding the database is full")
            }
            _ => Check::ok(),
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database does not accept writes");
            Check::failing("the database does not accept writes")
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not accept a write in time");
            Check::failing("the database did not accept a write in time")
        }
    };
    let outbox = match worker.state() {
        OutboxState::Reachable => Check::ok(),
        OutboxState::Unreachable(error) => {
            tracing::warn!(%error, "not ready: the email worker cannot reach the outbox");
            Check::failing("the email worker cannot reach the outbox")
        }
        OutboxState::NotRunning => match outbox::backlog(db, Timestamp::now()).await {
            Ok(_) => Check::ok_because("no email worker runs in this process; the outbox can be read"),
            Err(e) => {
                tracing::warn!(error = %e, "not ready: the outbox cannot be read");
                Check::failing("the outbox cannot be read")
            }
        },
    };
    Report {
        ready: database.passed() && outbox.passed(),
        database,
        outbox,
    }
}
