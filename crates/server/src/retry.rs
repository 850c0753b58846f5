//! The retry schedule shared by webhook deliveries and emails.

use crate::time_text::advanced;
use jiff::Timestamp;
use rand::Rng;
use std::time::Duration;

/// Exponential backoff with jitter: the n-th retry waits `first_delay · 2ⁿ⁻¹` (at most `max_delay`), stretched by
/// up to a quarter at random so that deliveries failing together don't retry in lockstep. A delivery whose
/// next try would fall more than `give_up_after` after it was queued is marked failed instead.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min, … up to 6 h apart, for 24 h: about 13 attempts.
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(6 * 3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// When to try again after `attempts` failed attempts of a delivery queued at `queued_at`, or `None` when the
    /// budget is spent. The delay is whole milliseconds, as the outbox keeps instants.
    pub fn next_attempt_at(&self, attempts: i64, queued_at: Timestamp, now: Timestamp) -> Option<Timestamp> {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let base = self
            .first_delay
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_delay);
        let jitter = base.mul_f64(rand::rng().random_range(0.0..0.25));
        let delay = Duration::from_millis(u64::try_from((base + jitter).as_millis()).unwrap_or(u64::MAX));
        let deadline = advanced(queued_at, self.give_up_after);
        let next = advanced(now, delay);
        (next <= deadline).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    /// The policy's answer in epoch milliseconds, for instants given in epoch milliseconds.
    fn next_attempt_at(policy: &RetryPolicy, attempts: i64, queued_at: i64, now: i64) -> Option<i64> {
        let at = |ms| Timestamp::from_millisecond(ms).expect("in range");
        policy
            .next_attempt_at(attempts, at(queued_at), at(now))
            .map(Timestamp::as_millisecond)
    }

    #[test]
    fn delays_double_from_the_first_with_at_most_a_quarter_of_jitter() {
        let policy = RetryPolicy::default();
        for (attempts, base_ms) in [(1, 30_000), (2, 60_000), (3, 120_000), (6, 16 * MINUTE)] {
            let delays: Vec<i64> = (0..50)
                .map(|_| next_attempt_at(&policy, attempts, 0, 0).expect("within budget"))
                .collect();
            for next in &delays {
                assert!(
                    (base_ms..base_ms + base_ms / 4).contains(next),
                    "attempt {attempts}: {next}"
                );
            }
            // Jitter there is, spread over the quarter: 50 draws all within one fifth of it would happen about
            // once in 10^32 runs, while no jitter (or a constant one) lands them all on one value.
            let (low, high) = (delays.iter().min(), delays.iter().max());
            let spread = high.zip(low).map(|(h, l)| h - l).unwrap_or_default();
            assert!(
                spread > base_ms / 20,
                "attempt {attempts}: delays spread over {spread} ms only: {delays:?}"
            );
        }
    }

    #[test]
    fn delays_stop_growing_at_the_maximum() {
        let policy = RetryPolicy::default();
        let next = next_attempt_at(&policy, 25, 0, 0).expect("within budget");
        assert!((360 * MINUTE..450 * MINUTE).contains(&next), "{next}");
    }

    #[test]
    fn the_budget_ends_the_retries() {
        let policy = RetryPolicy::default();
        let day = 24 * 60 * MINUTE;
        assert!(next_attempt_at(&policy, 3, 0, day - 10 * MINUTE).is_some());
        assert_eq!(next_attempt_at(&policy, 3, 0, day), None);
        assert_eq!(
            next_attempt_at(&policy, 1, 0, day - 1),
            None,
            "the next try would land after the budget"
        );
    }
}
