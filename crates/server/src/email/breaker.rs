//! Per-sender circuit breakers: after repeated failures a sender is skipped for a cool-down (doubling each time it
//! reopens), then one email probes it. Each process keeps its own, seeded from and reported to the database, so
//! a dead server costs one timeout, not one per email.

use super::senders::SenderConfig;
use super::settings::BreakerSettings;
use crate::time_text::advanced;
use convene_core::SenderId;
use convene_store::smtp_senders::Health;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Default)]
struct BreakerState {
    version: i64,
    consecutive_failures: i64,
    open_until: Option<Timestamp>,
    opens: i64,
    probing: bool,
    /// The database already says OK (no write needed on a success).
    reported_ok: bool,
    /// Attempts admitted and not yet reported.
    in_flight: u32,
    /// The persisted `circuit_open_until` last seen in a loaded copy: another process's opening is adopted
    /// once, when it shows up, not again from a stale copy after this process closed the circuit.
    seen_persisted: Option<Timestamp>,
}

/// What the breaker says about the next email for a sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go ahead.
    Go,
    /// Cooled down: this email is the one probe.
    Probe,
    /// Open: skip the sender until the given instant.
    Skip { until: Timestamp },
    /// Not open yet, but an attempt just failed while others are still out: wait for their verdict through the
    /// platform rather than queue more emails behind what may be a dead server.
    Hold,
}

/// A change worth recording in the database (health) and, for `Opened`, telling the admins about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    None,
    Recovered,
    Failed { opened: bool },
}

/// Per-sender circuit breakers of this process (seeded from, and reported to, the database).
#[derive(Default)]
pub struct Breakers {
    settings: BreakerSettings,
    states: Mutex<HashMap<SenderId, BreakerState>>,
}

impl Breakers {
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, sender: &SenderConfig, f: impl FnOnce(&mut BreakerState) -> T) -> T {
        let mut states = self.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = states.entry(sender.id).or_default();
        if state.version != sender.version {
            // New settings start closed; otherwise adopt what another process recorded if it is stricter.
            *state = BreakerState {
                version: sender.version,
                consecutive_failures: sender.consecutive_failures,
                open_until: sender.circuit_open_until,
                opens: sender.circuit_opens,
                probing: false,
                reported_ok: sender.health_status == "OK",
                // Attempts of the old settings report against these; starting at zero keeps them harmless.
                in_flight: 0,
                seen_persisted: sender.circuit_open_until,
            };
        } else if sender.circuit_open_until != state.seen_persisted {
            state.seen_persisted = sender.circuit_open_until;
            if sender.circuit_open_until > state.open_until && !state.probing {
                state.open_until = sender.circuit_open_until;
                state.opens = state.opens.max(sender.circuit_opens);
            }
        }
        f(state)
    }

    /// Whether the next email may try the sender. Counting attempts in flight matters with concurrent sends:
    /// when a black-holed server makes the first of eight parallel emails time out, the next one must not be
    /// admitted before the other seven have reported (each admission would cost another full timeout).
    pub fn admit(&self, sender: &SenderConfig, now: Timestamp) -> Admission {
        self.with(sender, |s| match s.open_until {
            None if s.consecutive_failures > 0 && s.in_flight > 0 => Admission::Hold,
            None => {
                s.in_flight += 1;
                Admission::Go
            }
            Some(until) if now < until => Admission::Skip { until },
            Some(until) if s.probing => Admission::Skip { until },
            Some(_) => {
                s.probing = true;
                s.in_flight += 1;
                Admission::Probe
            }
        })
    }

    /// Whether the next email would skip the sender (its circuit is open, or its one probe is out), without
    /// admitting anything.
    pub fn skips(&self, sender: &SenderConfig, now: Timestamp) -> bool {
        self.with(sender, |s| s.open_until.is_some_and(|until| now < until || s.probing))
    }

    pub fn success(&self, sender: &SenderConfig) -> (Transition, Health) {
        self.with(sender, |s| {
            let changed = !s.reported_ok || s.consecutive_failures > 0 || s.open_until.is_some();
            *s = BreakerState {
                version: s.version,
                reported_ok: true,
                seen_persisted: s.seen_persisted,
                in_flight: s.in_flight.saturating_sub(1),
                ..BreakerState::default()
            };
            let transition = if changed {
                Transition::Recovered
            } else {
                Transition::None
            };
            (transition, health_of(s, "OK", None))
        })
    }

    /// Counts a failure of an email admitted as `admission`. A failed probe reopens the circuit for twice as
    /// long; otherwise the circuit opens when the failures in a row reach the threshold. Emails that were
    /// already in flight when it opened only add to the count.
    pub fn failure(
        &self,
        sender: &SenderConfig,
        admission: Admission,
        now: Timestamp,
        auth: bool,
        error: &str,
    ) -> (Transition, Health) {
        let settings = self.settings;
        self.with(sender, |s| {
            s.in_flight = s.in_flight.saturating_sub(1);
            s.consecutive_failures += 1;
            s.reported_ok = false;
            let open = |s: &mut BreakerState| {
                let factor = 2u32.saturating_pow(u32::try_from(s.opens.clamp(0, 20)).unwrap_or(20));
                let cooldown = settings.cooldown.saturating_mul(factor).min(settings.max_cooldown);
                s.opens += 1;
                s.open_until = Some(advanced(now, cooldown));
            };
            let mut opened_now = false;
            if admission == Admission::Probe {
                s.probing = false;
                open(s);
            } else if s.open_until.is_none() && s.consecutive_failures >= settings.threshold {
                open(s);
                opened_now = true;
            }
            let status = if auth { "AUTH_FAILED" } else { "FAILING" };
            (
                Transition::Failed { opened: opened_now },
                health_of(s, status, Some(error)),
            )
        })
    }
}

