//! Organizations' own senders in the outbox worker: booking emails leave through the organization's sender (the
//! team's, else the default), account emails through the platform only; every failure of the sender except a
//! permanent rejection of the recipient falls back at once to the platform default (platform From, the
//! organization's address as Reply-To); a circuit breaker skips a dead sender; provider APIs are checked against
//! local fakes of their documented HTTP contracts; and a real SMTP server (aiosmtpd) is used once.
//!
//! Every test runs two SMTP servers on 127.0.0.1: "org" (where the organization's sender points) and "platform"
//! (the instance's default transport, plain). The worker runs one batch at a time ([`process_due`]); what each
//! email went through is read back from the delivery log API (`GET /v2/email-deliveries/{id}`) and from what the
//! servers received.

use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES, weekdays_9_to_5};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use convene_core::{EmailAddress, HeaderText, Role};
use convene_server::ServerSettings;
use convene_server::email::host_guard::HostPolicy;
use convene_server::email::settings::BreakerSettings;
use convene_server::email::smtp::TlsTrust;
use convene_server::email::worker::{Processed, process_due};
use convene_server::email::{EmailSettings, Security, SmtpServer, SmtpTimeouts, TransportConfig};
use convene_store::now_ms;
use convene_store::outbox::{self, AttemptRecord, NewEmail, Settlement};
use convene_testkit::{AioTls, Aiosmtpd, Behavior, FakeSmtp, FakeSmtpConfig, Greeting, Received, TestCa, TlsMode};
use mail_parser::MessageParser;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PLATFORM_FROM: &str = "notifications@convene.test";
const PLATFORM_NAME: &str = "Convene Notifications";
const ORG_FROM: &str = "bookings@acme.example";
const ORG_NAME: &str = "Acme Bookings";
const HOST: &str = "host@acme.test";
const OWNER: &str = "owner@acme.test";
const ADMIN: &str = "admin@acme.test";
/// The greeting timeout of every test server but the aiosmtpd one: a black hole costs this much per email.
const GREETING: Duration = Duration::from_millis(300);
const WAIT: Duration = Duration::from_secs(5);

const KIND_ATTENDEE: &str = "booking_scheduled_attendee";
const KIND_ORGANIZER: &str = "booking_scheduled_organizer";

/// A server whose platform transport is a plain fake SMTP server, an organization "acme" with the `custom-smtp`
/// feature, its owner and an admin (who get alerts), and a member (the host) with a schedule and an event type.
struct Rig {
    app: TestApp,
    ca: TestCa,
    /// The organization's SMTP server.
    org_smtp: FakeSmtp,
    /// The platform default.
    platform: FakeSmtp,
    org: i64,
    owner: Person,
    host: Person,
    /// The host's personal event type (30 minutes; emails to the attendee and the host).
    event: i64,
    slots: AtomicUsize,
}

/// The organization's server: STARTTLS with a certificate for 127.0.0.1 from the trusted test CA, no AUTH.
fn starttls(ca: &TestCa) -> FakeSmtpConfig {
    FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost", "127.0.0.1"])),
        credentials: None,
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

impl Rig {
    async fn start(org_server: impl FnOnce(&TestCa) -> FakeSmtpConfig, tweak: impl FnOnce(&mut EmailSettings)) -> Rig {
        let ca = TestCa::new();
        let org_smtp = FakeSmtp::start(org_server(&ca)).await;
        let platform = FakeSmtp::start(FakeSmtpConfig::default()).await;
        let mut email = EmailSettings {
            transport: TransportConfig::Smtp(SmtpServer {
                host: "127.0.0.1".to_owned(),
                port: platform.port(),
                security: Security::Plain,
                credentials: None,
            }),
            from_email: EmailAddress::parse("from_email", PLATFORM_FROM).expect("a valid From"),
            from_name: HeaderText::parse("from_name", PLATFORM_NAME).expect("a valid From name"),
            hello_name: "convene.test".to_owned(),
            trust: TlsTrust::new(Some(ca.ca_pem().as_bytes())).expect("the test CA is usable"),
            timeouts: SmtpTimeouts {
                connect: Duration::from_secs(1),
                greeting: GREETING,
                command: Duration::from_secs(2),
                data: Duration::from_secs(2),
            },
            host_policy: Arc::new(HostPolicy {
                allowed_private: vec![
                    "127.0.0.0/8".parse().expect("a network"),
                    "::1/128".parse().expect("a network"),
                ],
            }),
            ..EmailSettings::default()
        };
        tweak(&mut email);
        let app = TestApp::spawn_with(ServerSettings {
            secure_cookies: false,
            email,
            ..ServerSettings::default()
        })
        .await;
        let (org, owner) = app.organization("acme").await;
        app.put(
            &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
            &app.admin_key,
            json!({ "enabled": true }),
        )
        .await
        .expect_success(StatusCode::OK);
        app.member(org, ADMIN, Role::Admin).await;
        let host = app.member(org, HOST, Role::Member).await;
        app.versioned(
            Method::POST,
            "/v2/schedules",
            Some(&host.key),
            Some(json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() })),
            Some(SCHEDULES),
        )
        .await
        .expect_success(StatusCode::CREATED);
        let mut rig = Rig {
            app,
            ca,
            org_smtp,
            platform,
            org,
            owner,
            host,
            event: 0,
            slots: AtomicUsize::new(0),
        };
        rig.event = rig
            .event_type(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 }))
            .await;
        rig
    }

    /// Another event type of the host.
    async fn event_type(&self, body: Value) -> i64 {
        self.app
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
    async fn book(&self, event: i64, guest: &str) {
        let n = self.slots.fetch_add(1, Ordering::SeqCst);
        assert!(n < 80, "out of test slots");
        let minutes = 9 * 60 + (n % 16) * 30;
        let start = format!("2030-01-{:02}T{:02}:{:02}:00Z", 7 + n / 16, minutes / 60, minutes % 60);
        let body = json!({ "eventTypeId": event, "start": start,
            "attendee": { "name": "Bea Booker", "email": guest, "timeZone": "Europe/Paris" } });
        self.app
            .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
            .await
            .expect_success(StatusCode::CREATED);
    }

    /// One worker batch, oldest email first.
    async fn run(&self) -> Vec<Processed> {
        let mut batch = process_due(&self.app.state, now_ms()).await.expect("a worker batch");
        batch.sort_by_key(|p| p.id);
        batch
    }

    fn senders_path(&self) -> String {
        format!("/v2/organizations/{}/smtp-configurations", self.org)
    }

    /// Saves a sender as the organization's owner; returns its id.
    async fn create_sender(&self, body: Value) -> i64 {
        self.app
            .post(&self.senders_path(), &self.owner.key, body)
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("sender id")
    }

    /// An SMTP sender as [`ORG_NAME`] <[`ORG_FROM`]> on 127.0.0.1:`port` (STARTTLS), with `extra` fields.
    async fn smtp_sender(&self, port: u16, extra: Value) -> i64 {
        let mut body = json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "smtpHost": "127.0.0.1",
            "smtpPort": port, "smtpSecure": false });
        merge(&mut body, extra);
        self.create_sender(body).await
    }

    async fn sender(&self, id: i64) -> Value {
        self.app
            .get(&format!("{}/{id}", self.senders_path()), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .clone()
    }

    /// The delivery log's view of one email, attempts included.
    async fn delivery(&self, id: i64) -> Value {
        self.app
            .get(&format!("/v2/email-deliveries/{id}"), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .clone()
    }
}

fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}

