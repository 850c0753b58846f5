//! Private links: secret URLs (`/d/{link_id}/{slug}`) that book one event type until a date or for a number of
//! bookings. A use is taken before booking and given back if the booking fails, so a link never books more than
//! its count allows.

use crate::millis::{OptMillis, ms};
use crate::{Exec, StoreResult, now_ms};
use convene_core::EventTypeId;
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct PrivateLinkRecord {
    pub link_id: String,
    pub event_type_id: EventTypeId,
    #[sqlx(try_from = "OptMillis")]
    pub expires_at: Option<Timestamp>,
    pub max_usage_count: Option<i64>,
    pub usage_count: i64,
}

impl PrivateLinkRecord {
    /// Past its date or out of uses.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| e <= now) || self.max_usage_count.is_some_and(|m| self.usage_count >= m)
    }
}

const COLUMNS: &str = "link_id, event_type_id, expires_at, max_usage_count, usage_count";

pub async fn insert<'a>(exec: impl Into<Exec<'a>>, r: &PrivateLinkRecord) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO private_links (link_id, event_type_id, expires_at, max_usage_count, usage_count, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.link_id)
        .bind(r.event_type_id)
        .bind(r.expires_at.map(ms))
        .bind(r.max_usage_count)
        .bind(r.usage_count)
        .bind(now_ms())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list<'a>(exec: impl Into<Exec<'a>>, event_type_id: EventTypeId) -> StoreResult<Vec<PrivateLinkRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM private_links WHERE event_type_id = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, PrivateLinkRecord>(sqlx::AssertSqlSafe(sql)).bind(event_type_id).fetch_all(&mut *c).await
    })?)
}

/// A page of an event type's links, oldest first: what the event type page lists.
pub async fn list_page<'a>(
    exec: impl Into<Exec<'a>>,
    event_type_id: EventTypeId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<PrivateLinkRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM private_links WHERE event_type_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, PrivateLinkRecord>(sqlx::AssertSqlSafe(sql)).bind(event_type_id).bind(take).bind(skip).fetch_all(&mut *c).await
    })?)
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, link_id: &str) -> StoreResult<Option<PrivateLinkRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM private_links WHERE link_id = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, PrivateLinkRecord>(sqlx::AssertSqlSafe(sql)).bind(link_id).fetch_optional(&mut *c).await
    })?)
}

/// Sets the link's expiry and use limit (both as given: `None` clears).
pub async fn update<'a>(
    exec: impl Into<Exec<'a>>,
    link_id: &str,
    expires_at: Option<Timestamp>,
    max_usage_count: Option<i64>,
) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("UPDATE private_links SET expires_at = $2, max_usage_count = $3 WHERE link_id = $1")
            .bind(link_id)
            .bind(expires_at.map(ms))
            .bind(max_usage_count)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, link_id: &str) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM private_links WHERE link_id = $1").bind(link_id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Takes one use of a live link (false: expired, used up or gone). One statement, so two bookings racing for
/// the last use can't both get it.
pub async fn take_use<'a>(exec: impl Into<Exec<'a>>, link_id: &str, now: Timestamp) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE private_links SET usage_count = usage_count + 1 WHERE link_id = $1 \
             AND (expires_at IS NULL OR expires_at > $2) \
             AND (max_usage_count IS NULL OR usage_count < max_usage_count)",
        )
        .bind(link_id)
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
