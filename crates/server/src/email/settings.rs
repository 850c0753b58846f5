//! How the platform sends email: the default transport (from a URL), the From address, timeouts, the worker's
//! pace, the retry schedule and the circuit breaker.

pub use super::smtp::{Credentials, Security, SmtpServer, SmtpTimeouts};

use super::host_guard::HostPolicy;
use super::sms::SmsSettings;
use super::smtp::TlsTrust;
use crate::retry::RetryPolicy;
use convene_core::{EmailAddress, HeaderText};
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Instance-wide email settings.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// Where the platform's own emails go (and every organization's without a sender of its own).
    pub transport: TransportConfig,
    /// The platform's From.
    pub from_email: EmailAddress,
    pub from_name: HeaderText,
    /// Certificates trusted: the public roots plus the instance's extra CA (a self-signed relay) — never
    /// "accept anything".
    pub trust: TlsTrust,
    /// Concurrent SMTP connections per route; also how many emails a worker sends at once.
    pub connections: usize,
    /// How many of those may be emails of one organization sender at once, so a sender whose server stops
    /// answering cannot hold every connection; the platform's and other senders' emails keep the rest.
    pub per_sender_connections: usize,
    pub timeouts: SmtpTimeouts,
    /// The name this server gives in EHLO and the domain part of Message-IDs.
    pub hello_name: String,
    /// How long a claimed email stays reserved for its worker. A live worker renews it every third of the lease
    /// for as long as the email is being sent; a worker that died loses its emails to the others when it runs
    /// out (a worker restarted under the same name takes them back at once).
    pub lease: Duration,
    /// How long the worker idles when nothing is due.
    pub poll_interval: Duration,
    pub retry: RetryPolicy,
    /// Base of links in emails (the web pages), e.g. `https://cal.example.com`.
    pub public_url: String,
    /// Where organizations' SMTP servers may be (public only, plus networks the instance allows).
    pub host_policy: Arc<HostPolicy>,
    /// Let every organization use its own senders without the `custom-smtp` feature flag.
    pub custom_smtp_for_all: bool,
    /// Provider API bases (overridable for regional endpoints and for tests).
    pub sendgrid_api_url: String,
    pub sparkpost_api_url: String,
    pub breaker: BreakerSettings,
    /// A test connection or test email answers within this, whatever the server does.
    pub test_timeout: Duration,
    /// How long the worker trusts its cached copy of an organization's senders.
    pub sender_cache_ttl: Duration,
    /// The Twilio account workflow text messages (SMS, WhatsApp) go through; none by default.
    pub sms: Option<SmsSettings>,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            transport: TransportConfig::Log,
            from_email: EmailAddress::parse("from_email", "convene@localhost.localdomain")
                .unwrap_or_else(|_| unreachable!("a valid literal address")),
            from_name: HeaderText::parse("from_name", "convene").unwrap_or_else(|_| unreachable!("a valid name")),
            trust: TlsTrust::new(None).unwrap_or_else(|e| unreachable!("the public roots alone: {e}")),
            connections: 8,
            per_sender_connections: 4,
            timeouts: SmtpTimeouts::default(),
            hello_name: "localhost".to_owned(),
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(200),
            retry: RetryPolicy::default(),
            public_url: "http://127.0.0.1:3000".to_owned(),
            host_policy: Arc::new(HostPolicy::default()),
            custom_smtp_for_all: false,
            sendgrid_api_url: "https://api.sendgrid.com".to_owned(),
            sparkpost_api_url: "https://api.sparkpost.com".to_owned(),
            breaker: BreakerSettings::default(),
            test_timeout: Duration::from_secs(15),
            sender_cache_ttl: Duration::from_secs(2),
            sms: None,
        }
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

/// The platform's default transport.
#[derive(Debug, Clone)]
pub enum TransportConfig {
    Smtp(SmtpServer),
    /// `.eml` files in a folder (the zero-configuration default).
    File(PathBuf),
    /// Written to the log only (development).
    Log,
}

