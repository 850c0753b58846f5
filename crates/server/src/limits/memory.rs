//! The counts of one process: a table from key to its theoretical arrival time, under one lock (each step is a
//! few arithmetic operations, so nobody holds it for long).

use super::key::LimitKey;
use convene_core::rate::{self, Decision, Rate};
use std::collections::HashMap;
use std::sync::Mutex;

/// How often (microseconds) the table drops keys whose allowance is whole again, so that keys an attacker
/// invents (addresses, emails) cost memory only while they are limited.
const SWEEP_EVERY_MICROS: i64 = 60_000_000;

#[derive(Debug, Default)]
pub struct MemoryCounts {
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    tats: HashMap<LimitKey, i64>,
    last_sweep: i64,
}

impl MemoryCounts {
    /// Decides one request for `key`; `Err(micros)` when refused.
    pub fn take(&self, key: &LimitKey, now: i64, rate: &Rate) -> Result<(), i64> {
        let mut table = self.lock();
        if now - table.last_sweep >= SWEEP_EVERY_MICROS {
            table.tats.retain(|_, tat| *tat > now);
            table.tats.shrink_to_fit();
            table.last_sweep = now;
        }
        match rate::decide(table.tats.get(key).copied(), now, rate) {
            Decision::Allowed { tat } => {
                table.tats.insert(key.clone(), tat);
                Ok(())
            }
            Decision::Denied { retry_after_micros } => Err(retry_after_micros),
        }
    }

    pub fn give_back(&self, key: &LimitKey, now: i64, rate: &Rate) {
        if let Some(tat) = self.lock().tats.get_mut(key) {
            *tat = rate::give_back(*tat, now, rate);
        }
    }

    pub fn forget(&self, key: &LimitKey) {
        self.lock().tats.remove(key);
    }

    /// How many keys are held (tests check that swept keys go).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().tats.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic while holding the lock leaves plain numbers behind, which are still usable.
        self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::key::LimitKey;

    #[test]
    fn keys_whose_allowance_is_whole_again_are_swept() {
        let counts = MemoryCounts::default();
        let r = Rate::new(1, 1).expect("rate");
        let start = 10 * SWEEP_EVERY_MICROS;
        for id in 0..100 {
            assert!(counts.take(&LimitKey::BookingEventType(id), start, &r).is_ok());
        }
        assert_eq!(counts.len(), 100);
        // A minute later every one of them is whole again; the next request sweeps them.
        assert!(
            counts
                .take(&LimitKey::BookingEventType(1000), start + SWEEP_EVERY_MICROS, &r)
                .is_ok()
        );
        assert_eq!(counts.len(), 1);
    }
}
