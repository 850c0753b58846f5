//! Organizations' own senders as the worker sees them: loaded from the database with their secrets opened,
//! cached for a moment (one lookup per organization and batch, not per email), and each guarded by a circuit
//! breaker so a dead server costs one timeout, not one per email.

use super::providers::{Provider, ProviderClient};
use super::settings::{Credentials, EmailSettings, Security, SmtpServer};
use convene_core::FeatureFlag;
use convene_core::TeamId;
use convene_keyring::{Binding, Keyring, KeyringError};
use convene_store::smtp_senders::{self, Health, Secret, SenderRecord};
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
pub fn owner_of(org: i64, sender: i64) -> String {
    format!("{org}:{sender}")
}

pub fn open_secret(
    keyring: &Keyring,
    org: i64,
    sender: i64,
    secret: Secret,
    sealed: Option<&str>,
) -> Result<Option<SecretString>, KeyringError> {
    let owner = owner_of(org, sender);
    sealed.map(|s| keyring.open(binding(&owner, secret), s)).transpose()
}

/// A sender ready to use.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub id: i64,
    pub organization_id: i64,
    pub version: i64,
    pub from_email: String,
    pub from_name: String,
    /// The SMTP path (the only one for `SMTP` senders; the second for providers).
    pub smtp: Option<SmtpServer>,
    /// The provider API path, tried first.
    pub api: Option<ProviderClient>,
    /// Persisted health and breaker state at load time.
    pub health_status: String,
    pub circuit_open_until: Option<i64>,
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
    pub teams: HashMap<i64, i64>,
}

impl OrgSenders {
    /// The team's assigned sender, else the organization's default (the first listed).
    pub fn for_team(&self, team: Option<i64>) -> Option<&SenderConfig> {
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
    entries: Mutex<HashMap<i64, (Instant, Arc<OrgSenders>)>>,
}

impl Directory {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn invalidate(&self, org: i64) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&org);
    }

    pub async fn get(
        &self,
        db: &Db,
        keyring: &Keyring,
        settings: &EmailSettings,
        http: &reqwest::Client,
        org: i64,
    ) -> StoreResult<Arc<OrgSenders>> {
        if let Some((at, found)) = self.entries.lock().unwrap_or_else(|p| p.into_inner()).get(&org)
            && at.elapsed() < self.ttl
        {
            return Ok(found.clone());
        }
        let enabled = settings.custom_smtp_for_all
            || features::find(db, TeamId(org), FeatureFlag::CustomSmtp.as_str())
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
                    Err(e) => tracing::error!(sender_id = record.id, error = %e, "cannot open a sender's secrets"),
                }
            }
            loaded.teams = smtp_senders::team_assignments(db, org).await?.into_iter().collect();
        }
        let loaded = Arc::new(loaded);
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(org, (Instant::now(), loaded.clone()));
        Ok(loaded)
    }
}

/// Circuit breaker settings.
#[derive(Debug, Clone, Copy)]
pub struct BreakerSettings {
    /// Consecutive failures that open the circuit.
    pub threshold: i64,
    /// The first cool-down; each reopening doubles it, up to `max_cooldown`.
    pub cooldown: Duration,
    pub max_cooldown: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            threshold: 3,
            cooldown: Duration::from_secs(30),
            max_cooldown: Duration::from_secs(30 * 60),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct BreakerState {
    version: i64,
    consecutive_failures: i64,
    open_until: Option<i64>,
    opens: i64,
    probing: bool,
    /// The database already says OK (no write needed on a success).
    reported_ok: bool,
    /// Attempts admitted and not yet reported.
    in_flight: u32,
    /// The persisted `circuit_open_until` last seen in a loaded copy: another process's opening is adopted
    /// once, when it shows up, not again from a stale copy after this process closed the circuit.
    seen_persisted: Option<i64>,
}

/// What the breaker says about the next email for a sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go ahead.
    Go,
    /// Cooled down: this email is the one probe.
    Probe,
    /// Open: skip the sender (until the given instant, epoch ms).
    Skip { until: i64 },
    /// Not open yet, but an attempt just failed while others are still out: wait for their verdict through the
    /// platform rather than queue more emails behind what may be a dead server.
    Hold,
}

/// A change worth recording in the database (health) and, for `Opened`, telling the admins about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    None,
    Recovered,
    Failed { opened: bool },
}

/// Per-sender circuit breakers of this process (seeded from, and reported to, the database).
#[derive(Default)]
pub struct Breakers {
    settings: BreakerSettings,
    states: Mutex<HashMap<i64, BreakerState>>,
}

