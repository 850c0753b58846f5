//! Configuration: defaults, then an optional TOML file, then `CONVENE_…` environment variables.
//! Validated once at start; every message names the setting (file key and variable).

use anyhow::{Context, bail};
use convene_core::rate::Rate;
use convene_core::{EmailAddress, HeaderText};
use convene_server::RetryPolicy;
use convene_server::calendars::{CalendarSettings, OAuthProvider};
use convene_server::email::host_guard::HostPolicy;
use convene_server::email::sms::{self, SmsSettings};
use convene_server::email::smtp::TlsTrust;
use convene_server::email::{EmailSettings, SmtpTimeouts, TransportConfig};
use convene_server::limits::{LimitSettings, LimitStore, TrustedProxies};
use convene_server::scheduling::slot_work::SlotWorkSettings;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variables with the prefix that are not settings.
/// (`CONVENE_LOG` is the log filter, read by the logger itself; the other two are for the CLI and tests.)
const NOT_SETTINGS: [&str; 3] = ["CONFIG", "LOG", "TEST_DATABASE_URL"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite file (and, later, the mail spool and generated keys).
    pub data_dir: PathBuf,
    /// `postgres://…` to share one database between processes; SQLite in `data_dir` when unset.
    pub database_url: Option<SecretString>,
    /// First-start instance admin; a generated password is printed when unset.
    pub admin_email: Option<String>,
    pub admin_password: Option<SecretString>,
    /// Requests per minute per API key.
    pub rate_limit_per_minute: u32,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// `Secure` flag on session cookies; turn off only behind plain HTTP on a non-localhost name.
    pub secure_cookies: bool,
    /// `open`: anyone may make an account at `/auth/signup`; `invitation` (default): people join when an
    /// organization's or team's admin invites them.
    pub signup: String,
    /// `pretty` or `json`.
    pub log_format: String,
    /// Keys that encrypt stored secrets, `kid:base64(32 bytes)`, the first active. The environment variable
    /// takes them comma-separated. When empty on SQLite, a key is generated into `data_dir`.
    #[serde(default, deserialize_with = "comma_separated")]
    pub encryption_keys: Vec<SecretString>,
    /// Let webhooks reach loopback, private and link-local addresses (self-hosted receivers).
    pub allow_private_webhook_targets: bool,
    /// The platform's email transport: `smtp://user:pass@host:587` (STARTTLS required), `smtps://…:465`
    /// (implicit TLS), `smtp+insecure://host:25` (a local relay, no TLS), `file://folder` or `log`.
    /// Default: `.eml` files in `data_dir/mail`.
    pub email_transport: Option<SecretString>,
    /// From address and name of the platform's emails.
    pub email_from: String,
    pub email_from_name: String,
    /// PEM file of extra CA certificates to trust for SMTP (a self-signed relay).
    pub email_ca_file: Option<PathBuf>,
    /// Concurrent SMTP connections per route (and emails in flight per worker).
    pub email_connections: usize,
    /// How many of those one organization sender may take (default: half of `email_connections`).
    pub email_connections_per_sender: Option<usize>,
    /// Seconds a claimed email stays reserved for its worker (renewed while it is being sent).
    pub email_lease_secs: u64,
    /// Seconds a stopping process lets emails and webhook deliveries in flight finish before giving them back.
    pub shutdown_grace_secs: u64,
    /// Seconds between background reads of the selected external calendars (how soon an event added in a host's
    /// calendar blocks slots).
    pub calendar_refresh_secs: u64,
    /// Google Calendar's OAuth client (console.cloud.google.com → Credentials; redirect URI
    /// `{public_url}/v2/calendars/google/save`). Both or neither.
    pub google_client_id: Option<String>,
    pub google_client_secret: Option<SecretString>,
    /// Google's addresses, for a proxy or a test fake (default: Google's documented ones).
    pub google_authorize_url: Option<String>,
    pub google_token_url: Option<String>,
    pub google_api_url: Option<String>,
    /// Microsoft 365 / Outlook's OAuth client (Microsoft Entra app registration; redirect URI
    /// `{public_url}/v2/calendars/office365/save`). Both or neither.
    pub microsoft_client_id: Option<String>,
    pub microsoft_client_secret: Option<SecretString>,
    /// Microsoft's addresses (a single tenant, a national cloud, a test fake).
    pub microsoft_authorize_url: Option<String>,
    pub microsoft_token_url: Option<String>,
    pub microsoft_graph_url: Option<String>,
    /// The Twilio account workflow text messages go through (console.twilio.com → Account info). SID and token
    /// both or neither; SMS actions need `twilio_from_number`, WhatsApp actions `twilio_whatsapp_from` (E.164).
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<SecretString>,
    pub twilio_from_number: Option<String>,
    pub twilio_whatsapp_from: Option<String>,
    /// The name this process's workers claim under; default `<host>:<data_dir>`. A slot number is added (`#1`,
    /// `#2`…) so processes started from one data folder never share a name.
    pub worker_id: Option<String>,
    /// How long an email is retried before it is marked failed.
    pub email_retry_hours: u64,
    /// Seconds allowed for an SMTP connect and for the greeting.
    pub smtp_connect_timeout_secs: u64,
    pub smtp_greeting_timeout_secs: u64,
    /// Name given in EHLO and used in Message-IDs.
    pub hostname: String,
    /// Base URL of this server as users reach it (links in emails).
    pub public_url: Option<String>,
    /// Private networks organizations' SMTP hosts may be in (CIDRs, e.g. `10.0.0.0/8`); none by default.
    #[serde(default, deserialize_with = "comma_separated_plain")]
    pub smtp_allowed_private_networks: Vec<String>,
    /// Let every organization use its own senders without the custom-smtp feature flag.
    pub custom_smtp_for_all_organizations: bool,
    /// Provider API bases (e.g. SparkPost's EU endpoint).
    pub sendgrid_api_url: String,
    pub sparkpost_api_url: String,
    /// Proxies (CIDRs) whose `X-Forwarded-For` names the client; none by default (the socket's peer is the client).
    #[serde(default, deserialize_with = "comma_separated_plain")]
    pub trusted_proxies: Vec<String>,
    /// Where limits keep their counts: `auto` (the database on PostgreSQL, memory on SQLite), `memory`, `database`.
    pub limit_store: String,
    /// Limits for callers without an API key, per client address (rates like `30/hour`, `5/15m`).
    pub limit_slots_per_address: String,
    pub limit_bookings_per_address: String,
    pub limit_reservations_per_address: String,
    /// Anonymous bookings per address they email (attendee or guest), and per event type.
    pub limit_bookings_per_attendee_email: String,
    pub limit_bookings_per_event_type: String,
    /// Failed sign-ins per client address, and per account from one client address.
    pub limit_sign_in_failures_per_address: String,
    pub limit_sign_in_failures_per_account_and_address: String,
    /// Password reset requests per client address and per address asked about.
    pub limit_password_resets_per_address: String,
    pub limit_password_resets_per_email: String,
    /// Verification and email-change codes per client address and per user and address.
    pub limit_verification_codes_per_address: String,
    pub limit_verification_codes_per_email: String,
    /// Candidate slot starts (window ÷ step) one host's `GET /v2/slots` answer may walk.
    pub slots_max_starts_per_answer: u32,
    /// Candidate slot starts all slot listings computing at once may walk together.
    pub slots_max_starts_in_flight: u32,
    /// Milliseconds a slot listing may wait for room before 503.
    pub slots_queue_wait_ms: u64,
}