/// (route, outcome) of each attempt, in order.
fn outcomes(p: &Processed) -> Vec<(String, String)> {
    p.routes.iter().map(|r| (r.route.clone(), r.outcome.clone())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

fn sent_by(route: &str) -> Settlement {
    Settlement::Sent {
        route: route.to_owned(),
    }
}

/// The received message whose Message-ID is `message_id`.
fn find_received<'a>(received: &'a [Received], message_id: &str) -> &'a Received {
    received
        .iter()
        .find(|r| r.header("Message-ID").as_deref() == Some(message_id))
        .unwrap_or_else(|| {
            panic!(
                "no message with Message-ID {message_id} among {} received",
                received.len()
            )
        })
}

type Mailbox = Option<(String, String)>;

/// (From, Reply-To) of a received message as (display name, address), read with mail-parser.
fn from_and_reply_to(received: &Received) -> (Mailbox, Mailbox) {
    let message = MessageParser::default()
        .parse(&received.data)
        .expect("mail-parser reads the message");
    let first = |a: Option<&mail_parser::Address<'_>>| {
        a.and_then(|a| a.iter().next()).map(|m| {
            (
                m.name().unwrap_or_default().to_owned(),
                m.address().unwrap_or_default().to_owned(),
            )
        })
    };
    (first(message.from()), first(message.reply_to()))
}

fn mailbox(name: &str, address: &str) -> Mailbox {
    Some((name.to_owned(), address.to_owned()))
}

/// Checks that every email of `batch` failed on the sender's `route` (a reply containing `reply`, SMTP code
/// `code`), then went out at once through the platform as the platform with the organization's address as
/// Reply-To — in the worker's record, the delivery log and the platform server's inbox — and that the
/// organization's server accepted nothing.
async fn assert_fell_back(rig: &Rig, batch: &[Processed], route: &str, reply: &str, code: Option<i64>) {
    assert!(!batch.is_empty(), "nothing was sent");
    let arrived = rig.platform.wait_for_messages(batch.len(), WAIT).await;
    for p in batch {
        assert_eq!(p.settlement, sent_by("platform"), "{p:?}");
        let d = rig.delivery(p.id).await;
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
async fn book_and_expect_fallback(rig: &Rig, sender: i64, reply: &str, code: Option<i64>) -> Vec<Processed> {
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2, "attendee and host emails");
    assert_fell_back(rig, &batch, &format!("sender:{sender}"), reply, code).await;
    batch
}

// ---------------------------------------------------------------------------------------------------------------
// Routing through the organization's sender
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn booking_emails_leave_through_the_organizations_own_sender() {
    let rig = Rig::start(starttls, |_| {}).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    assert_eq!(rig.sender(sender).await["health"]["status"], "UNTESTED");

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    for p in &batch {
        assert_eq!(p.settlement, sent_by(&format!("sender:{sender}")), "{p:?}");
        let d = rig.delivery(p.id).await;
        assert_eq!(d["status"], "sent");
        assert_eq!(d["sentRoute"], format!("sender:{sender}"));
        assert_eq!(d["organizationId"], rig.org);
        let attempts = d["deliveryAttempts"].as_array().expect("attempts");
        assert_eq!(attempts.len(), 1, "{d}");
        assert_eq!(attempts[0]["route"], format!("sender:{sender}"));
        assert_eq!(attempts[0]["outcome"], "sent");
        assert_eq!(attempts[0]["smtpCode"], 250);

        let received = find_received(&arrived, d["messageId"].as_str().expect("messageId"));
        assert!(received.tls, "STARTTLS was required and used");
        assert_eq!(
            received.mail_from, ORG_FROM,
            "the envelope sender is the organization's"
        );
        let (from, reply_to) = from_and_reply_to(received);
        assert_eq!(from, mailbox(ORG_NAME, ORG_FROM), "From = fromName <fromEmail>");
        // The sender's own route keeps the email's Reply-To (host ↔ attendee).
        let expected_reply_to = if p.kind == KIND_ATTENDEE {
            HOST
        } else {
            "bea@example.test"
        };
        assert_eq!(
            reply_to.map(|(_, a)| a).as_deref(),
            Some(expected_reply_to),
            "{}",
            p.kind
        );
    }
    assert!(rig.platform.messages().is_empty(), "nothing went through the platform");
    assert_eq!(rig.platform.connections(), 0);
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "OK", "{health}");
    assert!(health["lastSuccessAt"].is_string(), "{health}");
}

