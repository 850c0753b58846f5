//! The background loop that drains the webhook queue.

use super::delivery::{WebhookWorker, deliver_next};
use convene_store::now_ms;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Delivers due webhooks one after another, idling `poll_interval` when none is due, until `shutdown` turns
/// true (or its sender is dropped). A delivery in flight is finished first (its request is bounded by the timeout), so stopping never
/// strands a row in `delivering`. Other processes sharing a PostgreSQL database run their own loops; the
/// claim keeps them off each other's rows.
pub fn spawn_worker(worker: impl Into<WebhookWorker>, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    let worker = worker.into();
    tokio::spawn(async move {
        let idle = worker.settings.poll_interval;
        while !*shutdown.borrow() {
            let busy = match deliver_next(&worker, now_ms()).await {
                Ok(outcome) => outcome.is_some(),
                Err(e) => {
                    tracing::error!(error = %e, "webhook worker could not reach the queue");
                    false
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
        tracing::info!("webhook worker stopped");
    })
}
