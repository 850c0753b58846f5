//! Organizations' own senders in the outbox worker: booking emails leave through the organization's sender (the
//! team's, else the default), account emails through the platform only; every failure of the sender except a
//! permanent rejection of the recipient falls back at once to the platform default (platform From, the
//! organization's address as Reply-To); a circuit breaker skips a dead sender; provider APIs are checked against
//! local fakes of their documented HTTP contracts; a real SMTP server (aiosmtpd) is used once; and a resolver that
//! rebinds its answer never gets the connection sent to the rebound address.
//!
//! Every test runs two SMTP servers on 127.0.0.1: "org" (where the organization's sender points) and "platform"
//! (the instance's default transport, plain). The worker runs one batch at a time ([`process_due`]); what each
//! email went through is read back from the delivery log API (`GET /v2/email-deliveries/{id}`) and from what the
//! servers received.
//!
//! [`process_due`]: convene_server::email::worker::process_due

mod breaker;
mod fake_provider;
mod fallback;
mod own_sender;
mod providers;
mod real_smtp;
mod rebinding;
mod which_sender;

use crate::helpers::email::{
    EmailRig, PLATFORM_FROM, PLATFORM_NAME, Tenants, WAIT, find_received, from_and_reply_to, mailbox,
};
use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES, weekdays_9_to_5};
use convene_server::email::EmailSettings;
use convene_server::email::worker::Processed;
use convene_store::outbox::Settlement;
use convene_testkit::{FakeSmtp, FakeSmtpConfig, TestCa};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub(super) const ORG_FROM: &str = "bookings@acme.example";

pub(super) const ORG_NAME: &str = "Acme Bookings";

pub(super) const HOST: &str = "member@acme.test";

pub(super) const OWNER: &str = "owner@acme.test";

pub(super) const ADMIN: &str = "admin@acme.test";

/// The greeting timeout of every test server but the aiosmtpd one: a black hole costs this much per email.
pub(super) const GREETING: Duration = Duration::from_millis(300);

pub(super) const KIND_ATTENDEE: &str = "booking_scheduled_attendee";

pub(super) const KIND_ORGANIZER: &str = "booking_scheduled_organizer";

/// A server whose platform transport is a plain fake SMTP server, and the [`Tenants`] with the `custom-smtp`
/// feature: acme's OWNER and ADMIN (who get alerts), and its MEMBER as the host, with a schedule and an event type.
pub(super) struct RoutingRig {
    rig: EmailRig,
    /// The organization's SMTP server.
    pub org_smtp: FakeSmtp,
    pub org: i64,
    pub owner: Person,
    pub host: Person,
    /// Acme's team "Sales" (the host is not in it).
    pub team: i64,
    /// The host's personal event type (30 minutes; emails to the attendee and the host).
    pub event: i64,
    slots: AtomicUsize,
}

impl RoutingRig {
    /// The organization's server is `org_server`; the greeting timeout is [`GREETING`], then `tweak` applies.
    pub async fn start(
        org_server: impl FnOnce(&TestCa) -> FakeSmtpConfig,
        tweak: impl FnOnce(&mut EmailSettings) + 'static,
    ) -> RoutingRig {
        let rig = EmailRig::builder()
            .email(|s| {
                s.timeouts.connect = Duration::from_secs(1);
                s.timeouts.greeting = GREETING;
                s.timeouts.data = Duration::from_secs(2);
            })
            .email(tweak)
            .start()
            .await;
        let org_smtp = FakeSmtp::start(org_server(&rig.ca)).await;
        let Tenants {
            org,
            owner,
            member: host,
            team,
            ..
        } = rig.tenants(true).await;
        rig.app
            .versioned(
                Method::POST,
                "/v2/schedules",
                Some(&host.key),
                Some(
                    json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() }),
                ),
                Some(SCHEDULES),
            )
            .await
            .expect_success(StatusCode::CREATED);
        let mut routing = RoutingRig {
            rig,
            org_smtp,
            org,
            owner,
            host,
            team,
            event: 0,
            slots: AtomicUsize::new(0),
        };
        routing.event = routing
            .event_type(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 }))
            .await;
        routing
    }

    pub fn app(&self) -> &TestApp {
        &self.rig.app
    }

    pub fn ca(&self) -> &TestCa {
        &self.rig.ca
    }

    /// The platform default's server.
    pub fn platform(&self) -> &FakeSmtp {
        &self.rig.platform
    }

    /// One worker batch now, oldest email first.
    pub async fn run(&self) -> Vec<Processed> {
        self.rig.run().await
    }

    /// One worker batch at `now` (epoch ms), oldest email first: the breaker and alerts see that time.
    pub async fn run_at(&self, now: i64) -> Vec<Processed> {
        self.rig.run_at(now).await
    }

    /// Another event type of the host.
    pub async fn event_type(&self, body: Value) -> i64 {
        self.app()
            .versioned(
                Method::POST,
                "/v2/event-types",
                Some(&self.host.key),
                Some(body),
                Some(EVENT_TYPES),
            )
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("event type id")
    }

    /// Books `event` for `guest` at the next free half hour (weekdays of 7–11 January 2030, 09:00–17:00 UTC).
    pub async fn book(&self, event: i64, guest: &str) {
        let n = self.slots.fetch_add(1, Ordering::SeqCst);
        assert!(n < 80, "out of test slots");
        let minutes = 9 * 60 + (n % 16) * 30;
        let start = format!("2030-01-{:02}T{:02}:{:02}:00Z", 7 + n / 16, minutes / 60, minutes % 60);
        let body = json!({ "eventTypeId": event, "start": start,
            "attendee": { "name": "Bea Booker", "email": guest, "timeZone": "Europe/Paris" } });
        self.app()
            .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
            .await
            .expect_success(StatusCode::CREATED);
    }

    pub fn senders_path(&self) -> String {
        format!("/v2/organizations/{}/smtp-configurations", self.org)
    }

    /// Saves a sender as the organization's owner; returns its id.
    pub async fn create_sender(&self, body: Value) -> i64 {
        self.app()
            .post(&self.senders_path(), &self.owner.key, body)
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("sender id")
    }

    /// An SMTP sender as [`ORG_NAME`] <[`ORG_FROM`]> on 127.0.0.1:`port` (STARTTLS), with `extra` fields.
    pub async fn smtp_sender(&self, port: u16, extra: Value) -> i64 {
        let mut body = json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "smtpHost": "127.0.0.1",
            "smtpPort": port, "smtpSecure": false });
        merge(&mut body, extra);
        self.create_sender(body).await
    }

    pub async fn sender(&self, id: i64) -> Value {
        self.app()
            .get(&format!("{}/{id}", self.senders_path()), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .clone()
    }

    /// The delivery log's view of one email, attempts included.
    pub async fn delivery(&self, id: i64) -> Value {
        self.app()
            .get(&format!("/v2/email-deliveries/{id}"), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .clone()
    }
}

pub(super) fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}