/// Defaults, as a serializable twin of [`Config`] (figment merges on top of it).
#[derive(Serialize)]
struct Defaults {
    listen: &'static str,
    data_dir: &'static str,
    rate_limit_per_minute: u32,
    max_body_bytes: usize,
    secure_cookies: bool,
    signup: &'static str,
    log_format: &'static str,
    allow_private_webhook_targets: bool,
    email_from: &'static str,
    email_from_name: &'static str,
    email_connections: usize,
    email_lease_secs: u64,
    shutdown_grace_secs: u64,
    calendar_refresh_secs: u64,
    email_retry_hours: u64,
    smtp_connect_timeout_secs: u64,
    smtp_greeting_timeout_secs: u64,
    hostname: &'static str,
    custom_smtp_for_all_organizations: bool,
    sendgrid_api_url: &'static str,
    sparkpost_api_url: &'static str,
    limit_store: &'static str,
    limit_slots_per_address: String,
    limit_bookings_per_address: String,
    limit_reservations_per_address: String,
    limit_bookings_per_attendee_email: String,
    limit_bookings_per_event_type: String,
    limit_sign_in_failures_per_address: String,
    limit_sign_in_failures_per_account_and_address: String,
    limit_password_resets_per_address: String,
    limit_password_resets_per_email: String,
    limit_verification_codes_per_address: String,
    limit_verification_codes_per_email: String,
    slots_max_starts_per_answer: u32,
    slots_max_starts_in_flight: u32,
    slots_queue_wait_ms: u64,
}

