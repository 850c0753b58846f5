//! An organization's email senders (our addition, in Cal.com's conventions):
//! `/v2/organizations/{orgId}/smtp-configurations`. OWNER or ADMIN only, and only with the `custom-smtp`
//! feature. Secrets are write-only: sealed at rest, never returned, kept on PATCH unless given.
//!
//! The work lives in the `pub(crate)` service functions ([`admin_access`], [`create`], [`update`], [`delete`],
//! [`make_default`], [`test_saved_sender`], [`test_unsaved_settings`], [`send_test`], …) so the API handlers here and the
//! server-rendered settings page (`web::senders`) behave the same.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, PathIds};
use crate::AppState;
use crate::email::host_guard::{HostRefused, NOT_PUBLIC};
use crate::email::sender_test::{self, TestResult};
use crate::email::senders::{SenderConfig, binding, owner_of};
use crate::scheduling::time_text::{ts, utc_iso};
use axum::extract::State;
use axum::response::Response;
use convene_core::{EmailAddress, FeatureFlag, HeaderText, TeamId};
use convene_store::smtp_senders::{self, Secret, SenderFields, SenderRecord};
use convene_store::teams::TeamRecord;
use convene_store::users::UserRecord;
use convene_store::{features, memberships, now_ms, teams};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_senders, create_sender))
        .routes(routes!(get_sender, update_sender, delete_sender))
        .routes(routes!(test_unsaved))
        .routes(routes!(test_saved))
        .routes(routes!(send_test_email))
}

/// Create or update a sender. On update every field is optional and secrets are kept unless given
/// (`null` clears one).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SenderInput {
    pub from_email: Option<String>,
    pub from_name: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub smtp_user: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub smtp_password: Option<Option<String>>,
    /// Implicit TLS on 465, STARTTLS (required) otherwise. Default true.
    pub smtp_secure: Option<bool>,
    /// `SMTP` (default), `SENDGRID` or `SPARKPOST`.
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub api_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub ip_pool: Option<Option<String>>,
    pub is_default: Option<bool>,
    pub team_ids: Option<Vec<i64>>,
}

/// Tells "absent" (outer `None`) from `null` (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
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

fn iso(ms: Option<i64>) -> Option<String> {
    ms.map(|t| utc_iso(ts(t)))
}

fn output(record: &SenderRecord, assignments: &[(i64, i64)]) -> SenderOutput {
    SenderOutput {
        id: record.id,
        organization_id: record.organization_id,
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
            .map(|(team, _)| *team)
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
        created_at: utc_iso(ts(record.created_at)),
        updated_at: utc_iso(ts(record.updated_at)),
    }
}

/// An organization whose senders the caller may manage (OWNER or ADMIN there, or an instance admin).
pub(crate) struct SenderOrg {
    org: TeamRecord,
}

impl SenderOrg {
    pub(crate) fn id(&self) -> i64 {
        self.org.id
    }

    pub(crate) fn name(&self) -> &str {
        &self.org.name
    }
}

/// The answer when the organization's `custom-smtp` feature is off.
pub(crate) const CUSTOM_SMTP_OFF: &str =
    "Custom SMTP is not enabled for this organization; an instance admin can turn on its custom-smtp feature";

/// `user` is an OWNER or ADMIN of the organization (instance admins act as owners everywhere). Callers who are
/// not accepted members get 403 whether or not the organization exists, so ids can't be probed. The same rules
/// and messages as `OrgAccess::load` + `require_admin`, for a user from an API key or from a web session.
pub(crate) async fn org_admin(state: &AppState, user: &UserRecord, org_id: i64) -> Result<SenderOrg, ApiError> {
    let org = teams::find_organization(&state.db, TeamId(org_id)).await?;
    if user.is_instance_admin {
        let org = org.ok_or_else(|| ApiError::not_found("Organization"))?;
        return Ok(SenderOrg { org });
    }
    let not_member = || ApiError::forbidden("You are not a member of this organization");
    let org = org.ok_or_else(not_member)?;
    let membership = memberships::of_user(&state.db, org.team_id(), user.user_id())
        .await?
        .ok_or_else(not_member)?;
    if !membership.accepted {
        return Err(ApiError::forbidden(
            "Your membership in this organization has not been accepted yet",
        ));
    }
    if !membership.role().can_manage() {
        return Err(ApiError::forbidden(
            "This requires the ADMIN or OWNER role in the organization",
        ));
    }
    Ok(SenderOrg { org })
}