impl Breakers {
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, sender: &SenderConfig, f: impl FnOnce(&mut BreakerState) -> T) -> T {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let state = states.entry(sender.id).or_default();
        if state.version != sender.version {
            // New settings start closed; otherwise adopt what another process recorded if it is stricter.
            *state = BreakerState {
                version: sender.version,
                consecutive_failures: sender.consecutive_failures,
                open_until: sender.circuit_open_until,
                opens: sender.circuit_opens,
                probing: false,
                reported_ok: sender.health_status == "OK",
                // Attempts of the old settings report against these; starting at zero keeps them harmless.
                in_flight: 0,
                seen_persisted: sender.circuit_open_until,
            };
        } else if sender.circuit_open_until != state.seen_persisted {
            state.seen_persisted = sender.circuit_open_until;
            if sender.circuit_open_until > state.open_until && !state.probing {
                state.open_until = sender.circuit_open_until;
                state.opens = state.opens.max(sender.circuit_opens);
            }
        }
        f(state)
    }

    /// Whether the next email may try the sender. Counting attempts in flight matters with concurrent sends:
    /// when a black-holed server makes the first of eight parallel emails time out, the next one must not be
    /// admitted before the other seven have reported (each admission would cost another full timeout).
    pub fn admit(&self, sender: &SenderConfig, now: i64) -> Admission {
        self.with(sender, |s| match s.open_until {
            None if s.consecutive_failures > 0 && s.in_flight > 0 => Admission::Hold,
            None => {
                s.in_flight += 1;
                Admission::Go
            }
            Some(until) if now < until => Admission::Skip { until },
            Some(until) if s.probing => Admission::Skip { until },
            Some(_) => {
                s.probing = true;
                s.in_flight += 1;
                Admission::Probe
            }
        })
    }

    pub fn success(&self, sender: &SenderConfig) -> (Transition, Health) {
        self.with(sender, |s| {
            let changed = !s.reported_ok || s.consecutive_failures > 0 || s.open_until.is_some();
            *s = BreakerState {
                version: s.version,
                reported_ok: true,
                seen_persisted: s.seen_persisted,
                in_flight: s.in_flight.saturating_sub(1),
                ..BreakerState::default()
            };
            let transition = if changed {
                Transition::Recovered
            } else {
                Transition::None
            };
            (transition, health_of(s, "OK", None))
        })
    }

    /// Counts a failure of an email admitted as `admission`. A failed probe reopens the circuit for twice as
    /// long; otherwise the circuit opens when the failures in a row reach the threshold. Emails that were
    /// already in flight when it opened only add to the count.
    pub fn failure(
        &self,
        sender: &SenderConfig,
        admission: Admission,
        now: i64,
        auth: bool,
        error: &str,
    ) -> (Transition, Health) {
        let settings = self.settings;
        self.with(sender, |s| {
            s.in_flight = s.in_flight.saturating_sub(1);
            s.consecutive_failures += 1;
            s.reported_ok = false;
            let open = |s: &mut BreakerState| {
                let factor = 2u32.saturating_pow(u32::try_from(s.opens.clamp(0, 20)).unwrap_or(20));
                let cooldown = settings.cooldown.saturating_mul(factor).min(settings.max_cooldown);
                s.opens += 1;
                s.open_until = Some(now.saturating_add(i64::try_from(cooldown.as_millis()).unwrap_or(i64::MAX)));
            };
            let mut opened_now = false;
            if admission == Admission::Probe {
                s.probing = false;
                open(s);
            } else if s.open_until.is_none() && s.consecutive_failures >= settings.threshold {
                open(s);
                opened_now = true;
            }
            let status = if auth { "AUTH_FAILED" } else { "FAILING" };
            (
                Transition::Failed { opened: opened_now },
                health_of(s, status, Some(error)),
            )
        })
    }
}

fn health_of(s: &BreakerState, status: &'static str, error: Option<&str>) -> Health {
    let now = convene_store::now_ms();
    let failed = error.is_some();
    Health {
        status,
        last_error: error.map(str::to_owned),
        success_at: (!failed).then_some(now),
        failure_at: failed.then_some(now),
        tested_at: None,
        consecutive_failures: s.consecutive_failures,
        circuit_open_until: s.open_until,
        circuit_opens: s.opens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> SenderConfig {
        SenderConfig {
            id: 1,
            organization_id: 1,
            version: 1,
            from_email: "a@example.com".into(),
            from_name: "A".into(),
            smtp: None,
            api: None,
            health_status: "OK".into(),
            circuit_open_until: None,
            consecutive_failures: 0,
            circuit_opens: 0,
        }
    }

    #[test]
    fn parallel_attempts_report_before_more_are_admitted_after_a_failure() {
        let breakers = Breakers::new(BreakerSettings::default());
        let s = sender();
        let admitted: Vec<_> = (0..8).map(|_| breakers.admit(&s, 0)).collect();
        assert!(admitted.iter().all(|a| *a == Admission::Go));
        breakers.failure(&s, Admission::Go, 10_000, false, "GREETING: no answer");
        assert_eq!(breakers.admit(&s, 10_001), Admission::Hold, "seven still out");
        for _ in 0..7 {
            breakers.failure(&s, Admission::Go, 10_002, false, "GREETING: no answer");
        }
        assert!(
            matches!(breakers.admit(&s, 10_003), Admission::Skip { .. }),
            "open after the threshold"
        );
    }

    #[test]
    fn one_at_a_time_the_threshold_decides_and_a_success_closes() {
        let breakers = Breakers::new(BreakerSettings::default());
        let s = sender();
        for _ in 0..2 {
            assert_eq!(breakers.admit(&s, 0), Admission::Go);
            breakers.failure(&s, Admission::Go, 0, false, "x");
        }
        assert_eq!(
            breakers.admit(&s, 0),
            Admission::Go,
            "below the threshold a lone email still tries"
        );
        breakers.success(&s);
        assert_eq!(breakers.admit(&s, 0), Admission::Go);
        assert_eq!(
            breakers.admit(&s, 0),
            Admission::Go,
            "no failure: parallel attempts are fine"
        );
    }
}
