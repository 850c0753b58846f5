//! Phone numbers proved by a code texted there (Cal.com's verified resources): a user's own, and a team's. A
//! team's rows keep the admin who entered the code, as Cal.com's team outputs carry `userId`.

use crate::verified::{self, Table};
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

const USERS: Table = Table {
    name: "verified_phones",
    holder: "user_id",
    value: "phone_number",
    columns: "id, user_id, CAST(NULL AS BIGINT) AS team_id, phone_number",
    keeps_verifier: false,
};

const TEAMS: Table = Table {
    name: "team_verified_phones",
    holder: "team_id",
    value: "phone_number",
    columns: "id, user_id, team_id, phone_number",
    keeps_verifier: true,
};

/// Records `phone` as verified for the user (idempotent) and returns the row.
pub async fn add_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    phone: &str,
    now: Timestamp,
) -> StoreResult<VerifiedPhone> {
    verified::add(exec, &USERS, user_id.0, user_id, phone, now).await
}

/// Records `phone` as verified for the team by `user_id` (idempotent: the first verifier stays) and returns it.
pub async fn add_for_team<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    user_id: UserId,
    phone: &str,
    now: Timestamp,
) -> StoreResult<VerifiedPhone> {
    verified::add(exec, &TEAMS, team_id.0, user_id, phone, now).await
}

pub async fn list_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<VerifiedPhone>> {
    verified::list(exec, &USERS, user_id.0, skip, take).await
}

pub async fn list_for_team<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<VerifiedPhone>> {
    verified::list(exec, &TEAMS, team_id.0, skip, take).await
}

pub async fn find_for_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    id: VerifiedPhoneId,
) -> StoreResult<Option<VerifiedPhone>> {
    verified::find(exec, &USERS, user_id.0, id.0).await
}

pub async fn find_for_team<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    id: VerifiedPhoneId,
) -> StoreResult<Option<VerifiedPhone>> {
    verified::find(exec, &TEAMS, team_id.0, id.0).await
}