impl Config {
    /// Loads from `file` (or `convene.toml` in the working folder when it exists) and the
    /// environment, then validates.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let limits = LimitSettings::default();
        let slot_work = SlotWorkSettings::default();
        let defaults = Defaults {
            listen: "127.0.0.1:3000",
            data_dir: "./convene-data",
            rate_limit_per_minute: 120,
            max_body_bytes: 1024 * 1024,
            secure_cookies: true,
            signup: "invitation",
            log_format: "pretty",
            allow_private_webhook_targets: false,
            email_from: "convene@localhost.localdomain",
            email_from_name: "convene",
            email_connections: 8,
            email_lease_secs: 30,
            shutdown_grace_secs: 10,
            calendar_refresh_secs: 60,
            email_retry_hours: 24,
            smtp_connect_timeout_secs: 5,
            smtp_greeting_timeout_secs: 10,
            hostname: "localhost",
            custom_smtp_for_all_organizations: false,
            sendgrid_api_url: "https://api.sendgrid.com",
            sparkpost_api_url: "https://api.sparkpost.com",
            limit_store: "auto",
            limit_slots_per_address: limits.slots_per_address.to_string(),
            limit_bookings_per_address: limits.bookings_per_address.to_string(),
            limit_reservations_per_address: limits.reservations_per_address.to_string(),
            limit_bookings_per_attendee_email: limits.bookings_per_attendee_email.to_string(),
            limit_bookings_per_event_type: limits.bookings_per_event_type.to_string(),
            limit_sign_in_failures_per_address: limits.sign_in_failures_per_address.to_string(),
            limit_sign_in_failures_per_account_and_address: limits.sign_in_failures_per_account_and_address.to_string(),
            limit_password_resets_per_address: limits.password_resets_per_address.to_string(),
            limit_password_resets_per_email: limits.password_resets_per_email.to_string(),
            limit_verification_codes_per_address: limits.verification_codes_per_address.to_string(),
            limit_verification_codes_per_email: limits.verification_codes_per_email.to_string(),
            slots_max_starts_per_answer: slot_work.max_starts_per_answer,
            slots_max_starts_in_flight: slot_work.max_starts_in_flight,
            slots_queue_wait_ms: u64::try_from(slot_work.queue_wait.as_millis()).unwrap_or(u64::MAX),
        };
        let mut figment = Figment::from(Serialized::defaults(defaults));
        match file {
            Some(path) => {
                if !path.is_file() {
                    bail!("config file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None if Path::new("convene.toml").is_file() => figment = figment.merge(Toml::file("convene.toml")),
            None => {}
        }
        figment = figment.merge(Env::prefixed("CONVENE_").ignore(&NOT_SETTINGS));
        let config: Config = figment.extract().map_err(|e| {
            let messages: Vec<String> = e.into_iter().map(|e| describe(&e)).collect();
            anyhow::anyhow!("invalid configuration: {}", messages.join("; "))
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.rate_limit_per_minute == 0 {
            bail!("rate_limit_per_minute (CONVENE_RATE_LIMIT_PER_MINUTE) must be at least 1");
        }
        if self.max_body_bytes < 1024 {
            bail!("max_body_bytes (CONVENE_MAX_BODY_BYTES) must be at least 1024");
        }
        if !matches!(self.signup.as_str(), "open" | "invitation") {
            bail!(
                "signup (CONVENE_SIGNUP) must be \"open\" or \"invitation\", not {:?}",
                self.signup
            );
        }
        if !matches!(self.log_format.as_str(), "pretty" | "json") {
            bail!(
                "log_format (CONVENE_LOG_FORMAT) must be \"pretty\" or \"json\", not {:?}",
                self.log_format
            );
        }
        if let Some(url) = &self.database_url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite://")) {
                bail!("database_url (CONVENE_DATABASE_URL) must start with postgres:// or sqlite://");
            }
        }
        if let Some(email) = &self.admin_email {
            EmailAddress::parse("admin_email (CONVENE_ADMIN_EMAIL)", email).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        if let Some(password) = &self.admin_password
            && password.expose_secret().chars().count() < 8
        {
            bail!("admin_password (CONVENE_ADMIN_PASSWORD) must be at least 8 characters");
        }
        self.email_settings()?;
        self.limit_settings()?;
        self.slot_work()?;
        if !(5..=86_400).contains(&self.calendar_refresh_secs) {
            bail!("calendar_refresh_secs (CONVENE_CALENDAR_REFRESH_SECS) must be between 5 and 86400");
        }
        if self.shutdown_grace_secs > 3600 {
            bail!("shutdown_grace_secs (CONVENE_SHUTDOWN_GRACE_SECS) must be at most 3600");
        }
        if let Some(id) = &self.worker_id
            && (id.is_empty() || id.len() > 200 || id.chars().any(char::is_control))
        {
            bail!("worker_id (CONVENE_WORKER_ID) must be 1 to 200 characters without control characters");
        }
        Ok(())
    }

    /// The bounds on slot listings, validated.
    pub fn slot_work(&self) -> anyhow::Result<SlotWorkSettings> {
        if self.slots_max_starts_per_answer == 0 {
            bail!("slots_max_starts_per_answer (CONVENE_SLOTS_MAX_STARTS_PER_ANSWER) must be at least 1");
        }
        if self.slots_max_starts_in_flight < self.slots_max_starts_per_answer {
            bail!(
                "slots_max_starts_in_flight (CONVENE_SLOTS_MAX_STARTS_IN_FLIGHT) must be at least \
                 slots_max_starts_per_answer ({})",
                self.slots_max_starts_per_answer
            );
        }
        if self.slots_queue_wait_ms > 60_000 {
            bail!("slots_queue_wait_ms (CONVENE_SLOTS_QUEUE_WAIT_MS) must be at most 60000");
        }
        Ok(SlotWorkSettings {
            max_starts_per_answer: self.slots_max_starts_per_answer,
            max_starts_in_flight: self.slots_max_starts_in_flight,
            queue_wait: Duration::from_millis(self.slots_queue_wait_ms),
        })
    }

    /// How long a stopping process lets work in flight finish.
    /// Calendar settings: the refresh interval, and the same address rules as SMTP hosts (its allowed private
    /// networks are the instance's one allowlist for outbound connections to servers users name).
    pub fn calendar_settings(&self, email: &EmailSettings) -> anyhow::Result<CalendarSettings> {
        Ok(CalendarSettings {
            host_policy: email.host_policy.clone(),
            refresh_interval: Duration::from_secs(self.calendar_refresh_secs),
            google: oauth_provider(
                "google",
                self.google_client_id.as_ref(),
                self.google_client_secret.as_ref(),
                [&self.google_authorize_url, &self.google_token_url, &self.google_api_url],
                OAuthProvider::google,
            )?,
            microsoft: oauth_provider(
                "microsoft",
                self.microsoft_client_id.as_ref(),
                self.microsoft_client_secret.as_ref(),
                [
                    &self.microsoft_authorize_url,
                    &self.microsoft_token_url,
                    &self.microsoft_graph_url,
                ],
                OAuthProvider::microsoft,
            )?,
            public_url: email.public_url.clone(),
            ..CalendarSettings::default()
        })
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// The limits on callers and the trusted proxies, validated.
    pub fn limit_settings(&self) -> anyhow::Result<LimitSettings> {
        let mut proxies = Vec::new();
        for net in &self.trusted_proxies {
            // A bare address is a network of one.
            let parsed = net
                .parse::<ipnet::IpNet>()
                .or_else(|_| net.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
            proxies.push(parsed.map_err(|_| {
                anyhow::anyhow!(
                    "trusted_proxies (CONVENE_TRUSTED_PROXIES): {net:?} is not an address or a network like \
                     10.0.0.0/8"
                )
            })?);
        }
        let store = LimitStore::parse(&self.limit_store).ok_or_else(|| {
            anyhow::anyhow!(
                "limit_store (CONVENE_LIMIT_STORE) must be \"auto\", \"memory\" or \"database\", not {:?}",
                self.limit_store
            )
        })?;
        let rate = |name: &str, raw: &str| {
            Rate::parse(&format!("{name} (CONVENE_{})", name.to_uppercase()), raw).map_err(|e| anyhow::anyhow!("{e}"))
        };
        Ok(LimitSettings {
            trusted_proxies: TrustedProxies::new(proxies),
            store,
            slots_per_address: rate("limit_slots_per_address", &self.limit_slots_per_address)?,
            bookings_per_address: rate("limit_bookings_per_address", &self.limit_bookings_per_address)?,
            reservations_per_address: rate("limit_reservations_per_address", &self.limit_reservations_per_address)?,
            bookings_per_attendee_email: rate(
                "limit_bookings_per_attendee_email",
                &self.limit_bookings_per_attendee_email,
            )?,
            bookings_per_event_type: rate("limit_bookings_per_event_type", &self.limit_bookings_per_event_type)?,
            sign_in_failures_per_address: rate(
                "limit_sign_in_failures_per_address",
                &self.limit_sign_in_failures_per_address,
            )?,
            sign_in_failures_per_account_and_address: rate(
                "limit_sign_in_failures_per_account_and_address",
                &self.limit_sign_in_failures_per_account_and_address,
            )?,
            password_resets_per_address: rate(
                "limit_password_resets_per_address",
                &self.limit_password_resets_per_address,
            )?,
            password_resets_per_email: rate("limit_password_resets_per_email", &self.limit_password_resets_per_email)?,
            verification_codes_per_address: rate(
                "limit_verification_codes_per_address",
                &self.limit_verification_codes_per_address,
            )?,
            verification_codes_per_email: rate(
                "limit_verification_codes_per_email",
                &self.limit_verification_codes_per_email,
            )?,
        })
    }

    /// The email settings, validated: transport URL, From, CA file, limits.
    pub fn email_settings(&self) -> anyhow::Result<EmailSettings> {
        let transport = match &self.email_transport {
            Some(url) => TransportConfig::parse("email_transport (CONVENE_EMAIL_TRANSPORT)", url.expose_secret())
                .map_err(|e| anyhow::anyhow!(e))?,
            None => TransportConfig::File(self.data_dir.join("mail")),
        };
        let from_email = EmailAddress::parse("email_from (CONVENE_EMAIL_FROM)", &self.email_from)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let from_name = HeaderText::parse("email_from_name (CONVENE_EMAIL_FROM_NAME)", &self.email_from_name)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let trust = match &self.email_ca_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .with_context(|| format!("reading email_ca_file (CONVENE_EMAIL_CA_FILE) {}", path.display()))?;
                TlsTrust::new(Some(&pem)).map_err(|e| anyhow::anyhow!("email_ca_file (CONVENE_EMAIL_CA_FILE): {e}"))?
            }
            None => TlsTrust::new(None).map_err(|e| anyhow::anyhow!(e))?,
        };
        if !(1..=256).contains(&self.email_connections) {
            bail!("email_connections (CONVENE_EMAIL_CONNECTIONS) must be between 1 and 256");
        }
        let per_sender = self
            .email_connections_per_sender
            .unwrap_or_else(|| self.email_connections.div_ceil(2));
        if !(1..=self.email_connections).contains(&per_sender) {
            bail!(
                "email_connections_per_sender (CONVENE_EMAIL_CONNECTIONS_PER_SENDER) must be between 1 and \
                 email_connections ({})",
                self.email_connections
            );
        }
        if !(2..=3600).contains(&self.email_lease_secs) {
            bail!("email_lease_secs (CONVENE_EMAIL_LEASE_SECS) must be between 2 and 3600");
        }
        if self.email_retry_hours == 0 {
            bail!("email_retry_hours (CONVENE_EMAIL_RETRY_HOURS) must be at least 1");
        }
        for (value, name) in [
            (
                self.smtp_connect_timeout_secs,
                "smtp_connect_timeout_secs (CONVENE_SMTP_CONNECT_TIMEOUT_SECS)",
            ),
            (
                self.smtp_greeting_timeout_secs,
                "smtp_greeting_timeout_secs (CONVENE_SMTP_GREETING_TIMEOUT_SECS)",
            ),
        ] {
            if !(1..=300).contains(&value) {
                bail!("{name} must be between 1 and 300");
            }
        }
        if self.hostname.is_empty()
            || !self
                .hostname
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        {
            bail!("hostname (CONVENE_HOSTNAME) must be a host name (letters, digits, dots and dashes)");
        }
        let mut allowed_private = Vec::new();
        for net in &self.smtp_allowed_private_networks {
            allowed_private.push(net.parse::<ipnet::IpNet>().map_err(|_| {
                anyhow::anyhow!(
                    "smtp_allowed_private_networks (CONVENE_SMTP_ALLOWED_PRIVATE_NETWORKS): {net:?} is not a network \
                     like 10.0.0.0/8"
                )
            })?);
        }
        for (url, name) in [
            (&self.sendgrid_api_url, "sendgrid_api_url (CONVENE_SENDGRID_API_URL)"),
            (&self.sparkpost_api_url, "sparkpost_api_url (CONVENE_SPARKPOST_API_URL)"),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("{name} must be an http(s) URL");
            }
        }
        let defaults = EmailSettings::default();
        Ok(EmailSettings {
            transport,
            from_email,
            from_name,
            trust,
            connections: self.email_connections,
            per_sender_connections: per_sender,
            lease: Duration::from_secs(self.email_lease_secs),
            timeouts: SmtpTimeouts {
                connect: Duration::from_secs(self.smtp_connect_timeout_secs),
                greeting: Duration::from_secs(self.smtp_greeting_timeout_secs),
                ..SmtpTimeouts::default()
            },
            hello_name: self.hostname.clone(),
            retry: RetryPolicy {
                give_up_after: Duration::from_secs(self.email_retry_hours * 3600),
                ..RetryPolicy::default()
            },
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen))
                .trim_end_matches('/')
                .to_owned(),
            host_policy: std::sync::Arc::new(HostPolicy {
                allowed_private,
                ..HostPolicy::default()
            }),
            custom_smtp_for_all: self.custom_smtp_for_all_organizations,
            sendgrid_api_url: self.sendgrid_api_url.trim_end_matches('/').to_owned(),
            sparkpost_api_url: self.sparkpost_api_url.trim_end_matches('/').to_owned(),
            sms: self.sms_settings()?,
            ..defaults
        })
    }