/// The organization's `custom-smtp` feature is on (or the instance turns it on for everyone).
pub(crate) async fn require_custom_smtp(state: &AppState, org: &SenderOrg) -> Result<(), ApiError> {
    let enabled = state.mailer.settings.custom_smtp_for_all
        || features::find(&state.db, org.org.team_id(), FeatureFlag::CustomSmtp.as_str())
            .await?
            .is_some_and(|f| f.enabled);
    if enabled {
        Ok(())
    } else {
        Err(ApiError::forbidden(CUSTOM_SMTP_OFF))
    }
}

/// An org admin of an organization with the feature on.
pub(crate) async fn admin_access(state: &AppState, user: &UserRecord, org_id: i64) -> Result<SenderOrg, ApiError> {
    let org = org_admin(state, user, org_id).await?;
    require_custom_smtp(state, &org).await?;
    Ok(org)
}

/// The API caller's organization from the path, checked by [`admin_access`].
async fn api_access(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<SenderOrg, ApiError> {
    admin_access(state, &caller.user, ids.id("orgId")?).await
}

/// Validated settings (secrets in plaintext only until sealed).
struct Valid {
    fields: SenderFields,
    smtp_user: Option<Option<String>>,
    smtp_password: Option<Option<String>>,
    api_key: Option<Option<String>>,
    team_ids: Option<Vec<i64>>,
    is_default: Option<bool>,
}

/// A secret-bearing field: no control characters (CR/LF would smuggle SMTP commands), bounded length.
fn secret_field(field: &str, value: Option<Option<String>>) -> Result<Option<Option<String>>, ApiError> {
    match &value {
        Some(Some(v)) if v.is_empty() => Err(ApiError::field(field, "must not be empty (use null to remove it)")),
        Some(Some(v)) if v.chars().any(char::is_control) => Err(ApiError::field(
            field,
            "must not contain line breaks or control characters",
        )),
        Some(Some(v)) if v.len() > 1024 => Err(ApiError::field(field, "must be at most 1024 bytes")),
        _ => Ok(value),
    }
}

/// A host name or IP literal: letters, digits, dots, dashes (and colons inside brackets or bare IPv6).
fn host_field(raw: &str) -> Result<String, ApiError> {
    let host = raw.trim().to_ascii_lowercase();
    if host.is_empty() {
        return Err(ApiError::field("smtpHost", "must not be empty"));
    }
    if host.chars().any(char::is_control) {
        return Err(ApiError::field(
            "smtpHost",
            "must not contain line breaks or control characters",
        ));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let is_ip = bare.parse::<std::net::IpAddr>().is_ok();
    let is_name = bare.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !is_ip && !is_name {
        return Err(ApiError::field("smtpHost", "must be a host name or an IP address"));
    }
    Ok(bare.to_owned())
}

/// Checks the merged settings of a new or updated sender. `existing` gives the values a PATCH keeps.
async fn validate(state: &AppState, input: SenderInput, existing: Option<&SenderRecord>) -> Result<Valid, ApiError> {
    let from_email = match (&input.from_email, existing) {
        (Some(raw), _) => EmailAddress::parse("fromEmail", raw)?.as_str().to_owned(),
        (None, Some(e)) => e.from_email.clone(),
        (None, None) => return Err(ApiError::field("fromEmail", "is required")),
    };
    let from_name = match (&input.from_name, existing) {
        (Some(raw), _) => {
            let name = HeaderText::parse("fromName", raw)?;
            if name.as_str().chars().count() > 100 {
                return Err(ApiError::field("fromName", "must be at most 100 characters"));
            }
            name.as_str().to_owned()
        }
        (None, Some(e)) => e.from_name.clone(),
        (None, None) => return Err(ApiError::field("fromName", "is required")),
    };
    let provider = match (&input.provider, existing) {
        (Some(p), _) if matches!(p.as_str(), "SMTP" | "SENDGRID" | "SPARKPOST") => p.clone(),
        (Some(_), _) => return Err(ApiError::field("provider", "must be SMTP, SENDGRID or SPARKPOST")),
        (None, Some(e)) => e.provider.clone(),
        (None, None) => "SMTP".to_owned(),
    };
    let smtp_secure = input.smtp_secure.or(existing.map(|e| e.smtp_secure)).unwrap_or(true);
    let smtp_host = match (&input.smtp_host, existing) {
        (Some(raw), _) => Some(host_field(raw)?),
        (None, Some(e)) => e.smtp_host.clone(),
        (None, None) => None,
    };
    let smtp_port = match input.smtp_port.or(existing.and_then(|e| e.smtp_port)) {
        Some(p) if !(1..=65535).contains(&p) => return Err(ApiError::field("smtpPort", "must be between 1 and 65535")),
        Some(p) => Some(p),
        None => smtp_host.as_ref().map(|_| if smtp_secure { 465 } else { 587 }),
    };
    let ip_pool = match (&input.ip_pool, existing) {
        (Some(Some(pool)), _) => {
            if !(1..=64).contains(&pool.len())
                || !pool.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(ApiError::field("ipPool", "must be 1–64 letters, digits, '_' or '-'"));
            }
            Some(pool.clone())
        }
        (Some(None), _) => None,
        (None, Some(e)) => e.ip_pool.clone(),
        (None, None) => None,
    };
    if ip_pool.is_some() && provider != "SPARKPOST" {
        return Err(ApiError::field("ipPool", "is only used with the SPARKPOST provider"));
    }
    let smtp_user = secret_field("smtpUser", input.smtp_user)?;
    let smtp_password = secret_field("smtpPassword", input.smtp_password)?;
    let api_key = secret_field("apiKey", input.api_key)?;
    let will_have_api_key = match &api_key {
        Some(v) => v.is_some(),
        None => existing.is_some_and(|e| e.api_key_sealed.is_some()),
    };
    if provider == "SMTP" && smtp_host.is_none() {
        return Err(ApiError::field("smtpHost", "is required for an SMTP sender"));
    }
    if provider != "SMTP" && !will_have_api_key {
        return Err(ApiError::field("apiKey", "is required for a provider sender"));
    }
    if provider == "SMTP" && api_key.as_ref().is_some_and(Option::is_some) {
        return Err(ApiError::field(
            "apiKey",
            "is only used with the SENDGRID or SPARKPOST provider",
        ));
    }
    // The host must resolve now, and only to addresses a sender may use.
    if let Some(host) = &smtp_host {
        let port = u16::try_from(smtp_port.unwrap_or(587)).unwrap_or(587);
        state
            .mailer
            .settings
            .host_policy
            .resolve(host, port, Duration::from_secs(5))
            .await
            .map_err(|refused| match refused {
                HostRefused::Dns(message) => ApiError::field("smtpHost", format!("could not be resolved: {message}")),
                HostRefused::NotPublic => ApiError::field("smtpHost", NOT_PUBLIC),
            })?;
    }
    Ok(Valid {
        fields: SenderFields {
            from_email,
            from_name,
            provider,
            smtp_host,
            smtp_port,
            smtp_secure,
            ip_pool,
        },
        smtp_user,
        smtp_password,
        api_key,
        team_ids: input.team_ids,
        is_default: input.is_default,
    })
}

/// Every team id must be a team of this organization.
async fn check_teams(state: &AppState, org: &SenderOrg, team_ids: &[i64]) -> Result<(), ApiError> {
    for (i, team) in team_ids.iter().enumerate() {
        let found = teams::find(&state.db, TeamId(*team)).await?;
        if found.is_none_or(|t| t.parent_id != Some(org.id())) {
            return Err(ApiError::field(
                &format!("teamIds[{i}]"),
                "is not a team of this organization",
            ));
        }
    }
    Ok(())
}

/// Seals and stores the secrets the input gave.
async fn store_secrets(
    state: &AppState,
    tx: &mut convene_store::Tx,
    org: i64,
    id: i64,
    valid: &Valid,
) -> Result<(), ApiError> {
    let owner = owner_of(org, id);
    for (secret, value) in [
        (Secret::SmtpUser, &valid.smtp_user),
        (Secret::SmtpPassword, &valid.smtp_password),
        (Secret::ApiKey, &valid.api_key),
    ] {
        let Some(value) = value else { continue };
        let sealed = match value {
            Some(plain) => Some(
                state
                    .keyring
                    .seal(binding(&owner, secret), plain)
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("sealing a sender secret: {e}")))?,
            ),
            None => None,
        };
        smtp_senders::set_secret(&mut *tx, id, secret, sealed.as_deref()).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// The service: what the API and the settings page both do.
// ---------------------------------------------------------------------------------------------------------------

/// A sender of `org` by id, or 404.
async fn load(state: &AppState, org: &SenderOrg, id: i64) -> Result<SenderRecord, ApiError> {
    smtp_senders::find(&state.db, org.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("SMTP configuration"))
}

/// The stored sender as answered (team ids included).
async fn current(state: &AppState, org: &SenderOrg, id: i64) -> Result<SenderOutput, ApiError> {
    let record = load(state, org, id).await?;
    let assignments = smtp_senders::team_assignments(&state.db, org.id()).await?;
    Ok(output(&record, &assignments))
}

/// The organization's senders, default first.
pub(crate) async fn list(state: &AppState, org: &SenderOrg) -> Result<Vec<SenderOutput>, ApiError> {
    let records = smtp_senders::list(&state.db, org.id()).await?;
    let assignments = smtp_senders::team_assignments(&state.db, org.id()).await?;
    Ok(records.iter().map(|r| output(r, &assignments)).collect())
}

/// One sender.
pub(crate) async fn get(state: &AppState, org: &SenderOrg, id: i64) -> Result<SenderOutput, ApiError> {
    current(state, org, id).await
}

/// Adds a sender. The organization's first sender becomes its default.
pub(crate) async fn create(state: &AppState, org: &SenderOrg, input: SenderInput) -> Result<SenderOutput, ApiError> {
    let org_id = org.id();
    let valid = validate(state, input, None).await?;
    if let Some(team_ids) = &valid.team_ids {
        check_teams(state, org, team_ids).await?;
    }
    let mut tx = state.db.begin().await?;
    smtp_senders::lock_organization(&mut tx, org_id).await?;
    let first = smtp_senders::list(&mut tx, org_id).await?.is_empty();
    let id = smtp_senders::insert(&mut tx, org_id, &valid.fields, first, now_ms()).await?;
    store_secrets(state, &mut tx, org_id, id, &valid).await?;
    if !first && valid.is_default == Some(true) {
        smtp_senders::make_default(&mut tx, org_id, id).await?;
    }
    if let Some(team_ids) = &valid.team_ids {
        smtp_senders::set_teams(&mut tx, id, team_ids).await?;
    }
    tx.commit().await?;
    state.mailer.directory.invalidate(org_id);
    current(state, org, id).await
}

/// Changes any subset of a sender's fields; secrets stay unless given (`Some(None)` clears one).
pub(crate) async fn update(
    state: &AppState,
    org: &SenderOrg,
    id: i64,
    input: SenderInput,
) -> Result<SenderOutput, ApiError> {
    let org_id = org.id();
    let existing = load(state, org, id).await?;
    if input.is_default == Some(false) && existing.is_default {
        return Err(ApiError::field(
            "isDefault",
            "an organization always has one default sender; make another one the default instead",
        ));
    }
    let valid = validate(state, input, Some(&existing)).await?;
    if let Some(team_ids) = &valid.team_ids {
        check_teams(state, org, team_ids).await?;
    }
    let mut tx = state.db.begin().await?;
    smtp_senders::lock_organization(&mut tx, org_id).await?;
    smtp_senders::update_fields(&mut tx, existing.id, &valid.fields, now_ms()).await?;
    store_secrets(state, &mut tx, org_id, existing.id, &valid).await?;
    if valid.is_default == Some(true) {
        smtp_senders::make_default(&mut tx, org_id, existing.id).await?;
    }
    if let Some(team_ids) = &valid.team_ids {
        smtp_senders::set_teams(&mut tx, existing.id, team_ids).await?;
    }
    tx.commit().await?;
    state.mailer.directory.invalidate(org_id);
    current(state, org, existing.id).await
}

/// Makes a sender the organization's default, changing nothing else (its health stays).
pub(crate) async fn make_default(state: &AppState, org: &SenderOrg, id: i64) -> Result<SenderOutput, ApiError> {
    let existing = load(state, org, id).await?;
    let mut tx = state.db.begin().await?;
    smtp_senders::lock_organization(&mut tx, org.id()).await?;
    smtp_senders::make_default(&mut tx, org.id(), existing.id).await?;
    tx.commit().await?;
    state.mailer.directory.invalidate(org.id());
    current(state, org, existing.id).await
}

/// Removes a sender: its emails go back to the platform default at once (another sender becomes the default).
/// Answers the sender as it was.
pub(crate) async fn delete(state: &AppState, org: &SenderOrg, id: i64) -> Result<SenderOutput, ApiError> {
    let out = current(state, org, id).await?;
    let mut tx = state.db.begin().await?;
    smtp_senders::lock_organization(&mut tx, org.id()).await?;
    smtp_senders::delete(&mut tx, org.id(), out.id).await?;
    tx.commit().await?;
    state.mailer.directory.invalidate(org.id());
    Ok(out)
}

/// Tests settings that were never saved: DNS, connect, TLS, greeting, EHLO and AUTH — no email sent. A host
/// that doesn't resolve, or resolves inside, is the test's answer (stage DNS) rather than an error.
pub(crate) async fn test_unsaved_settings(
    state: &AppState,
    org: &SenderOrg,
    input: SenderInput,
) -> Result<TestResult, ApiError> {
    let valid = match validate(state, input, None).await {
        Ok(valid) => valid,
        Err(ApiError::Validation(e)) if e.field == "smtpHost" => {
            return Ok(TestResult {
                success: false,
                stage: "DNS",
                message: e.message,
                smtp_code: None,
                duration_ms: 0,
                route: None,
                recipient_refused: false,
            });
        }
        Err(e) => return Err(e),
    };
    let record = unsaved_record(org.id(), &valid);
    let mailer = &state.mailer;
    let mut config = SenderConfig::from_record(&record, &state.keyring, &mailer.settings, mailer.http())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("building a sender: {e}")))?;
    // Unsaved secrets were never sealed; put them in directly.
    if let Some(smtp) = &mut config.smtp
        && let Some(Some(user)) = &valid.smtp_user
    {
        smtp.credentials = Some(crate::email::settings::Credentials {
            username: user.clone(),
            password: secrecy::SecretString::from(valid.smtp_password.clone().flatten().unwrap_or_default()),
        });
    }
    if let Some(api) = &mut config.api
        && let Some(Some(key)) = &valid.api_key
    {
        api.api_key = secrecy::SecretString::from(key.clone());
    }
    if let (None, Some(Some(key))) = (&config.api, &valid.api_key) {
        config = with_api(config, &record, key, state);
    }
    Ok(sender_test::test_connection(mailer, &config).await)
}