#[tokio::test]
async fn an_implicit_tls_sender_delivers_too() {
    let rig = Rig::start(
        |ca| FakeSmtpConfig {
            tls: TlsMode::Implicit(ca.leaf(&["127.0.0.1"])),
            credentials: Some(("mailer".into(), "s3cret".into())),
        },
        |_| {},
    )
    .await;
    let sender = rig
        .smtp_sender(
            rig.org_smtp.port(),
            json!({ "smtpSecure": true, "smtpUser": "mailer", "smtpPassword": "s3cret" }),
        )
        .await;
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    assert!(
        arrived
            .iter()
            .all(|r| r.tls && r.auth_user.as_deref() == Some("mailer"))
    );
    assert!(rig.platform.messages().is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Fallback to the platform default
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_connection_falls_back_to_the_platform_at_once() {
    let rig = Rig::start(starttls, |_| {}).await;
    let sender = rig.smtp_sender(closed_port(), json!({})).await;
    book_and_expect_fallback(&rig, sender, "CONNECT", None).await;
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "FAILING", "{health}");
    assert!(
        health["lastError"].as_str().is_some_and(|e| e.contains("CONNECT")),
        "{health}"
    );
}

#[tokio::test]
async fn a_server_that_never_greets_costs_one_greeting_timeout_then_falls_back() {
    let rig = Rig::start(starttls, |_| {}).await;
    rig.org_smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.book(rig.event, "bea@example.test").await;
    let started = Instant::now();
    let batch = rig.run().await;
    let took = started.elapsed();
    assert_eq!(batch.len(), 2);
    // Both emails wait out the greeting timeout side by side, then go through the platform at once.
    assert!(
        took >= GREETING && took < GREETING + Duration::from_millis(1500),
        "the batch took {took:?}"
    );
    for p in &batch {
        let waited = p.routes[0].duration_ms;
        assert!((300..1000).contains(&waited), "the sender attempt took {waited} ms");
        let platform_at = p.routes[1].started_at - p.routes[0].started_at;
        assert!(
            platform_at < 300 + 500,
            "the platform was tried {platform_at} ms after the sender attempt began"
        );
    }
    assert_fell_back(
        &rig,
        &batch,
        &format!("sender:{sender}"),
        "GREETING: no answer within 300 ms",
        None,
    )
    .await;
    assert_eq!(rig.org_smtp.connections(), 2, "one connection per email, no retries");
}

#[tokio::test]
async fn a_421_greeting_falls_back() {
    let rig = Rig::start(starttls, |_| {}).await;
    rig.org_smtp.set_behavior(Behavior {
        greeting: Greeting::Reply(421, "4.3.2 Service not available, closing transmission channel".into()),
        ..Behavior::default()
    });
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    book_and_expect_fallback(&rig, sender, "Service not available", Some(421)).await;
    assert_eq!(rig.sender(sender).await["health"]["status"], "FAILING");
}

#[tokio::test]
async fn a_535_to_auth_falls_back_and_marks_the_sender_auth_failed() {
    let rig = Rig::start(
        |ca| FakeSmtpConfig {
            credentials: Some(("mailer".into(), "right password".into())),
            ..starttls(ca)
        },
        |_| {},
    )
    .await;
    let sender = rig
        .smtp_sender(
            rig.org_smtp.port(),
            json!({ "smtpUser": "mailer", "smtpPassword": "wrong password" }),
        )
        .await;
    book_and_expect_fallback(&rig, sender, "AUTH", Some(535)).await;
    assert!(
        !rig.org_smtp.commands().iter().any(|c| c.starts_with("MAIL")),
        "no mail was offered without authentication"
    );
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "AUTH_FAILED", "{health}");
    let error = health["lastError"].as_str().expect("lastError");
    assert!(error.contains("AUTH") && !error.contains("wrong password"), "{error}");
}

#[tokio::test]
async fn a_certificate_for_another_name_falls_back() {
    let rig = Rig::start(
        |ca| FakeSmtpConfig {
            tls: TlsMode::StartTls(ca.leaf(&["mail.other.example"])),
            credentials: None,
        },
        |_| {},
    )
    .await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    book_and_expect_fallback(&rig, sender, "TLS", None).await;
    assert!(
        rig.org_smtp.commands().iter().any(|c| c == "STARTTLS"),
        "the client got as far as STARTTLS"
    );
    assert!(!rig.org_smtp.commands().iter().any(|c| c.starts_with("MAIL")));
    assert_eq!(rig.sender(sender).await["health"]["status"], "FAILING");
}

