//! Text messages (SMS and WhatsApp) through Twilio's Messages API: `POST /2010-04-01/Accounts/{AccountSid}/
//! Messages.json`, form-encoded `To` / `From` / `Body`, HTTP basic auth with the account SID and auth token;
//! `201` with the message's `sid` and `status` when accepted, else Twilio's error JSON (`code`, `message`).
//! WhatsApp is the same call with `whatsapp:`-prefixed numbers.
//!
//! Workflow text messages are outbox rows like workflow emails (kinds `workflow_sms` / `workflow_whatsapp`, the
//! number in `to_email`, the text in `body_text`), so they are written with the booking, moved and cancelled with
//! it, claimed, retried and recorded by the same worker; only the way out differs. Twilio's answers are mapped onto
//! the SMTP-shaped [`DeliveryFailure`] the worker classifies: 429 and 5xx are tried again, other 4xx (an invalid
//! number, say) fail for good, 401/403 are the account's credentials.

use super::host_guard::{GuardedResolver, HostPolicy};
use super::outcome::{DeliveryFailure, ServerReply, Stage};
use convene_core::{OutboxKind, StepAction};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// Twilio's API, where the account's messages are sent.
pub const TWILIO_API_URL: &str = "https://api.twilio.com";

/// The instance's Twilio account.
#[derive(Clone)]
pub struct SmsSettings {
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The SMS sender (E.164, e.g. `+14155550100`); SMS actions need it.
    pub from_number: Option<String>,
    /// The WhatsApp sender (E.164, without the `whatsapp:` prefix); WhatsApp actions need it.
    pub whatsapp_from: Option<String>,
    /// Twilio's API base. Only tests point it elsewhere (the configuration has no key for it); the address is
    /// still checked against the instance's address rules.
    pub api_url: String,
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("account_sid", &self.account_sid)
            .field("from_number", &self.from_number)
            .field("whatsapp_from", &self.whatsapp_from)
            .finish_non_exhaustive()
    }
}

/// How a text message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    WhatsApp,
}

impl Channel {
    /// The outbox kind of the channel's workflow messages.
    pub fn kind(self) -> OutboxKind {
        match self {
            Channel::Sms => OutboxKind::Sms,
            Channel::WhatsApp => OutboxKind::WhatsApp,
        }
    }

    /// The channel an outbox row of `kind` travels on, if it is a text message.
    pub fn of_kind(kind: OutboxKind) -> Option<Channel> {
        match kind {
            OutboxKind::Sms => Some(Channel::Sms),
            OutboxKind::WhatsApp => Some(Channel::WhatsApp),
            OutboxKind::Email(_) | OutboxKind::SenderTest => None,
        }
    }

    /// The channel of a stored step's action, if it sends text.
    pub fn of_step(action: StepAction) -> Option<Channel> {
        match action {
            StepAction::SmsAttendee | StepAction::SmsNumber => Some(Channel::Sms),
            StepAction::WhatsappAttendee | StepAction::WhatsappNumber => Some(Channel::WhatsApp),
            StepAction::EmailHost | StepAction::EmailAttendee | StepAction::EmailAddress => None,
        }
    }

    /// The channel of an action word as sent (`sms_attendee`, `whatsapp_number`…, or one no step may have), if it
    /// names a text channel: a text action the instance cannot send is refused as such before it is looked up.
    pub fn of_action(action: &str) -> Option<Channel> {
        if action.starts_with("sms_") {
            Some(Channel::Sms)
        } else if action.starts_with("whatsapp_") {
            Some(Channel::WhatsApp)
        } else {
            None
        }
    }
}

/// Which channels the instance can send on, and otherwise the setting that is missing (named as the
/// configuration file and the environment name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub sms: Result<(), &'static str>,
    pub whatsapp: Result<(), &'static str>,
}

impl Channels {
    pub fn of(settings: Option<&SmsSettings>) -> Channels {
        const ACCOUNT: &str = "twilio_account_sid and twilio_auth_token (CONVENE_TWILIO_ACCOUNT_SID, \
                               CONVENE_TWILIO_AUTH_TOKEN)";
        match settings {
            None => Channels {
                sms: Err(ACCOUNT),
                whatsapp: Err(ACCOUNT),
            },
            Some(s) => Channels {
                sms: s
                    .from_number
                    .as_ref()
                    .map(|_| ())
                    .ok_or("twilio_from_number (CONVENE_TWILIO_FROM_NUMBER)"),
                whatsapp: s
                    .whatsapp_from
                    .as_ref()
                    .map(|_| ())
                    .ok_or("twilio_whatsapp_from (CONVENE_TWILIO_WHATSAPP_FROM)"),
            },
        }
    }

    pub fn check(self, channel: Channel) -> Result<(), &'static str> {
        match channel {
            Channel::Sms => self.sms,
            Channel::WhatsApp => self.whatsapp,
        }
    }
}

