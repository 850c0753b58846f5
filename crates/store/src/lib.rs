//! Persistence for convene.
//!
//! One [`Db`] over PostgreSQL or SQLite. Statements are written once with `$N` placeholders
//! (both drivers accept them) and run through [`on_conn!`], which expands a body once per backend;
//! only genuinely dialect-specific statements get two arms.

#[macro_use]
mod db;
pub mod api_keys;
pub mod bookings;
pub mod calendar_job_list;
pub mod calendar_jobs;
pub mod calendars;
pub mod email_changes;
mod error;
pub mod event_types;
pub mod features;
pub mod memberships;
mod millis;
pub mod notification_preferences;
pub mod one_time_codes;
pub mod out_of_office;
pub mod outbox;
mod packed;
pub mod private_links;
pub mod rate_limits;
pub mod readiness;
pub mod reservations;
pub mod routing_forms;
pub mod schedules;
pub mod seats;
pub mod series;
pub mod sessions;
pub mod smtp_senders;
mod sqlite_recovery;
pub mod team_verified_emails;
pub mod teams;
#[cfg(feature = "testing")]
pub mod testing;
pub mod users;
mod verified;
pub mod verified_emails;
pub mod verified_phones;
pub mod webhooks;
pub mod workflows;

pub use db::{Backend, Db, Exec, Tx, now_ms};
pub use error::StoreError;
pub use millis::now;

/// Result of every store call.
pub type StoreResult<T> = Result<T, StoreError>;
