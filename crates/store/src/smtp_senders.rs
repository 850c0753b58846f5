//! An organization's email senders (its own SMTP servers or provider accounts), their team assignments, and
//! their health and circuit-breaker state. Credentials arrive here already sealed by the keyring.

use crate::millis::{Millis, OptMillis, ms};
use crate::{Exec, StoreResult, Tx};
use convene_core::{SenderId, TeamId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct SenderRecord {
    pub id: SenderId,
    pub organization_id: TeamId,
    pub from_email: String,
    pub from_name: String,
    pub provider: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_secure: bool,
    pub smtp_user_sealed: Option<String>,
    pub smtp_password_sealed: Option<String>,
    pub api_key_sealed: Option<String>,
    pub ip_pool: Option<String>,
    pub is_default: bool,
    pub health_status: String,
    pub last_error: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub last_success_at: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub last_failure_at: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub last_tested_at: Option<Timestamp>,
    pub consecutive_failures: i64,
    #[sqlx(try_from = "OptMillis")]
    pub circuit_open_until: Option<Timestamp>,
    pub circuit_opens: i64,
    #[sqlx(try_from = "OptMillis")]
    pub alerted_at: Option<Timestamp>,
    pub version: i64,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, organization_id, from_email, from_name, provider, smtp_host, smtp_port, smtp_secure, \
     smtp_user_sealed, smtp_password_sealed, api_key_sealed, ip_pool, is_default, health_status, last_error, \
     last_success_at, last_failure_at, last_tested_at, consecutive_failures, circuit_open_until, circuit_opens, \
     alerted_at, version, created_at, updated_at";

/// The settings of a sender as written by the API (secrets sealed).
#[derive(Debug, Clone, Default)]
pub struct SenderFields {
    pub from_email: String,
    pub from_name: String,
    pub provider: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_secure: bool,
    pub ip_pool: Option<String>,
}

pub async fn insert(
    tx: &mut Tx,
    org: TeamId,
    fields: &SenderFields,
    is_default: bool,
    now: Timestamp,
) -> StoreResult<SenderId> {
    let (id,): (SenderId,) = on_conn!(tx, c => {
        sqlx::query_as(
            "INSERT INTO smtp_senders (organization_id, from_email, from_name, provider, smtp_host, smtp_port, \
             smtp_secure, ip_pool, is_default, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(org)
        .bind(&fields.from_email)
        .bind(&fields.from_name)
        .bind(&fields.provider)
        .bind(&fields.smtp_host)
        .bind(fields.smtp_port)
        .bind(fields.smtp_secure)
        .bind(&fields.ip_pool)
        .bind(is_default)
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
    })?;
    Ok(id)
}

/// Replaces the settings; a change of settings bumps `version` and resets the health to untested.
pub async fn update_fields(tx: &mut Tx, id: SenderId, fields: &SenderFields, now: Timestamp) -> StoreResult<()> {
    on_conn!(tx, c => {
        sqlx::query(
            "UPDATE smtp_senders SET from_email = $2, from_name = $3, provider = $4, smtp_host = $5, smtp_port = $6, \
             smtp_secure = $7, ip_pool = $8, version = version + 1, health_status = 'UNTESTED', \
             consecutive_failures = 0, circuit_open_until = NULL, circuit_opens = 0, updated_at = $9 WHERE id = $1",
        )
        .bind(id)
        .bind(&fields.from_email)
        .bind(&fields.from_name)
        .bind(&fields.provider)
        .bind(&fields.smtp_host)
        .bind(fields.smtp_port)
        .bind(fields.smtp_secure)
        .bind(&fields.ip_pool)
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Which sealed secret.
#[derive(Debug, Clone, Copy)]
pub enum Secret {
    SmtpUser,
    SmtpPassword,
    ApiKey,
}

impl Secret {
    pub const ALL: [Secret; 3] = [Secret::SmtpUser, Secret::SmtpPassword, Secret::ApiKey];

    fn column(self) -> &'static str {
        match self {
            Secret::SmtpUser => "smtp_user_sealed",
            Secret::SmtpPassword => "smtp_password_sealed",
            Secret::ApiKey => "api_key_sealed",
        }
    }

    /// The field name bound into the seal's associated data.
    pub fn field(self) -> &'static str {
        match self {
            Secret::SmtpUser => "smtp_user",
            Secret::SmtpPassword => "smtp_password",
            Secret::ApiKey => "api_key",
        }
    }
}

/// Stores (or with `None` clears) one sealed secret.
pub async fn set_secret<'a>(
    exec: impl Into<Exec<'a>>,
    id: SenderId,
    secret: Secret,
    sealed: Option<&str>,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE smtp_senders SET {} = $2, version = version + 1 WHERE id = $1",
        secret.column()
    );
    on_conn!(exec, c => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(sealed)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, org: TeamId, id: SenderId) -> StoreResult<Option<SenderRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM smtp_senders WHERE organization_id = $1 AND id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, SenderRecord>(sqlx::AssertSqlSafe(sql))
            .bind(org)
            .bind(id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// The organization's senders, default first.
pub async fn list<'a>(exec: impl Into<Exec<'a>>, org: TeamId) -> StoreResult<Vec<SenderRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM smtp_senders WHERE organization_id = $1 ORDER BY is_default DESC, id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, SenderRecord>(sqlx::AssertSqlSafe(sql)).bind(org).fetch_all(&mut *c).await
    })?)
}

