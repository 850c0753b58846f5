//! What a way out says about one message, in the terms of an SMTP exchange (the stages every route reports in,
//! and the codes the worker classifies): accepted ([`ServerReply`]) or not ([`DeliveryFailure`], at a [`Stage`]).
//! Provider APIs and the spool folder answer in the same terms, so routing and the delivery log treat every route
//! alike.

use std::fmt;
use std::time::Duration;

/// Where in the exchange something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Dns,
    Connect,
    Tls,
    Greeting,
    Auth,
    MailFrom,
    RcptTo,
    Data,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Dns => "DNS",
            Stage::Connect => "CONNECT",
            Stage::Tls => "TLS",
            Stage::Greeting => "GREETING",
            Stage::Auth => "AUTH",
            Stage::MailFrom => "MAIL_FROM",
            Stage::RcptTo => "RCPT_TO",
            Stage::Data => "DATA",
        }
    }
}

/// A failed hand-over, whatever the way out (SMTP, a provider's API, the spool folder): where, the code if the
/// other side answered (SMTP's, or the SMTP code a provider's HTTP answer stands for), and a message fit for logs
/// and admins (never a credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFailure {
    pub stage: Stage,
    pub code: Option<u16>,
    pub message: String,
}

impl DeliveryFailure {
    pub fn new(stage: Stage, code: Option<u16>, message: impl Into<String>) -> Self {
        Self {
            stage,
            code,
            message: message.into(),
        }
    }

    /// No answer at `stage` within `after`.
    pub fn timed_out(stage: Stage, after: Duration) -> Self {
        Self::new(stage, None, format!("no answer within {} ms", after.as_millis()))
    }

    /// The server refused this recipient for good (5xx at RCPT): no other route or retry will change that.
    pub fn recipient_rejected(&self) -> bool {
        self.stage == Stage::RcptTo && self.code.is_some_and(|c| (500..600).contains(&c))
    }

    /// The server refused the message itself for good (5xx after the data).
    pub fn message_rejected(&self) -> bool {
        self.stage == Stage::Data && self.code.is_some_and(|c| (500..600).contains(&c))
    }

    /// The credentials were refused (535 and friends).
    pub fn auth_failed(&self) -> bool {
        self.stage == Stage::Auth
    }
}

impl fmt::Display for DeliveryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.stage.as_str(), self.message)
    }
}

/// The other side's acceptance: an SMTP reply, or the SMTP-style code a provider's or the spool's success
/// stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerReply {
    pub code: u16,
    pub text: String,
}