fn with_api(mut config: SenderConfig, record: &SenderRecord, key: &str, state: &AppState) -> SenderConfig {
    let settings = &state.mailer.settings;
    let provider = match record.provider.as_str() {
        "SENDGRID" => crate::email::providers::Provider::SendGrid,
        _ => crate::email::providers::Provider::SparkPost,
    };
    config.api = Some(crate::email::providers::ProviderClient {
        provider,
        base_url: match provider {
            crate::email::providers::Provider::SendGrid => settings.sendgrid_api_url.clone(),
            crate::email::providers::Provider::SparkPost => settings.sparkpost_api_url.clone(),
        },
        api_key: secrecy::SecretString::from(key.to_owned()),
        ip_pool: record.ip_pool.clone(),
        http: state.mailer.http().clone(),
    });
    config
}

/// A record shaped like a stored sender for settings that were never saved (no secrets inside).
fn unsaved_record(org: i64, valid: &Valid) -> SenderRecord {
    let f = &valid.fields;
    SenderRecord {
        id: 0,
        organization_id: org,
        from_email: f.from_email.clone(),
        from_name: f.from_name.clone(),
        provider: f.provider.clone(),
        smtp_host: f.smtp_host.clone(),
        smtp_port: f.smtp_port,
        smtp_secure: f.smtp_secure,
        smtp_user_sealed: None,
        smtp_password_sealed: None,
        api_key_sealed: None,
        ip_pool: f.ip_pool.clone(),
        is_default: false,
        health_status: "UNTESTED".to_owned(),
        last_error: None,
        last_success_at: None,
        last_failure_at: None,
        last_tested_at: None,
        consecutive_failures: 0,
        circuit_open_until: None,
        circuit_opens: 0,
        alerted_at: None,
        version: 0,
        created_at: 0,
        updated_at: 0,
    }
}