    /// The Twilio account, validated: SID and token together, senders as E.164 numbers.
    fn sms_settings(&self) -> anyhow::Result<Option<SmsSettings>> {
        let sid = self
            .twilio_account_sid
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let token = self
            .twilio_auth_token
            .as_ref()
            .filter(|t| !t.expose_secret().is_empty());
        let (sid, token) = match (sid, token) {
            (None, None) => {
                if self.twilio_from_number.is_some() || self.twilio_whatsapp_from.is_some() {
                    bail!(
                        "twilio_from_number / twilio_whatsapp_from need twilio_account_sid and twilio_auth_token \
                         (CONVENE_TWILIO_ACCOUNT_SID / CONVENE_TWILIO_AUTH_TOKEN)"
                    );
                }
                return Ok(None);
            }
            (Some(sid), Some(token)) => (sid, token),
            _ => bail!(
                "twilio_account_sid and twilio_auth_token (CONVENE_TWILIO_ACCOUNT_SID / CONVENE_TWILIO_AUTH_TOKEN) \
                 must be set together"
            ),
        };
        if !sid.starts_with("AC") || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            bail!(
                "twilio_account_sid (CONVENE_TWILIO_ACCOUNT_SID) must be an account SID (AC followed by letters and digits)"
            );
        }
        let number = |raw: &Option<String>, name: &str| -> anyhow::Result<Option<String>> {
            raw.as_deref()
                .map(|n| {
                    sms::e164(n).with_context(|| {
                        format!(
                            "{name} (CONVENE_{}) must be a phone number like +14155550100",
                            name.to_uppercase()
                        )
                    })
                })
                .transpose()
        };
        Ok(Some(SmsSettings {
            account_sid: sid.to_owned(),
            auth_token: token.clone(),
            from_number: number(&self.twilio_from_number, "twilio_from_number")?,
            whatsapp_from: number(&self.twilio_whatsapp_from, "twilio_whatsapp_from")?,
            api_url: sms::TWILIO_API_URL.to_owned(),
        }))
    }

    /// Whether the database is a PostgreSQL server (shared by processes) rather than a local SQLite file.
    pub fn uses_postgres(&self) -> bool {
        self.database_url.as_ref().is_some_and(|url| {
            let url = url.expose_secret();
            url.starts_with("postgres://") || url.starts_with("postgresql://")
        })
    }

    pub fn rate_limit(&self) -> NonZeroU32 {
        NonZeroU32::new(self.rate_limit_per_minute).unwrap_or(NonZeroU32::MIN)
    }

    /// The database to open: the configured URL, or the SQLite file in `data_dir` (created).
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.expose_secret().to_owned());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating data_dir (CONVENE_DATA_DIR) {}", self.data_dir.display()))?;
        Ok(format!("sqlite://{}", self.data_dir.join("convene.db").display()))
    }
}

