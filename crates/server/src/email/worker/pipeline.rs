//! The worker loop a process keeps running.
//!
//! At start it takes back whatever it held under its name when it last died. Then, until told to stop: claim as
//! many rows as can start soon ([`Pace`]); for each, unless its organization's sender is at its cap ([`SenderGates`];
//! then the row is given back, due again shortly), wait for a free connection slot and send it in a task of its
//! own; a recorder settles finished emails in batches; a heartbeat renews the leases of the rows held.
//!
//! On stop: claim nothing more, give back at once the rows not yet started, let the emails in flight finish for
//! up to `shutdown_grace`, abandon the rest, record what finished, and give back everything still held — so other
//! workers (or the next start) can take it at once instead of waiting for a lease to run out.

use super::claims::{Held, spawn_heartbeat};
use super::gates::SenderGates;
use super::pace::Pace;
use super::{EmailWorker, Processed, RunMode, lease_ms, send, settle};
use crate::time_text::advanced;
use convene_core::EmailId;
use convene_store::outbox;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Sends due emails until `shutdown` turns true (or its sender is dropped), or in [`RunMode::UntilIdle`] until
/// nothing is due and nothing is in flight.
pub fn spawn_worker(worker: impl Into<EmailWorker>, shutdown: watch::Receiver<bool>, mode: RunMode) -> JoinHandle<()> {
    let worker = worker.into();
    tokio::spawn(async move {
        worker.health.started();
        give_back_everything(&worker, "held before this start").await;
        let held = Arc::new(Held::default());
        let (stop_heartbeat, heartbeat_stop) = watch::channel(false);
        let heartbeat = spawn_heartbeat(worker.clone(), held.clone(), heartbeat_stop);
        let connections = worker.mailer.settings.connections.max(1);
        let (done_tx, done_rx) = mpsc::channel::<Processed>(connections * 8);
        let recorder = tokio::spawn(record_loop(worker.clone(), held.clone(), done_rx));

        let mut sends = JoinSet::new();
        let stopped = dispatch(&worker, &held, &mut sends, done_tx, shutdown, mode).await;
        if stopped {
            finish_in_flight(&worker, &mut sends).await;
        }
        while sends.join_next().await.is_some() {}
        // Every sender task is gone, so the recorder's channel closes once it has recorded what they sent.
        let _ = recorder.await;
        let _ = stop_heartbeat.send(true);
        let _ = heartbeat.await;
        give_back_everything(&worker, "abandoned at stop").await;
        worker.health.stopped();
        tracing::info!("email worker stopped");
    })
}

/// Claims and starts sends until told to stop (returns true) or, when idle in [`RunMode::UntilIdle`], until
/// nothing is left (returns false).
async fn dispatch(
    worker: &EmailWorker,
    held: &Held,
    sends: &mut JoinSet<()>,
    done: mpsc::Sender<Processed>,
    mut shutdown: watch::Receiver<bool>,
    mode: RunMode,
) -> bool {
    let settings = &worker.mailer.settings;
    let connections = settings.connections.max(1);
    let slots = Arc::new(Semaphore::new(connections));
    let gates = SenderGates::new(settings.per_sender_connections);
    let pace = Arc::new(Pace::default());
    let lease = worker.mailer.settings.lease;
    let mut drained = false;
    loop {
        if *shutdown.borrow() {
            return true;
        }
        while sends.try_join_next().is_some() {}
        let claimed = match outbox::claim_due_by(
            worker.mailer.db(),
            &worker.id,
            Timestamp::now(),
            lease_ms(worker),
            pace.claim_size(connections, lease),
        )
        .await
        {
            Ok(claimed) => {
                worker.health.reached();
                claimed
            }
            Err(e) => {
                worker.health.failed(&e);
                tracing::error!(error = %e, "email worker could not reach the outbox");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            if mode == RunMode::UntilIdle {
                // Let the emails in flight finish (a retry may fall due at once) before deciding.
                if drained {
                    return false;
                }
                wait_for_idle(&slots, connections).await;
                drained = true;
                continue;
            }
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => return true,
                () = tokio::time::sleep(settings.poll_interval) => {}
            }
            continue;
        }
        drained = false;
        held.add(claimed.iter().map(|e| e.id));
        let mut deferred: BTreeMap<Duration, Vec<EmailId>> = BTreeMap::new();
        let mut pending = claimed.into_iter();
        while let Some(email) = pending.next() {
            let pass = match worker.mailer.gated_sender(&email, convene_store::now()).await {
                Some(sender) => match gates.enter(sender) {
                    Ok(pass) => Some(pass),
                    Err(wait) => {
                        deferred.entry(wait).or_default().push(email.id);
                        continue;
                    }
                },
                None => None,
            };
            let slot = tokio::select! {
                biased;
                _ = shutdown.wait_for(|stop| *stop) => None,
                slot = slots.clone().acquire_owned() => slot.ok(),
            };
            let Some(slot) = slot else {
                let unstarted: Vec<EmailId> = std::iter::once(email.id).chain(pending.map(|e| e.id)).collect();
                give_back(worker, held, &unstarted, Duration::ZERO, "not started at stop").await;
                give_back_deferred(worker, held, deferred).await;
                return true;
            };
            let (worker, done, pace) = (worker.clone(), done.clone(), pace.clone());
            sends.spawn(async move {
                let started = Instant::now();
                let processed = send::send_one(&worker, email, send::Clock::Wall).await;
                pace.observe(started.elapsed());
                drop(pass);
                // The recorder outlives every sender (it stops only when all senders are gone).
                let _ = done.send(processed).await;
                drop(slot);
            });
        }
        give_back_deferred(worker, held, deferred).await;
    }
}

