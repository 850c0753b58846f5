//! How many rows to claim at a time, from how long sends take lately.

use std::time::Duration;

/// How long sends take lately (a moving average), to size claims: as many rows as the connections can start
/// within a quarter of the lease — hundreds when sends take milliseconds (fewer claims, more throughput), a
/// handful when a server is slow (rows sit claimed only briefly before their send starts: other workers get their
/// share, and a stop has little to give back).
#[derive(Default)]
pub(super) struct Pace {
    /// Microseconds; 0 until the first send finishes.
    average_us: std::sync::atomic::AtomicU64,
}

impl Pace {
    pub(super) fn observe(&self, took: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.average_us.load(Relaxed);
        let new = if old == 0 { sample } else { (old * 7 + sample) / 8 };
        self.average_us.store(new, Relaxed);
    }

    pub(super) fn claim_size(&self, connections: usize, lease: Duration) -> i64 {
        let floor = i64::try_from(connections * 2).unwrap_or(64);
        let average_us = self.average_us.load(std::sync::atomic::Ordering::Relaxed);
        if average_us == 0 {
            return floor;
        }
        let lease_us = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
        let per_connection = (lease_us / 4) / i64::try_from(average_us).unwrap_or(i64::MAX).max(1);
        per_connection
            .saturating_mul(i64::try_from(connections).unwrap_or(1))
            .clamp(floor, 512.max(floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_grow_with_fast_sends_and_shrink_to_a_few_when_sends_are_slow() {
        let lease = Duration::from_millis(600_000);
        let pace = Pace::default();
        assert_eq!(pace.claim_size(8, lease), 16, "before any send: two per connection");
        for _ in 0..20 {
            pace.observe(Duration::from_millis(2));
        }
        assert_eq!(pace.claim_size(8, lease), 512, "fast sends: big claims, capped");
        for _ in 0..40 {
            pace.observe(Duration::from_secs(100));
        }
        // A quarter of the lease is 150 s: one send per connection fits, so the floor applies.
        assert_eq!(pace.claim_size(8, lease), 16);
        for _ in 0..40 {
            pace.observe(Duration::from_secs(10));
        }
        // The average approaches 10 s: about 15 sends per connection fit in 150 s.
        let size = pace.claim_size(8, lease);
        assert!((100..=120).contains(&size), "{size}");
    }
}
