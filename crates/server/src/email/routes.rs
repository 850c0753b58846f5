//! Which ways an email may leave by, in order.
//!
//! Account emails: the platform only. Booking emails of an organization with the `custom-smtp` feature: the
//! booking team's assigned sender, else the organization's default sender — its provider API first, then its
//! SMTP server — and then the platform default, sending as the platform with the organization's address as
//! Reply-To (so DMARC passes). A sender whose circuit is open is skipped at once.

use super::breaker::{Admission, Breakers};
use super::message::{self, Built, Mailbox};
use super::outcome::{DeliveryFailure, ServerReply, Stage};
use super::providers::{ProviderClient, http_client};
use super::senders::{Directory, OrgSenders, SenderConfig};
use super::settings::{EmailSettings, TransportConfig};
use super::sms::TextSender;
use super::smtp::{AddressRule, SmtpClient};
use super::transport::Transport;
use convene_core::email::Category;
use convene_core::{SenderId, TeamId};
use convene_keyring::Keyring;
use convene_store::outbox::EmailRecord;
use convene_store::{Db, StoreResult};
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One way out.
#[derive(Debug, Clone)]
pub enum Way {
    Transport(Transport),
    Provider(ProviderClient),
}

/// One way out and who the message is from on it.
#[derive(Debug, Clone)]
pub struct Route {
    /// `platform`, `sender:<id>` or `sender:<id>:api`; what the delivery log shows.
    pub name: String,
    pub way: Way,
    pub from: Mailbox,
    /// Replaces the stored Reply-To on this route (a fallback names the organization's address).
    pub reply_to: Option<Mailbox>,
}

impl Route {
    /// Sends `email` through this route alone (a worker step, and the test-email button).
    pub async fn deliver(&self, email: &EmailRecord) -> Result<ServerReply, DeliveryFailure> {
        // A workflow step names its emails' sender; the address stays this route's (DMARC alignment). The name is
        // cleaned of control characters and line breaks once more when the header is written.
        let named;
        let from = match email.from_name.as_deref().map(message::clean).filter(|n| !n.is_empty()) {
            Some(name) => {
                named = Mailbox {
                    email: self.from.email.clone(),
                    name,
                };
                &named
            }
            None => &self.from,
        };
        match &self.way {
            Way::Transport(transport) => {
                let Built { envelope, bytes } = message::build(email, from, self.reply_to.as_ref())
                    .map_err(|e| DeliveryFailure::new(Stage::Data, Some(554), e))?;
                transport.send(&envelope, &bytes, &email.message_id).await
            }
            Way::Provider(api) => api.send(email, from, self.reply_to.as_ref()).await,
        }
    }
}

/// A step of the chain: the platform, or an organization's sender with its paths.
#[derive(Debug, Clone)]
pub enum Step {
    Platform(Route),
    Sender {
        sender: SenderConfig,
        admission: Admission,
        /// API first (providers), then SMTP.
        paths: Vec<Route>,
    },
}

