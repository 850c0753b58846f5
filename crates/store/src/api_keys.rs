//! API keys: only a SHA-256 of each key is stored.

use crate::millis::{Millis, OptMillis, ms};
use crate::{Exec, StoreResult, now_ms};
use convene_core::{ApiKeyId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub hint: String,
    pub note: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub expires_at: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub revoked_at: Option<Timestamp>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
}

impl ApiKeyRecord {
    pub fn key_id(&self) -> ApiKeyId {
        self.id
    }
}

pub async fn insert<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    key_hash: &str,
    hint: &str,
    note: Option<&str>,
    expires_at: Option<Timestamp>,
) -> StoreResult<ApiKeyId> {
    let row: (i64,) = on_conn!(exec, c => {
        sqlx::query_as(
            "INSERT INTO api_keys (user_id, key_hash, hint, note, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.0)
        .bind(key_hash)
        .bind(hint)
        .bind(note)
        .bind(expires_at.map(ms))
        .bind(now_ms())
        .fetch_one(&mut *c)
        .await
    })?;
    Ok(ApiKeyId(row.0))
}

/// The key with this hash, revoked and expired ones included (the caller says why it's refused).
pub async fn find_by_hash<'a>(exec: impl Into<Exec<'a>>, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ApiKeyRecord>(
            "SELECT id, user_id, hint, note, expires_at, revoked_at, created_at FROM api_keys WHERE key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(&mut *c)
        .await
    })?)
}

pub async fn revoke<'a>(exec: impl Into<Exec<'a>>, id: ApiKeyId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.0)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// The keys of `user`, newest first, revoked and expired ones included (the settings page shows each one's state).
pub async fn list_for_user<'a>(exec: impl Into<Exec<'a>>, user: UserId) -> StoreResult<Vec<ApiKeyRecord>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ApiKeyRecord>(
            "SELECT id, user_id, hint, note, expires_at, revoked_at, created_at FROM api_keys \
             WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user.0)
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Revokes key `id` if it is `user`'s and still live; false otherwise (someone else's key is left alone).
pub async fn revoke_for_user<'a>(exec: impl Into<Exec<'a>>, user: UserId, id: ApiKeyId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(id)
            .bind(user.0)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
