//! Slot reservations: a slot held for a few minutes while someone completes a booking.

use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult, now_ms};
use convene_core::{EventTypeId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct ReservationRecord {
    pub uid: String,
    pub event_type_id: EventTypeId,
    pub host_id: UserId,
    #[sqlx(try_from = "Millis")]
    pub start_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub end_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
}

const COLUMNS: &str = "uid, event_type_id, host_id, start_at, end_at, expires_at";

pub async fn insert<'a>(exec: impl Into<Exec<'a>>, r: &ReservationRecord) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO slot_reservations (uid, event_type_id, host_id, start_at, end_at, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&r.uid)
        .bind(r.event_type_id)
        .bind(r.host_id)
        .bind(ms(r.start_at))
        .bind(ms(r.end_at))
        .bind(ms(r.expires_at))
        .bind(now_ms())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A reservation that has not expired.
pub async fn find_live<'a>(exec: impl Into<Exec<'a>>, uid: &str) -> StoreResult<Option<ReservationRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM slot_reservations WHERE uid = $1 AND expires_at > $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ReservationRecord>(sqlx::AssertSqlSafe(sql)).bind(uid).bind(now_ms()).fetch_optional(&mut *c).await
    })?)
}

pub async fn update<'a>(exec: impl Into<Exec<'a>>, r: &ReservationRecord) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("UPDATE slot_reservations SET event_type_id = $2, host_id = $3, start_at = $4, end_at = $5, expires_at = $6 WHERE uid = $1")
            .bind(&r.uid)
            .bind(r.event_type_id)
            .bind(r.host_id)
            .bind(ms(r.start_at))
            .bind(ms(r.end_at))
            .bind(ms(r.expires_at))
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, uid: &str) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM slot_reservations WHERE uid = $1").bind(uid).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Removes reservations that expired long ago (they no longer block anything).
pub async fn purge_expired<'a>(exec: impl Into<Exec<'a>>, before: Timestamp) -> StoreResult<u64> {
    Ok(on_conn!(exec, c => {
        sqlx::query("DELETE FROM slot_reservations WHERE expires_at < $1").bind(ms(before)).execute(&mut *c).await.map(|r| r.rows_affected())
    })?)
}
