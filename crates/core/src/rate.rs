//! Rates ("10 per minute") and the generic cell rate algorithm (GCRA) that enforces them.
//!
//! A limit keeps one number per key: the *theoretical arrival time* (TAT), the instant at which the key's
//! allowance would be whole again. Each request moves it one emission interval `T = period / count` later
//! (starting from now when it lies in the past); a request is refused when that would put the TAT more than
//! `count × T` ahead of now. So a fresh key may spend its whole allowance at once, then one request per `T`
//! comes back. The same arithmetic runs in memory (one process) and as one SQL upsert (processes sharing a
//! database), so both enforce exactly the same limit. Instants are microseconds since the epoch.

use crate::FieldError;
use std::fmt;
use std::num::NonZeroU32;

const MICROS_PER_SECOND: i64 = 1_000_000;
/// The longest period a rate may name (a week): long enough for any allowance, short enough that stored
/// state expires.
const MAX_PERIOD_SECONDS: u64 = 7 * 24 * 3600;
/// More requests than this per period is no limit worth enforcing, and keeps `count × T` exact.
const MAX_COUNT: u32 = 1_000_000;

/// At most `count` requests per `period`, all of which may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    count: NonZeroU32,
    period_seconds: u64,
}

impl Rate {
    /// `count` per `period_seconds`; `None` when either is zero or out of range.
    pub fn new(count: u32, period_seconds: u64) -> Option<Self> {
        let count = NonZeroU32::new(count).filter(|c| c.get() <= MAX_COUNT)?;
        (1..=MAX_PERIOD_SECONDS)
            .contains(&period_seconds)
            .then_some(Self { count, period_seconds })
    }

    /// `count` per minute.
    pub fn per_minute(count: NonZeroU32) -> Self {
        Self {
            count: count.min(NonZeroU32::new(MAX_COUNT).unwrap_or(NonZeroU32::MAX)),
            period_seconds: 60,
        }
    }

    /// Reads `COUNT/PERIOD`, where the period is `second`, `minute`, `hour` or `day` (or `s`, `m`, `h`, `d`),
    /// optionally with a multiplier: `10/minute`, `5/15m`, `30/hour`, `100/1d`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                field,
                format!("{raw:?} is not a rate like \"10/minute\", \"5/15m\" or \"30/hour\""),
            )
        };
        let (count, period) = raw.trim().split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        let period = period.trim();
        let digits = period.chars().take_while(char::is_ascii_digit).count();
        let (multiplier, unit) = period.split_at(digits);
        let multiplier: u64 = if multiplier.is_empty() {
            1
        } else {
            multiplier.parse().map_err(|_| invalid())?
        };
        let unit_seconds = match unit.trim() {
            "s" | "sec" | "second" | "seconds" => 1,
            "m" | "min" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(invalid()),
        };
        Self::new(count, multiplier.saturating_mul(unit_seconds)).ok_or_else(|| {
            FieldError::new(
                field,
                format!("{raw:?}: the count must be 1 to {MAX_COUNT} and the period at most 7 days"),
            )
        })
    }

    pub fn count(&self) -> u32 {
        self.count.get()
    }

    pub fn period_seconds(&self) -> u64 {
        self.period_seconds
    }

    /// `T`: how far one request moves the TAT, in microseconds (at least 1).
    pub fn interval_micros(&self) -> i64 {
        let period = i64::try_from(self.period_seconds).unwrap_or(i64::MAX / MICROS_PER_SECOND) * MICROS_PER_SECOND;
        (period / i64::from(self.count.get())).max(1)
    }

    /// `count × T`: how far ahead of now the TAT may run. Using `T` rounded down on both sides keeps the burst
    /// exactly `count` whatever the rounding.
    pub fn tolerance_micros(&self) -> i64 {
        self.interval_micros() * i64::from(self.count.get())
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self.period_seconds {
            s if s % 86_400 == 0 => (s / 86_400, "d"),
            s if s % 3600 == 0 => (s / 3600, "h"),
            s if s % 60 == 0 => (s / 60, "m"),
            s => (s, "s"),
        };
        match (n, unit) {
            (1, "d") => write!(f, "{}/day", self.count),
            (1, "h") => write!(f, "{}/hour", self.count),
            (1, "m") => write!(f, "{}/minute", self.count),
            (1, _) => write!(f, "{}/second", self.count),
            (n, unit) => write!(f, "{}/{n}{unit}", self.count),
        }
    }
}

/// What GCRA decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead; store `tat` as the key's new TAT.
    Allowed { tat: i64 },
    /// Refused; the key's state stays as it was, and a request would pass again after this many microseconds.
    Denied { retry_after_micros: i64 },
}

/// Decides one request for a key whose stored TAT is `tat` (`None`: never seen, or forgotten).
pub fn decide(tat: Option<i64>, now: i64, rate: &Rate) -> Decision {
    let interval = rate.interval_micros();
    let new_tat = tat.map_or(now, |t| t.max(now)).saturating_add(interval);
    if new_tat - now <= rate.tolerance_micros() {
        Decision::Allowed { tat: new_tat }
    } else {
        Decision::Denied {
            retry_after_micros: retry_after(tat.unwrap_or(now), now, rate),
        }
    }
}

