//! Phone numbers proved by a code texted there (Cal.com's verified resources): a user's own, and a team's. A
//! team's rows keep the admin who entered the code, as Cal.com's team outputs carry `userId`.

use crate::millis::ms;
use crate::{Exec, StoreResult};
use convene_core::{TeamId, UserId, VerifiedPhoneId};
use jiff::Timestamp;
use sqlx::FromRow;

/// A verified number; `team_id` is set on a team's numbers only.
#[derive(Debug, Clone, FromRow)]
pub struct VerifiedPhone {
    pub id: VerifiedPhoneId,
    pub user_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub phone_number: String,
}

const USER_COLUMNS: &str = "id, user_id, CAST(NULL AS BIGINT) AS team_id, phone_number";
const TEAM_COLUMNS: &str = "id, user_id, team_id, phone_number";

/// Records `phone` as verified for the user (idempotent) and returns the row.
pub async fn add_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    phone: &str,
    now: Timestamp,
) -> StoreResult<VerifiedPhone> {
    let select = format!("SELECT {USER_COLUMNS} FROM verified_phones WHERE user_id = $1 AND phone_number = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO verified_phones (user_id, phone_number, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, phone_number) DO NOTHING",
        )
        .bind(user_id)
        .bind(phone)
        .bind(ms(now))
        .execute(&mut *c)
        .await?;
        sqlx::query_as::<_, VerifiedPhone>(sqlx::AssertSqlSafe(select))
            .bind(user_id)
            .bind(phone)
            .fetch_one(&mut *c)
            .await
    })?)
}

/// Records `phone` as verified for the team by `user_id` (idempotent: the first verifier stays) and returns it.
pub async fn add_for_team<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    user_id: UserId,
    phone: &str,
    now: Timestamp,
) -> StoreResult<VerifiedPhone> {
    let select = format!("SELECT {TEAM_COLUMNS} FROM team_verified_phones WHERE team_id = $1 AND phone_number = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO team_verified_phones (team_id, user_id, phone_number, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team_id, phone_number) DO NOTHING",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(phone)
        .bind(ms(now))
        .execute(&mut *c)
        .await?;
        sqlx::query_as::<_, VerifiedPhone>(sqlx::AssertSqlSafe(select))
            .bind(team_id)
            .bind(phone)
            .fetch_one(&mut *c)
            .await
    })?)
}

pub async fn list_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<VerifiedPhone>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM verified_phones WHERE user_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, VerifiedPhone>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}

pub async fn list_for_team<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<VerifiedPhone>> {
    let sql =
        format!("SELECT {TEAM_COLUMNS} FROM team_verified_phones WHERE team_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, VerifiedPhone>(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}

pub async fn find_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    id: VerifiedPhoneId,
) -> StoreResult<Option<VerifiedPhone>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM verified_phones WHERE user_id = $1 AND id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, VerifiedPhone>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

pub async fn find_for_team<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    id: VerifiedPhoneId,
) -> StoreResult<Option<VerifiedPhone>> {
    let sql = format!("SELECT {TEAM_COLUMNS} FROM team_verified_phones WHERE team_id = $1 AND id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, VerifiedPhone>(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(id)
            .fetch_optional(&mut *c)
            .await
    })?)
}
