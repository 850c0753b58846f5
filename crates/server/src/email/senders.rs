//! Organizations' own senders as the worker sees them: loaded from the database with their secrets opened, and
//! cached for a moment (one lookup per organization and batch, not per email). Each is guarded by a circuit
//! breaker ([`super::breaker`]).

use super::providers::{Provider, ProviderClient};
use super::settings::EmailSettings;
use super::smtp::{Credentials, Security, SmtpServer};
use convene_core::{FeatureFlag, SenderId, TeamId};
use convene_keyring::{Binding, Keyring, KeyringError};
use convene_store::smtp_senders::{self, Secret, SenderRecord};
use convene_store::{Db, StoreResult, features};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a sender's secret is bound when sealed: to the organization, the sender and the field.
pub fn binding<'a>(owner: &'a str, secret: Secret) -> Binding<'a> {
    Binding {
        scope: "smtp_sender",
        owner,
        field: secret.field(),
    }
}

/// `"<org>:<sender>"`, the owner part of a sender secret's binding.
pub fn owner_of(org: TeamId, sender: SenderId) -> String {
    format!("{org}:{sender}")
}

pub fn open_secret(
    keyring: &Keyring,
    org: TeamId,
    sender: SenderId,
    secret: Secret,
    sealed: Option<&str>,
) -> Result<Option<SecretString>, KeyringError> {
    let owner = owner_of(org, sender);
    sealed.map(|s| keyring.open(binding(&owner, secret), s)).transpose()
}

/// A sender ready to use.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub id: SenderId,
    pub organization_id: TeamId,
    pub version: i64,
    pub from_email: String,
    pub from_name: String,
    /// The SMTP path (the only one for `SMTP` senders; the second for providers).
    pub smtp: Option<SmtpServer>,
    /// The provider API path, tried first.
    pub api: Option<ProviderClient>,
    /// Persisted health and breaker state at load time.
    pub health_status: String,
    pub circuit_open_until: Option<jiff::Timestamp>,
    pub consecutive_failures: i64,
    pub circuit_opens: i64,
}

impl SenderConfig {
    /// Opens the secrets of a stored sender and puts its paths together.
    pub fn from_record(
        record: &SenderRecord,
        keyring: &Keyring,
        settings: &EmailSettings,
        http: &reqwest::Client,
    ) -> Result<Self, KeyringError> {
        let open = |secret, sealed: &Option<String>| {
            open_secret(keyring, record.organization_id, record.id, secret, sealed.as_deref())
        };
        let user = open(Secret::SmtpUser, &record.smtp_user_sealed)?;
        let password = open(Secret::SmtpPassword, &record.smtp_password_sealed)?;
        let api_key = open(Secret::ApiKey, &record.api_key_sealed)?;
        let smtp = record.smtp_host.as_ref().map(|host| {
            let port = record
                .smtp_port
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(if record.smtp_secure { 465 } else { 587 });
            SmtpServer {
                host: host.clone(),
                port,
                security: if record.smtp_secure && port != 587 && port != 25 {
                    Security::ImplicitTls
                } else {
                    Security::StartTls
                },
                credentials: user.map(|u| Credentials {
                    username: secrecy::ExposeSecret::expose_secret(&u).to_owned(),
                    password: password.clone().unwrap_or_else(|| SecretString::from(String::new())),
                }),
            }
        });
        let provider = match record.provider.as_str() {
            "SENDGRID" => Some(Provider::SendGrid),
            "SPARKPOST" => Some(Provider::SparkPost),
            _ => None,
        };
        let api = match (provider, api_key) {
            (Some(provider), Some(api_key)) => Some(ProviderClient {
                provider,
                base_url: match provider {
                    Provider::SendGrid => settings.sendgrid_api_url.clone(),
                    Provider::SparkPost => settings.sparkpost_api_url.clone(),
                },
                api_key,
                ip_pool: record.ip_pool.clone(),
                http: http.clone(),
            }),
            _ => None,
        };
        Ok(Self {
            id: record.id,
            organization_id: record.organization_id,
            version: record.version,
            from_email: record.from_email.clone(),
            from_name: record.from_name.clone(),
            smtp,
            api,
            health_status: record.health_status.clone(),
            circuit_open_until: record.circuit_open_until,
            consecutive_failures: record.consecutive_failures,
            circuit_opens: record.circuit_opens,
        })
    }
}

/// An organization's senders, as routing needs them.
#[derive(Debug, Clone, Default)]
pub struct OrgSenders {
    /// The `custom-smtp` feature is on (or on for everyone).
    pub enabled: bool,
    pub senders: Vec<SenderConfig>,
    /// team id → sender id.
    pub teams: HashMap<TeamId, SenderId>,
}

impl OrgSenders {
    /// The team's assigned sender, else the organization's default (the first listed).
    pub fn for_team(&self, team: Option<TeamId>) -> Option<&SenderConfig> {
        if !self.enabled {
            return None;
        }
        let assigned = team
            .and_then(|t| self.teams.get(&t))
            .and_then(|id| self.senders.iter().find(|s| s.id == *id));
        assigned.or_else(|| self.senders.first())
    }
}

/// A short-lived cache of each organization's senders. Writes through the API invalidate it at once in this
/// process; other processes see changes within `ttl`.
pub struct Directory {
    ttl: Duration,
    entries: Mutex<HashMap<TeamId, (Instant, Arc<OrgSenders>)>>,
}

impl Directory {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn invalidate(&self, org: TeamId) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&org);
    }

    pub async fn get(
        &self,
        db: &Db,
        keyring: &Keyring,
        settings: &EmailSettings,
        http: &reqwest::Client,
        org: TeamId,
    ) -> StoreResult<Arc<OrgSenders>> {
        if let Some((at, found)) = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&org)
            && at.elapsed() < self.ttl
        {
            return Ok(found.clone());
        }
        let enabled = settings.custom_smtp_for_all
            || features::find(db, org, FeatureFlag::CustomSmtp.as_str())
                .await?
                .is_some_and(|f| f.enabled);
        let mut loaded = OrgSenders {
            enabled,
            ..OrgSenders::default()
        };
        if enabled {
            for record in smtp_senders::list(db, org).await? {
                match SenderConfig::from_record(&record, keyring, settings, http) {
                    Ok(config) => loaded.senders.push(config),
                    // A secret sealed under a key this process doesn't have: route around the sender (the
                    // platform default takes its emails) rather than fail them.
                    Err(e) => tracing::error!(sender_id = record.id.0, error = %e, "cannot open a sender's secrets"),
                }
            }
            loaded.teams = smtp_senders::team_assignments(db, org).await?.into_iter().collect();
        }
        let loaded = Arc::new(loaded);
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(org, (Instant::now(), loaded.clone()));
        Ok(loaded)
    }
}
