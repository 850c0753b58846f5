//! User accounts.

use crate::millis::{Millis, OptMillis, ms};
use crate::{Exec, StoreError, StoreResult, now_ms};
use convene_core::{TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

/// A user row. Instants are epoch milliseconds.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub time_zone: String,
    pub locale: String,
    pub week_start: String,
    pub time_format: i64,
    pub metadata: String,
    pub organization_id: Option<TeamId>,
    pub password_hash: Option<String>,
    pub is_instance_admin: bool,
    #[sqlx(try_from = "OptMillis")]
    pub email_verified_at: Option<Timestamp>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

impl UserRecord {
    pub fn user_id(&self) -> UserId {
        self.id
    }

    pub fn organization(&self) -> Option<TeamId> {
        self.organization_id
    }

    /// The account's address when its owner has proved it (a code or link mailed to it came back, or the
    /// operator created the account), else `None`. Only this address may grant anything that belongs to
    /// whoever holds it, such as the bookings it attends.
    pub fn verified_email(&self) -> Option<&str> {
        self.email_verified_at.map(|_| self.email.as_str())
    }
}

const COLUMNS: &str = "id, email, username, name, bio, avatar_url, time_zone, locale, week_start, time_format, \
     metadata, organization_id, password_hash, is_instance_admin, email_verified_at, created_at, updated_at";

/// Fields of a new user; values are already validated by the caller.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub username: String,
    pub name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub time_zone: String,
    pub locale: String,
    pub week_start: String,
    pub time_format: i64,
    pub metadata: String,
    pub password_hash: Option<String>,
    pub is_instance_admin: bool,
}

/// Inserts a user; a taken email or username is a conflict.
pub async fn insert<'a>(exec: impl Into<Exec<'a>>, user: &NewUser) -> StoreResult<UserRecord> {
    let now = now_ms();
    let sql = format!(
        "INSERT INTO users (email, username, name, bio, avatar_url, time_zone, locale, week_start, time_format, \
         metadata, password_hash, is_instance_admin, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {COLUMNS}"
    );
    on_conn!(exec, c => {
        sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(sql))
            .bind(&user.email)
            .bind(&user.username)
            .bind(&user.name)
            .bind(&user.bio)
            .bind(&user.avatar_url)
            .bind(&user.time_zone)
            .bind(&user.locale)
            .bind(&user.week_start)
            .bind(user.time_format)
            .bind(&user.metadata)
            .bind(&user.password_hash)
            .bind(user.is_instance_admin)
            .bind(now)
            .fetch_one(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, "a user with this email or username already exists"))
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, id: UserId) -> StoreResult<Option<UserRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&mut *c).await)?,
    )
}

pub async fn find_by_email<'a>(exec: impl Into<Exec<'a>>, email: &str) -> StoreResult<Option<UserRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(&mut *c).await)?,
    )
}

pub async fn find_by_username<'a>(exec: impl Into<Exec<'a>>, username: &str) -> StoreResult<Option<UserRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(&mut *c).await)?,
    )
}

/// A free username starting with `base`: `base`, then `base-2`, `base-3`, …
pub async fn free_username<'a>(exec: impl Into<Exec<'a>>, base: &str) -> StoreResult<String> {
    let pattern = format!("{base}%");
    let taken: Vec<(String,)> = on_conn!(exec, c => {
        sqlx::query_as("SELECT username FROM users WHERE username LIKE $1").bind(&pattern).fetch_all(&mut *c).await
    })?;
    let taken: std::collections::HashSet<String> = taken.into_iter().map(|(u,)| u).collect();
    let candidate = std::iter::once(base.to_owned())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|c| !taken.contains(c))
        .unwrap_or_else(|| base.to_owned());
    Ok(candidate)
}

/// Whether any instance admin exists yet (first start bootstraps one when not).
pub async fn instance_admin_exists<'a>(exec: impl Into<Exec<'a>>) -> StoreResult<bool> {
    let found: Option<(i64,)> = on_conn!(exec, c => {
        sqlx::query_as("SELECT id FROM users WHERE is_instance_admin = $1 LIMIT 1").bind(true).fetch_optional(&mut *c).await
    })?;
    Ok(found.is_some())
}