/// The sender ready to test, or the test's answer when its stored secrets can't be opened (sealed under a key
/// this server no longer has, or copied from another row).
fn saved_config(state: &AppState, record: &SenderRecord) -> Result<SenderConfig, TestResult> {
    SenderConfig::from_record(record, &state.keyring, &state.mailer.settings, state.mailer.http()).map_err(|e| {
        tracing::error!(sender_id = record.id, error = %e, "cannot open a sender's secrets");
        TestResult {
            success: false,
            stage: "AUTH",
            message: "the stored credentials cannot be opened with this server's encryption keys; enter them again"
                .to_owned(),
            smtp_code: None,
            duration_ms: 0,
            route: None,
            recipient_refused: false,
        }
    })
}

/// Records a test's outcome as the sender's health. A test email refused for its recipient says nothing bad
/// about the sender: the server answered, authenticated and took the sender address.
async fn record_test(state: &AppState, record: &SenderRecord, result: &TestResult) -> Result<(), ApiError> {
    let now = now_ms();
    let healthy = result.success || result.recipient_refused;
    let health = smtp_senders::Health {
        status: if healthy {
            "OK"
        } else if result.stage == "AUTH" && result.smtp_code.is_some_and(|c| c == 535 || c == 530) {
            "AUTH_FAILED"
        } else {
            "FAILING"
        },
        last_error: (!healthy).then(|| format!("{}: {}", result.stage, result.message)),
        success_at: healthy.then_some(now),
        failure_at: (!healthy).then_some(now),
        tested_at: Some(now),
        consecutive_failures: record.consecutive_failures,
        circuit_open_until: record.circuit_open_until,
        circuit_opens: record.circuit_opens,
    };
    smtp_senders::record_health(&state.db, record.id, record.version, &health, now).await?;
    state.mailer.directory.invalidate(record.organization_id);
    Ok(())
}

