//! Availability schedules. Weekly rules and date overrides are stored as JSON text (always read
//! whole); their shape is the API's, validated before it gets here.

use crate::millis::Millis;
use crate::{Exec, StoreResult, now_ms};
use convene_core::{ScheduleId, TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct ScheduleRecord {
    pub id: ScheduleId,
    pub user_id: UserId,
    pub name: String,
    pub time_zone: String,
    pub is_default: bool,
    pub availability: String,
    pub overrides: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, user_id, name, time_zone, is_default, availability, overrides, created_at, updated_at";

/// A schedule's settable fields (JSON already serialized).
#[derive(Debug, Clone)]
pub struct ScheduleFields {
    pub name: String,
    pub time_zone: String,
    pub availability: String,
    pub overrides: String,
}

/// Inserts a schedule; when `is_default`, the user's previous default stops being one.
pub async fn insert<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    f: &ScheduleFields,
    is_default: bool,
) -> StoreResult<ScheduleRecord> {
    let sql = format!(
        "INSERT INTO schedules (user_id, name, time_zone, is_default, availability, overrides, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    let now = now_ms();
    Ok(on_conn!(exec, c => {
        if is_default {
            sqlx::query("UPDATE schedules SET is_default = $2 WHERE user_id = $1 AND is_default = $3")
                .bind(user.0)
                .bind(false)
                .bind(true)
                .execute(&mut *c)
                .await?;
        }
        sqlx::query_as::<_, ScheduleRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(&f.name)
            .bind(&f.time_zone)
            .bind(is_default)
            .bind(&f.availability)
            .bind(&f.overrides)
            .bind(now)
            .fetch_one(&mut *c)
            .await
    })?)
}

/// A schedule of `user` (another user's schedule reads as absent).
pub async fn find<'a>(exec: impl Into<Exec<'a>>, user: UserId, id: ScheduleId) -> StoreResult<Option<ScheduleRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM schedules WHERE id = $1 AND user_id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ScheduleRecord>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user.0).fetch_optional(&mut *c).await
    })?)
}

pub async fn find_default<'a>(exec: impl Into<Exec<'a>>, user: UserId) -> StoreResult<Option<ScheduleRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM schedules WHERE user_id = $1 AND is_default = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ScheduleRecord>(sqlx::AssertSqlSafe(sql)).bind(user.0).bind(true).fetch_optional(&mut *c).await
    })?)
}

pub async fn list<'a>(exec: impl Into<Exec<'a>>, user: UserId) -> StoreResult<Vec<ScheduleRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM schedules WHERE user_id = $1 ORDER BY id");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, ScheduleRecord>(sqlx::AssertSqlSafe(sql)).bind(user.0).fetch_all(&mut *c).await)?,
    )
}

/// Replaces a schedule's fields; `make_default` moves the default flag to it.
pub async fn update<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    id: ScheduleId,
    f: &ScheduleFields,
    make_default: bool,
) -> StoreResult<Option<ScheduleRecord>> {
    let sql = format!(
        "UPDATE schedules SET name = $3, time_zone = $4, availability = $5, overrides = $6, \
         is_default = (is_default OR $7), updated_at = $8 WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    );
    let now = now_ms();
    Ok(on_conn!(exec, c => {
        if make_default {
            sqlx::query("UPDATE schedules SET is_default = $3 WHERE user_id = $1 AND id <> $2 AND is_default = $4")
                .bind(user.0)
                .bind(id)
                .bind(false)
                .bind(true)
                .execute(&mut *c)
                .await?;
        }
        sqlx::query_as::<_, ScheduleRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user.0)
            .bind(&f.name)
            .bind(&f.time_zone)
            .bind(&f.availability)
            .bind(&f.overrides)
            .bind(make_default)
            .bind(now)
            .fetch_optional(&mut *c)
            .await
    })?)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, user: UserId, id: ScheduleId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM schedules WHERE id = $1 AND user_id = $2").bind(id).bind(user.0).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// The schedules of every accepted member of `team` (a team, or an organization: its members), by member then
/// id, paginated.
pub async fn list_for_members<'a>(
    exec: impl Into<Exec<'a>>,
    team: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<ScheduleRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM schedules s JOIN memberships m ON m.user_id = s.user_id \
         WHERE m.team_id = $1 AND m.accepted = $2 ORDER BY s.user_id, s.id LIMIT $3 OFFSET $4"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ScheduleRecord>(sqlx::AssertSqlSafe(sql))
            .bind(team.0)
            .bind(true)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}