/// The platform's transports and the organizations' senders.
pub struct Mailer {
    pub settings: EmailSettings,
    platform: Transport,
    db: Db,
    keyring: Arc<Keyring>,
    http: reqwest::Client,
    pub directory: Directory,
    pub breakers: Breakers,
    /// SMTP clients (with their idle connections) per sender and settings version.
    clients: Mutex<HashMap<(SenderId, i64), Arc<SmtpClient>>>,
    /// The instance's text-message account, when one is configured.
    texts: Option<TextSender>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("transport", &self.settings.transport.describe())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(settings: EmailSettings, db: Db, keyring: Arc<Keyring>) -> Self {
        let platform = match &settings.transport {
            TransportConfig::Smtp(server) => Transport::Smtp(Arc::new(SmtpClient::new(
                server.clone(),
                AddressRule::Trusted,
                settings.trust.clone(),
                settings.timeouts,
                &settings.hello_name,
                settings.connections,
            ))),
            TransportConfig::File(dir) => Transport::File(dir.clone()),
            TransportConfig::Log => Transport::Log,
        };
        let texts = settings
            .sms
            .clone()
            .map(|sms| TextSender::new(sms, settings.host_policy.clone()));
        Self {
            texts,
            http: http_client(settings.timeouts.total()),
            directory: Directory::new(settings.sender_cache_ttl),
            breakers: Breakers::new(settings.breaker),
            settings,
            platform,
            db,
            keyring,
            clients: Mutex::new(HashMap::new()),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Where workflow text messages go; `None` when no SMS provider is configured.
    pub fn texts(&self) -> Option<&TextSender> {
        self.texts.as_ref()
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The platform default, sending as the platform.
    pub fn platform_route(&self) -> Route {
        Route {
            name: "platform".to_owned(),
            way: Way::Transport(self.platform.clone()),
            from: Mailbox {
                email: self.settings.from_email.as_str().to_owned(),
                name: self.settings.from_name.as_str().to_owned(),
            },
            reply_to: None,
        }
    }

    /// The organization's senders (cached briefly).
    pub async fn org_senders(&self, org: i64) -> StoreResult<Arc<OrgSenders>> {
        self.directory
            .get(&self.db, &self.keyring, &self.settings, &self.http, TeamId(org))
            .await
    }

    /// The organization sender `email` goes through first: a booking email's team's sender, else its
    /// organization's default; `None` for account emails and organizations without senders.
    async fn first_sender(&self, email: &EmailRecord) -> Option<SenderConfig> {
        let booking_email = email.kind.email().is_some_and(|k| k.category() == Category::Booking);
        let org = email.organization_id.filter(|_| booking_email)?;
        match self.org_senders(org.0).await {
            Ok(senders) => senders.for_team(email.team_id).cloned(),
            Err(e) => {
                // Without the sender list the platform still delivers; the email is not held back.
                tracing::error!(error = %e, organization_id = org.0, "could not load the organization's senders");
                None
            }
        }
    }

    /// The sender whose cap on emails in flight `email` counts against: its first sender, unless that sender's
    /// circuit is open (then the email goes straight to the platform).
    pub async fn gated_sender(&self, email: &EmailRecord, now: Timestamp) -> Option<i64> {
        let sender = self.first_sender(email).await?;
        (!self.breakers.skips(&sender, now)).then_some(sender.id.0)
    }

    /// The steps to try for `email`, in order.
    pub async fn steps_for(&self, email: &EmailRecord, now: Timestamp) -> Vec<Step> {
        let platform = self.platform_route();
        let Some(sender) = self.first_sender(email).await else {
            return vec![Step::Platform(platform)];
        };
        let admission = self.breakers.admit(&sender, now);
        let fallback = Route {
            reply_to: Some(Mailbox {
                email: sender.from_email.clone(),
                name: sender.from_name.clone(),
            }),
            ..platform
        };
        vec![
            Step::Sender {
                paths: self.paths_of(&sender),
                sender,
                admission,
            },
            Step::Platform(fallback),
        ]
    }

    /// A sender's ways out: its provider API, then its SMTP server.
    pub fn paths_of(&self, sender: &SenderConfig) -> Vec<Route> {
        let from = Mailbox {
            email: sender.from_email.clone(),
            name: sender.from_name.clone(),
        };
        let mut paths = Vec::new();
        if let Some(api) = &sender.api {
            paths.push(Route {
                name: format!("sender:{}:api", sender.id),
                way: Way::Provider(api.clone()),
                from: from.clone(),
                reply_to: None,
            });
        }
        if sender.smtp.is_some() {
            paths.push(Route {
                name: format!("sender:{}", sender.id),
                way: Way::Transport(Transport::Smtp(self.smtp_client(sender))),
                from,
                reply_to: None,
            });
        }
        paths
    }

    /// The pooled SMTP client of a sender's current settings (a new version gets a new pool).
    pub fn smtp_client(&self, sender: &SenderConfig) -> Arc<SmtpClient> {
        let mut clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        clients.retain(|(id, version), _| *id != sender.id || *version == sender.version);
        clients
            .entry((sender.id, sender.version))
            .or_insert_with(|| Arc::new(self.new_sender_client(sender)))
            .clone()
    }

    /// An unpooled client for a sender's SMTP server (tests of unsaved settings use this too).
    pub fn new_sender_client(&self, sender: &SenderConfig) -> SmtpClient {
        let server = sender.smtp.clone().unwrap_or_else(|| super::settings::SmtpServer {
            host: String::new(),
            port: 0,
            security: super::settings::Security::StartTls,
            credentials: None,
        });
        SmtpClient::new(
            server,
            AddressRule::Guarded(self.settings.host_policy.clone()),
            self.settings.trust.clone(),
            self.settings.timeouts,
            &self.settings.hello_name,
            self.settings.connections,
        )
    }

    /// A fresh Message-ID for a new outbox row.
    pub fn new_message_id(&self) -> String {
        format!("<{}@{}>", crate::credentials::new_uid(), self.settings.hello_name)
    }
}
