//! The limits an operator can tune, with their defaults.

use super::client::TrustedProxies;
use convene_core::rate::Rate;
use convene_store::Backend;

/// Where the limits keep their counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimitStore {
    /// In the database on PostgreSQL (every process shares the counts), in memory on SQLite (one process).
    #[default]
    Auto,
    /// In this process's memory.
    Memory,
    /// In the database, shared by every process using it.
    Database,
}

impl LimitStore {
    /// Reads `auto`, `memory` or `database`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "auto" => Some(LimitStore::Auto),
            "memory" => Some(LimitStore::Memory),
            "database" => Some(LimitStore::Database),
            _ => None,
        }
    }

    /// Whether the counts live in the database for this backend.
    pub fn uses_database(self, backend: Backend) -> bool {
        match self {
            LimitStore::Auto => backend == Backend::Postgres,
            LimitStore::Memory => false,
            LimitStore::Database => true,
        }
    }
}

/// Every limit on callers, apart from the per-API-key rate (`ServerSettings::rate_limit_per_minute`).
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    pub store: LimitStore,
    pub slots_per_address: Rate,
    pub bookings_per_address: Rate,
    /// Anonymous bookings that email one address (as attendee or guest).
    pub bookings_per_attendee_email: Rate,
    pub bookings_per_event_type: Rate,
    pub reservations_per_address: Rate,
    pub sign_in_failures_per_address: Rate,
    pub sign_in_failures_per_account_and_address: Rate,
    pub password_resets_per_address: Rate,
    pub password_resets_per_email: Rate,
    pub verification_codes_per_address: Rate,
    pub verification_codes_per_email: Rate,
}

/// A rate known to be valid (the defaults below).
fn rate(count: u32, period_seconds: u64) -> Rate {
    Rate::new(count, period_seconds).unwrap_or_else(|| unreachable!("the default rates are valid"))
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            trusted_proxies: TrustedProxies::default(),
            store: LimitStore::Auto,
            slots_per_address: rate(120, MINUTE),
            bookings_per_address: rate(30, HOUR),
            bookings_per_attendee_email: rate(10, HOUR),
            bookings_per_event_type: rate(60, HOUR),
            reservations_per_address: rate(30, HOUR),
            sign_in_failures_per_address: rate(30, HOUR),
            sign_in_failures_per_account_and_address: rate(5, 15 * MINUTE),
            password_resets_per_address: rate(20, HOUR),
            password_resets_per_email: rate(10, HOUR),
            verification_codes_per_address: rate(30, HOUR),
            verification_codes_per_email: rate(10, HOUR),
        }
    }
}