/// Tests a saved sender (DNS, connect, TLS, greeting, EHLO and AUTH — no email sent) and records the outcome
/// as its health.
pub(crate) async fn test_saved_sender(state: &AppState, org: &SenderOrg, id: i64) -> Result<TestResult, ApiError> {
    let record = load(state, org, id).await?;
    let result = match saved_config(state, &record) {
        Ok(config) => sender_test::test_connection(&state.mailer, &config).await,
        Err(unusable) => unusable,
    };
    record_test(state, &record, &result).await?;
    Ok(result)
}

/// The recipient of a test email (`toEmail`).
pub(crate) fn test_recipient(raw: Option<&str>) -> Result<EmailAddress, ApiError> {
    Ok(EmailAddress::parse("toEmail", raw.unwrap_or_default())?)
}

/// Sends a test message through exactly this sender (no fallback), records the outcome as its health and
/// reports the server's reply.
pub(crate) async fn send_test(
    state: &AppState,
    org: &SenderOrg,
    id: i64,
    to: &EmailAddress,
) -> Result<TestResult, ApiError> {
    let record = load(state, org, id).await?;
    let result = match saved_config(state, &record) {
        Ok(config) => sender_test::test_email(&state.mailer, &config, to.as_str()).await,
        Err(unusable) => unusable,
    };
    record_test(state, &record, &result).await?;
    Ok(result)
}

