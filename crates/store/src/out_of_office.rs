//! Out-of-office periods.

use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult, now_ms};
use convene_core::{OutOfOfficeId, TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct OooRecord {
    pub id: OutOfOfficeId,
    pub user_id: UserId,
    #[sqlx(try_from = "Millis")]
    pub start_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub end_at: Timestamp,
    pub notes: Option<String>,
    pub reason: String,
    pub to_user_id: Option<UserId>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, user_id, start_at, end_at, notes, reason, to_user_id, created_at, updated_at";

/// The settable fields of an entry.
#[derive(Debug, Clone)]
pub struct OooFields {
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub notes: Option<String>,
    pub reason: String,
    pub to_user_id: Option<UserId>,
}

pub async fn insert<'a>(exec: impl Into<Exec<'a>>, user: UserId, f: &OooFields) -> StoreResult<OooRecord> {
    let sql = format!(
        "INSERT INTO out_of_office (user_id, start_at, end_at, notes, reason, to_user_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, OooRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(ms(f.start_at))
            .bind(ms(f.end_at))
            .bind(&f.notes)
            .bind(&f.reason)
            .bind(f.to_user_id)
            .bind(now_ms())
            .fetch_one(&mut *c)
            .await
    })?)
}

pub async fn update<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    id: OutOfOfficeId,
    f: &OooFields,
) -> StoreResult<Option<OooRecord>> {
    let sql = format!(
        "UPDATE out_of_office SET start_at = $3, end_at = $4, notes = $5, reason = $6, to_user_id = $7, updated_at = $8 \
         WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, OooRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user.0)
            .bind(ms(f.start_at))
            .bind(ms(f.end_at))
            .bind(&f.notes)
            .bind(&f.reason)
            .bind(f.to_user_id)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })?)
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, user: UserId, id: OutOfOfficeId) -> StoreResult<Option<OooRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM out_of_office WHERE id = $1 AND user_id = $2");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, OooRecord>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user.0).fetch_optional(&mut *c).await)?,
    )
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, user: UserId, id: OutOfOfficeId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM out_of_office WHERE id = $1 AND user_id = $2").bind(id).bind(user.0).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// A user's entries, soonest first.
pub async fn list_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<OooRecord>> {
    let sql =
        format!("SELECT {COLUMNS} FROM out_of_office WHERE user_id = $1 ORDER BY start_at, id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, OooRecord>(sqlx::AssertSqlSafe(sql)).bind(user.0).bind(take).bind(skip).fetch_all(&mut *c).await
    })?)
}

/// Entries of every member of an organization.
pub async fn list_for_organization<'a>(
    exec: impl Into<Exec<'a>>,
    org: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<OooRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("o.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM out_of_office o JOIN memberships m ON m.user_id = o.user_id AND m.team_id = $1 \
         ORDER BY o.start_at, o.id LIMIT $2 OFFSET $3"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, OooRecord>(sqlx::AssertSqlSafe(sql)).bind(org.0).bind(take).bind(skip).fetch_all(&mut *c).await
    })?)
}

/// Entries of `user` overlapping [from, to), for availability.
pub async fn overlapping<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<(Timestamp, Timestamp)>> {
    let rows = on_conn!(exec, c => {
        sqlx::query_as::<_, (Millis, Millis)>("SELECT start_at, end_at FROM out_of_office WHERE user_id = $1 AND start_at < $3 AND end_at > $2")
            .bind(user.0)
            .bind(ms(from))
            .bind(ms(to))
            .fetch_all(&mut *c)
            .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(start, end)| Ok((start.instant()?, end.instant()?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Entries of `user` overlapping [from, to) that send bookers to a teammate, soonest first: what the booker shows
/// as the host being away.
pub async fn redirecting<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<OooRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM out_of_office WHERE user_id = $1 AND to_user_id IS NOT NULL \
         AND start_at < $3 AND end_at > $2 ORDER BY start_at, id LIMIT 100"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, OooRecord>(sqlx::AssertSqlSafe(sql)).bind(user.0).bind(ms(from)).bind(ms(to)).fetch_all(&mut *c).await
    })?)
}
