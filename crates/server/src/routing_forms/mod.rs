//! Routing forms: questions a visitor answers before booking, and ordered routes that send them — by their
//! answers — to an event type's booker (answers prefilled), an external URL or a message.
//!
//! `model` is the pure part (fields, routes, conditions, checking answers, choosing the route); `manage` stores
//! forms; `submit` takes a response: it is stored, FORM_SUBMITTED webhooks and the response emails are queued in
//! the same transaction, and FORM_SUBMITTED_NO_EVENT is planned as a due time on the response row itself, which a
//! booking made from the response clears ([`submit::link_booking`]) and [`no_event::sweep`] fires otherwise. The
//! routing-form workflows of the form's team (or owner) run in the same transaction (`workflows::form_plan`).

pub mod manage;
pub mod model;
pub mod no_event;
pub mod submit;

use crate::email::queue::EnqueueError as EmailEnqueueError;
use crate::webhooks::EnqueueError as WebhookEnqueueError;
use convene_core::FieldError;
use convene_store::StoreError;
use convene_store::routing_forms::FormRecord;
use model::Definition;
use serde_json::Value;

/// How long after a response FORM_SUBMITTED_NO_EVENT fires when no booking followed.
pub const NO_EVENT_AFTER_MS: i64 = 15 * 60_000;

/// Why a form or a response could not be stored, or its notices queued.
#[derive(Debug, thiserror::Error)]
pub enum RoutingFormError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("Routing form not found")]
    NotFound,
    #[error("Routing form response not found")]
    ResponseNotFound,
    /// The form is switched off: it takes no responses.
    #[error("This routing form is disabled")]
    Disabled,
    #[error("queuing the response's webhooks")]
    Webhook(#[source] WebhookEnqueueError),
    #[error("queuing the response's emails")]
    Email(#[source] EmailEnqueueError),
    #[error("queuing the response's workflow emails")]
    Workflow(#[source] crate::workflows::WorkflowError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A stored form with its definition read.
#[derive(Debug, Clone)]
pub struct Form {
    pub record: FormRecord,
    pub definition: Definition,
}

impl Form {
    /// Reads a stored form. Its documents were checked when written; one that no longer parses (a bug or a hand
    /// edit) reads as a form without fields or routes rather than failing every page.
    pub fn from_record(record: FormRecord) -> Form {
        let json = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
        let definition = Definition::parse(&json(&record.fields), &json(&record.routes), &json(&record.settings))
            .unwrap_or_else(|e| {
                tracing::warn!(form_id = %record.id, error = %e, "stored routing form does not parse");
                Definition::default()
            });
        Form { record, definition }
    }
}
