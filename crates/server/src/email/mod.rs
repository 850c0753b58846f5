//! Email: the outbox worker, the transports it sends through, and the emails themselves.
//!
//! A change and its emails commit in one transaction ([`queue`], written together by [`gathered`]); the worker ([`worker`]) claims due rows under
//! a lease, builds each message ([`message`]), tries its routes in order ([`routes`]) and settles the row as
//! sent, retrying or failed, recording every route's reply ([`outcome`]). Nothing is deleted.
//!
//! Organizations' own senders: [`senders`] loads them for routing, [`breaker`] skips one that keeps failing and
//! [`alerts`] tells its admins; [`sender_admin`] is the service behind the API's and the settings page's sender
//! management, and [`probe`] runs their test buttons.

pub mod alerts;
pub mod booking_parties;
pub mod breaker;
pub mod compose;
pub mod gathered;
pub mod host_guard;
pub mod message;
pub mod outcome;
pub mod probe;
pub mod providers;
pub mod queue;
pub mod routes;
pub mod sender_admin;
pub mod senders;
pub mod settings;
pub mod sms;
pub mod smtp;
pub mod transport;
pub mod worker;

pub use queue::EnqueueError;
pub use routes::{Mailer, Route};
pub use settings::{EmailSettings, TransportConfig};
pub use smtp::{Security, SmtpServer, SmtpTimeouts};