/// How long until a key with TAT `tat` may make one more request (zero when it may now).
pub fn retry_after(tat: i64, now: i64, rate: &Rate) -> i64 {
    (tat + rate.interval_micros() - rate.tolerance_micros() - now).max(0)
}

/// The TAT after giving one request back (a sign-in that turned out to be the owner's, say). Never earlier than
/// `now`, which is the same as a key with its whole allowance.
pub fn give_back(tat: i64, now: i64, rate: &Rate) -> i64 {
    (tat - rate.interval_micros()).max(now)
}

/// Whole seconds to tell a client in `Retry-After`: rounded up, and at least one.
pub fn retry_after_seconds(micros: i64) -> u64 {
    let seconds = (micros.max(0) + MICROS_PER_SECOND - 1) / MICROS_PER_SECOND;
    u64::try_from(seconds).unwrap_or(0).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rate(raw: &str) -> Rate {
        Rate::parse("rate", raw).expect("valid rate")
    }

    #[test]
    fn rates_are_read_with_or_without_a_multiplier() {
        assert_eq!(rate("10/minute"), Rate::new(10, 60).expect("rate"));
        assert_eq!(rate(" 5 / 15m "), Rate::new(5, 900).expect("rate"));
        assert_eq!(rate("30/hour"), Rate::new(30, 3600).expect("rate"));
        assert_eq!(rate("100/1d"), Rate::new(100, 86_400).expect("rate"));
        assert_eq!(rate("2/30s"), Rate::new(2, 30).expect("rate"));
        for bad in [
            "",
            "10",
            "10/",
            "/minute",
            "ten/minute",
            "10/fortnight",
            "0/minute",
            "5/0m",
            "5/8d",
            "-1/s",
        ] {
            let e = Rate::parse("limit_x", bad).expect_err(bad);
            assert_eq!(e.field, "limit_x");
        }
    }

    #[test]
    fn rates_print_as_they_are_written() {
        for raw in ["10/minute", "5/15m", "30/hour", "3/day", "2/30s", "7/second", "4/2d"] {
            assert_eq!(rate(raw).to_string(), raw);
        }
    }

    #[test]
    fn a_fresh_key_spends_its_whole_allowance_at_once_then_waits_one_interval() {
        let r = rate("5/minute");
        let now = 1_000_000_000;
        let mut tat = None;
        for _ in 0..5 {
            match decide(tat, now, &r) {
                Decision::Allowed { tat: t } => tat = Some(t),
                Decision::Denied { .. } => panic!("within the burst"),
            }
        }
        let Decision::Denied { retry_after_micros } = decide(tat, now, &r) else {
            panic!("the sixth is refused");
        };
        assert_eq!(retry_after_micros, 12_000_000, "one request every 12 s comes back");
        assert!(matches!(decide(tat, now + 12_000_000, &r), Decision::Allowed { .. }));
    }

    #[test]
    fn giving_back_returns_one_request_and_never_more_than_the_whole_allowance() {
        let r = rate("2/minute");
        let now = 5_000_000;
        let Decision::Allowed { tat } = decide(None, now, &r) else {
            panic!()
        };
        let Decision::Allowed { tat } = decide(Some(tat), now, &r) else {
            panic!()
        };
        assert!(matches!(decide(Some(tat), now, &r), Decision::Denied { .. }));
        let back = give_back(tat, now, &r);
        assert!(matches!(decide(Some(back), now, &r), Decision::Allowed { .. }));
        assert_eq!(give_back(give_back(back, now, &r), now, &r), now);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(0), 1);
        assert_eq!(retry_after_seconds(1), 1);
        assert_eq!(retry_after_seconds(1_000_000), 1);
        assert_eq!(retry_after_seconds(1_000_001), 2);
    }

    proptest! {
        /// However requests arrive, between any two that passed no more got through than the burst plus what
        /// refilled meanwhile.
        #[test]
        fn never_more_than_the_rate_allows(count in 1u32..50, period in 1u64..3600, gaps in proptest::collection::vec(0i64..5_000_000, 1..300)) {
            let r = Rate::new(count, period).expect("rate");
            let mut tat = None;
            let mut now = 0i64;
            let mut allowed_at = Vec::new();
            for gap in gaps {
                now += gap;
                if let Decision::Allowed { tat: t } = decide(tat, now, &r) {
                    tat = Some(t);
                    allowed_at.push(now);
                }
            }
            let interval = r.interval_micros();
            for (i, first) in allowed_at.iter().enumerate() {
                for (j, last) in allowed_at.iter().enumerate().skip(i) {
                    // A burst of `count`, plus one for every interval between the first and the last.
                    let through = (j - i + 1) as i64;
                    prop_assert!(through <= i64::from(count) + (last - first) / interval);
                }
            }
        }
    }
}
