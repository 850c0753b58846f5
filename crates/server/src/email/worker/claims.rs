//! The rows a worker holds, and the heartbeat that keeps their leases alive while they are being sent.
//!
//! Leases are short (`email_lease_secs`, 30 s by default) so that a worker that dies without coming back loses its
//! rows to the others quickly; a live worker renews the leases of what it holds every third of the lease, however
//! long a slow server keeps it. A row leaves the set when its result is recorded or it is given back; a row whose
//! result could not be recorded leaves it too, so its lease runs out and it is sent again (at least once).

use super::EmailWorker;
use convene_core::EmailId;
use convene_store::outbox;
use jiff::Timestamp;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Ids of the rows this worker has claimed and not yet recorded or given back.
#[derive(Debug, Default)]
pub(super) struct Held {
    ids: Mutex<HashSet<EmailId>>,
}

impl Held {
    pub(super) fn add(&self, ids: impl IntoIterator<Item = EmailId>) {
        self.lock().extend(ids);
    }

    pub(super) fn remove(&self, ids: impl IntoIterator<Item = EmailId>) {
        let mut held = self.lock();
        for id in ids {
            held.remove(&id);
        }
    }

    pub(super) fn snapshot(&self) -> Vec<EmailId> {
        self.lock().iter().copied().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<EmailId>> {
        self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Renews the leases of `held` rows every third of the lease until `stop` turns true.
pub(super) fn spawn_heartbeat(worker: EmailWorker, held: Arc<Held>, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let lease = worker.mailer.settings.lease;
        let every = (lease / 3).max(Duration::from_millis(100));
        loop {
            tokio::select! {
                stopped = stop.wait_for(|s| *s) => {
                    let _ = stopped;
                    return;
                }
                () = tokio::time::sleep(every) => {}
            }
            let ids = held.snapshot();
            if ids.is_empty() {
                continue;
            }
            match outbox::renew_claims(
                worker.mailer.db(),
                &worker.id,
                &ids,
                Timestamp::now(),
                super::lease_ms(&worker),
            )
            .await
            {
                Ok(renewed) => {
                    worker.health.reached();
                    if renewed < ids.len() as u64 {
                        // Settled meanwhile, or taken over after a lease ran out while the database was away.
                        tracing::debug!(
                            held = ids.len(),
                            renewed,
                            "some held emails were no longer ours to renew"
                        );
                    }
                }
                Err(e) => {
                    worker.health.failed(&e);
                    tracing::error!(error = %e, "could not renew the leases of emails being sent");
                }
            }
        }
    })
}
