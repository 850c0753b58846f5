//! Notification preferences per event and channel: organization defaults, user overrides. A missing row
//! inherits (user → organization → on).

use crate::millis::ms;
use crate::{Exec, StoreResult};
use convene_core::{TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Preference {
    pub event: String,
    pub channel: String,
    pub enabled: bool,
}

/// Whose preferences.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Organization(TeamId),
    User(UserId),
}

impl Owner {
    fn column(self) -> (&'static str, i64) {
        match self {
            Owner::Organization(id) => ("organization_id", id.0),
            Owner::User(id) => ("user_id", id.0),
        }
    }
}

pub async fn list<'a>(exec: impl Into<Exec<'a>>, owner: Owner) -> StoreResult<Vec<Preference>> {
    let (column, id) = owner.column();
    let sql = format!(
        "SELECT event, channel, enabled FROM notification_preferences WHERE {column} = $1 ORDER BY event, channel"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, Preference>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(&mut *c).await
    })?)
}

/// Sets (or, with `None`, clears back to inheriting) one preference.
pub async fn set<'a>(
    exec: impl Into<Exec<'a>>,
    owner: Owner,
    event: &str,
    channel: &str,
    enabled: Option<bool>,
    now: Timestamp,
) -> StoreResult<()> {
    let (column, id) = owner.column();
    match enabled {
        Some(enabled) => {
            let sql = format!(
                "INSERT INTO notification_preferences ({column}, event, channel, enabled, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT ({column}, event, channel) WHERE {column} IS NOT NULL \
                 DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at"
            );
            on_conn!(exec, c => {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(event)
                    .bind(channel)
                    .bind(enabled)
                    .bind(ms(now))
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
        }
        None => {
            let sql =
                format!("DELETE FROM notification_preferences WHERE {column} = $1 AND event = $2 AND channel = $3");
            on_conn!(exec, c => {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(event)
                    .bind(channel)
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
        }
    }
    Ok(())
}

/// Whether `event` on `channel` is on for a user: their own choice, else their organization's, else on.
pub async fn resolve<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    organization_id: Option<TeamId>,
    event: &str,
    channel: &str,
) -> StoreResult<bool> {
    let rows: Vec<(Option<i64>, bool)> = on_conn!(exec, c => {
        sqlx::query_as(
            "SELECT user_id, enabled FROM notification_preferences \
             WHERE event = $1 AND channel = $2 AND (user_id = $3 OR organization_id = $4)",
        )
        .bind(event)
        .bind(channel)
        .bind(user_id)
        .bind(organization_id)
        .fetch_all(&mut *c)
        .await
    })?;
    let user = rows.iter().find(|(u, _)| u.is_some()).map(|(_, on)| *on);
    let org = rows.iter().find(|(u, _)| u.is_none()).map(|(_, on)| *on);
    Ok(user.or(org).unwrap_or(true))
}
