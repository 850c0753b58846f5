//! Memberships of users in organizations and teams.

use crate::millis::Millis;
use crate::{Exec, StoreError, StoreResult, now_ms};
use convene_core::{MembershipId, Role, TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

/// A membership with the member's public profile, as the API shows it.
#[derive(Debug, Clone, FromRow)]
pub struct MembershipRecord {
    pub id: MembershipId,
    pub team_id: TeamId,
    pub user_id: UserId,
    pub role: String,
    pub accepted: bool,
    pub disable_impersonation: bool,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
    pub user_email: String,
    pub user_username: String,
    pub user_name: Option<String>,
    pub user_bio: Option<String>,
    pub user_avatar_url: Option<String>,
    pub user_metadata: String,
}

impl MembershipRecord {
    /// The stored role; the column's CHECK constraint guarantees it parses.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Member)
    }
}

const SELECT: &str = "SELECT m.id, m.team_id, m.user_id, m.role, m.accepted, m.disable_impersonation, \
     m.created_at, m.updated_at, u.email AS user_email, u.username AS user_username, u.name AS user_name, \
     u.bio AS user_bio, u.avatar_url AS user_avatar_url, u.metadata AS user_metadata \
     FROM memberships m JOIN users u ON u.id = m.user_id";

pub async fn insert<'a>(
    exec: impl Into<Exec<'a>>,
    team: TeamId,
    user: UserId,
    role: Role,
    accepted: bool,
    disable_impersonation: bool,
) -> StoreResult<MembershipId> {
    let now = now_ms();
    let row: (i64,) = on_conn!(exec, c => {
        sqlx::query_as(
            "INSERT INTO memberships (team_id, user_id, role, accepted, disable_impersonation, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(team.0)
        .bind(user.0)
        .bind(role.as_str())
        .bind(accepted)
        .bind(disable_impersonation)
        .bind(now)
        .fetch_one(&mut *c)
        .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, "the user is already a member"))?;
    Ok(MembershipId(row.0))
}

pub async fn find<'a>(
    exec: impl Into<Exec<'a>>,
    team: TeamId,
    id: MembershipId,
) -> StoreResult<Option<MembershipRecord>> {
    let sql = format!("{SELECT} WHERE m.id = $1 AND m.team_id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, MembershipRecord>(sqlx::AssertSqlSafe(sql)).bind(id.0).bind(team.0).fetch_optional(&mut *c).await
    })?)
}

/// The membership of `user` in `team`, if any.
pub async fn of_user<'a>(
    exec: impl Into<Exec<'a>>,
    team: TeamId,
    user: UserId,
) -> StoreResult<Option<MembershipRecord>> {
    let sql = format!("{SELECT} WHERE m.team_id = $1 AND m.user_id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, MembershipRecord>(sqlx::AssertSqlSafe(sql)).bind(team.0).bind(user.0).fetch_optional(&mut *c).await
    })?)
}

pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    team: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<MembershipRecord>> {
    let sql = format!("{SELECT} WHERE m.team_id = $1 ORDER BY m.id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, MembershipRecord>(sqlx::AssertSqlSafe(sql)).bind(team.0).bind(take).bind(skip).fetch_all(&mut *c).await
    })?)
}

/// How many accepted owners `team` has (the last one can't be demoted or removed).
pub async fn count_owners<'a>(exec: impl Into<Exec<'a>>, team: TeamId) -> StoreResult<i64> {
    let row: (i64,) = on_conn!(exec, c => {
        sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE team_id = $1 AND role = 'OWNER'")
            .bind(team.0)
            .fetch_one(&mut *c)
            .await
    })?;
    Ok(row.0)
}

#[derive(Debug, Clone, Default)]
pub struct MembershipPatch {
    pub role: Option<Role>,
    pub accepted: Option<bool>,
    pub disable_impersonation: Option<bool>,
}

pub async fn update<'a>(
    exec: impl Into<Exec<'a>>,
    team: TeamId,
    id: MembershipId,
    patch: &MembershipPatch,
) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE memberships SET role = COALESCE($3, role), accepted = COALESCE($4, accepted), \
             disable_impersonation = COALESCE($5, disable_impersonation), updated_at = $6 \
             WHERE id = $1 AND team_id = $2",
        )
        .bind(id.0)
        .bind(team.0)
        .bind(patch.role.map(Role::as_str))
        .bind(patch.accepted)
        .bind(patch.disable_impersonation)
        .bind(now_ms())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, team: TeamId, id: MembershipId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM memberships WHERE id = $1 AND team_id = $2").bind(id.0).bind(team.0).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Removes `user` from every team inside `org` (when they leave the organization).
pub async fn delete_from_org_teams<'a>(exec: impl Into<Exec<'a>>, org: TeamId, user: UserId) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("DELETE FROM memberships WHERE user_id = $2 AND team_id IN (SELECT id FROM teams WHERE parent_id = $1)")
            .bind(org.0)
            .bind(user.0)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The names of the organizations and teams `user` was invited to and has not joined yet (oldest first).
pub async fn pending_names_of_user<'a>(exec: impl Into<Exec<'a>>, user: UserId) -> StoreResult<Vec<String>> {
    let rows: Vec<(String,)> = on_conn!(exec, c => {
        sqlx::query_as(
            "SELECT t.name FROM memberships m JOIN teams t ON t.id = m.team_id \
             WHERE m.user_id = $1 AND m.accepted = $2 ORDER BY m.id",
        )
        .bind(user.0)
        .bind(false)
        .fetch_all(&mut *c)
        .await
    })?;
    Ok(rows.into_iter().map(|(name,)| name).collect())
}

/// Accepts every membership `user` was invited to (an accepted invitation); returns how many.
pub async fn accept_all_of_user<'a>(exec: impl Into<Exec<'a>>, user: UserId) -> StoreResult<u64> {
    Ok(on_conn!(exec, c => {
        sqlx::query("UPDATE memberships SET accepted = $2, updated_at = $3 WHERE user_id = $1 AND accepted = $4")
            .bind(user.0)
            .bind(true)
            .bind(now_ms())
            .bind(false)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?)
}

/// How many members `team` has (every membership, accepted or invited), for paging.
pub async fn count<'a>(exec: impl Into<Exec<'a>>, team: TeamId) -> StoreResult<i64> {
    let row: (i64,) = on_conn!(exec, c => {
        sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE team_id = $1").bind(team.0).fetch_one(&mut *c).await
    })?;
    Ok(row.0)
}
