//! Test-only helpers for exercising convene's email pipeline over real sockets.
//!
//! * [`tls`]: a throwaway certificate authority ([`TestCa`]) issuing leaf certificates ([`LeafCert`]) for
//!   `localhost`, IP literals or made-up names, plus ready-made rustls configs using the *ring* provider.
//! * [`smtp`]: [`FakeSmtp`], an in-process SMTP server (plain, STARTTLS or implicit TLS, optional AUTH) whose replies
//!   can be scripted per command to inject faults ([`Behavior`]).
//! * [`calendars`]: local fakes of Google Calendar and Microsoft Graph (OAuth 2 included) with fault switches.
//! * [`twilio`]: [`FakeTwilio`], Twilio's Messages API (SMS and WhatsApp) with scripted 429/5xx answers.
//! * [`aiosmtpd`]: [`Aiosmtpd`], a real third-party SMTP server (Debian's `python3-aiosmtpd`) run as a child process,
//!   to check interoperability with an implementation we did not write.
//!
//! Everything listens on `127.0.0.1` only. This crate is a dev-dependency; it panics (with a message saying why)
//! instead of returning errors, because a broken fixture should fail the test that uses it.
//!
//! ```no_run
//! use std::time::Duration;
//! use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, TestCa, TlsMode};
//!
//! # async fn example() {
//! let ca = TestCa::new();
//! let smtp = FakeSmtp::start(FakeSmtpConfig {
//!     tls: TlsMode::StartTls(ca.leaf(&["localhost", "127.0.0.1"])),
//!     credentials: Some(("mailer".into(), "secret".into())),
//! })
//! .await;
//! smtp.set_behavior(Behavior {
//!     rcpt_reject: vec![("gone@example.com".into(), 550, "5.1.1 no such user".into())],
//!     ..Behavior::default()
//! });
//! // Point the code under test at 127.0.0.1:smtp.port(), trusting ca.ca_pem() (or ca.write_ca_pem(dir)) ...
//! let messages = smtp.wait_for_messages(1, Duration::from_secs(2)).await;
//! assert_eq!(messages[0].rcpt_to, ["someone@example.com"]);
//! # }
//! ```

pub mod aiosmtpd;
pub mod calendars;
pub mod smtp;
pub mod tls;
pub mod twilio;

pub use aiosmtpd::{AioTls, Aiosmtpd};
pub use smtp::{Behavior, FakeSmtp, FakeSmtpConfig, Greeting, HeldSend, Received, TlsMode};
pub use tls::{LeafCert, TestCa};
pub use twilio::{FakeTwilio, TwilioMessage};
