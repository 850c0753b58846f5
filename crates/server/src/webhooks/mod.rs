//! Webhooks, as Cal.com sends them: subscriptions (per user or per event type), the booking payloads they
//! receive, and their durable delivery.
//!
//! A booking change and its deliveries commit in one transaction ([`enqueue_booking_event`]); a worker
//! ([`deliver_one`], looped by [`spawn_worker`]) claims one due delivery at a time under a lease, sends it outside
//! any transaction to an address it resolved and checked itself, signs it with the subscriber's secret, and
//! records the outcome, retrying with backoff until the budget is spent.

mod delivery;
pub mod manage;
pub mod payload;
mod queue;
mod secret;
mod send;
mod settings;
mod signature;
pub mod subscription;
mod target;
mod trigger;
mod worker;

pub use delivery::{DeliveryOutcome, WebhookWorker, deliver_one};
pub use queue::{EnqueueError, enqueue, enqueue_booking_event, enqueue_form_event};
pub use secret::{open_secret, reseal_secret, seal_secret};
pub use settings::{RetryPolicy, WebhookSettings};
pub use signature::{NO_SECRET_SIGNATURE, sign};
pub use trigger::Trigger;
pub use worker::spawn_worker;

/// The payload version convene sends, in `x-cal-webhook-version` (the only one Cal.com defines).
pub const PAYLOAD_VERSION: &str = "2021-10-20";