#[tokio::test]
async fn a_550_for_the_recipient_fails_the_email_without_fallback() {
    let rig = Rig::start(starttls, |_| {}).await;
    rig.org_smtp.set_behavior(Behavior {
        rcpt_reject: vec![(
            "gone@example.test".into(),
            550,
            "5.1.1 <gone@example.test>: no such user".into(),
        )],
        ..Behavior::default()
    });
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.book(rig.event, "gone@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    let route = format!("sender:{sender}");
    for p in &batch {
        let d = rig.delivery(p.id).await;
        let attempts = d["deliveryAttempts"].as_array().expect("attempts");
        if p.kind == KIND_ATTENDEE {
            assert_eq!(p.settlement, Settlement::Failed, "{p:?}");
            assert_eq!(d["status"], "failed", "{d}");
            assert_eq!(attempts.len(), 1, "only the sender was tried: {d}");
            assert_eq!(attempts[0]["route"], route);
            assert_eq!(attempts[0]["outcome"], "failed");
            assert_eq!(attempts[0]["smtpCode"], 550);
            assert!(
                attempts[0]["reply"]
                    .as_str()
                    .is_some_and(|r| r.contains("no such user")),
                "{d}"
            );
            assert_eq!(d["lastSmtpCode"], 550);
        } else {
            assert_eq!(p.kind, KIND_ORGANIZER);
            assert_eq!(p.settlement, sent_by(&route), "the host's email still goes out: {p:?}");
        }
    }
    assert_eq!(rig.org_smtp.wait_for_messages(1, WAIT).await.len(), 1);
    assert!(
        rig.platform.messages().is_empty(),
        "no fallback for a rejected recipient"
    );
    assert_eq!(rig.platform.connections(), 0);
    assert!(rig.run().await.is_empty(), "no retry either");
    // The server answered: the sender is healthy.
    assert_eq!(rig.sender(sender).await["health"]["status"], "OK");
}

// ---------------------------------------------------------------------------------------------------------------
// Circuit breaker
// ---------------------------------------------------------------------------------------------------------------

const COOLDOWN: Duration = Duration::from_secs(1);

/// Emails one at a time (so the breaker sees them in order), three failures open the circuit for [`COOLDOWN`].
fn breaker_settings(s: &mut EmailSettings) {
    s.connections = 1;
    s.breaker = BreakerSettings {
        threshold: 3,
        cooldown: COOLDOWN,
        max_cooldown: Duration::from_secs(8),
    };
}

/// An event type whose bookings email only the attendee: one email per booking.
async fn attendee_only_event(rig: &Rig) -> i64 {
    rig.event_type(json!({ "title": "Solo", "slug": "solo", "lengthInMinutes": 30,
        "emailSettings": { "disableEmailsToHosts": true } }))
        .await
}

/// Books `n` attendee-only meetings and runs one batch.
async fn book_and_run(rig: &Rig, event: i64, n: usize, tag: &str) -> Vec<Processed> {
    for i in 0..n {
        rig.book(event, &format!("{tag}-{i}@example.test")).await;
    }
    let batch = rig.run().await;
    assert_eq!(batch.len(), n, "{batch:?}");
    batch
}

fn assert_skipped(p: &Processed, sender: i64) {
    assert_eq!(
        outcomes(p),
        pairs(&[(&format!("sender:{sender}"), "skipped"), ("platform", "sent")]),
        "{p:?}"
    );
    let skip: &AttemptRecord = &p.routes[0];
    assert_eq!(skip.duration_ms, 0);
    assert!(
        skip.reply.as_deref().is_some_and(|r| r.contains("circuit open")),
        "{skip:?}"
    );
    // The platform is tried right away, not after any timeout.
    let gap = p.routes[1].started_at - skip.started_at;
    assert!(gap < 100, "the platform was tried {gap} ms after the skip");
    assert_eq!(p.settlement, sent_by("platform"));
}

fn assert_failed_then_platform(p: &Processed, sender: i64) {
    assert_eq!(
        outcomes(p),
        pairs(&[(&format!("sender:{sender}"), "failed"), ("platform", "sent")]),
        "{p:?}"
    );
    assert_eq!(p.settlement, sent_by("platform"));
}

async fn sender_failing_alerts(rig: &Rig) -> Vec<String> {
    let filter = outbox::Filter {
        kind: Some("sender_failing".to_owned()),
        ..outbox::Filter::default()
    };
    let mut to: Vec<String> = outbox::list(&rig.app.db, outbox::Scope::Organization(rig.org), &filter, 100)
        .await
        .expect("outbox")
        .into_iter()
        .map(|e| e.to_email)
        .collect();
    to.sort();
    to
}

#[tokio::test]
async fn the_circuit_opens_skips_the_sender_probes_after_a_growing_cooldown_and_closes() {
    let rig = Rig::start(starttls, breaker_settings).await;
    let solo = attendee_only_event(&rig).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    let route = format!("sender:{sender}");
    rig.org_smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });

    // Three emails wait out the greeting timeout and open the circuit; the fourth skips the sender at once.
    let batch = book_and_run(&rig, solo, 4, "first").await;
    let opened = Instant::now();
    for p in &batch[..3] {
        assert_failed_then_platform(p, sender);
        assert!(p.routes[0].duration_ms >= 300, "{p:?}");
    }
    assert_skipped(&batch[3], sender);
    assert_eq!(rig.org_smtp.connections(), 3);
    let d = rig.delivery(batch[3].id).await;
    assert_eq!(d["deliveryAttempts"][0]["outcome"], "skipped", "{d}");
    assert_eq!(d["sentRoute"], "platform");
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "FAILING", "{health}");
    assert!(
        health["lastError"].as_str().is_some_and(|e| e.contains("GREETING")),
        "{health}"
    );

    // The organization's owner and admin were told once each, through the platform, never the failing sender.
    let alerts = rig.run().await;
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    for p in &alerts {
        assert_eq!(p.kind, "sender_failing");
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    let arrived = rig.platform.wait_for_messages(6, WAIT).await;
    let mut alerted: Vec<&str> = arrived
        .iter()
        .filter(|r| r.rcpt_to == [OWNER] || r.rcpt_to == [ADMIN])
        .map(|r| r.rcpt_to[0].as_str())
        .collect();
    alerted.sort_unstable();
    assert_eq!(alerted, [ADMIN, OWNER]);
    for r in arrived.iter().filter(|r| r.rcpt_to == [OWNER]) {
        assert_eq!(from_and_reply_to(r).0, mailbox(PLATFORM_NAME, PLATFORM_FROM));
    }
    assert_eq!(rig.org_smtp.connections(), 3, "alerts don't touch the sender");

    // While the circuit is open every email skips the sender.
    let open = book_and_run(&rig, solo, 2, "open").await;
    open.iter().for_each(|p| assert_skipped(p, sender));
    assert_eq!(rig.org_smtp.connections(), 3);

    // After the cooldown exactly one email probes the sender; it fails, the circuit reopens and the next skips.
    tokio::time::sleep_until((opened + COOLDOWN + Duration::from_millis(100)).into()).await;
    let probe = book_and_run(&rig, solo, 2, "probe").await;
    let reopened = Instant::now();
    assert_failed_then_platform(&probe[0], sender);
    assert_skipped(&probe[1], sender);
    assert_eq!(rig.org_smtp.connections(), 4, "one probe");

    // The reopened circuit stays open longer than the first cooldown.
    tokio::time::sleep_until((reopened + COOLDOWN + Duration::from_millis(200)).into()).await;
    let longer = book_and_run(&rig, solo, 1, "longer").await;
    assert_skipped(&longer[0], sender);
    assert_eq!(rig.org_smtp.connections(), 4);

    // The server recovers; after the doubled cooldown the probe succeeds and the circuit closes.
    rig.org_smtp.set_behavior(Behavior::default());
    tokio::time::sleep_until((reopened + 2 * COOLDOWN + Duration::from_millis(200)).into()).await;
    let healed = book_and_run(&rig, solo, 3, "healed").await;
    for p in &healed {
        assert_eq!(outcomes(p), pairs(&[(&route, "sent")]), "{p:?}");
    }
    let arrived = rig.org_smtp.wait_for_messages(3, WAIT).await;
    assert!(
        arrived
            .iter()
            .all(|r| from_and_reply_to(r).0 == mailbox(ORG_NAME, ORG_FROM))
    );
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "OK", "{health}");

    // It fails again later (once the worker's sender cache has been refreshed): the circuit opens again after
    // three failures, but the admins were already told today. (A MAIL refusal also hits the pooled connection.)
    tokio::time::sleep(EmailSettings::default().sender_cache_ttl + Duration::from_millis(100)).await;
    rig.org_smtp.set_behavior(Behavior {
        mail_from: Some((451, "4.3.0 Try again later".into())),
        ..Behavior::default()
    });
    let again = book_and_run(&rig, solo, 4, "again").await;
    for p in &again[..3] {
        assert_failed_then_platform(p, sender);
    }
    assert_skipped(&again[3], sender);
    assert!(rig.run().await.is_empty(), "no second alert");
    assert_eq!(sender_failing_alerts(&rig).await, [ADMIN, OWNER]);
    let alerts_received = rig
        .platform
        .messages()
        .iter()
        .filter(|r| r.rcpt_to == [OWNER] || r.rcpt_to == [ADMIN])
        .count();
    assert_eq!(alerts_received, 2);
}

