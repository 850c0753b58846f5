//! A cap on each organization sender's emails in flight, so that one destination that stops answering (sessions
//! hung after DATA hold their connection until the DATA timeout) cannot take every connection of the worker: the
//! platform's and the other organizations' emails keep the rest.
//!
//! An email whose sender is at its cap is not held in memory waiting: it is given back to the outbox, due again
//! shortly (longer the longer the sender stays saturated, up to [`MAX_DEFER`]), and other emails take its place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The shortest and longest wait before an email of a saturated sender is due again.
const MIN_DEFER: Duration = Duration::from_secs(1);
const MAX_DEFER: Duration = Duration::from_secs(30);

/// Per-sender caps of one worker.
pub(super) struct SenderGates {
    cap: usize,
    gates: Mutex<HashMap<i64, Gate>>,
}

struct Gate {
    permits: Arc<Semaphore>,
    /// Since when emails have found the sender at its cap (cleared when one gets in).
    saturated_since: Option<Instant>,
}

impl SenderGates {
    /// At most `cap` emails per sender in flight (at least one).
    pub(super) fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// A place among `sender`'s emails in flight, held until dropped; or, when the sender is at its cap, how long
    /// the email should wait before it is due again.
    pub(super) fn enter(&self, sender: i64) -> Result<OwnedSemaphorePermit, Duration> {
        let mut gates = self.gates.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let gate = gates.entry(sender).or_insert_with(|| Gate {
            permits: Arc::new(Semaphore::new(self.cap)),
            saturated_since: None,
        });
        match gate.permits.clone().try_acquire_owned() {
            Ok(permit) => {
                gate.saturated_since = None;
                Ok(permit)
            }
            Err(_) => {
                let since = *gate.saturated_since.get_or_insert_with(Instant::now);
                Err(since.elapsed().clamp(MIN_DEFER, MAX_DEFER))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_at_its_cap_turns_emails_away_and_others_are_unaffected() {
        let gates = SenderGates::new(2);
        let a1 = gates.enter(1).expect("first of sender 1");
        let _a2 = gates.enter(1).expect("second of sender 1");
        assert_eq!(gates.enter(1).expect_err("sender 1 is at its cap"), MIN_DEFER);
        let _b = gates.enter(2).expect("sender 2 has its own cap");
        drop(a1);
        assert!(gates.enter(1).is_ok(), "a place freed up");
    }
}