/// A list given as a TOML array, or as one comma-separated string (how it arrives from the environment).
fn comma_separated<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SecretString>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Entries {
        Joined(String),
        List(Vec<String>),
    }
    let entries = match Entries::deserialize(d)? {
        Entries::Joined(joined) => joined.split(',').map(str::to_owned).collect(),
        Entries::List(list) => list,
    };
    Ok(entries
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .map(SecretString::from)
        .collect())
}

/// A plain list given as a TOML array or one comma-separated string.
fn comma_separated_plain<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Entries {
        Joined(String),
        List(Vec<String>),
    }
    let entries = match Entries::deserialize(d)? {
        Entries::Joined(joined) => joined.split(',').map(str::to_owned).collect(),
        Entries::List(list) => list,
    };
    Ok(entries
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect())
}

/// One figment error as "setting (CONVENE_SETTING): problem".
fn describe(error: &figment::Error) -> String {
    let key = error.path.join(".").to_lowercase();
    if key.is_empty() {
        // Unknown keys have no path; figment's text names the key already.
        return format!("{}", error.kind).to_lowercase();
    }
    format!("{key} (CONVENE_{}): {}", key.to_uppercase(), error.kind)
}

/// One provider's OAuth client from its settings: id and secret both or neither; addresses overridden when given.
fn oauth_provider(
    name: &str,
    id: Option<&String>,
    secret: Option<&SecretString>,
    [authorize, token, api]: [&Option<String>; 3],
    documented: fn(String, SecretString) -> OAuthProvider,
) -> anyhow::Result<Option<OAuthProvider>> {
    let upper = name.to_ascii_uppercase();
    let (id, secret) = match (id.filter(|i| !i.trim().is_empty()), secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) if !secret.expose_secret().is_empty() => (id.trim().to_owned(), secret.clone()),
        _ => bail!(
            "{name}_client_id and {name}_client_secret (CONVENE_{upper}_CLIENT_ID / CONVENE_{upper}_CLIENT_SECRET) \
             must be set together"
        ),
    };
    let mut provider = documented(id, secret);
    let parse = |key: &str, raw: &str| -> anyhow::Result<url::Url> {
        url::Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .with_context(|| {
                format!(
                    "{name}_{key} (CONVENE_{upper}_{}) must be an http(s) URL",
                    key.to_ascii_uppercase()
                )
            })
    };
    let api_key = if name == "google" { "api_url" } else { "graph_url" };
    if let Some(raw) = authorize {
        provider.authorize_url = parse("authorize_url", raw)?;
    }
    if let Some(raw) = token {
        provider.token_url = parse("token_url", raw)?;
    }
    if let Some(raw) = api {
        let mut url = parse(api_key, raw)?;
        // A root without its final slash would lose its last segment when paths are joined onto it.
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        provider.api_base = url;
    }
    Ok(Some(provider))
}
