//! One email through its routes: the organization's sender (unless its circuit is open), then the platform; each
//! route tried is recorded as an attempt, and the sender's breaker hears how it went.

use super::super::alerts;
use super::super::breaker::{Admission, Transition};
use super::super::outcome::{DeliveryFailure, Stage};
use super::super::routes::{Route, Step};
use super::super::senders::SenderConfig;
use super::super::sms::Channel;
use super::{EmailWorker, Processed};
use crate::time_text::utc_iso;
use convene_store::outbox::{AttemptRecord, EmailRecord, Settlement};
use convene_store::smtp_senders;
use jiff::Timestamp;
use std::time::Instant;

/// Where the circuit breaker and the sender-failing alert read the time: the wall clock in the worker loop, the
/// batch's `now` when a test drives [`super::process_due`] (so a cool-down or a day between alerts passes without
/// sleeping).
#[derive(Debug, Clone, Copy)]
pub(super) enum Clock {
    Wall,
    At(Timestamp),
}

impl Clock {
    fn now(self) -> Timestamp {
        match self {
            Clock::Wall => convene_store::now(),
            Clock::At(now) => now,
        }
    }
}

/// Tries `email`'s steps in order — the organization's sender (unless its circuit is open), then the platform —
/// until one accepts it, one rejects the recipient for good, or none is left.
pub(super) async fn send_one(worker: &EmailWorker, email: EmailRecord, clock: Clock) -> Processed {
    if let Some(channel) = Channel::of_kind(email.kind) {
        return send_text(worker, email, channel).await;
    }
    let mailer = &worker.mailer;
    let steps = mailer.steps_for(&email, clock.now()).await;
    let mut tried = Vec::with_capacity(steps.len() + 1);
    let mut last_failure: Option<DeliveryFailure> = None;
    let mut sent_by = None;
    'steps: for step in steps {
        match step {
            Step::Platform(route) => match attempt(&route, &email, &mut tried).await {
                Ok(()) => {
                    sent_by = Some(route.name);
                    break 'steps;
                }
                Err(failure) => {
                    let stop = failure.recipient_rejected();
                    last_failure = Some(failure);
                    if stop {
                        break 'steps;
                    }
                }
            },
            Step::Sender {
                sender,
                admission,
                paths,
            } => {
                let skipped = match admission {
                    Admission::Skip { until } => Some(format!(
                        "circuit open after repeated failures; next try after {}",
                        utc_iso(until)
                    )),
                    Admission::Hold => Some("the sender just failed and other attempts are still out".to_owned()),
                    Admission::Go | Admission::Probe => None,
                };
                if let Some(reason) = skipped {
                    tried.push(AttemptRecord {
                        attempt: email.attempts,
                        route: format!("sender:{}", sender.id),
                        outcome: "skipped".to_owned(),
                        smtp_code: None,
                        reply: Some(reason),
                        duration_ms: 0,
                        started_at: convene_store::now(),
                    });
                    continue;
                }
                let mut sender_failure = None;
                for route in &paths {
                    match attempt(route, &email, &mut tried).await {
                        Ok(()) => {
                            report_success(worker, &sender).await;
                            sent_by = Some(route.name.clone());
                            break 'steps;
                        }
                        Err(failure) if failure.recipient_rejected() => {
                            // The organization's server answered; it just won't take this address.
                            report_success(worker, &sender).await;
                            last_failure = Some(failure);
                            break 'steps;
                        }
                        Err(failure) => sender_failure = Some(failure),
                    }
                }
                let failure = sender_failure.unwrap_or_else(|| DeliveryFailure {
                    stage: Stage::Connect,
                    code: None,
                    message: "the sender has no usable path (no SMTP host and no API key)".to_owned(),
                });
                report_failure(worker, &sender, admission, &failure, clock.now()).await;
                last_failure = Some(failure);
            }
        }
    }
    let settlement = match (sent_by, &last_failure) {
        (Some(route), _) => Settlement::Sent { route },
        (None, Some(f)) if f.recipient_rejected() || f.message_rejected() => Settlement::Failed,
        (None, _) => retry_or_fail(worker, &email),
    };
    Processed {
        id: email.id,
        kind: email.kind,
        settlement,
        routes: tried,
    }
}