fn health_of(s: &BreakerState, status: &'static str, error: Option<&str>) -> Health {
    let now = Timestamp::now();
    let failed = error.is_some();
    Health {
        status,
        last_error: error.map(str::to_owned),
        success_at: (!failed).then_some(now),
        failure_at: failed.then_some(now),
        tested_at: None,
        consecutive_failures: s.consecutive_failures,
        circuit_open_until: s.open_until,
        circuit_opens: s.opens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_core::TeamId;

    /// An instant `ms` milliseconds after the epoch.
    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(ms).expect("in range")
    }

    fn sender() -> SenderConfig {
        SenderConfig {
            id: SenderId(1),
            organization_id: TeamId(1),
            version: 1,
            from_email: "a@example.com".into(),
            from_name: "A".into(),
            smtp: None,
            api: None,
            health_status: "OK".into(),
            circuit_open_until: None,
            consecutive_failures: 0,
            circuit_opens: 0,
        }
    }

    #[test]
    fn parallel_attempts_report_before_more_are_admitted_after_a_failure() {
        let breakers = Breakers::new(BreakerSettings::default());
        let s = sender();
        let admitted: Vec<_> = (0..8).map(|_| breakers.admit(&s, at(0))).collect();
        assert!(admitted.iter().all(|a| *a == Admission::Go));
        breakers.failure(&s, Admission::Go, at(10_000), false, "GREETING: no answer");
        assert_eq!(breakers.admit(&s, at(10_001)), Admission::Hold, "seven still out");
        for _ in 0..7 {
            breakers.failure(&s, Admission::Go, at(10_002), false, "GREETING: no answer");
        }
        assert!(
            matches!(breakers.admit(&s, at(10_003)), Admission::Skip { .. }),
            "open after the threshold"
        );
    }

    #[test]
    fn one_at_a_time_the_threshold_decides_and_a_success_closes() {
        let breakers = Breakers::new(BreakerSettings::default());
        let s = sender();
        for _ in 0..2 {
            assert_eq!(breakers.admit(&s, at(0)), Admission::Go);
            breakers.failure(&s, Admission::Go, at(0), false, "x");
        }
        assert_eq!(
            breakers.admit(&s, at(0)),
            Admission::Go,
            "below the threshold a lone email still tries"
        );
        breakers.success(&s);
        assert_eq!(breakers.admit(&s, at(0)), Admission::Go);
        assert_eq!(
            breakers.admit(&s, at(0)),
            Admission::Go,
            "no failure: parallel attempts are fine"
        );
    }

    #[test]
    fn a_cool_down_past_the_end_of_time_holds_the_circuit_open_until_then() {
        let settings = BreakerSettings {
            threshold: 1,
            cooldown: std::time::Duration::MAX,
            max_cooldown: std::time::Duration::MAX,
        };
        let breakers = Breakers::new(settings);
        let s = sender();
        let now = at(0);
        assert_eq!(breakers.admit(&s, now), Admission::Go);
        let (transition, health) = breakers.failure(&s, Admission::Go, now, false, "x");
        assert_eq!(transition, Transition::Failed { opened: true });
        assert_eq!(health.circuit_open_until, Some(Timestamp::MAX));
        assert_eq!(breakers.admit(&s, now), Admission::Skip { until: Timestamp::MAX });
    }
}