/// Users of an organization (members, accepted or not), oldest first, with optional filters.
pub async fn list_in_organization<'a>(
    exec: impl Into<Exec<'a>>,
    org: TeamId,
    emails: &[String],
    skip: i64,
    take: i64,
) -> StoreResult<Vec<UserRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!("SELECT {cols} FROM users u JOIN memberships m ON m.user_id = u.id AND m.team_id = $1");
    // Emails are bound as parameters $4..; only the placeholders are formatted into the text.
    if !emails.is_empty() {
        let placeholders: Vec<String> = (0..emails.len()).map(|i| format!("${}", i + 4)).collect();
        sql.push_str(&format!(" WHERE u.email IN ({})", placeholders.join(", ")));
    }
    sql.push_str(" ORDER BY u.id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        let mut q = sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(sql)).bind(org.0).bind(take).bind(skip);
        for e in emails {
            q = q.bind(e);
        }
        q.fetch_all(&mut *c).await
    })?)
}

/// A partial update: `None` leaves a column as it is; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub username: Option<String>,
    pub name: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub week_start: Option<String>,
    pub time_format: Option<i64>,
    pub metadata: Option<String>,
    pub password_hash: Option<String>,
}

/// Applies `patch`. A new email replaces the old one unverified: nothing is granted by it (bookings attended
/// with it, say) until its owner proves it, see [`set_verified_email`].
pub async fn update<'a>(exec: impl Into<Exec<'a>>, id: UserId, patch: &UserPatch) -> StoreResult<Option<UserRecord>> {
    // COALESCE keeps the current value for absent fields; nullable fields carry a "set" flag.
    let sql = format!(
        "UPDATE users SET \
           email = COALESCE($2, email), username = COALESCE($3, username), \
           email_verified_at = CASE WHEN $2 IS NOT NULL AND $2 <> email THEN NULL ELSE email_verified_at END, \
           name = CASE WHEN $4 THEN $5 ELSE name END, \
           bio = CASE WHEN $6 THEN $7 ELSE bio END, \
           avatar_url = CASE WHEN $8 THEN $9 ELSE avatar_url END, \
           time_zone = COALESCE($10, time_zone), locale = COALESCE($11, locale), \
           week_start = COALESCE($12, week_start), time_format = COALESCE($13, time_format), \
           metadata = COALESCE($14, metadata), password_hash = COALESCE($15, password_hash), \
           updated_at = $16 \
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    let now = now_ms();
    on_conn!(exec, c => {
        sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .bind(&patch.email)
            .bind(&patch.username)
            .bind(patch.name.is_some())
            .bind(patch.name.clone().flatten())
            .bind(patch.bio.is_some())
            .bind(patch.bio.clone().flatten())
            .bind(patch.avatar_url.is_some())
            .bind(patch.avatar_url.clone().flatten())
            .bind(&patch.time_zone)
            .bind(&patch.locale)
            .bind(&patch.week_start)
            .bind(patch.time_format)
            .bind(&patch.metadata)
            .bind(&patch.password_hash)
            .bind(now)
            .fetch_optional(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, "a user with this email or username already exists"))
}

/// Makes `email` the user's address, verified at `now` (its owner just proved it). A conflict when another
/// account has that address.
pub async fn set_verified_email<'a>(
    exec: impl Into<Exec<'a>>,
    id: UserId,
    email: &str,
    now: Timestamp,
) -> StoreResult<Option<UserRecord>> {
    let sql = format!(
        "UPDATE users SET email = $2, email_verified_at = $3, updated_at = $3 WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_conn!(exec, c => {
        sqlx::query_as::<_, UserRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .bind(email)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, "a user with this email or username already exists"))
}

/// Records that the user proved they own `email`, when it is still their address (it may have changed since
/// the proof was asked for). Returns whether it was.
pub async fn mark_email_verified<'a>(
    exec: impl Into<Exec<'a>>,
    id: UserId,
    email: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE users SET email_verified_at = $3 WHERE id = $1 AND email = $2 AND email_verified_at IS NULL",
        )
        .bind(id.0)
        .bind(email)
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Attaches a user to an organization unless they already belong to another one.
/// Returns false when the user is in a different organization.
pub async fn join_organization<'a>(exec: impl Into<Exec<'a>>, id: UserId, org: TeamId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE users SET organization_id = $2, updated_at = $3 \
             WHERE id = $1 AND (organization_id IS NULL OR organization_id = $2)",
        )
        .bind(id.0)
        .bind(org.0)
        .bind(now_ms())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

pub async fn leave_organization<'a>(exec: impl Into<Exec<'a>>, id: UserId, org: TeamId) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("UPDATE users SET organization_id = NULL, updated_at = $3 WHERE id = $1 AND organization_id = $2")
            .bind(id.0)
            .bind(org.0)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Deletes a user; memberships, keys and sessions go with it (foreign keys cascade).
pub async fn delete<'a>(exec: impl Into<Exec<'a>>, id: UserId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => sqlx::query("DELETE FROM users WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}
