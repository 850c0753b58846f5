//! Pending email changes: the address a user asked to move to, waiting for the code or link mailed to it.
//! At most one per user. Only hashes of the code and the link token are stored.

use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult};
use convene_core::UserId;
use jiff::Timestamp;
use sqlx::FromRow;

/// A pending change. Instants are epoch milliseconds.
#[derive(Debug, Clone, FromRow)]
pub struct EmailChangeRecord {
    pub user_id: UserId,
    pub new_email: String,
    pub code_hash: String,
    pub link_hash: String,
    pub attempts: i64,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
}

const COLUMNS: &str = "user_id, new_email, code_hash, link_hash, attempts, expires_at, created_at";

/// What a new request stores.
#[derive(Debug, Clone)]
pub struct NewEmailChange<'a> {
    pub user_id: UserId,
    pub new_email: &'a str,
    pub code_hash: &'a str,
    pub link_hash: &'a str,
    pub expires_at: Timestamp,
}

/// Stores a pending change for the user, replacing any earlier one (its code and link stop working).
pub async fn replace<'a>(exec: impl Into<Exec<'a>>, change: &NewEmailChange<'_>, now: Timestamp) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO email_changes (user_id, new_email, code_hash, link_hash, attempts, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6) \
             ON CONFLICT (user_id) DO UPDATE SET new_email = excluded.new_email, code_hash = excluded.code_hash, \
               link_hash = excluded.link_hash, attempts = 0, expires_at = excluded.expires_at, \
               created_at = excluded.created_at",
        )
        .bind(change.user_id)
        .bind(change.new_email)
        .bind(change.code_hash)
        .bind(change.link_hash)
        .bind(ms(change.expires_at))
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The user's pending change, unless it expired.
pub async fn live_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    now: Timestamp,
) -> StoreResult<Option<EmailChangeRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM email_changes WHERE user_id = $1 AND expires_at > $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, EmailChangeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// The unexpired change whose link token has this hash.
pub async fn live_by_link<'a>(
    exec: impl Into<Exec<'a>>,
    link_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<EmailChangeRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM email_changes WHERE link_hash = $1 AND expires_at > $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, EmailChangeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(link_hash)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Counts a wrong code against the change; returns the attempts now recorded (0 when it is gone).
pub async fn count_attempt<'a>(exec: impl Into<Exec<'a>>, user_id: UserId, link_hash: &str) -> StoreResult<i64> {
    let row: Option<(i64,)> = on_conn!(exec, c => {
        sqlx::query_as(
            "UPDATE email_changes SET attempts = attempts + 1 WHERE user_id = $1 AND link_hash = $2 \
             RETURNING attempts",
        )
        .bind(user_id)
        .bind(link_hash)
        .fetch_optional(&mut *c)
        .await
    })?;
    Ok(row.map_or(0, |(n,)| n))
}

/// Removes exactly this change (the one with `link_hash`); false when it was already gone or replaced, so of
/// two concurrent confirmations only one applies it.
pub async fn take<'a>(exec: impl Into<Exec<'a>>, user_id: UserId, link_hash: &str) -> StoreResult<bool> {
    let n = on_conn!(exec, c => {
        sqlx::query("DELETE FROM email_changes WHERE user_id = $1 AND link_hash = $2")
            .bind(user_id)
            .bind(link_hash)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Drops the user's pending change, if any.
pub async fn cancel<'a>(exec: impl Into<Exec<'a>>, user_id: UserId) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("DELETE FROM email_changes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