// ---------------------------------------------------------------------------------------------------------------
// The API handlers.
// ---------------------------------------------------------------------------------------------------------------

/// Add a sender. The organization's first sender becomes its default.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path)), request_body = SenderInput,
    responses((status = 201, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_sender(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::created(create(&state, &org, input).await?))
}

/// The organization's senders, default first.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/smtp-configurations", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path)),
    responses((status = 200, body = Envelope<Vec<SenderOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_senders(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(list(&state, &org).await?))
}

#[utoipa::path(get, path = "/v2/organizations/{orgId}/smtp-configurations/{id}", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_sender(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(get(&state, &org, ids.id("id")?).await?))
}

/// Change any subset of fields; secrets stay unless given.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/smtp-configurations/{id}", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)), request_body = SenderInput,
    responses((status = 200, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_sender(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(update(&state, &org, ids.id("id")?, input).await?))
}

/// Remove a sender: its emails go back to the platform default at once (another sender becomes the default).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/smtp-configurations/{id}", tag = "Orgs / SMTP configurations",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<SenderOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_sender(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(delete(&state, &org, ids.id("id")?).await?))
}

/// Test settings before saving them: DNS, connect, TLS, greeting, EHLO and AUTH — no email sent.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations/test-connection",
    tag = "Orgs / SMTP configurations", security(("bearer" = [])), params(("orgId" = i64, Path)),
    request_body = SenderInput, responses((status = 200, body = Envelope<TestResult>)))]
