//! A sender as both faces show it: its settings and health, never a secret (only whether one is stored).

use crate::time_text::utc_iso;
use convene_core::{SenderId, TeamId};
use convene_store::smtp_senders::SenderRecord;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

// How a sender has been doing. (No doc comment: it would change the OpenAPI document.)
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthOutput {
    /// `UNTESTED`, `OK`, `FAILING` or `AUTH_FAILED`.
    pub status: String,
    pub last_error: Option<String>,
    pub last_success_at: Option<String>,
    pub last_failure_at: Option<String>,
    pub last_tested_at: Option<String>,
}

/// A sender, without any secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SenderOutput {
    pub id: i64,
    pub organization_id: i64,
    pub from_email: String,
    pub from_name: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_secure: bool,
    pub provider: String,
    pub ip_pool: Option<String>,
    pub is_default: bool,
    pub team_ids: Vec<i64>,
    pub has_smtp_credentials: bool,
    pub has_api_key: bool,
    pub health: HealthOutput,
    pub created_at: String,
    pub updated_at: String,
}

fn iso(at: Option<Timestamp>) -> Option<String> {
    at.map(utc_iso)
}

/// `record` with the teams `assignments` (team id, sender id) give it.
pub(super) fn output(record: &SenderRecord, assignments: &[(TeamId, SenderId)]) -> SenderOutput {
    SenderOutput {
        id: record.id.0,
        organization_id: record.organization_id.0,
        from_email: record.from_email.clone(),
        from_name: record.from_name.clone(),
        smtp_host: record.smtp_host.clone(),
        smtp_port: record.smtp_port,
        smtp_secure: record.smtp_secure,
        provider: record.provider.clone(),
        ip_pool: record.ip_pool.clone(),
        is_default: record.is_default,
        team_ids: assignments
            .iter()
            .filter(|(_, sender)| *sender == record.id)
            .map(|(team, _)| team.0)
            .collect(),
        has_smtp_credentials: record.smtp_user_sealed.is_some() || record.smtp_password_sealed.is_some(),
        has_api_key: record.api_key_sealed.is_some(),
        health: HealthOutput {
            status: record.health_status.clone(),
            last_error: record.last_error.clone(),
            last_success_at: iso(record.last_success_at),
            last_failure_at: iso(record.last_failure_at),
            last_tested_at: iso(record.last_tested_at),
        },
        created_at: utc_iso(record.created_at),
        updated_at: utc_iso(record.updated_at),
    }
}
