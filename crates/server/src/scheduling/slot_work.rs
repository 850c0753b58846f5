//! Bounds on the work and memory of slot listings.
//!
//! A listing's cost grows with the number of candidate starts it walks: the window's length divided by the slot
//! step, for every host. Anonymous callers choose both, so each answer is capped
//! ([`SlotWorkSettings::max_starts_per_answer`]) and all listings computing at once share one budget of starts
//! ([`SlotWorkSettings::max_starts_in_flight`]). A listing that doesn't fit waits its turn for a while, then is
//! turned away with a time to retry. Memory held by listings in flight is thereby bounded by the budget
//! whatever the number of callers.

use convene_core::schedule::Interval;
use jiff::SignedDuration;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How much slot work one answer and all answers together may take.
#[derive(Debug, Clone)]
pub struct SlotWorkSettings {
    /// Candidate starts (window ÷ step) one host's listing may walk; more is refused with 400.
    pub max_starts_per_answer: u32,
    /// Candidate starts (summed over hosts) all listings in flight may walk together.
    pub max_starts_in_flight: u32,
    /// How long a listing may wait for room in the budget before it is refused with 503.
    pub queue_wait: Duration,
}

impl Default for SlotWorkSettings {
    fn default() -> Self {
        Self {
            // 93 days of 10-minute slots (13,392) or a month of 5-minute ones (8,928) fit; a month of 1-minute
            // slots (44,640) does not.
            max_starts_per_answer: 20_000,
            // Ten of the largest answers at once: ~200,000 starts, some 10-20 MB of timestamps and JSON.
            max_starts_in_flight: 200_000,
            queue_wait: Duration::from_secs(5),
        }
    }
}

/// Why a listing is not computed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlotWorkError {
    /// The window holds more candidate starts than one answer may.
    #[error("the window holds {starts} possible starts {step_minutes} minutes apart; at most {max} per request")]
    TooManyStarts { starts: u64, step_minutes: i64, max: u32 },
    /// The shared budget stayed full for the whole queue wait.
    #[error("too many slot listings are being computed; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
}

/// The shared budget of candidate starts; one per server.
#[derive(Debug)]
pub struct SlotWork {
    settings: SlotWorkSettings,
    budget: Arc<Semaphore>,
}

/// Room in the budget, given back when dropped (after the answer is built).
#[derive(Debug)]
pub struct SlotWorkPermit {
    _permit: Option<OwnedSemaphorePermit>,
}

/// Candidate starts `step` apart in `window` (the grid may be anchored anywhere, so round up).
pub fn candidate_starts(window: Interval, step: SignedDuration) -> u64 {
    let (span, step) = (window.duration().as_millis(), step.as_millis().max(1));
    u64::try_from((span + step - 1) / step).unwrap_or(u64::MAX)
}

impl SlotWork {
    pub fn new(settings: SlotWorkSettings) -> Self {
        let permits = usize::try_from(settings.max_starts_in_flight).unwrap_or(usize::MAX);
        Self {
            budget: Arc::new(Semaphore::new(permits.min(Semaphore::MAX_PERMITS))),
            settings,
        }
    }

    /// Checks one host's listing against the per-answer cap.
    pub fn check_answer(&self, window: Interval, step: SignedDuration) -> Result<u64, SlotWorkError> {
        let starts = candidate_starts(window, step);
        let max = self.settings.max_starts_per_answer;
        if starts > u64::from(max) {
            return Err(SlotWorkError::TooManyStarts {
                starts,
                step_minutes: step.as_mins(),
                max,
            });
        }
        Ok(starts)
    }

    /// Takes `starts × hosts` from the budget (all of it at most, so a listing for many hosts runs alone rather
    /// than never), waiting up to the queue wait.
    pub async fn admit(&self, starts: u64, hosts: usize) -> Result<SlotWorkPermit, SlotWorkError> {
        let whole = self.settings.max_starts_in_flight;
        let weight = starts.saturating_mul(u64::try_from(hosts).unwrap_or(u64::MAX));
        let weight = u32::try_from(weight).unwrap_or(whole).min(whole);
        if weight == 0 {
            return Ok(SlotWorkPermit { _permit: None });
        }
        let acquire = self.budget.clone().acquire_many_owned(weight);
        match tokio::time::timeout(self.settings.queue_wait, acquire).await {
            Ok(Ok(permit)) => Ok(SlotWorkPermit { _permit: Some(permit) }),
            // Timed out, or (never: the semaphore is not closed) closed.
            _ => Err(SlotWorkError::Busy {
                retry_after_secs: self.settings.queue_wait.as_secs().max(1),
            }),
        }
    }

    /// Candidate starts currently free in the budget (for tests and metrics).
    pub fn available(&self) -> usize {
        self.budget.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn window(days: i64) -> Interval {
        let start = Timestamp::UNIX_EPOCH;
        Interval::new(start, start + SignedDuration::from_hours(24 * days)).expect("non-empty")
    }

    fn work(per_answer: u32, in_flight: u32, wait_ms: u64) -> SlotWork {
        SlotWork::new(SlotWorkSettings {
            max_starts_per_answer: per_answer,
            max_starts_in_flight: in_flight,
            queue_wait: Duration::from_millis(wait_ms),
        })
    }

    #[test]
    fn a_month_of_quarter_hours_fits_the_default_cap_and_a_month_of_minutes_does_not() {
        let w = SlotWork::new(SlotWorkSettings::default());
        assert_eq!(w.check_answer(window(31), SignedDuration::from_mins(15)), Ok(2976));
        assert_eq!(w.check_answer(window(93), SignedDuration::from_mins(10)), Ok(13_392));
        assert_eq!(
            w.check_answer(window(31), SignedDuration::from_mins(1)),
            Err(SlotWorkError::TooManyStarts {
                starts: 44_640,
                step_minutes: 1,
                max: 20_000
            })
        );
    }

    #[test]
    fn a_partial_step_counts_as_a_start() {
        let w = Interval::new(
            Timestamp::UNIX_EPOCH,
            Timestamp::UNIX_EPOCH + SignedDuration::from_mins(61),
        )
        .expect("non-empty");
        assert_eq!(candidate_starts(w, SignedDuration::from_mins(30)), 3);
    }

    #[tokio::test]
    async fn a_listing_that_does_not_fit_the_budget_waits_then_is_turned_away() {
        let w = work(1_000, 1_500, 50);
        let first = w.admit(1_000, 1).await.expect("fits");
        assert_eq!(w.available(), 500);
        assert_eq!(
            w.admit(1_000, 1).await.expect_err("no room"),
            SlotWorkError::Busy { retry_after_secs: 1 }
        );
        assert!(w.admit(400, 1).await.is_ok(), "a smaller listing still fits");
        drop(first);
        assert_eq!(w.available(), 1_500, "room comes back when the answer is done");
        assert!(w.admit(1_000, 1).await.is_ok());
    }

    #[tokio::test]
    async fn a_waiting_listing_runs_as_soon_as_room_comes_back() {
        let w = Arc::new(work(1_000, 1_000, 5_000));
        let first = w.admit(1_000, 1).await.expect("fits");
        let waiter = tokio::spawn({
            let w = w.clone();
            async move { w.admit(1_000, 1).await.map(drop) }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "it waits while the budget is full");
        drop(first);
        assert_eq!(waiter.await.expect("joined"), Ok(()));
    }

    #[tokio::test]
    async fn many_hosts_take_at_most_the_whole_budget() {
        let w = work(1_000, 1_500, 50);
        let permit = w.admit(1_000, 40).await.expect("runs alone");
        assert_eq!(w.available(), 0);
        drop(permit);
    }
}
