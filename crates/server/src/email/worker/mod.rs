//! The outbox worker: claim due emails under a lease, send each outside any transaction through its routes,
//! settle them in one transaction per batch.
//!
//! [`process_due`] runs one batch and says what happened to each email (tests drive the worker with it);
//! [`spawn_worker`] runs the pipeline a process keeps going: claims under the worker's name, leases renewed while
//! sending ([`claims`]), a cap on each organization sender's emails in flight ([`gates`]), a recorder settling what
//! finished, and a bounded stop that gives back what it will not send.

mod claims;
mod gates;
mod health;
mod pace;
mod pipeline;
mod send;

pub use health::{OutboxState, QueueHealth};
pub use pipeline::spawn_worker;

use crate::metrics::Metrics;
use convene_core::{EmailId, OutboxKind};
use convene_store::StoreResult;
use convene_store::outbox::{self, AttemptRecord, EmailRecord, Settle, Settlement};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

use super::routes::Mailer;
use jiff::Timestamp;

/// What the outbox worker runs on: the mailer (with the database it reads), the metrics it counts emails in, its
/// name in the outbox, what it reports for readiness, and how long a stop may wait for emails in flight. The
/// server's state converts into one.
#[derive(Clone)]
pub struct EmailWorker {
    pub mailer: Arc<Mailer>,
    pub metrics: Arc<Metrics>,
    /// The name its claims are recorded under; a worker restarted under the same name takes back at once what it
    /// held when it died.
    pub id: Arc<str>,
    pub health: Arc<QueueHealth>,
    /// On stop, emails in flight get this long to finish; the rest are given back.
    pub shutdown_grace: Duration,
}

/// What one attempt at one email came to.
#[derive(Debug, Clone)]
pub struct Processed {
    pub id: EmailId,
    pub kind: OutboxKind,
    pub settlement: Settlement,
    pub routes: Vec<AttemptRecord>,
}

/// How the loop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Until shutdown.
    Forever,
    /// Until nothing is due (and nothing in flight), for `convene worker --until-idle`.
    UntilIdle,
}

/// How many emails one claim takes, for `connections` concurrent sends: enough that every connection stays
/// busy while the previous batch is recorded.
fn batch_size(connections: usize) -> i64 {
    i64::try_from((connections * 16).clamp(16, 1024)).unwrap_or(1024)
}

/// The lease in milliseconds, as the store counts time.
fn lease_ms(worker: &EmailWorker) -> i64 {
    i64::try_from(worker.mailer.settings.lease.as_millis()).unwrap_or(i64::MAX)
}

/// Claims one batch of due emails, sends them, records the outcome, and returns what happened (empty when
/// nothing was due).
pub async fn process_due(worker: impl Into<EmailWorker>, now: Timestamp) -> StoreResult<Vec<Processed>> {
    let worker = &worker.into();
    let settings = &worker.mailer.settings;
    let claimed = outbox::claim_due_by(
        worker.mailer.db(),
        &worker.id,
        now,
        lease_ms(worker),
        batch_size(settings.connections),
    )
    .await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let processed = send_all(worker, claimed, send::Clock::At(now)).await;
    settle(worker, &processed).await?;
    Ok(processed)
}

async fn send_all(worker: &EmailWorker, claimed: Vec<EmailRecord>, clock: send::Clock) -> Vec<Processed> {
    futures::stream::iter(claimed)
        .map(|email| send::send_one(worker, email, clock))
        .buffer_unordered(worker.mailer.settings.connections.max(1))
        .collect()
        .await
}

/// Records finished emails in one transaction and counts them.
async fn settle(worker: &EmailWorker, processed: &[Processed]) -> StoreResult<()> {
    let settles: Vec<Settle> = processed.iter().map(to_settle).collect();
    let applied = outbox::settle_all(worker.mailer.db(), &settles, Timestamp::now()).await?;
    for (p, applied) in processed.iter().zip(applied) {
        if !applied {
            tracing::warn!(
                email_id = p.id.0,
                "email was taken over by another worker before its result was recorded"
            );
            continue;
        }
        worker.metrics.record_email(p.kind, &p.settlement);
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