/// (route, outcome) of each attempt, in order.
pub(super) fn outcomes(p: &Processed) -> Vec<(String, String)> {
    p.routes.iter().map(|r| (r.route.clone(), r.outcome.clone())).collect()
}

pub(super) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

pub(super) fn sent_by(route: &str) -> Settlement {
    Settlement::Sent {
        route: route.to_owned(),
    }
}

/// Checks that every email of `batch` failed on the sender's `route` (a reply containing `reply`, SMTP code
/// `code`), then went out at once through the platform as the platform with the organization's address as
/// Reply-To — in the worker's record, the delivery log and the platform server's inbox — and that the
/// organization's server accepted nothing.
pub(super) async fn assert_fell_back(
    rig: &RoutingRig,
    batch: &[Processed],
    route: &str,
    reply: &str,
    code: Option<i64>,
) {
    assert!(!batch.is_empty(), "nothing was sent");
    let arrived = rig.platform().wait_for_messages(batch.len(), WAIT).await;
    for p in batch {
        assert_eq!(p.settlement, sent_by("platform"), "{p:?}");
        let d = rig.delivery(p.id.0).await;
        assert_eq!(d["status"], "sent", "{d}");
        assert_eq!(d["sentRoute"], "platform", "{d}");
        let attempts = d["deliveryAttempts"].as_array().expect("attempts");
        assert_eq!(attempts.len(), 2, "the sender, then the platform: {d}");
        assert_eq!(attempts[0]["route"], route, "{d}");
        assert_eq!(attempts[0]["outcome"], "failed", "{d}");
        assert_eq!(attempts[0]["smtpCode"], json!(code), "{d}");
        let said = attempts[0]["reply"].as_str().expect("the sender's reply is recorded");
        assert!(said.contains(reply), "{said:?} should mention {reply:?}");
        assert_eq!(attempts[1]["route"], "platform", "{d}");
        assert_eq!(attempts[1]["outcome"], "sent", "{d}");
        assert_eq!(attempts[1]["smtpCode"], 250, "{d}");

        let received = find_received(&arrived, d["messageId"].as_str().expect("messageId"));
        assert_eq!(received.rcpt_to, [d["recipient"]["email"].as_str().expect("recipient")]);
        assert_eq!(
            received.mail_from, PLATFORM_FROM,
            "the envelope sender is the platform's"
        );
        let (from, reply_to) = from_and_reply_to(received);
        assert_eq!(from, mailbox(PLATFORM_NAME, PLATFORM_FROM), "From on fallback");
        assert_eq!(reply_to, mailbox(ORG_NAME, ORG_FROM), "Reply-To on fallback");
    }
    assert!(
        rig.org_smtp.messages().is_empty(),
        "the organization's server accepted nothing"
    );
}

/// Books one meeting (two emails: attendee and host), runs one batch and checks both fell back.
pub(super) async fn book_and_expect_fallback(
    rig: &RoutingRig,
    sender: i64,
    reply: &str,
    code: Option<i64>,
) -> Vec<Processed> {
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2, "attendee and host emails");
    assert_fell_back(rig, &batch, &format!("sender:{sender}"), reply, code).await;
    batch
}
