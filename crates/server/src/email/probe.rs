//! The "Test connection" and "Send test email" buttons: the same code paths as real sends, bounded in time,
//! answering which stage failed and what the server said.

use super::outcome::{DeliveryFailure, Stage};
use super::routes::{Mailer, Way};
use super::senders::SenderConfig;
use convene_core::{EmailId, EmailStatus, OutboxKind};
use convene_store::outbox::EmailRecord;
use serde::Serialize;
use std::time::Instant;
use utoipa::ToSchema;

/// The answer of a test.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub success: bool,
    /// `DNS`, `CONNECT`, `TLS`, `GREETING` or `AUTH`: where it failed, or the last stage passed.
    pub stage: &'static str,
    pub message: String,
    pub smtp_code: Option<u16>,
    pub duration_ms: u64,
    /// For test emails: which path carried it (`sender:<id>:api` or `sender:<id>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The server refused only the recipient (5xx at RCPT): the sender itself works.
    #[serde(skip)]
    pub recipient_refused: bool,
    /// `message` as a catalogue id when the words are ours rather than a server's, so the settings page can say
    /// them in its reader's language (the API answers `message`).
    #[serde(skip)]
    pub said: Option<Said>,
}

/// A message of the server's catalogue (`crates/server/locales`) with its named arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub id: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Said {
    pub fn new(id: &'static str) -> Self {
        Said { id, args: Vec::new() }
    }

    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Dns => "DNS",
        Stage::Connect => "CONNECT",
        Stage::Tls => "TLS",
        Stage::Greeting => "GREETING",
        // After authentication nothing else is probed; a refusal of the message itself is reported at AUTH's
        // end of the exchange by the test email, which names the SMTP code.
        Stage::Auth | Stage::MailFrom | Stage::RcptTo | Stage::Data => "AUTH",
    }
}

fn failed(failure: &DeliveryFailure, started: Instant, route: Option<String>) -> TestResult {
    TestResult {
        success: false,
        stage: stage_name(failure.stage),
        message: failure.message.clone(),
        smtp_code: failure.code,
        duration_ms: elapsed(started),
        route,
        recipient_refused: failure.recipient_rejected(),
        said: None,
    }
}

fn elapsed(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn timed_out(mailer: &Mailer, started: Instant) -> TestResult {
    let seconds = mailer.settings.test_timeout.as_secs();
    TestResult {
        success: false,
        stage: "CONNECT",
        message: format!("no complete answer within {seconds} s"),
        smtp_code: None,
        duration_ms: elapsed(started),
        route: None,
        recipient_refused: false,
        said: Some(Said::new("senders-probe-timeout").arg("seconds", seconds)),
    }
}

/// Resolves, connects, negotiates TLS, reads the greeting and authenticates — no email sent. For providers, a
/// harmless authenticated API call (and the SMTP path too when configured).
pub async fn test_connection(mailer: &Mailer, sender: &SenderConfig) -> TestResult {
    let started = Instant::now();
    let run = async {
        if let Some(api) = &sender.api
            && let Err(failure) = api.probe().await
        {
            return failed(&failure, started, None);
        }
        if sender.smtp.is_some() {
            let client = mailer.new_sender_client(sender);
            if let Err(failure) = client.probe().await {
                return failed(&failure, started, None);
            }
        }
        let authenticated = sender.api.is_some() || sender.smtp.as_ref().is_some_and(|s| s.credentials.is_some());
        TestResult {
            success: true,
            stage: if authenticated { "AUTH" } else { "GREETING" },
            message: if authenticated {
                "Connected and authenticated".to_owned()
            } else {
                "Connected (no credentials to check)".to_owned()
            },
            smtp_code: None,
            duration_ms: elapsed(started),
            route: None,
            recipient_refused: false,
            said: Some(Said::new(if authenticated {
                "senders-probe-authenticated"
            } else {
                "senders-probe-connected"
            })),
        }
    };
    tokio::time::timeout(mailer.settings.test_timeout, run)
        .await
        .unwrap_or_else(|_| timed_out(mailer, started))
}

/// Sends a test message through exactly this sender (its API, then its SMTP; never the platform) and reports
/// the server's reply.
pub async fn test_email(mailer: &Mailer, sender: &SenderConfig, to_email: &str) -> TestResult {
    let started = Instant::now();
    let now = jiff::Timestamp::now();
    let email = EmailRecord {
        id: EmailId(0),
        message_id: mailer.new_message_id(),
        kind: OutboxKind::SenderTest,
        organization_id: Some(sender.organization_id),
        team_id: None,
        booking_id: None,
        user_id: None,
        to_email: to_email.to_owned(),
        to_name: None,
        reply_to_email: None,
        reply_to_name: None,
        from_name: None,
        subject: format!("convene test email from {}", sender.from_email),
        body_text: format!(
            "This is a test email sent through your organization's sender {}.\n\nIf you can read it, the sender \
             works.\n",
            sender.from_email
        ),
        body_html: format!(
            "<p>This is a test email sent through your organization's sender <b>{}</b>.</p>\
             <p>If you can read it, the sender works.</p>",
            sender.from_email.replace('<', "&lt;")
        ),
        ics: None,
        ics_method: None,
        status: EmailStatus::Sending,
        attempts: 1,
        not_before: now,
        next_attempt_at: now,
        lease_until: None,
        sent_route: None,
        last_code: None,
        last_error: None,
        sent_at: None,
        created_at: now,
        updated_at: now,
    };
    let run = async {
        let mut last = None;
        for route in mailer.paths_of(sender) {
            // A fresh, unpooled client: the button tests the server as it is now.
            let route = match &route.way {
                Way::Transport(_) => super::routes::Route {
                    way: Way::Transport(super::transport::Transport::Smtp(std::sync::Arc::new(
                        mailer.new_sender_client(sender),
                    ))),
                    ..route
                },
                Way::Provider(_) => route,
            };
            match route.deliver(&email).await {
                Ok(reply) => {
                    return TestResult {
                        success: true,
                        stage: "AUTH",
                        message: format!("Accepted: {}", reply.text),
                        smtp_code: Some(reply.code),
                        duration_ms: elapsed(started),
                        route: Some(route.name),
                        recipient_refused: false,
                        said: Some(Said::new("senders-probe-accepted").arg("reply", &reply.text)),
                    };
                }
                Err(failure) => last = Some((failure, route.name)),
            }
        }
        match last {
            Some((failure, route)) => failed(&failure, started, Some(route)),
            None => TestResult {
                success: false,
                stage: "CONNECT",
                message: "the sender has no SMTP host and no API key".to_owned(),
                smtp_code: None,
                duration_ms: elapsed(started),
                route: None,
                recipient_refused: false,
                said: Some(Said::new("senders-probe-no-route")),
            },
        }
    };
    tokio::time::timeout(mailer.settings.test_timeout, run)
        .await
        .unwrap_or_else(|_| timed_out(mailer, started))
}
