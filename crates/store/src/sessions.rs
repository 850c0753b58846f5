//! Web sign-in sessions. The cookie carries a random token; the table holds its SHA-256.

use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult, now_ms};
use convene_core::UserId;
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct SessionRecord {
    pub user_id: UserId,
    pub csrf_token: String,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
}

pub async fn insert<'a>(
    exec: impl Into<Exec<'a>>,
    id_hash: &str,
    user: UserId,
    csrf_token: &str,
    expires_at: Timestamp,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("INSERT INTO web_sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id_hash)
            .bind(user.0)
            .bind(csrf_token)
            .bind(now_ms())
            .bind(ms(expires_at))
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A session that has not expired.
pub async fn find_live<'a>(exec: impl Into<Exec<'a>>, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, SessionRecord>(
            "SELECT user_id, csrf_token, expires_at FROM web_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now_ms())
        .fetch_optional(&mut *c)
        .await
    })?)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, id_hash: &str) -> StoreResult<()> {
    on_conn!(exec, c => sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1").bind(id_hash).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Signs a user out everywhere (after a password reset).
pub async fn delete_for_user<'a>(exec: impl Into<Exec<'a>>, user_id: UserId) -> StoreResult<u64> {
    Ok(on_conn!(exec, c => {
        sqlx::query("DELETE FROM web_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?)
}

/// One live session as the sessions page lists it.
#[derive(Debug, Clone, FromRow)]
pub struct LiveSession {
    pub id_hash: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
}

/// The user's sessions that have not expired, newest first.
pub async fn live_for_user<'a>(exec: impl Into<Exec<'a>>, user_id: UserId) -> StoreResult<Vec<LiveSession>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, LiveSession>(
            "SELECT id_hash, created_at, expires_at FROM web_sessions WHERE user_id = $1 AND expires_at > $2 \
             ORDER BY created_at DESC, id_hash",
        )
        .bind(user_id)
        .bind(now_ms())
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Signs a user out everywhere but the session `keep` (its hash).
pub async fn delete_others<'a>(exec: impl Into<Exec<'a>>, user_id: UserId, keep: &str) -> StoreResult<u64> {
    Ok(on_conn!(exec, c => {
        sqlx::query("DELETE FROM web_sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?)
}
