//! Addresses a team proved it owns (Cal.com's team verified resources), with the admin who entered the code.

use crate::millis::ms;
use crate::{Exec, StoreResult};
use convene_core::{TeamId, TeamVerifiedEmailId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct TeamVerifiedEmail {
    pub id: TeamVerifiedEmailId,
    pub team_id: TeamId,
    /// Who entered the code; gone when that account is deleted.
    pub user_id: Option<UserId>,
    pub email: String,
}

const COLUMNS: &str = "id, team_id, user_id, email";

/// Records `email` as verified for the team (idempotent: the first verifier stays) and returns the row.
pub async fn add<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    user_id: UserId,
    email: &str,
    now: Timestamp,
) -> StoreResult<TeamVerifiedEmail> {
    let select = format!("SELECT {COLUMNS} FROM team_verified_emails WHERE team_id = $1 AND email = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO team_verified_emails (team_id, user_id, email, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team_id, email) DO NOTHING",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(email)
        .bind(ms(now))
        .execute(&mut *c)
        .await?;
        sqlx::query_as::<_, TeamVerifiedEmail>(sqlx::AssertSqlSafe(select))
            .bind(team_id)
            .bind(email)
            .fetch_one(&mut *c)
            .await
    })?)
}

pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<TeamVerifiedEmail>> {
    let sql = format!("SELECT {COLUMNS} FROM team_verified_emails WHERE team_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, TeamVerifiedEmail>(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}

pub async fn find<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    id: TeamVerifiedEmailId,
) -> StoreResult<Option<TeamVerifiedEmail>> {
    let sql = format!("SELECT {COLUMNS} FROM team_verified_emails WHERE team_id = $1 AND id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, TeamVerifiedEmail>(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(id)
            .fetch_optional(&mut *c)
            .await
    })?)
}