impl TransportConfig {
    /// Parses the transport URL: `smtp://user:pass@host:587` (STARTTLS required), `smtps://…:465` (implicit
    /// TLS), `smtp+insecure://host:25` (no TLS, for a local relay), `file:///path` or `file://relative/path`
    /// (spool folder), or `log`. Errors name `setting`.
    pub fn parse(setting: &str, raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw == "log" || raw == "log://" {
            return Ok(TransportConfig::Log);
        }
        if let Some(path) = raw.strip_prefix("file://") {
            if path.is_empty() {
                return Err(format!(
                    "{setting}: file:// needs a folder, e.g. file://./convene-data/mail"
                ));
            }
            return Ok(TransportConfig::File(PathBuf::from(path)));
        }
        let url = Url::parse(raw).map_err(|e| format!("{setting}: not a URL ({e})"))?;
        let (security, default_port) = match url.scheme() {
            "smtp" => (Security::StartTls, 587),
            "smtps" => (Security::ImplicitTls, 465),
            "smtp+insecure" => (Security::Plain, 25),
            other => {
                return Err(format!(
                    "{setting}: unknown scheme {other:?}; use smtp://, smtps://, smtp+insecure://, file:// or log"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{setting}: the URL has no host"))?;
        // IPv6 literals come bracketed; the socket and TLS layers want them bare.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| format!("{setting}: the user name or password is not valid UTF-8"))
        };
        let credentials = if url.username().is_empty() {
            None
        } else {
            Some(Credentials {
                username: decode(url.username())?,
                password: SecretString::from(decode(url.password().unwrap_or_default())?),
            })
        };
        Ok(TransportConfig::Smtp(SmtpServer {
            host,
            port: url.port().unwrap_or(default_port),
            security,
            credentials,
        }))
    }

    /// How the log and the delivery log name this transport; never includes credentials.
    pub fn describe(&self) -> String {
        match self {
            TransportConfig::Smtp(s) => {
                let scheme = match s.security {
                    Security::ImplicitTls => "smtps",
                    Security::StartTls => "smtp",
                    Security::Plain => "smtp+insecure",
                };
                format!("{scheme}://{}:{}", s.host, s.port)
            }
            TransportConfig::File(path) => format!("file://{}", path.display()),
            TransportConfig::Log => "log".to_owned(),
        }
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn smtp(raw: &str) -> SmtpServer {
        match TransportConfig::parse("email_transport", raw) {
            Ok(TransportConfig::Smtp(s)) => s,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn schemes_choose_security_and_default_ports() {
        let s = smtp("smtp://mail.example.com");
        assert_eq!((s.security, s.port), (Security::StartTls, 587));
        let s = smtp("smtps://mail.example.com");
        assert_eq!((s.security, s.port), (Security::ImplicitTls, 465));
        let s = smtp("smtp+insecure://127.0.0.1:2525");
        assert_eq!(
            (s.security, s.port, s.host.as_str()),
            (Security::Plain, 2525, "127.0.0.1")
        );
        let s = smtp("smtp://[::1]:25");
        assert_eq!(s.host, "::1");
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let s = smtp("smtp://ada%40example.com:p%3Ass%2Fw@mail.example.com:587");
        let c = s.credentials.expect("credentials");
        assert_eq!(c.username, "ada@example.com");
        assert_eq!(c.password.expose_secret(), "p:ss/w");
        assert!(
            !TransportConfig::Smtp(smtp("smtp://u:secret@h"))
                .describe()
                .contains("secret")
        );
    }

    #[test]
    fn file_log_and_bad_urls() {
        assert!(matches!(
            TransportConfig::parse("t", "file://./convene-data/mail"),
            Ok(TransportConfig::File(p)) if p == std::path::Path::new("./convene-data/mail")
        ));
        assert!(matches!(TransportConfig::parse("t", "log"), Ok(TransportConfig::Log)));
        for bad in ["http://x", "smtp://", "nonsense", "file://"] {
            let e = TransportConfig::parse("email_transport", bad).expect_err(bad);
            assert!(e.starts_with("email_transport"), "{e}");
        }
    }
}
