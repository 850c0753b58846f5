//! Addresses a team proved it owns (Cal.com's team verified resources), with the admin who entered the code.

use crate::verified::{self, Table};
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

const TABLE: Table = Table {
    name: "team_verified_emails",
    holder: "team_id",
    value: "email",
    columns: "id, team_id, user_id, email",
    keeps_verifier: true,
};

/// Records `email` as verified for the team (idempotent: the first verifier stays) and returns the row.
pub async fn add<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    user_id: UserId,
    email: &str,
    now: Timestamp,
) -> StoreResult<TeamVerifiedEmail> {
    verified::add(exec, &TABLE, team_id.0, user_id, email, now).await
}

pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<TeamVerifiedEmail>> {
    verified::list(exec, &TABLE, team_id.0, skip, take).await
}

pub async fn find<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: TeamId,
    id: TeamVerifiedEmailId,
) -> StoreResult<Option<TeamVerifiedEmail>> {
    verified::find(exec, &TABLE, team_id.0, id.0).await
}
