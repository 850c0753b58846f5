//! The outbox worker: claim due emails under a lease, send each outside any transaction through its routes,
//! settle them in one transaction per batch.
//!
//! [`process_due`] runs one batch and says what happened to each email (tests drive the worker with it);
//! [`spawn_worker`] loops over batches, recording one batch while sending the next.

use super::alerts;
use super::breaker::{Admission, Transition};
use super::outcome::{DeliveryFailure, Stage};
use super::routes::Mailer;
use super::routes::{Route, Step};
use super::senders::SenderConfig;
use crate::metrics::Metrics;
use crate::time_text::{ts, utc_iso};
use convene_store::outbox::{self, AttemptRecord, EmailRecord, Settle, Settlement};
use convene_store::smtp_senders;
use convene_store::{StoreResult, now_ms};
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

/// What the outbox worker runs on: the mailer (with the database it reads) and the metrics it counts emails in.
/// The server's state converts into one.
#[derive(Clone)]
pub struct EmailWorker {
    pub mailer: Arc<Mailer>,
    pub metrics: Arc<Metrics>,
}

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
pub async fn process_due(worker: impl Into<EmailWorker>, now: i64) -> StoreResult<Vec<Processed>> {
    let worker = &worker.into();
    let claimed = claim(worker, now).await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let processed = send_all(worker, claimed, Clock::At(now)).await;
    settle(worker, &processed).await?;
    Ok(processed)
}

async fn claim(worker: &EmailWorker, now: i64) -> StoreResult<Vec<EmailRecord>> {
    let settings = &worker.mailer.settings;
    let lease = i64::try_from(settings.lease.as_millis()).unwrap_or(i64::MAX);
    outbox::claim_due(worker.mailer.db(), now, lease, batch_size(settings.connections)).await
}

async fn send_all(worker: &EmailWorker, claimed: Vec<EmailRecord>, clock: Clock) -> Vec<Processed> {
    futures::stream::iter(claimed)
        .map(|email| send_with(worker, email, clock))
        .buffer_unordered(worker.mailer.settings.connections.max(1))
        .collect()
        .await
}