#[tokio::test]
async fn after_the_circuit_closes_the_threshold_applies_again() {
    let rig = Rig::start(starttls, breaker_settings).await;
    let solo = attendee_only_event(&rig).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.org_smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let batch = book_and_run(&rig, solo, 3, "first").await;
    batch.iter().for_each(|p| assert_failed_then_platform(p, sender));
    assert_eq!(rig.run().await.len(), 2, "the alerts to the owner and the admin");

    // The server recovers; past the cooldown (and the worker's first copy of the sender, taken before the circuit
    // opened, has expired), the probe succeeds and the circuit closes.
    rig.org_smtp.set_behavior(Behavior::default());
    tokio::time::sleep(COOLDOWN + Duration::from_millis(500)).await;
    let healed = book_and_run(&rig, solo, 2, "healed").await;
    for p in &healed {
        assert_eq!(outcomes(p), pairs(&[(&format!("sender:{sender}"), "sent")]), "{p:?}");
    }
    assert_eq!(rig.sender(sender).await["health"]["status"], "OK");

    // Two failures in a row are below the threshold of three: both emails must still try the sender.
    rig.org_smtp.set_behavior(Behavior {
        mail_from: Some((451, "4.3.0 Try again later".into())),
        ..Behavior::default()
    });
    let again = book_and_run(&rig, solo, 2, "again").await;
    for p in &again {
        assert_failed_then_platform(p, sender);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Which sender: teams, account emails, deletion, the feature flag
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_teams_bookings_use_the_teams_sender_and_personal_bookings_the_default() {
    let rig = Rig::start(starttls, |_| {}).await;
    let team = rig
        .app
        .post(
            &format!("/v2/organizations/{}/teams", rig.org),
            &rig.owner.key,
            json!({ "name": "Sales" }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    rig.app
        .post(
            &format!("/v2/organizations/{}/teams/{team}/memberships", rig.org),
            &rig.owner.key,
            json!({ "userId": rig.host.id, "role": "MEMBER", "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
    let team_event = rig
        .app
        .post(
            &format!("/v2/organizations/{}/teams/{team}/event-types", rig.org),
            &rig.owner.key,
            json!({ "title": "Sales call", "slug": "sales-call", "lengthInMinutes": 30,
                "schedulingType": "collective", "hosts": [{ "userId": rig.host.id }] }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team event type id");

    let default = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    let sales = rig
        .smtp_sender(
            rig.org_smtp.port(),
            json!({ "fromEmail": "sales@acme.example", "fromName": "Acme Sales", "teamIds": [team] }),
        )
        .await;
    assert_eq!(rig.sender(sales).await["teamIds"], json!([team]));
    assert_eq!(rig.sender(default).await["isDefault"], true);

    rig.book(team_event, "team-client@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(p.settlement, sent_by(&format!("sender:{sales}")), "{p:?}");
        assert_eq!(rig.delivery(p.id).await["teamId"], team);
    }
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    for r in &arrived {
        assert_eq!(from_and_reply_to(r).0, mailbox("Acme Sales", "sales@acme.example"));
    }

    rig.book(rig.event, "personal-client@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(p.settlement, sent_by(&format!("sender:{default}")), "{p:?}");
        assert!(rig.delivery(p.id).await["teamId"].is_null());
    }
    let arrived = rig.org_smtp.wait_for_messages(4, WAIT).await;
    for r in &arrived[2..] {
        assert_eq!(from_and_reply_to(r).0, mailbox(ORG_NAME, ORG_FROM));
    }
    assert!(rig.platform.messages().is_empty());
}

#[tokio::test]
async fn account_emails_never_touch_the_organizations_sender() {
    let rig = Rig::start(starttls, |_| {}).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;

    rig.app
        .request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": HOST })),
        )
        .await
        .expect_success(StatusCode::OK);
    rig.app
        .post(
            "/v2/verified-resources/emails/verification-code/request",
            &rig.host.key,
            json!({ "email": "work@acme.example" }),
        )
        .await
        .expect_success(StatusCode::OK);
    // Even an account email that names the organization goes through the platform: the kind decides.
    outbox::enqueue(
        &rig.app.db,
        &NewEmail {
            message_id: rig.app.state.mailer.new_message_id(),
            kind: "password_reset".to_owned(),
            organization_id: Some(rig.org),
            user_id: Some(rig.host.id),
            to_email: HOST.to_owned(),
            subject: "Reset your password".to_owned(),
            body_text: "Reset it.".to_owned(),
            body_html: "<p>Reset it.</p>".to_owned(),
            ..NewEmail::default()
        },
        now_ms(),
    )
    .await
    .expect("enqueue");

    let batch = rig.run().await;
    let mut kinds: Vec<&str> = batch.iter().map(|p| p.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["email_verification_code", "password_reset", "password_reset"]);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    let arrived = rig.platform.wait_for_messages(3, WAIT).await;
    for r in &arrived {
        let (from, reply_to) = from_and_reply_to(r);
        assert_eq!(from, mailbox(PLATFORM_NAME, PLATFORM_FROM));
        assert_eq!(reply_to, None);
    }
    assert_eq!(
        rig.org_smtp.connections(),
        0,
        "the organization's server was never contacted"
    );

    // The sender was healthy all along: a booking email goes through it.
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );
    assert_eq!(rig.org_smtp.wait_for_messages(2, WAIT).await.len(), 2);
}

#[tokio::test]
async fn deleting_the_sender_sends_the_next_email_through_the_platform_at_once() {
    // A long cache: only the deletion itself can make the worker forget the sender.
    let rig = Rig::start(starttls, |s| s.sender_cache_ttl = Duration::from_secs(600)).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.book(rig.event, "first@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );
    let connections = rig.org_smtp.connections();

    rig.app
        .delete(&format!("{}/{sender}", rig.senders_path()), &rig.owner.key)
        .await
        .expect_success(StatusCode::OK);
    rig.book(rig.event, "second@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    let arrived = rig.platform.wait_for_messages(2, WAIT).await;
    for r in &arrived {
        let (from, reply_to) = from_and_reply_to(r);
        assert_eq!(from, mailbox(PLATFORM_NAME, PLATFORM_FROM));
        assert_ne!(
            reply_to,
            mailbox(ORG_NAME, ORG_FROM),
            "no sender, no organization Reply-To"
        );
    }
    assert_eq!(rig.org_smtp.connections(), connections);
    assert_eq!(rig.org_smtp.messages().len(), 2);
}

async fn set_feature(rig: &Rig, on: bool) {
    rig.app
        .put(
            &format!("/v2/admin/organizations/{}/features/custom-smtp", rig.org),
            &rig.app.admin_key,
            json!({ "enabled": on }),
        )
        .await
        .expect_success(StatusCode::OK);
}

#[tokio::test]
async fn with_the_feature_off_saved_senders_are_not_used() {
    let rig = Rig::start(starttls, |_| {}).await;
    rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    set_feature(&rig, false).await;
    rig.app
        .get(&rig.senders_path(), &rig.owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    for r in &rig.platform.wait_for_messages(2, WAIT).await {
        assert_eq!(from_and_reply_to(r).0, mailbox(PLATFORM_NAME, PLATFORM_FROM));
    }
    assert_eq!(rig.org_smtp.connections(), 0);
}

#[tokio::test]
async fn turning_the_feature_off_takes_effect_at_once() {
    // Same-process API writes are supposed to reach the worker at once (senders.rs `Directory`); the cache TTL
    // is only for other processes. A long TTL makes the difference visible.
    let rig = Rig::start(starttls, |s| s.sender_cache_ttl = Duration::from_secs(600)).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.book(rig.event, "first@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );

    set_feature(&rig, false).await;
    rig.book(rig.event, "second@example.test").await;
    let batch = rig.run().await;
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Providers, against local fakes of their documented HTTP contracts
// ---------------------------------------------------------------------------------------------------------------

const SENDGRID_KEY: &str = "SG.test-key.abcdefghijklmnop";
const SPARKPOST_KEY: &str = "0123456789abcdef0123456789abcdef01234567";

/// A request a fake provider API received.
#[derive(Debug, Clone)]
struct ApiCall {
    method: String,
    path: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Value,
}

#[derive(Clone, Default)]
struct FakeApiState {
    calls: Arc<Mutex<Vec<ApiCall>>>,
    /// The status of accepted sends (202 for SendGrid, 200 for SparkPost unless set, e.g. to 500).
    send_status: Arc<AtomicU16>,
}

/// SendGrid's v3 API and SparkPost's API on one local port: a send or a probe with the right key in the
/// provider's documented Authorization form (`Bearer <key>` for SendGrid, the bare key for SparkPost) succeeds,
/// anything else gets 401.
struct FakeProvider {
    base: String,
    state: FakeApiState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeProvider {
    async fn start() -> FakeProvider {
        let state = FakeApiState::default();
        let router = axum::Router::new().fallback(provider_api).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("serve the fake provider API");
        });
        FakeProvider { base, state, task }
    }

    fn set_send_status(&self, status: u16) {
        self.state.send_status.store(status, Ordering::SeqCst);
    }

    fn calls(&self) -> Vec<ApiCall> {
        self.state.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

async fn provider_api(
    State(state): State<FakeApiState>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let call = ApiCall {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    state.calls.lock().unwrap_or_else(|p| p.into_inner()).push(call.clone());
    let auth = call.authorization.as_deref();
    let sendgrid_ok = auth == Some(&format!("Bearer {SENDGRID_KEY}"));
    let sparkpost_ok = auth == Some(SPARKPOST_KEY);
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "errors": [{ "message": "The provided authorization grant is invalid" }] })),
        )
            .into_response()
    };
    let forced = match state.send_status.load(Ordering::SeqCst) {
        0 => None,
        status => StatusCode::from_u16(status).ok(),
    };
    match (call.method.as_str(), call.path.as_str()) {
        ("POST", "/v3/mail/send") if sendgrid_ok => match forced {
            Some(status) if !status.is_success() => (
                status,
                axum::Json(json!({ "errors": [{ "message": "internal error" }] })),
            )
                .into_response(),
            _ => StatusCode::ACCEPTED.into_response(),
        },
        ("GET", "/v3/scopes") if sendgrid_ok => axum::Json(json!({ "scopes": ["mail.send"] })).into_response(),
        ("POST", "/api/v1/transmissions") if sparkpost_ok => match forced {
            Some(status) if !status.is_success() => (
                status,
                axum::Json(json!({ "errors": [{ "message": "internal error" }] })),
            )
                .into_response(),
            _ => axum::Json(json!({ "results": {
                "total_rejected_recipients": 0, "total_accepted_recipients": 1, "id": "11668787484950529"
            } }))
            .into_response(),
        },
        ("GET", "/api/v1/account") if sparkpost_ok => {
            axum::Json(json!({ "results": { "customer_id": 123, "status": "active" } })).into_response()
        }
        ("POST", "/v3/mail/send" | "/api/v1/transmissions") | ("GET", "/v3/scopes" | "/api/v1/account") => {
            unauthorized()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The text of a base64 attachment.
fn decoded(data: &Value) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_str().expect("base64 text"))
        .expect("valid base64");
    String::from_utf8(bytes).expect("UTF-8")
}

/// The sends a fake API received at `path`, by recipient.
fn sends_to<'a>(calls: &'a [ApiCall], path: &str, to: impl Fn(&Value) -> &Value) -> Vec<(String, &'a ApiCall)> {
    calls
        .iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .map(|c| (to(&c.body).as_str().unwrap_or_default().to_owned(), c))
        .collect()
}

/// Checks a SendGrid v3 mail send request for the email `d` (a delivery log entry).
fn check_sendgrid_send(call: &ApiCall, d: &Value) {
    let body = &call.body;
    assert_eq!(
        call.authorization.as_deref(),
        Some(format!("Bearer {SENDGRID_KEY}").as_str())
    );
    assert!(
        call.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/json")),
        "{call:?}"
    );
    assert_eq!(
        body["personalizations"][0]["to"][0]["email"], d["recipient"]["email"],
        "{body}"
    );
    assert_eq!(body["from"]["email"], ORG_FROM, "{body}");
    assert_eq!(body["from"]["name"], ORG_NAME, "{body}");
    assert_eq!(body["subject"], d["subject"], "{body}");
    let content = body["content"].as_array().expect("content[]");
    let types: Vec<&str> = content.iter().filter_map(|c| c["type"].as_str()).collect();
    assert_eq!(types, ["text/plain", "text/html"], "text/plain must come first: {body}");
    assert!(
        content
            .iter()
            .all(|c| c["value"].as_str().is_some_and(|v| !v.is_empty()))
    );
    let attachment = &body["attachments"][0];
    assert_eq!(attachment["filename"], "invite.ics", "{body}");
    let ics = decoded(&attachment["content"]);
    assert!(
        ics.starts_with("BEGIN:VCALENDAR") && ics.contains("METHOD:REQUEST"),
        "{ics}"
    );
    assert_eq!(body["headers"]["Message-ID"], d["messageId"]);
}

/// Checks a SparkPost transmission for the email `d`.
fn check_sparkpost_send(call: &ApiCall, d: &Value, ip_pool: &str) {
    let body = &call.body;
    assert_eq!(
        call.authorization.as_deref(),
        Some(SPARKPOST_KEY),
        "the bare key, no scheme"
    );
    assert!(
        call.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/json")),
        "{call:?}"
    );
    assert_eq!(
        body["recipients"][0]["address"]["email"], d["recipient"]["email"],
        "{body}"
    );
    let content = &body["content"];
    assert_eq!(content["from"]["email"], ORG_FROM, "{body}");
    assert_eq!(content["from"]["name"], ORG_NAME, "{body}");
    assert_eq!(content["subject"], d["subject"], "{body}");
    assert!(content["text"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert!(content["html"].as_str().is_some_and(|t| t.contains('<')), "{body}");
    assert_eq!(body["options"]["ip_pool"], ip_pool, "{body}");
    let attachment = &content["attachments"][0];
    assert_eq!(attachment["name"], "invite.ics", "{body}");
    assert!(decoded(&attachment["data"]).starts_with("BEGIN:VCALENDAR"));
}

async fn provider_rig(api: &FakeProvider, org_server: impl FnOnce(&TestCa) -> FakeSmtpConfig) -> Rig {
    let base = api.base.clone();
    Rig::start(org_server, move |s| {
        s.sendgrid_api_url = base.clone();
        s.sparkpost_api_url = base;
    })
    .await
}

async fn test_connection(rig: &Rig, sender: i64) -> Value {
    rig.app
        .post(
            &format!("{}/{sender}/test-connection", rig.senders_path()),
            &rig.owner.key,
            json!({}),
        )
        .await
        .expect_success(StatusCode::OK)
        .clone()
}

#[tokio::test]
async fn a_sendgrid_sender_sends_through_the_v3_mail_send_api() {
    let api = FakeProvider::start().await;
    let rig = provider_rig(&api, starttls).await;
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "provider": "SENDGRID",
            "apiKey": SENDGRID_KEY }),
        )
        .await;

    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], true, "{tested}");
    let probe = api.calls().last().cloned().expect("the probe");
    assert_eq!((probe.method.as_str(), probe.path.as_str()), ("GET", "/v3/scopes"));
    assert_eq!(probe.authorization, Some(format!("Bearer {SENDGRID_KEY}")));

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    let calls = api.calls();
    let sends = sends_to(&calls, "/v3/mail/send", |b| &b["personalizations"][0]["to"][0]["email"]);
    assert_eq!(sends.len(), 2, "{calls:?}");
    for p in &batch {
        assert_eq!(
            outcomes(p),
            pairs(&[(&format!("sender:{sender}:api"), "sent")]),
            "{p:?}"
        );
        let d = rig.delivery(p.id).await;
        assert_eq!(d["sentRoute"], format!("sender:{sender}:api"));
        assert_eq!(d["deliveryAttempts"][0]["smtpCode"], 250);
        let (_, call) = sends
            .iter()
            .find(|(to, _)| *to == d["recipient"]["email"])
            .expect("a send for each email");
        check_sendgrid_send(call, &d);
    }
    assert!(rig.platform.messages().is_empty() && rig.org_smtp.connections() == 0);

    // A revoked key: the test reports AUTH.
    rig.app
        .patch(
            &format!("{}/{sender}", rig.senders_path()),
            &rig.owner.key,
            json!({ "apiKey": "SG.revoked" }),
        )
        .await
        .expect_success(StatusCode::OK);
    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], false, "{tested}");
    assert_eq!(tested["stage"], "AUTH", "{tested}");
    assert!(
        tested["message"].as_str().is_some_and(|m| m.contains("401")),
        "{tested}"
    );
    assert!(!tested.to_string().contains("SG.revoked"), "the key never shows");
    assert_eq!(rig.sender(sender).await["health"]["status"], "AUTH_FAILED");
}

#[tokio::test]
async fn a_sendgrid_api_failure_falls_to_sendgrids_smtp_path_before_the_platform() {
    let api = FakeProvider::start().await;
    api.set_send_status(500);
    let rig = provider_rig(&api, |ca| FakeSmtpConfig {
        credentials: Some(("apikey".into(), SENDGRID_KEY.into())),
        ..starttls(ca)
    })
    .await;
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "provider": "SENDGRID",
            "apiKey": SENDGRID_KEY, "smtpHost": "127.0.0.1", "smtpPort": rig.org_smtp.port(), "smtpSecure": false,
            "smtpUser": "apikey", "smtpPassword": SENDGRID_KEY }),
        )
        .await;

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(
            outcomes(p),
            pairs(&[
                (&format!("sender:{sender}:api"), "failed"),
                (&format!("sender:{sender}"), "sent")
            ]),
            "{p:?}"
        );
        assert_eq!(p.settlement, sent_by(&format!("sender:{sender}")));
        assert!(
            p.routes[0].reply.as_deref().is_some_and(|r| r.contains("HTTP 500")),
            "{p:?}"
        );
    }
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    for r in &arrived {
        assert!(r.tls);
        assert_eq!(r.auth_user.as_deref(), Some("apikey"));
        assert_eq!(from_and_reply_to(r).0, mailbox(ORG_NAME, ORG_FROM));
    }
    assert_eq!(api.calls().iter().filter(|c| c.path == "/v3/mail/send").count(), 2);
    assert!(rig.platform.messages().is_empty());
}

