//! What readiness checks ask the database: whether it takes a write now, and how much room an SQLite file has
//! left to grow.

use crate::millis::ms;
use crate::{Db, StoreResult};
use jiff::Timestamp;

/// Writes (and commits) one tiny row: succeeds only when the database accepts writes right now — not on a read-only
/// file or server. (On a full disk a tiny write may still fit in space SQLite's write-ahead log already holds; see
/// [`sqlite_free_space`].)
pub async fn probe_write(db: &Db, now: Timestamp) -> StoreResult<()> {
    on_conn!(db, c => {
        sqlx::query("UPDATE readiness_probe SET checked_at = $1 WHERE id = 1")
            .bind(ms(now))
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Bytes an unprivileged writer may still use on the filesystem holding an SQLite database; `None` on PostgreSQL
/// (its disk is the server's business) or when the filesystem cannot be asked.
pub fn sqlite_free_space(db: &Db) -> Option<u64> {
    let Db::Sqlite(pool) = db else {
        return None;
    };
    let options = pool.connect_options();
    let file = options.get_filename();
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let stats = rustix::fs::statvfs(folder).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}
