//! One-time codes sent by email: email verification codes and password reset tokens. Only a hash is stored, so
//! a leaked database reveals no usable code.

use crate::millis::{Millis, OptMillis, ms};
use crate::{Exec, StoreResult};
use convene_core::{OneTimeCodeId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct CodeRecord {
    pub id: OneTimeCodeId,
    pub purpose: String,
    pub user_id: UserId,
    pub email: String,
    pub attempts: i64,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub used_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, purpose, user_id, email, attempts, expires_at, used_at";

/// Issues a code, retiring every earlier unused code of the same user, purpose and address.
pub async fn issue<'a>(
    exec: impl Into<Exec<'a>>,
    purpose: &str,
    user_id: UserId,
    email: &str,
    code_hash: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> StoreResult<OneTimeCodeId> {
    let (id,): (OneTimeCodeId,) = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE one_time_codes SET used_at = $4 \
             WHERE user_id = $1 AND purpose = $2 AND email = $3 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(purpose)
        .bind(email)
        .bind(ms(now))
        .execute(&mut *c)
        .await?;
        sqlx::query_as(
            "INSERT INTO one_time_codes (purpose, user_id, email, code_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(purpose)
        .bind(user_id)
        .bind(email)
        .bind(code_hash)
        .bind(ms(expires_at))
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
    })?;
    Ok(id)
}

/// The live (unused, unexpired) code with this hash, if any.
pub async fn find_live<'a>(
    exec: impl Into<Exec<'a>>,
    purpose: &str,
    code_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<CodeRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM one_time_codes WHERE purpose = $1 AND code_hash = $2 AND used_at IS NULL \
         AND expires_at > $3"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CodeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(purpose)
            .bind(code_hash)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// The newest live code of a user for an address (to count wrong guesses against it).
pub async fn latest_live<'a>(
    exec: impl Into<Exec<'a>>,
    purpose: &str,
    user_id: UserId,
    email: &str,
    now: Timestamp,
) -> StoreResult<Option<CodeRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM one_time_codes WHERE purpose = $1 AND user_id = $2 AND email = $3 \
         AND used_at IS NULL AND expires_at > $4 ORDER BY id DESC LIMIT 1"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CodeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(purpose)
            .bind(user_id)
            .bind(email)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Counts a wrong guess; returns the attempts now recorded.
pub async fn count_attempt<'a>(exec: impl Into<Exec<'a>>, id: OneTimeCodeId) -> StoreResult<i64> {
    let (n,): (i64,) = on_conn!(exec, c => {
        sqlx::query_as("UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts")
            .bind(id)
            .fetch_one(&mut *c)
            .await
    })?;
    Ok(n)
}

/// Marks a code used; false when it already was (a concurrent use won).
pub async fn consume<'a>(exec: impl Into<Exec<'a>>, id: OneTimeCodeId, now: Timestamp) -> StoreResult<bool> {
    let n = on_conn!(exec, c => {
        sqlx::query("UPDATE one_time_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .bind(ms(now))
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Retires every unused code of the user for `purpose` (all addresses): after an email change, links mailed to
/// the old address must stop working.
pub async fn retire_all<'a>(
    exec: impl Into<Exec<'a>>,
    purpose: &str,
    user_id: UserId,
    now: Timestamp,
) -> StoreResult<u64> {
    Ok(on_conn!(exec, c => {
        sqlx::query("UPDATE one_time_codes SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
            .bind(user_id)
            .bind(purpose)
            .bind(ms(now))
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?)
}