#[tokio::test]
async fn a_sparkpost_sender_uses_transmissions_with_its_ip_pool_and_falls_back_on_401() {
    let api = FakeProvider::start().await;
    let rig = provider_rig(&api, starttls).await;
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "provider": "SPARKPOST",
            "apiKey": SPARKPOST_KEY, "ipPool": "transactional" }),
        )
        .await;

    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], true, "{tested}");
    let probe = api.calls().last().cloned().expect("the probe");
    assert_eq!((probe.method.as_str(), probe.path.as_str()), ("GET", "/api/v1/account"));
    assert_eq!(probe.authorization.as_deref(), Some(SPARKPOST_KEY));

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    let calls = api.calls();
    let sends = sends_to(
        &calls,
        "/api/v1/transmissions",
        |b| &b["recipients"][0]["address"]["email"],
    );
    assert_eq!(sends.len(), 2, "{calls:?}");
    for p in &batch {
        assert_eq!(
            outcomes(p),
            pairs(&[(&format!("sender:{sender}:api"), "sent")]),
            "{p:?}"
        );
        let d = rig.delivery(p.id).await;
        let (_, call) = sends
            .iter()
            .find(|(to, _)| *to == d["recipient"]["email"])
            .expect("a send for each email");
        check_sparkpost_send(call, &d, "transactional");
    }
    assert!(rig.platform.messages().is_empty());

    // The key stops working and there is no SMTP path: straight to the platform.
    rig.app
        .patch(
            &format!("{}/{sender}", rig.senders_path()),
            &rig.owner.key,
            json!({ "apiKey": "revoked-key" }),
        )
        .await
        .expect_success(StatusCode::OK);
    let batch = {
        rig.book(rig.event, "cat@example.test").await;
        rig.run().await
    };
    assert_fell_back(&rig, &batch, &format!("sender:{sender}:api"), "HTTP 401", Some(535)).await;
    let last = api.calls().last().cloned().expect("a call");
    assert_eq!(last.authorization.as_deref(), Some("revoked-key"));
    assert_eq!(rig.sender(sender).await["health"]["status"], "AUTH_FAILED");

    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], false, "{tested}");
    assert_eq!(tested["stage"], "AUTH", "{tested}");
    assert_eq!(tested["smtpCode"], 535, "{tested}");
}

