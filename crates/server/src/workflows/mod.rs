//! Workflows: emails a team (or a user, for their own event types: personal workflows) sends around its bookings —
//! reminders some time before the start or after the end, and notices when a booking is made, requested,
//! rescheduled, cancelled, rejected or its attendance marked — and, for routing-form workflows, when one of its
//! forms is answered (`formSubmitted`) or some time after an answer no booking followed (`formSubmittedNoEvent`).
//!
//! `input` / `form_input` check what the API and the pages send into complete settings; `manage` stores them and
//! re-plans; `plan` is what booking changes call, inside their own transaction, and `form_plan` what a routing form
//! response calls; `render` fills a step's variables for one recipient, in their zone and language.
//!
//! A scheduled email is an ordinary outbox row with `not_before` at its send time, linked to its workflow and
//! booking; cancelling or rescheduling a booking cancels its pending rows (the new booking of a reschedule gets its
//! own), and editing a workflow cancels its pending rows and plans them again for the bookings still ahead.
//! A reminder whose time has already passed when it is planned is not sent (no late "starts in 24 hours").

pub mod form_input;
pub mod form_plan;
pub mod input;
pub mod manage;
pub mod plan;
pub mod render;

use convene_core::FieldError;
use convene_store::StoreError;

/// Why a workflow could not be stored or its emails planned.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("Workflow not found")]
    NotFound,
    /// A step's template failed to render (a bug, not bad input).
    #[error("rendering a workflow email")]
    Render(#[source] askama::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}