async fn settle(worker: &EmailWorker, processed: &[Processed]) -> StoreResult<()> {
    let settles: Vec<Settle> = processed.iter().map(to_settle).collect();
    let applied = outbox::settle_all(worker.mailer.db(), &settles, now_ms()).await?;
    for (p, applied) in processed.iter().zip(applied) {
        if !applied {
            tracing::warn!(
                email_id = p.id,
                "email was taken over by another worker before its result was recorded"
            );
            continue;
        }
        worker.metrics.record_email(&p.kind, &p.settlement);
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

/// Where the circuit breaker and the sender-failing alert read the time: the wall clock in the worker loop, the
/// batch's `now` when a test drives [`process_due`] (so a cool-down or a day between alerts passes without sleeping).
#[derive(Debug, Clone, Copy)]
enum Clock {
    Wall,
    At(i64),
}

impl Clock {
    fn now(self) -> i64 {
        match self {
            Clock::Wall => now_ms(),
            Clock::At(now) => now,
        }
    }
}

/// Tries `email`'s steps in order — the organization's sender (unless its circuit is open), then the platform —
/// until one accepts it, one rejects the recipient for good, or none is left.
async fn send_one(worker: &EmailWorker, email: EmailRecord) -> Processed {
    send_with(worker, email, Clock::Wall).await
}

async fn send_with(worker: &EmailWorker, email: EmailRecord, clock: Clock) -> Processed {
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
                        utc_iso(ts(until))
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
                        started_at: now_ms(),
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
        (None, _) => match mailer
            .settings
            .retry
            .next_attempt_at(email.attempts, email.not_before, now_ms())
        {
            Some(next_attempt_at) => Settlement::Retry { next_attempt_at },
            None => Settlement::Failed,
        },
    };
    Processed {
        id: email.id,
        kind: email.kind,
        settlement,
        routes: tried,
    }
}

/// Sends through one route and records the attempt.
async fn attempt(route: &Route, email: &EmailRecord, tried: &mut Vec<AttemptRecord>) -> Result<(), DeliveryFailure> {
    let started_at = now_ms();
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
        tracing::info!(email_id = email.id, route = %route.name, %failure, "email route failed");
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
    now: i64,
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
    if let Err(e) = smtp_senders::record_health(worker.mailer.db(), sender.id, sender.version, health, now_ms()).await {
        tracing::warn!(sender_id = sender.id, error = %e, "could not record a sender's health");
    }
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

/// Sends due emails until `shutdown` turns true (or, in [`RunMode::UntilIdle`], nothing is due), as a pipeline:
/// the claim loop takes only as many rows as can start soon (twice the connections), each email is sent as soon
/// as a connection slot frees up, and a recorder settles finished emails in batches — so no batch waits for its
/// slowest email, and rows never sit claimed for long before their send starts (their lease stays ample).
/// On stop, emails in flight are finished and recorded first, so a clean stop never strands a row in `sending`.
pub fn spawn_worker(
    worker: impl Into<EmailWorker>,
    mut shutdown: watch::Receiver<bool>,
    mode: RunMode,
) -> JoinHandle<()> {
    let worker = worker.into();
    tokio::spawn(async move {
        let connections = worker.mailer.settings.connections.max(1);
        let idle = worker.mailer.settings.poll_interval;
        let (done_tx, done_rx) = mpsc::channel::<Processed>(connections * 8);
        let recorder = tokio::spawn(record_loop(worker.clone(), done_rx));
        let slots = Arc::new(Semaphore::new(connections));
        let lease = i64::try_from(worker.mailer.settings.lease.as_millis()).unwrap_or(i64::MAX);
        let pace = Arc::new(Pace::default());
        let mut drained = false;
        while !*shutdown.borrow() {
            let ahead = pace.claim_size(connections, lease);
            let claimed = match outbox::claim_due(worker.mailer.db(), now_ms(), lease, ahead).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::error!(error = %e, "email worker could not reach the outbox");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                if mode == RunMode::UntilIdle {
                    // Let the emails in flight finish (a retry may fall due at once) before deciding.
                    if drained {
                        break;
                    }
                    wait_for_idle(&slots, connections).await;
                    drained = true;
                    continue;
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
            drained = false;
            for email in claimed {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let (worker, done, pace) = (worker.clone(), done_tx.clone(), pace.clone());
                tokio::spawn(async move {
                    let started = Instant::now();
                    let processed = send_one(&worker, email).await;
                    pace.observe(started.elapsed());
                    // The recorder outlives every sender (it stops only when all senders are gone).
                    let _ = done.send(processed).await;
                    drop(slot);
                });
            }
        }
        wait_for_idle(&slots, connections).await;
        drop(done_tx);
        let _ = recorder.await;
        tracing::info!("email worker stopped");
    })
}

/// How long sends take lately (a moving average), to size claims: as many rows as the connections can start
/// within a quarter of the lease — hundreds when sends take milliseconds (fewer claims, more throughput), a
/// handful when a server is slow (no claimed row waits so long that its lease runs out before its send starts).
#[derive(Default)]
struct Pace {
    /// Microseconds; 0 until the first send finishes.
    average_us: std::sync::atomic::AtomicU64,
}

impl Pace {
    fn observe(&self, took: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.average_us.load(Relaxed);
        let new = if old == 0 { sample } else { (old * 7 + sample) / 8 };
        self.average_us.store(new, Relaxed);
    }

    fn claim_size(&self, connections: usize, lease_ms: i64) -> i64 {
        let floor = i64::try_from(connections * 2).unwrap_or(64);
        let average_us = self.average_us.load(std::sync::atomic::Ordering::Relaxed);
        if average_us == 0 {
            return floor;
        }
        let per_connection = (lease_ms.saturating_mul(1000) / 4) / i64::try_from(average_us).unwrap_or(i64::MAX).max(1);
        per_connection
            .saturating_mul(i64::try_from(connections).unwrap_or(1))
            .clamp(floor, 512.max(floor))
    }
}

async fn wait_for_idle(slots: &Semaphore, connections: usize) {
    if let Ok(all) = slots.acquire_many(u32::try_from(connections).unwrap_or(u32::MAX)).await {
        drop(all);
    }
}

/// Settles finished emails in batches of whatever has arrived. A failed recording is retried; if the database
/// stays away the rows stay `sending`, their lease runs out and they are sent again (at least once).
async fn record_loop(worker: EmailWorker, mut done: mpsc::Receiver<Processed>) {
    let mut batch = Vec::with_capacity(512);
    while done.recv_many(&mut batch, 512).await > 0 {
        for wait in [0u64, 100, 500, 2000] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            match settle(&worker, &batch).await {
                Ok(()) => break,
                Err(e) => tracing::error!(error = %e, "could not record sent emails; retrying"),
            }
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_grow_with_fast_sends_and_shrink_to_a_few_when_sends_are_slow() {
        let lease_ms = 600_000;
        let pace = Pace::default();
        assert_eq!(pace.claim_size(8, lease_ms), 16, "before any send: two per connection");
        for _ in 0..20 {
            pace.observe(Duration::from_millis(2));
        }
        assert_eq!(pace.claim_size(8, lease_ms), 512, "fast sends: big claims, capped");
        for _ in 0..40 {
            pace.observe(Duration::from_secs(100));
        }
        // A quarter of the lease is 150 s: one send per connection fits, so the floor applies.
        assert_eq!(pace.claim_size(8, lease_ms), 16);
        for _ in 0..40 {
            pace.observe(Duration::from_secs(10));
        }
        // The average approaches 10 s: about 15 sends per connection fit in 150 s.
        let size = pace.claim_size(8, lease_ms);
        assert!((100..=120).contains(&size), "{size}");
    }
}