#[tracing::instrument(skip_all)]
async fn test_unsaved(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<SenderInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(test_unsaved_settings(&state, &org, input).await?))
}

/// Test a saved sender: DNS, connect, TLS, greeting, EHLO and AUTH — no email sent.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations/{id}/test-connection",
    tag = "Orgs / SMTP configurations", security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, body = Envelope<TestResult>)))]
#[tracing::instrument(skip_all)]
async fn test_saved(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    Ok(envelope::ok(test_saved_sender(&state, &org, ids.id("id")?).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestEmailInput {
    pub to_email: Option<String>,
}

/// Send a test message through exactly this sender (no fallback) and report the server's reply.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/smtp-configurations/{id}/test-email",
    tag = "Orgs / SMTP configurations", security(("bearer" = [])), params(("orgId" = i64, Path), ("id" = i64, Path)),
    request_body = TestEmailInput, responses((status = 200, body = Envelope<TestResult>)))]
#[tracing::instrument(skip_all)]
async fn send_test_email(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<TestEmailInput>,
) -> Result<Response, ApiError> {
    let org = api_access(&state, &caller, &ids).await?;
    let to = test_recipient(input.to_email.as_deref())?;
    Ok(envelope::ok(send_test(&state, &org, ids.id("id")?, &to).await?))
}