/// `raw` as an E.164 number (`+` and 8 to 15 digits), spaces, dots, dashes and parentheses dropped.
pub fn e164(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = kept.strip_prefix('+')?;
    let ok = (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    ok.then_some(kept)
}

/// Sends text messages through the configured account.
#[derive(Debug)]
pub struct TextSender {
    settings: SmsSettings,
    policy: Arc<HostPolicy>,
    http: reqwest::Client,
}

/// The time one call to Twilio may take.
const TIMEOUT: Duration = Duration::from_secs(15);

impl TextSender {
    pub fn new(settings: SmsSettings, policy: Arc<HostPolicy>) -> TextSender {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
                not_public: "Twilio's address is not a public address",
            }))
            .build()
            .unwrap_or_default();
        TextSender { settings, policy, http }
    }

    /// Sends `body` to `to` (E.164) on `channel`.
    pub async fn send(&self, channel: Channel, to: &str, body: &str) -> Result<ServerReply, DeliveryFailure> {
        let s = &self.settings;
        let from = match channel {
            Channel::Sms => s.from_number.clone(),
            Channel::WhatsApp => s.whatsapp_from.as_ref().map(|n| format!("whatsapp:{n}")),
        }
        .ok_or_else(|| {
            DeliveryFailure::new(
                Stage::MailFrom,
                None,
                format!(
                    "no sender configured for this channel: {}",
                    Channels::of(Some(s)).check(channel).err().unwrap_or_default()
                ),
            )
        })?;
        let to = match channel {
            Channel::Sms => to.to_owned(),
            Channel::WhatsApp => format!("whatsapp:{to}"),
        };
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            s.api_url.trim_end_matches('/'),
            s.account_sid
        );
        self.check_literal(&url)?;
        let response = self
            .http
            .post(url)
            .basic_auth(&s.account_sid, Some(s.auth_token.expose_secret()))
            .form(&[("To", to.as_str()), ("From", from.as_str()), ("Body", body)])
            .send()
            .await
            .map_err(|e| {
                let stage = if e.is_connect() || e.is_timeout() {
                    Stage::Connect
                } else {
                    Stage::Data
                };
                DeliveryFailure::new(stage, None, e.to_string())
            })?;
        let status = response.status().as_u16();
        let answer: serde_json::Value = response.json().await.unwrap_or_default();
        if (200..300).contains(&status) {
            let sid = answer["sid"].as_str().unwrap_or_default();
            let state = answer["status"].as_str().unwrap_or_default();
            Ok(ServerReply {
                code: 250,
                text: format!("TWILIO accepted {sid} ({state})"),
            })
        } else {
            Err(twilio_failure(status, &answer))
        }
    }

    /// An address written as an IP must be allowed too (names are checked when they are resolved).
    fn check_literal(&self, url: &str) -> Result<(), DeliveryFailure> {
        let refused = || DeliveryFailure::new(Stage::Connect, None, "Twilio's address is not a public address");
        let parsed = url::Url::parse(url).map_err(|e| DeliveryFailure::new(Stage::Connect, None, e.to_string()))?;
        let ip: Option<std::net::IpAddr> = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(ip.into()),
            Some(url::Host::Ipv6(ip)) => Some(ip.into()),
            _ => None,
        };
        match ip {
            Some(ip) if !self.policy.allows(ip) => Err(refused()),
            _ => Ok(()),
        }
    }
}

/// Twilio's error answer as the worker classifies failures: 401/403 are the credentials, 429 and 5xx are worth
/// another try, any other 4xx (an invalid or unreachable number, a blocked sender) is final.
fn twilio_failure(status: u16, answer: &serde_json::Value) -> DeliveryFailure {
    let code = answer["code"].as_i64().map_or_else(String::new, |c| format!(" {c}"));
    let message: String = answer["message"]
        .as_str()
        .unwrap_or("no error message")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    let (stage, smtp) = match status {
        401 | 403 => (Stage::Auth, 535),
        429 => (Stage::Data, 421),
        400..=499 => (Stage::Data, 554),
        _ => (Stage::Data, 451),
    };
    DeliveryFailure::new(stage, Some(smtp), format!("HTTP {status}: Twilio{code}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_e164() {
        assert_eq!(e164("+1 (415) 555-0123").as_deref(), Some("+14155550123"));
        assert_eq!(e164("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(e164("4155550123"), None, "no country code");
        assert_eq!(e164("+0123456789"), None);
        assert_eq!(e164("+1234"), None, "too short");
        assert_eq!(e164("+1415555012x"), None);
        assert_eq!(e164("+1234567890123456"), None, "too long");
    }

    #[test]
    fn twilio_errors_are_classified_for_the_worker() {
        let invalid = twilio_failure(400, &serde_json::json!({ "code": 21211, "message": "Invalid 'To'" }));
        assert!(invalid.message_rejected(), "{invalid:?}");
        assert!(invalid.message.contains("21211"));
        assert!(!twilio_failure(429, &serde_json::json!({ "code": 20429 })).message_rejected());
        assert!(!twilio_failure(500, &serde_json::Value::Null).message_rejected());
        assert!(twilio_failure(401, &serde_json::Value::Null).auth_failed());
    }

    #[test]
    fn a_missing_setting_is_named() {
        let none = Channels::of(None);
        assert!(
            none.check(Channel::Sms)
                .expect_err("a missing setting")
                .contains("CONVENE_TWILIO_ACCOUNT_SID")
        );
        let sms_only = SmsSettings {
            account_sid: "AC1".into(),
            auth_token: SecretString::from("t"),
            from_number: Some("+14155550100".into()),
            whatsapp_from: None,
            api_url: TWILIO_API_URL.into(),
        };
        let channels = Channels::of(Some(&sms_only));
        assert_eq!(channels.check(Channel::Sms), Ok(()));
        assert!(
            channels
                .check(Channel::WhatsApp)
                .expect_err("a missing setting")
                .contains("twilio_whatsapp_from")
        );
    }
}
