//! Request limits shared by every process on one database: each (limit, key) row holds the key's theoretical
//! arrival time (GCRA, as in [`convene_core::rate`]), and a request is one upsert that moves it only when the
//! request is allowed. Concurrent requests from several processes serialize on the row, so the limit holds
//! across all of them. Instants are microseconds since the epoch.

use crate::{Exec, StoreResult};
use convene_core::rate::{self, Rate};

/// Takes one request from the allowance of `subject` under `limiter`. `None`: allowed; `Some(micros)`:
/// refused, and a request would pass again after that long.
pub async fn take<'a>(
    exec: impl Into<Exec<'a>>,
    limiter: &str,
    subject: &str,
    now: i64,
    rate: &Rate,
) -> StoreResult<Option<i64>> {
    // The row moves only when the WHERE holds; otherwise nothing is returned and nothing changes. The CASE is
    // GREATEST(tat, now), written so that both engines read it.
    let (interval, tolerance) = (rate.interval_micros(), rate.tolerance_micros());
    let outcome = on_conn!(exec, c => {
        let moved: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO rate_limits (limiter, subject, tat) VALUES ($1, $2, $3 + $4) \
             ON CONFLICT (limiter, subject) DO UPDATE \
               SET tat = (CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END) + $4 \
               WHERE (CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END) + $4 - $3 <= $5 \
             RETURNING tat",
        )
        .bind(limiter)
        .bind(subject)
        .bind(now)
        .bind(interval)
        .bind(tolerance)
        .fetch_optional(&mut *c)
        .await?;
        if moved.is_some() {
            Ok::<_, sqlx::Error>(None)
        } else {
            let held: Option<(i64,)> = sqlx::query_as("SELECT tat FROM rate_limits WHERE limiter = $1 AND subject = $2")
                .bind(limiter)
                .bind(subject)
                .fetch_optional(&mut *c)
                .await?;
            Ok(Some(held.map_or(0, |(tat,)| rate::retry_after(tat, now, rate))))
        }
    })?;
    Ok(outcome)
}

/// Gives one request back to `subject`'s allowance (never more than the whole allowance).
pub async fn give_back<'a>(
    exec: impl Into<Exec<'a>>,
    limiter: &str,
    subject: &str,
    now: i64,
    rate: &Rate,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query(
            "UPDATE rate_limits SET tat = CASE WHEN tat - $3 > $4 THEN tat - $3 ELSE $4 END \
             WHERE limiter = $1 AND subject = $2",
        )
        .bind(limiter)
        .bind(subject)
        .bind(rate.interval_micros())
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Restores `subject`'s whole allowance.
pub async fn forget<'a>(exec: impl Into<Exec<'a>>, limiter: &str, subject: &str) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("DELETE FROM rate_limits WHERE limiter = $1 AND subject = $2")
            .bind(limiter)
            .bind(subject)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Deletes rows whose time has passed (they mean the same as no row); returns how many went.
pub async fn sweep<'a>(exec: impl Into<Exec<'a>>, now: i64) -> StoreResult<u64> {
    Ok(on_conn!(exec, c => {
        sqlx::query("DELETE FROM rate_limits WHERE tat <= $1")
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?)
}

/// How many rows there are (for tests and metrics).
pub async fn count<'a>(exec: impl Into<Exec<'a>>) -> StoreResult<i64> {
    let (n,): (i64,) =
        on_conn!(exec, c => sqlx::query_as("SELECT COUNT(*) FROM rate_limits").fetch_one(&mut *c).await)?;
    Ok(n)
}