// ---------------------------------------------------------------------------------------------------------------
// A real SMTP server
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_sender_on_a_real_smtp_server_delivers_and_a_wrong_password_falls_back() {
    // aiosmtpd is Python: give its greeting more room than the fake's.
    let rig = Rig::start(starttls, |s| s.timeouts.greeting = Duration::from_secs(3)).await;
    let aio = Aiosmtpd::start(AioTls::StartTls, &rig.ca.leaf(&["localhost"]), "mailer", "s3cret pass").await;
    // "localhost" resolves to 127.0.0.1, which this instance allows; TLS verifies the name "localhost".
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "smtpHost": "localhost",
            "smtpPort": aio.port(), "smtpSecure": false, "smtpUser": "mailer", "smtpPassword": "s3cret pass" }),
        )
        .await;

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[(&format!("sender:{sender}"), "sent")]), "{p:?}");
    }
    let arrived = aio.wait_for_messages(2, WAIT).await;
    for r in &arrived {
        assert!(r.tls, "STARTTLS");
        assert_eq!(r.auth_user.as_deref(), Some("mailer"));
        assert_eq!(r.mail_from, ORG_FROM);
        assert_eq!(from_and_reply_to(r).0, mailbox(ORG_NAME, ORG_FROM));
    }

    rig.app
        .patch(
            &format!("{}/{sender}", rig.senders_path()),
            &rig.owner.key,
            json!({ "smtpPassword": "not the password" }),
        )
        .await
        .expect_success(StatusCode::OK);
    book_and_expect_fallback(&rig, sender, "AUTH", Some(535)).await;
    assert_eq!(aio.messages().len(), 2, "nothing more reached aiosmtpd");
    assert_eq!(rig.sender(sender).await["health"]["status"], "AUTH_FAILED");
}
