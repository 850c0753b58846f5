//! Keeping SQLite connections that storage trouble has spoiled out of the pool, so the server recovers by itself
//! once the disk has room again or the file is writable again.
//!
//! Two ways a connection goes bad:
//! - **A failed COMMIT** ("database or disk is full"): SQLite rolls the transaction back itself, sqlx still counts
//!   it as open, its rollback then fails, and the connection would go back to the pool believing it is inside a
//!   transaction — every later `BEGIN` on it fails with "begin_with at non-zero transaction depth".
//! - **A connection opened while the file could not be written** (a read-only file or mount): SQLite silently opens
//!   it read-only and it stays so for good, even after the file is fixed.
//!
//! So a released connection is closed instead of reused when its transaction bookkeeping is off, and every
//! connection that was already open when SQLite last reported a storage failure (full, read-only, I/O error,
//! cannot open, corrupt) is closed when next released or taken from the pool. Fresh connections replace them on
//! demand. The moment of the last failure is kept per process: the condition belongs to the filesystem, and a
//! server has one SQLite database (in tests, other databases merely reconnect once).

use sqlx::Connection;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::sqlite::{SqliteConnection, SqliteError};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Nanoseconds on [`clock`] at the last storage failure; 0 = none yet.
static LAST_FAILURE: AtomicU64 = AtomicU64::new(0);

/// Time since the first SQLite database of this process was opened.
fn clock() -> Duration {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Starts the clock; call before the first connection opens, so every connection's opening is on it.
pub(crate) fn start_clock() {
    clock();
}

/// SQLite's primary result codes that say the file or the disk under it failed, not the statement.
const STORAGE_FAILURES: [(i32, &str); 6] = [
    (8, "SQLITE_READONLY"),
    (10, "SQLITE_IOERR"),
    (11, "SQLITE_CORRUPT"),
    (13, "SQLITE_FULL"),
    (14, "SQLITE_CANTOPEN"),
    (26, "SQLITE_NOTADB"),
];

/// The name of the storage failure `error` reports, if it is one.
fn storage_failure(error: &sqlx::Error) -> Option<&'static str> {
    let db = error.as_database_error()?;
    db.try_downcast_ref::<SqliteError>()?;
    // The code is the extended result code; its low byte is the primary one.
    let primary = db.code()?.parse::<i32>().ok()? & 0xff;
    STORAGE_FAILURES
        .iter()
        .find(|(code, _)| *code == primary)
        .map(|(_, name)| *name)
}

/// Notes `error` if it is a storage failure, so that connections open now are not reused.
pub(crate) fn note(error: &sqlx::Error) {
    if let Some(name) = storage_failure(error) {
        let now = u64::try_from(clock().as_nanos()).unwrap_or(u64::MAX).max(1);
        LAST_FAILURE.fetch_max(now, Ordering::AcqRel);
        tracing::warn!(
            failure = name,
            "SQLite storage failure; its connections will be replaced"
        );
    }
}

/// Whether a connection `age` old was already open at the last storage failure.
fn predates_last_failure(age: Duration) -> bool {
    let failed_at = LAST_FAILURE.load(Ordering::Acquire);
    if failed_at == 0 {
        return false;
    }
    let opened_at = clock().saturating_sub(age);
    u64::try_from(opened_at.as_nanos()).unwrap_or(u64::MAX) <= failed_at
}

/// The pool's check before handing out an idle connection: `false` closes it.
pub(crate) fn fit_to_acquire(meta: &PoolConnectionMetadata) -> bool {
    !predates_last_failure(meta.age)
}

/// The pool's check when a connection comes back: `false` closes it.
pub(crate) async fn fit_to_reuse(conn: &mut SqliteConnection, meta: &PoolConnectionMetadata) -> sqlx::Result<bool> {
    if predates_last_failure(meta.age) {
        return Ok(false);
    }
    // The depth is what the connection's worker has done so far, and outside a transaction nothing can be queued
    // that would open one: most releases (plain reads and writes) end here, without a round trip to the worker.
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A transaction dropped without commit has only queued its rollback; wait for it, then check it took.
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connections_open_at_the_last_failure_are_unfit() {
        start_clock();
        std::thread::sleep(Duration::from_millis(2));
        let before = LAST_FAILURE.load(Ordering::Acquire);
        let now = u64::try_from(clock().as_nanos()).unwrap_or(u64::MAX);
        LAST_FAILURE.fetch_max(now, Ordering::AcqRel);
        // Open since before the failure.
        assert!(predates_last_failure(clock()));
        // Opened after it.
        std::thread::sleep(Duration::from_millis(2));
        assert!(!predates_last_failure(Duration::from_micros(100)));
        assert!(before <= LAST_FAILURE.load(Ordering::Acquire));
    }
}