/// Every sender (for re-sealing secrets under a new key).
pub async fn all<'a>(exec: impl Into<Exec<'a>>) -> StoreResult<Vec<SenderRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM smtp_senders ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, SenderRecord>(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await
    })?)
}

/// Makes `id` the organization's only default.
pub async fn make_default(tx: &mut Tx, org: TeamId, id: SenderId) -> StoreResult<()> {
    on_conn!(tx, c => {
        sqlx::query("UPDATE smtp_senders SET is_default = FALSE WHERE organization_id = $1 AND id <> $2 AND is_default")
            .bind(org)
            .bind(id)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE smtp_senders SET is_default = TRUE WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Deletes a sender; when it was the default, the oldest remaining one becomes the default.
pub async fn delete(tx: &mut Tx, org: TeamId, id: SenderId) -> StoreResult<bool> {
    let deleted = on_conn!(tx, c => {
        sqlx::query("DELETE FROM smtp_senders WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    if deleted == 0 {
        return Ok(false);
    }
    let remaining = list(&mut *tx, org).await?;
    if !remaining.iter().any(|s| s.is_default)
        && let Some(next) = remaining.iter().min_by_key(|s| s.id)
    {
        make_default(tx, org, next.id).await?;
    }
    Ok(true)
}

/// Team ids assigned to each of the organization's senders: (team_id, sender_id).
pub async fn team_assignments<'a>(exec: impl Into<Exec<'a>>, org: TeamId) -> StoreResult<Vec<(TeamId, SenderId)>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, (TeamId, SenderId)>(
            "SELECT t.team_id, t.sender_id FROM smtp_sender_teams t JOIN smtp_senders s ON s.id = t.sender_id \
             WHERE s.organization_id = $1 ORDER BY t.team_id",
        )
        .bind(org)
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Sets exactly which teams use sender `id`. A team served by another sender moves to this one (a team has
/// one sender); a team listed twice is assigned once.
pub async fn set_teams(tx: &mut Tx, id: SenderId, team_ids: &[TeamId]) -> StoreResult<()> {
    let mut unique = team_ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    on_conn!(tx, c => {
        sqlx::query("DELETE FROM smtp_sender_teams WHERE sender_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
        for team in &unique {
            sqlx::query(
                "INSERT INTO smtp_sender_teams (team_id, sender_id) VALUES ($1, $2) \
                 ON CONFLICT (team_id) DO UPDATE SET sender_id = excluded.sender_id",
            )
            .bind(team)
            .bind(id)
            .execute(&mut *c)
            .await?;
        }
        Ok::<u64, sqlx::Error>(0)
    })?;
    Ok(())
}

/// Serializes changes to one organization's senders (PostgreSQL: a row lock on the organization; SQLite's
/// write transactions are serialized already), so two first senders can't both become the default.
pub async fn lock_organization(tx: &mut Tx, org: TeamId) -> StoreResult<()> {
    if let Tx::Postgres(_) = tx {
        on_conn!(tx, c => {
            sqlx::query("SELECT id FROM teams WHERE id = $1 FOR UPDATE")
                .bind(org)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// The sender assigned to `team`, if any.
pub async fn sender_of_team<'a>(exec: impl Into<Exec<'a>>, team: TeamId) -> StoreResult<Option<SenderId>> {
    let found: Option<(SenderId,)> = on_conn!(exec, c => {
        sqlx::query_as("SELECT sender_id FROM smtp_sender_teams WHERE team_id = $1")
            .bind(team)
            .fetch_optional(&mut *c)
            .await
    })?;
    Ok(found.map(|(id,)| id))
}

/// A sender's health after a send or a test.
#[derive(Debug, Clone)]
pub struct Health {
    pub status: &'static str,
    pub last_error: Option<String>,
    pub success_at: Option<Timestamp>,
    pub failure_at: Option<Timestamp>,
    pub tested_at: Option<Timestamp>,
    pub consecutive_failures: i64,
    pub circuit_open_until: Option<Timestamp>,
    pub circuit_opens: i64,
}

/// Records health for the sender at settings `version` (a result about older settings is dropped).
pub async fn record_health<'a>(
    exec: impl Into<Exec<'a>>,
    id: SenderId,
    version: i64,
    h: &Health,
    now: Timestamp,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query(
            "UPDATE smtp_senders SET health_status = $3, last_error = COALESCE($4, last_error), \
             last_success_at = COALESCE($5, last_success_at), last_failure_at = COALESCE($6, last_failure_at), \
             last_tested_at = COALESCE($7, last_tested_at), consecutive_failures = $8, circuit_open_until = $9, \
             circuit_opens = $10, updated_at = $11 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .bind(h.status)
        .bind(&h.last_error)
        .bind(h.success_at.map(ms))
        .bind(h.failure_at.map(ms))
        .bind(h.tested_at.map(ms))
        .bind(h.consecutive_failures)
        .bind(h.circuit_open_until.map(ms))
        .bind(h.circuit_opens)
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Claims the right to alert the organization's admins about this sender: true (and stamps `alerted_at`) when
/// the last alert is older than `min_gap_ms`.
pub async fn claim_alert<'a>(
    exec: impl Into<Exec<'a>>,
    id: SenderId,
    now: Timestamp,
    min_gap_ms: i64,
) -> StoreResult<bool> {
    let n = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE smtp_senders SET alerted_at = $2 WHERE id = $1 AND (alerted_at IS NULL OR alerted_at <= $3)",
        )
        .bind(id)
        .bind(ms(now))
        .bind(ms(now).saturating_sub(min_gap_ms))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
