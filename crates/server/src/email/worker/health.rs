//! What the worker last saw of the outbox, for readiness: whether its last claim, lease renewal, give-back or
//! recording reached the database.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The email worker's view of the outbox, shared with the readiness check.
#[derive(Debug, Default)]
pub struct QueueHealth {
    running: AtomicBool,
    /// The error of the last operation on the outbox; `None` when it succeeded (or none happened yet).
    last_error: Mutex<Option<String>>,
}

/// What readiness reports about the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxState {
    /// No email worker runs in this process.
    NotRunning,
    /// Running, and its last operation on the outbox succeeded (or it has not needed one yet).
    Reachable,
    /// Running, and its last operation on the outbox failed with this error.
    Unreachable(String),
}

impl QueueHealth {
    pub(super) fn started(&self) {
        self.running.store(true, Ordering::Release);
    }

    pub(super) fn stopped(&self) {
        self.running.store(false, Ordering::Release);
    }

    /// The outbox answered.
    pub(super) fn reached(&self) {
        *self.lock() = None;
    }

    /// The outbox could not be reached (or not written).
    pub(super) fn failed(&self, error: &impl std::fmt::Display) {
        *self.lock() = Some(error.to_string());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How the worker last found the outbox.
    pub fn state(&self) -> OutboxState {
        if !self.running.load(Ordering::Acquire) {
            return OutboxState::NotRunning;
        }
        match self.lock().clone() {
            Some(error) => OutboxState::Unreachable(error),
            None => OutboxState::Reachable,
        }
    }
}
