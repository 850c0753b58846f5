//! The background loop that drains the webhook queue.

use super::delivery::{WebhookWorker, deliver_next};
use convene_store::webhooks::deliveries;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Delivers due webhooks one after another, idling `poll_interval` when none is due, until `shutdown` turns
/// true (or its sender is dropped). At start it takes back the delivery it held under its name when it last died.
/// On stop, a delivery in flight gets the grace period to finish; past it, it is abandoned and given back (due at
/// once), so stopping never strands a row in `delivering`. Other processes sharing a PostgreSQL database run their
/// own loops; the claim keeps them off each other's rows.
pub fn spawn_worker(worker: impl Into<WebhookWorker>, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    let worker = worker.into();
    tokio::spawn(async move {
        give_back(&worker, "held before this start").await;
        let idle = worker.settings.poll_interval;
        while !*shutdown.borrow() {
            let delivery = deliver_next(&worker, convene_store::now());
            tokio::pin!(delivery);
            let finished = tokio::select! {
                result = &mut delivery => Some(result),
                () = stop_then_grace(&mut shutdown, worker.shutdown_grace) => None,
            };
            let busy = match finished {
                Some(Ok(outcome)) => outcome.is_some(),
                Some(Err(e)) => {
                    tracing::error!(error = %e, "webhook worker could not reach the queue");
                    false
                }
                None => {
                    tracing::warn!("stopping: the webhook delivery in flight outlasted the grace period; given back");
                    break;
                }
            };
            if !busy {
                tokio::select! {
                    changed = shutdown.changed() => {
                        // The sender is gone: nobody can ask us to stop any more, so stop now.
                        if changed.is_err() {
                            break;
                        }
                    }
                    () = tokio::time::sleep(idle) => {}
                }
            }
        }
        give_back(&worker, "abandoned at stop").await;
        tracing::info!("webhook worker stopped");
    })
}

/// Resolves once a stop has been asked for (or can no longer be) and the grace period has passed since.
async fn stop_then_grace(shutdown: &mut watch::Receiver<bool>, grace: std::time::Duration) {
    let _ = shutdown.wait_for(|stop| *stop).await;
    tokio::time::sleep(grace).await;
}

async fn give_back(worker: &WebhookWorker, why: &str) {
    match deliveries::release_all_claims(&worker.db, &worker.id, jiff::Timestamp::now()).await {
        Ok(0) => {}
        Ok(released) => tracing::info!(released, why, "webhook deliveries given back to the queue"),
        Err(e) => tracing::error!(error = %e, why, "could not give webhook deliveries back; their leases will run out"),
    }
}