/// Lets the sends in flight finish for up to the grace period, then abandons the rest (their rows are given back
/// with everything else still held).
async fn finish_in_flight(worker: &EmailWorker, sends: &mut JoinSet<()>) {
    let grace = worker.shutdown_grace;
    let all_done = async { while sends.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        let abandoned = sends.len();
        sends.abort_all();
        tracing::warn!(
            abandoned,
            grace_ms = grace.as_millis(),
            "stopping: emails still being sent after the grace period were abandoned and given back"
        );
    }
}

async fn give_back_deferred(worker: &EmailWorker, held: &Held, deferred: BTreeMap<Duration, Vec<EmailId>>) {
    for (wait, ids) in deferred {
        give_back(worker, held, &ids, wait, "sender at its cap").await;
    }
}

/// Gives `ids` back to the outbox, due after `wait`.
async fn give_back(worker: &EmailWorker, held: &Held, ids: &[EmailId], wait: Duration, why: &str) {
    if ids.is_empty() {
        return;
    }
    let now = Timestamp::now();
    let due = advanced(now, wait);
    match outbox::release_claims(worker.mailer.db(), &worker.id, ids, due, now).await {
        Ok(released) => {
            held.remove(ids.iter().copied());
            tracing::debug!(released, why, "emails given back to the outbox");
        }
        // Still held: the final give-back retries them, and failing that their leases run out.
        Err(e) => {
            worker.health.failed(&e);
            tracing::error!(error = %e, why, "could not give emails back to the outbox");
        }
    }
}

/// Gives back every row held under this worker's name.
async fn give_back_everything(worker: &EmailWorker, why: &str) {
    match outbox::release_all_claims(worker.mailer.db(), &worker.id, Timestamp::now()).await {
        Ok(0) => {}
        Ok(released) => tracing::info!(released, why, worker = %worker.id, "emails given back to the outbox"),
        Err(e) => {
            worker.health.failed(&e);
            tracing::error!(error = %e, why, "could not give emails back to the outbox; their leases will run out");
        }
    }
}

async fn wait_for_idle(slots: &Semaphore, connections: usize) {
    if let Ok(all) = slots.acquire_many(u32::try_from(connections).unwrap_or(u32::MAX)).await {
        drop(all);
    }
}

/// Settles finished emails in batches of whatever has arrived. A failed recording is retried; if the database
/// stays away the rows are let go (no longer renewed), so their leases run out and they are sent again (at least
/// once).
async fn record_loop(worker: EmailWorker, held: Arc<Held>, mut done: mpsc::Receiver<Processed>) {
    let mut batch = Vec::with_capacity(512);
    while done.recv_many(&mut batch, 512).await > 0 {
        for wait in [0u64, 100, 500, 2000] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            match settle(&worker, &batch).await {
                Ok(()) => {
                    worker.health.reached();
                    break;
                }
                Err(e) => {
                    worker.health.failed(&e);
                    tracing::error!(error = %e, "could not record sent emails; retrying");
                }
            }
        }
        held.remove(batch.iter().map(|p| p.id));
        batch.clear();
    }
}
