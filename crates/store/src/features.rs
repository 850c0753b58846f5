//! Per-organization feature flags.

use crate::millis::Millis;
use crate::{Exec, StoreResult, now_ms};
use convene_core::{TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct FeatureRecord {
    pub organization_id: TeamId,
    pub flag: String,
    pub enabled: bool,
    pub updated_by: Option<UserId>,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

/// Sets a flag (insert or update).
pub async fn set<'a>(
    exec: impl Into<Exec<'a>>,
    org: TeamId,
    flag: &str,
    enabled: bool,
    by: Option<UserId>,
) -> StoreResult<FeatureRecord> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, FeatureRecord>(
            "INSERT INTO organization_features (organization_id, flag, enabled, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (organization_id, flag) DO UPDATE SET enabled = $3, updated_by = $4, updated_at = $5 \
             RETURNING organization_id, flag, enabled, updated_by, updated_at",
        )
        .bind(org.0)
        .bind(flag)
        .bind(enabled)
        .bind(by.map(|u| u.0))
        .bind(now_ms())
        .fetch_one(&mut *c)
        .await
    })?)
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, org: TeamId, flag: &str) -> StoreResult<Option<FeatureRecord>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, FeatureRecord>(
            "SELECT organization_id, flag, enabled, updated_by, updated_at FROM organization_features \
             WHERE organization_id = $1 AND flag = $2",
        )
        .bind(org.0)
        .bind(flag)
        .fetch_optional(&mut *c)
        .await
    })?)
}

pub async fn list<'a>(exec: impl Into<Exec<'a>>, org: TeamId) -> StoreResult<Vec<FeatureRecord>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, FeatureRecord>(
            "SELECT organization_id, flag, enabled, updated_by, updated_at FROM organization_features \
             WHERE organization_id = $1 ORDER BY flag",
        )
        .bind(org.0)
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Removes a flag (back to its default, off). Returns whether it was set.
pub async fn delete<'a>(exec: impl Into<Exec<'a>>, org: TeamId, flag: &str) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM organization_features WHERE organization_id = $1 AND flag = $2")
            .bind(org.0)
            .bind(flag)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