/// A workflow text message: one way out (the instance's Twilio account), recorded and settled as emails are.
async fn send_text(worker: &EmailWorker, email: EmailRecord, channel: Channel) -> Processed {
    let started_at = convene_store::now();
    let clock = Instant::now();
    let result = match worker.mailer.texts() {
        Some(texts) => texts.send(channel, &email.to_email, &email.body_text).await,
        // Configured when the step was saved, gone since: kept and retried, so setting it again sends them.
        None => Err(DeliveryFailure::new(
            Stage::Connect,
            None,
            "no SMS provider is configured (the Twilio account settings are not set)",
        )),
    };
    let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (outcome, code, reply) = match &result {
        Ok(reply) => ("sent", Some(i64::from(reply.code)), reply.text.clone()),
        Err(failure) => ("failed", failure.code.map(i64::from), failure.to_string()),
    };
    let settlement = match &result {
        Ok(_) => Settlement::Sent {
            route: TEXT_ROUTE.to_owned(),
        },
        Err(f) if f.message_rejected() => Settlement::Failed,
        Err(_) => retry_or_fail(worker, &email),
    };
    if let Err(failure) = &result {
        tracing::info!(email_id = email.id.0, %failure, "text message failed");
    }
    Processed {
        id: email.id,
        kind: email.kind,
        settlement,
        routes: vec![AttemptRecord {
            attempt: email.attempts,
            route: TEXT_ROUTE.to_owned(),
            outcome: outcome.to_owned(),
            smtp_code: code,
            reply: Some(truncate(&reply, 1000)),
            duration_ms,
            started_at,
        }],
    }
}

/// Another try after the retry policy's backoff, or failed for good once its budget is spent.
fn retry_or_fail(worker: &EmailWorker, email: &EmailRecord) -> Settlement {
    let retry = worker.mailer.settings.retry;
    match retry.next_attempt_at(email.attempts, email.not_before, convene_store::now()) {
        Some(next_attempt_at) => Settlement::Retry { next_attempt_at },
        None => Settlement::Failed,
    }
}

/// How the delivery log names the text-message way out.
const TEXT_ROUTE: &str = "twilio";

/// Sends through one route and records the attempt.
async fn attempt(route: &Route, email: &EmailRecord, tried: &mut Vec<AttemptRecord>) -> Result<(), DeliveryFailure> {
    let started_at = convene_store::now();
    let clock = Instant::now();
    let result = route.deliver(email).await;
    let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (outcome, smtp_code, reply) = match &result {
        Ok(reply) => ("sent", Some(i64::from(reply.code)), reply.text.clone()),
        Err(failure) => ("failed", failure.code.map(i64::from), failure.to_string()),
    };
    tried.push(AttemptRecord {
        attempt: email.attempts,
        route: route.name.clone(),
        outcome: outcome.to_owned(),
        smtp_code,
        reply: Some(truncate(&reply, 1000)),
        duration_ms,
        started_at,
    });
    result.map(|_| ()).inspect_err(|failure| {
        tracing::info!(email_id = email.id.0, route = %route.name, %failure, "email route failed");
    })
}

async fn report_success(worker: &EmailWorker, sender: &SenderConfig) {
    let (transition, health) = worker.mailer.breakers.success(sender);
    if transition != Transition::None {
        record_health(worker, sender, &health).await;
    }
}

async fn report_failure(
    worker: &EmailWorker,
    sender: &SenderConfig,
    admission: Admission,
    failure: &DeliveryFailure,
    now: Timestamp,
) {
    let error = failure.to_string();
    let (transition, health) = worker
        .mailer
        .breakers
        .failure(sender, admission, now, failure.auth_failed(), &error);
    record_health(worker, sender, &health).await;
    if transition == (Transition::Failed { opened: true }) {
        alerts::sender_failing(&worker.mailer, sender, &error, now).await;
    }
}

async fn record_health(worker: &EmailWorker, sender: &SenderConfig, health: &smtp_senders::Health) {
    if let Err(e) =
        smtp_senders::record_health(worker.mailer.db(), sender.id, sender.version, health, Timestamp::now()).await
    {
        tracing::warn!(sender_id = sender.id.0, error = %e, "could not record a sender's health");
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
