//! The outbox worker: claim due emails under a lease, send each outside any transaction through its routes,
//! settle them in one transaction per batch.
//!
//! [`process_due`] runs one batch and says what happened to each email (tests drive the worker with it);
//! [`spawn_worker`] loops over batches, recording one batch while sending the next.

use super::message::{self, Built};
use super::routes::Route;
use super::smtp::SmtpFailure;
use crate::AppState;
use convene_store::outbox::{self, AttemptRecord, EmailRecord, Settle, Settlement};
use convene_store::{StoreResult, now_ms};
use futures::StreamExt;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What one attempt at one email came to.
#[derive(Debug, Clone)]
pub struct Processed {
    pub id: i64,
    pub kind: String,
    pub settlement: Settlement,
    pub routes: Vec<AttemptRecord>,
}

/// How many emails one claim takes, for `connections` concurrent sends: enough that every connection stays
/// busy while the previous batch is recorded.
fn batch_size(connections: usize) -> i64 {
    i64::try_from((connections * 16).clamp(16, 1024)).unwrap_or(1024)
}

/// Claims one batch of due emails, sends them, records the outcome, and returns what happened (empty when
/// nothing was due).
pub async fn process_due(state: &AppState, now: i64) -> StoreResult<Vec<Processed>> {
    let claimed = claim(state, now).await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let processed = send_all(state, claimed).await;
    settle(state, &processed).await?;
    Ok(processed)
}

async fn claim(state: &AppState, now: i64) -> StoreResult<Vec<EmailRecord>> {
    let settings = &state.mailer.settings;
    let lease = i64::try_from(settings.lease.as_millis()).unwrap_or(i64::MAX);
    outbox::claim_due(&state.db, now, lease, batch_size(settings.connections)).await
}

async fn send_all(state: &AppState, claimed: Vec<EmailRecord>) -> Vec<Processed> {
    futures::stream::iter(claimed)
        .map(|email| send_one(state, email))
        .buffer_unordered(state.mailer.settings.connections.max(1))
        .collect()
        .await
}

async fn settle(state: &AppState, processed: &[Processed]) -> StoreResult<()> {
    let settles: Vec<Settle> = processed.iter().map(to_settle).collect();
    let applied = outbox::settle_all(&state.db, &settles, now_ms()).await?;
    for (p, applied) in processed.iter().zip(applied) {
        if !applied {
            tracing::warn!(email_id = p.id, "email was taken over by another worker before its result was recorded");
            continue;
        }
        state.metrics.record_email(&p.kind, &p.settlement);
    }
    Ok(())
}

fn to_settle(p: &Processed) -> Settle {
    let last_failure = p.routes.iter().rev().find(|r| r.outcome == "failed");
    Settle {
        id: p.id,
        attempt: p.routes.first().map_or(0, |r| r.attempt),
        settlement: p.settlement.clone(),
        last_code: last_failure.and_then(|r| r.smtp_code),
        last_error: last_failure.and_then(|r| r.reply.clone()),
        routes: p.routes.clone(),
    }
}

/// Tries `email`'s routes in order until one accepts it, one rejects the recipient for good, or none is left.
pub async fn send_one(state: &AppState, email: EmailRecord) -> Processed {
    let routes = state.mailer.routes_for(&email).await;
    let mut tried = Vec::with_capacity(routes.len());
    let mut last_failure: Option<SmtpFailure> = None;
    let mut sent_by = None;
    for route in &routes {
        let started_at = now_ms();
        let clock = Instant::now();
        let result = deliver(route, &email).await;
        let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (outcome, smtp_code, reply) = match &result {
            Ok(reply) => ("sent", Some(i64::from(reply.code)), Some(reply.text.clone())),
            Err(failure) => ("failed", failure.code.map(i64::from), Some(failure.to_string())),
        };
        tried.push(AttemptRecord {
            attempt: email.attempts,
            route: route.name.clone(),
            outcome: outcome.to_owned(),
            smtp_code,
            reply: reply.map(|r| truncate(&r, 1000)),
            duration_ms,
            started_at,
        });
        match result {
            Ok(_) => {
                sent_by = Some(route.name.clone());
                break;
            }
            Err(failure) => {
                tracing::info!(email_id = email.id, route = %route.name, %failure, "email route failed");
                let final_for_recipient = failure.recipient_rejected();
                last_failure = Some(failure);
                if final_for_recipient {
                    break;
                }
            }
        }
    }
    let settlement = match (sent_by, &last_failure) {
        (Some(route), _) => Settlement::Sent { route },
        (None, Some(f)) if f.recipient_rejected() || f.message_rejected() => Settlement::Failed,
        (None, _) => {
            match state
                .mailer
                .settings
                .retry
                .next_attempt_at(email.attempts, email.not_before, now_ms())
            {
                Some(next_attempt_at) => Settlement::Retry { next_attempt_at },
                None => Settlement::Failed,
            }
        }
    };
    Processed {
        id: email.id,
        kind: email.kind,
        settlement,
        routes: tried,
    }
}

async fn deliver(route: &Route, email: &EmailRecord) -> Result<super::smtp::SmtpReply, SmtpFailure> {
    let Built { envelope, bytes } =
        message::build(email, &route.from, route.reply_to.as_ref()).map_err(|e| SmtpFailure {
            stage: super::smtp::Stage::Data,
            code: Some(554),
            message: e,
        })?;
    route.transport.send(&envelope, &bytes, &email.message_id).await
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// How the loop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Until shutdown.
    Forever,
    /// Until nothing is due (and nothing in flight), for `convene worker --until-idle`.
    UntilIdle,
}

/// Sends due emails batch after batch, idling `poll_interval` when none is due, until `shutdown` turns true
/// (or, in [`RunMode::UntilIdle`], the queue has nothing due). The batch in flight is finished and recorded
/// before stopping, so a clean stop never strands a row in `sending`.
pub fn spawn_worker(state: AppState, mut shutdown: watch::Receiver<bool>, mode: RunMode) -> JoinHandle<()> {
    tokio::spawn(async move {
        let idle = state.mailer.settings.poll_interval;
        // Recording a batch overlaps with sending the next; at most one recording runs at a time.
        let mut recording: Option<JoinHandle<()>> = None;
        while !*shutdown.borrow() {
            let claimed = match claim(&state, now_ms()).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::error!(error = %e, "email worker could not reach the outbox");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                if let Some(previous) = recording.take() {
                    let _ = previous.await;
                }
                if mode == RunMode::UntilIdle {
                    break;
                }
                tokio::select! {
                    changed = shutdown.changed() => {
                        if changed.is_err() {
                            break;
                        }
                    }
                    () = tokio::time::sleep(idle) => {}
                }
                continue;
            }
            let processed = send_all(&state, claimed).await;
            if let Some(previous) = recording.take() {
                let _ = previous.await;
            }
            let settle_state = state.clone();
            recording = Some(tokio::spawn(async move {
                // A failed recording leaves the rows `sending`; their lease runs out and they are sent again.
                for wait in [0u64, 100, 500, 2000] {
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    match settle(&settle_state, &processed).await {
                        Ok(()) => return,
                        Err(e) => tracing::error!(error = %e, "could not record sent emails; retrying"),
                    }
                }
            }));
        }
        if let Some(previous) = recording.take() {
            let _ = previous.await;
        }
        tracing::info!("email worker stopped");
    })
}
