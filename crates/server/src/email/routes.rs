//! Which ways an email may leave by, in order. Today every email has one route, the platform default; an
//! organization's own senders come first in the chain for its booking emails once configured.

use super::message::Sender;
use super::settings::{EmailSettings, TransportConfig};
use super::smtp::{AddressRule, SmtpClient};
use super::transport::Transport;
use convene_store::outbox::EmailRecord;
use std::sync::Arc;

/// One way out: a transport and who the message is from on it.
#[derive(Debug, Clone)]
pub struct Route {
    /// `platform`, or `sender:<id>`; what the delivery log shows.
    pub name: String,
    pub transport: Transport,
    pub from: Sender,
    /// Replaces the stored Reply-To on this route (a fallback names the organization's address).
    pub reply_to: Option<Sender>,
}

/// The platform's transports, built once from the settings.
#[derive(Debug)]
pub struct Mailer {
    pub settings: EmailSettings,
    platform: Transport,
}

impl Mailer {
    pub fn new(settings: EmailSettings) -> Self {
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
        Self { settings, platform }
    }

    /// The platform default, sending as the platform.
    pub fn platform_route(&self) -> Route {
        Route {
            name: "platform".to_owned(),
            transport: self.platform.clone(),
            from: Sender {
                email: self.settings.from_email.as_str().to_owned(),
                name: self.settings.from_name.as_str().to_owned(),
            },
            reply_to: None,
        }
    }

    /// The routes to try for `email`, in order.
    pub async fn routes_for(&self, _email: &EmailRecord) -> Vec<Route> {
        vec![self.platform_route()]
    }

    /// A fresh Message-ID for a new outbox row.
    pub fn new_message_id(&self) -> String {
        format!("<{}@{}>", crate::credentials::new_uid(), self.settings.hello_name)
    }
}
