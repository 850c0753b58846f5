//! The outbox worker against real SMTP servers: faults, retries, fallback of nothing, durability.
//!
//! Every test drives the worker one batch at a time with [`process_due`], passing a later `now` to make a retry
//! due instead of sleeping. The SMTP side is the test kit's [`FakeSmtp`] (scripted faults) or a real aiosmtpd.

use crate::helpers::TestApp;
use crate::scheduling::{book, host_with_event, weekdays_9_to_5};
use convene_server::email::settings::Credentials;
use convene_server::email::smtp::TlsTrust;
use convene_server::email::worker::{Processed, RunMode, process_due, spawn_worker};
use convene_server::email::{EmailSettings, Security, SmtpServer, SmtpTimeouts, TransportConfig};
use convene_server::{AppState, RetryPolicy, ServerSettings};
use convene_store::outbox::{self, AttemptRecord, EmailRecord, NewEmail, Settle, Settlement};
use convene_store::{Backend, now_ms};
use convene_testkit::{AioTls, Aiosmtpd, Behavior, FakeSmtp, FakeSmtpConfig, Greeting, Received, TestCa, TlsMode};
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

const USER: &str = "mailer";
const PASSWORD: &str = "correct horse battery";
const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
/// The default retry policy's first delay; each later one doubles, plus up to a quarter of jitter.
const FIRST_DELAY: i64 = 30 * SECOND;

// ---------------------------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------------------------

/// Timeouts short enough that a fault costs a test little, long enough for a loaded CI machine.
fn quick_timeouts() -> SmtpTimeouts {
    SmtpTimeouts {
        connect: Duration::from_secs(2),
        greeting: Duration::from_secs(2),
        command: Duration::from_secs(2),
        data: Duration::from_secs(5),
    }
}

fn smtp(host: &str, port: u16, security: Security, credentials: Option<&str>) -> SmtpServer {
    SmtpServer {
        host: host.to_owned(),
        port,
        security,
        credentials: credentials.map(|password| Credentials {
            username: USER.to_owned(),
            password: password.to_owned().into(),
        }),
    }
}

fn plain(port: u16) -> SmtpServer {
    smtp("127.0.0.1", port, Security::Plain, None)
}

/// Email settings sending to `server`, trusting `ca_pem` besides the public roots.
fn settings(server: SmtpServer, ca_pem: Option<&str>) -> EmailSettings {
    EmailSettings {
        transport: TransportConfig::Smtp(server),
        trust: TlsTrust::new(ca_pem.map(str::as_bytes)).expect("the test CA is usable"),
        connections: 2,
        timeouts: quick_timeouts(),
        hello_name: "worker.convene.test".to_owned(),
        ..EmailSettings::default()
    }
}

async fn spawn(email: EmailSettings) -> TestApp {
    TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        email,
        ..ServerSettings::default()
    })
    .await
}

/// A plain FakeSmtp behaving as `behavior` and an app sending to it, adjusted by `adjust`.
async fn plain_setup(behavior: Behavior, adjust: impl FnOnce(&mut EmailSettings)) -> (TestApp, FakeSmtp) {
    let fake = FakeSmtp::start(FakeSmtpConfig::default()).await;
    fake.set_behavior(behavior);
    let mut email = settings(plain(fake.port()), None);
    adjust(&mut email);
    (spawn(email).await, fake)
}

/// An account email (routed by the platform only) to `to`, recognisable by `tag`.
fn letter(to: &str, tag: &str) -> NewEmail {
    NewEmail {
        message_id: format!("<{tag}@delivery.convene.test>"),
        kind: "password_reset".to_owned(),
        to_email: to.to_owned(),
        to_name: Some("Ada Lovelace".to_owned()),
        subject: format!("Reset your password ({tag})"),
        body_text: format!("Hello from {tag}"),
        body_html: format!("<p>Hello from {tag}</p>"),
        ..NewEmail::default()
    }
}

async fn queue(app: &TestApp, email: &NewEmail) -> i64 {
    outbox::enqueue(&app.db, email, now_ms()).await.expect("enqueue")
}

async fn run(app: &TestApp, now: i64) -> Vec<Processed> {
    process_due(&app.state, now).await.expect("worker batch")
}

/// The one email a batch processed.
async fn run_one(app: &TestApp, now: i64) -> Processed {
    let mut processed = run(app, now).await;
    assert_eq!(
        processed.len(),
        1,
        "expected exactly one email in the batch: {processed:?}"
    );
    processed.remove(0)
}

async fn row(app: &TestApp, id: i64) -> EmailRecord {
    outbox::find(&app.db, id)
        .await
        .expect("find")
        .expect("the row is never deleted")
}

async fn attempts(app: &TestApp, id: i64) -> Vec<AttemptRecord> {
    outbox::attempts(&app.db, id).await.expect("attempts")
}

/// The Message-IDs a server received.
fn message_ids(messages: &[Received]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.header("Message-ID").expect("every message has a Message-ID"))
        .collect()
}

/// Asserts one route record: the platform route, its outcome, code and a reply containing `reply`.
fn assert_route(record: &AttemptRecord, attempt: i64, outcome: &str, code: Option<i64>, reply: &str) {
    assert_eq!(record.route, "platform", "{record:?}");
    assert_eq!(record.attempt, attempt, "{record:?}");
    assert_eq!(record.outcome, outcome, "{record:?}");
    assert_eq!(record.smtp_code, code, "{record:?}");
    let text = record.reply.as_deref().unwrap_or_default();
    assert!(text.contains(reply), "reply {text:?} should contain {reply:?}");
    assert!((0..30_000).contains(&record.duration_ms), "{record:?}");
    assert!(record.started_at > now_ms() - HOUR, "{record:?}");
}

/// Asserts `p` is a retry scheduled the first delay (with at most a quarter of jitter) after its attempt began.
fn assert_first_retry(p: &Processed) -> i64 {
    let Settlement::Retry { next_attempt_at } = p.settlement else {
        panic!("expected a retry: {p:?}");
    };
    let delay = next_attempt_at - p.routes[0].started_at;
    assert!(
        (FIRST_DELAY..=FIRST_DELAY + FIRST_DELAY / 4 + 5 * SECOND).contains(&delay),
        "first retry after {delay} ms: {p:?}"
    );
    next_attempt_at
}

/// One email through a plain FakeSmtp scripted with `behavior`: what the worker did, the row and its route record.
async fn one_attempt(behavior: Behavior) -> (TestApp, FakeSmtp, Processed, EmailRecord) {
    let (app, fake) = plain_setup(behavior, |_| {}).await;
    let id = queue(&app, &letter("ada@example.test", "fault")).await;
    let p = run_one(&app, now_ms()).await;
    assert_eq!(p.id, id);
    assert_eq!(p.routes.len(), 1, "one route, one record: {p:?}");
    assert_eq!(
        attempts(&app, id).await,
        p.routes,
        "the attempt is recorded as the worker saw it"
    );
    let email = row(&app, id).await;
    (app, fake, p, email)
}

/// Asserts the fault was retried: state `retrying`, the reply kept on the row, and nothing delivered.
async fn assert_retried(app: &TestApp, fake: &FakeSmtp, p: &Processed, email: &EmailRecord, code: Option<i64>) {
    let next = assert_first_retry(p);
    assert_eq!(email.status, "retrying");
    assert_eq!(email.next_attempt_at, next);
    assert_eq!(email.last_code, code);
    assert_eq!(email.last_error, p.routes[0].reply);
    assert!(fake.messages().is_empty(), "nothing was accepted");
    assert!(run(app, next - 1).await.is_empty(), "not due again before its time");
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery over each kind of connection
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_bookings_emails_are_delivered_over_plain_smtp_with_their_message_ids() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    let (_host, event) = host_with_event(
        &app,
        "host@delivery.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 }),
    )
    .await;
    book(&app, event, "2030-01-07T10:00:00Z", "bea@example.test")
        .await
        .expect_success(StatusCode::CREATED);

    let processed = run(&app, now_ms()).await;
    assert_eq!(
        processed.len(),
        2,
        "the attendee's and the organizer's email: {processed:?}"
    );
    let messages = fake.wait_for_messages(2, Duration::from_secs(5)).await;
    let mut recipients: Vec<String> = messages.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, ["bea@example.test", "host@delivery.test"]);
    let delivered: HashSet<String> = message_ids(&messages).into_iter().collect();
    for p in &processed {
        assert_eq!(
            p.settlement,
            Settlement::Sent {
                route: "platform".to_owned()
            }
        );
        assert_route(&p.routes[0], 1, "sent", Some(250), "queued as");
        let email = row(&app, p.id).await;
        assert_eq!(
            (email.status.as_str(), email.sent_route.as_deref()),
            ("sent", Some("platform"))
        );
        assert!(email.sent_at.is_some() && email.lease_until.is_none(), "{email:?}");
        assert!(
            delivered.contains(&email.message_id),
            "{} not among {delivered:?}",
            email.message_id
        );
    }
    for m in &messages {
        assert_eq!(m.mail_from, "convene@localhost.localdomain");
        assert!(!m.tls && m.auth_user.is_none());
    }
    assert!(
        fake.commands().iter().any(|c| c == "EHLO worker.convene.test"),
        "EHLO names the instance"
    );
    assert!(
        run(&app, now_ms() + 48 * HOUR).await.is_empty(),
        "sent emails are never due again"
    );
}

#[tokio::test]
async fn starttls_with_auth_delivers_and_credentials_only_travel_encrypted() {
    let ca = TestCa::new();
    let fake = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let server = smtp("localhost", fake.port(), Security::StartTls, Some(PASSWORD));
    let app = spawn(settings(server, Some(&ca.ca_pem()))).await;
    queue(&app, &letter("ada@example.test", "starttls")).await;

    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    let messages = fake.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].tls, "sent after STARTTLS");
    assert_eq!(messages[0].auth_user.as_deref(), Some(USER));
    assert_eq!(
        messages[0].header("Message-ID").as_deref(),
        Some("<starttls@delivery.convene.test>")
    );
    let commands = fake.commands();
    let position = |prefix: &str| commands.iter().position(|c| c.starts_with(prefix));
    let (starttls, auth) = (position("STARTTLS"), position("AUTH"));
    assert!(
        starttls.is_some() && auth.is_some() && starttls < auth,
        "STARTTLS before AUTH: {commands:?}"
    );
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let ca = TestCa::new();
    let fake = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::Implicit(ca.leaf(&["localhost"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let server = smtp("localhost", fake.port(), Security::ImplicitTls, Some(PASSWORD));
    let app = spawn(settings(server, Some(&ca.ca_pem()))).await;
    queue(&app, &letter("ada@example.test", "implicit")).await;

    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    let messages = fake.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].tls);
    assert_eq!(messages[0].auth_user.as_deref(), Some(USER));
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_and_retried_not_failed() {
    let ca = TestCa::new();
    for (tls, security) in [
        (TlsMode::StartTls(ca.leaf(&["mail.other.test"])), Security::StartTls),
        (TlsMode::Implicit(ca.leaf(&["mail.other.test"])), Security::ImplicitTls),
    ] {
        let fake = FakeSmtp::start(FakeSmtpConfig {
            tls,
            credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
        })
        .await;
        let server = smtp("localhost", fake.port(), security, Some(PASSWORD));
        let app = spawn(settings(server, Some(&ca.ca_pem()))).await;
        let id = queue(&app, &letter("ada@example.test", "wrong-name")).await;

        let p = run_one(&app, now_ms()).await;
        assert_first_retry(&p);
        assert_route(&p.routes[0], 1, "failed", None, "TLS: ");
        assert_eq!(row(&app, id).await.status, "retrying", "{security:?}");
        assert!(fake.messages().is_empty(), "{security:?}");
        assert!(
            !fake
                .commands()
                .iter()
                .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
            "{security:?}: neither credentials nor mail go to a server that failed verification: {:?}",
            fake.commands()
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Each fault: the right settlement and attempt record
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_421_greeting_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        greeting: Greeting::Reply(421, "4.3.2 Service shutting down".into()),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(421), "GREETING");
    assert_route(&p.routes[0], 1, "failed", Some(421), "Service shutting down");
    assert_retried(&app, &fake, &p, &email, Some(421)).await;
}

#[tokio::test]
async fn a_451_to_mail_from_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        mail_from: Some((451, "4.3.0 Try again later".into())),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(451), "MAIL_FROM");
    assert_route(&p.routes[0], 1, "failed", Some(451), "Try again later");
    assert_retried(&app, &fake, &p, &email, Some(451)).await;
}

#[tokio::test]
async fn a_temporary_recipient_refusal_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        rcpt_all: Some((450, "4.2.1 Mailbox busy".into())),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(450), "RCPT_TO");
    assert_retried(&app, &fake, &p, &email, Some(450)).await;
}

#[tokio::test]
async fn a_451_after_the_data_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        data_end: Some((451, "4.3.0 Queue full".into())),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(451), "DATA");
    assert_route(&p.routes[0], 1, "failed", Some(451), "Queue full");
    assert_retried(&app, &fake, &p, &email, Some(451)).await;
}

#[tokio::test]
async fn a_535_to_auth_is_retried_and_says_auth() {
    let fake = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::None,
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    fake.set_behavior(Behavior {
        auth: Some((535, "5.7.8 Authentication credentials invalid".into())),
        ..Behavior::default()
    });
    let app = spawn(settings(
        smtp("127.0.0.1", fake.port(), Security::Plain, Some(PASSWORD)),
        None,
    ))
    .await;
    let id = queue(&app, &letter("ada@example.test", "auth")).await;
    let p = run_one(&app, now_ms()).await;
    assert_route(&p.routes[0], 1, "failed", Some(535), "AUTH: ");
    assert!(
        !p.routes[0].reply.as_deref().unwrap_or_default().contains(PASSWORD),
        "the password never reaches the log"
    );
    let email = row(&app, id).await;
    assert_retried(&app, &fake, &p, &email, Some(535)).await;
}

#[tokio::test]
async fn a_550_for_one_recipient_fails_that_email_at_once_and_no_other() {
    let (app, fake) = plain_setup(
        Behavior {
            rcpt_reject: vec![("gone@example.test".into(), 550, "5.1.1 No such user here".into())],
            ..Behavior::default()
        },
        |_| {},
    )
    .await;
    let before = queue(&app, &letter("first@example.test", "first")).await;
    let gone = queue(&app, &letter("gone@example.test", "gone")).await;
    let after = queue(&app, &letter("last@example.test", "last")).await;

    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), 3);
    for p in &processed {
        if p.id == gone {
            assert_eq!(p.settlement, Settlement::Failed, "{p:?}");
            assert_route(&p.routes[0], 1, "failed", Some(550), "RCPT_TO");
            assert_route(&p.routes[0], 1, "failed", Some(550), "No such user here");
        } else {
            assert_eq!(
                p.settlement,
                Settlement::Sent {
                    route: "platform".into()
                },
                "{p:?}"
            );
        }
    }
    let email = row(&app, gone).await;
    assert_eq!((email.status.as_str(), email.last_code), ("failed", Some(550)));
    assert!(
        email
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("No such user here")
    );
    for id in [before, after] {
        assert_eq!(row(&app, id).await.status, "sent");
    }
    let mut delivered: Vec<String> = fake.messages().iter().flat_map(|m| m.rcpt_to.clone()).collect();
    delivered.sort();
    assert_eq!(delivered, ["first@example.test", "last@example.test"]);
    assert!(
        run(&app, now_ms() + 48 * HOUR).await.is_empty(),
        "a refused recipient is not retried"
    );
    assert_eq!(attempts(&app, gone).await.len(), 1);
}

#[tokio::test]
async fn a_552_after_the_data_fails_the_email() {
    let (app, fake, p, email) = one_attempt(Behavior {
        data_end: Some((552, "5.3.4 Message too big for system".into())),
        ..Behavior::default()
    })
    .await;
    assert_eq!(p.settlement, Settlement::Failed);
    assert_route(&p.routes[0], 1, "failed", Some(552), "DATA");
    assert_eq!((email.status.as_str(), email.last_code), ("failed", Some(552)));
    assert!(fake.messages().is_empty());
    assert!(
        run(&app, now_ms() + 48 * HOUR).await.is_empty(),
        "a refused message is not retried"
    );
}

#[tokio::test]
async fn a_server_that_never_greets_is_given_up_on_after_the_greeting_timeout() {
    let greeting = Duration::from_millis(300);
    let (app, fake) = plain_setup(
        Behavior {
            greeting: Greeting::Silent,
            ..Behavior::default()
        },
        |s| s.timeouts.greeting = greeting,
    )
    .await;
    let id = queue(&app, &letter("ada@example.test", "silent")).await;
    let started = Instant::now();
    let p = run_one(&app, now_ms()).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= greeting && elapsed < greeting + Duration::from_millis(1500),
        "the batch took {elapsed:?} for a {greeting:?} greeting timeout"
    );
    assert_route(&p.routes[0], 1, "failed", None, "GREETING: no answer within 300 ms");
    assert!((300..1800).contains(&p.routes[0].duration_ms), "{:?}", p.routes[0]);
    let email = row(&app, id).await;
    assert_retried(&app, &fake, &p, &email, None).await;
}

#[tokio::test]
async fn a_connection_dropped_in_the_middle_of_the_data_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        drop_mid_data: true,
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", None, "DATA");
    assert_retried(&app, &fake, &p, &email, None).await;

    // The server recovers: the retry goes out on a new connection.
    fake.set_behavior(Behavior::default());
    let p = run_one(&app, now_ms() + HOUR).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        }
    );
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn slow_replies_within_the_timeouts_are_fine() {
    let (app, fake) = plain_setup(
        Behavior {
            reply_delay: Duration::from_millis(150),
            ..Behavior::default()
        },
        |s| {
            s.timeouts.greeting = Duration::from_secs(1);
            s.timeouts.command = Duration::from_secs(1);
            s.timeouts.data = Duration::from_secs(1);
        },
    )
    .await;
    queue(&app, &letter("ada@example.test", "slow")).await;
    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    // Greeting, EHLO, MAIL, RCPT, DATA and the final reply each waited.
    assert!(p.routes[0].duration_ms >= 6 * 150, "{:?}", p.routes[0]);
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let app = spawn(settings(plain(closed), None)).await;
    let id = queue(&app, &letter("ada@example.test", "refused")).await;
    let p = run_one(&app, now_ms()).await;
    assert_route(&p.routes[0], 1, "failed", None, "CONNECT: ");
    assert_first_retry(&p);
    let email = row(&app, id).await;
    assert_eq!((email.status.as_str(), email.last_code), ("retrying", None));
    assert!(
        email.last_error.as_deref().unwrap_or_default().contains("CONNECT"),
        "{email:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Retries over time
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_long_outage_is_ridden_out_with_growing_backoff_and_the_email_goes_out_once() {
    let (app, fake) = plain_setup(
        Behavior {
            greeting: Greeting::Reply(421, "4.3.2 Down for maintenance".into()),
            ..Behavior::default()
        },
        |_| {},
    )
    .await;
    let id = queue(&app, &letter("ada@example.test", "outage")).await;

    let mut now = now_ms();
    let mut delays = Vec::new();
    for attempt in 1..=4 {
        let p = run_one(&app, now).await;
        let Settlement::Retry { next_attempt_at } = p.settlement else {
            panic!("attempt {attempt} should be retried: {p:?}");
        };
        assert_route(&p.routes[0], attempt, "failed", Some(421), "Down for maintenance");
        delays.push(next_attempt_at - p.routes[0].started_at);
        assert!(
            run(&app, next_attempt_at - 1).await.is_empty(),
            "attempt {attempt}: retried early"
        );
        now = next_attempt_at;
    }
    fake.set_behavior(Behavior::default());
    let p = run_one(&app, now).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        }
    );
    assert!(run(&app, now + 48 * HOUR).await.is_empty());

    assert_eq!(
        message_ids(&fake.messages()),
        ["<outage@delivery.convene.test>"],
        "sent exactly once"
    );
    let tries = attempts(&app, id).await;
    let summary: Vec<(i64, &str, Option<i64>)> = tries
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str(), a.smtp_code))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "failed", Some(421)),
            (2, "failed", Some(421)),
            (3, "failed", Some(421)),
            (4, "failed", Some(421)),
            (5, "sent", Some(250)),
        ],
        "every try is in the log"
    );
    let email = row(&app, id).await;
    assert_eq!((email.status.as_str(), email.attempts), ("sent", 5));

    // 30 s, 60 s, 2 min, 4 min, each plus 0–25 % jitter (and the few ms the attempt itself took).
    for (i, delay) in delays.iter().enumerate() {
        let base = FIRST_DELAY << i;
        assert!(
            (base..=base + base / 4 + 5 * SECOND).contains(delay),
            "delay {i} was {delay} ms, base {base} ms: {delays:?}"
        );
    }
    assert!(delays.windows(2).all(|w| w[1] > w[0]), "backoff grows: {delays:?}");
    assert!(
        delays.iter().enumerate().any(|(i, d)| *d > (FIRST_DELAY << i) + 50),
        "some jitter is applied: {delays:?}"
    );
}

#[tokio::test]
async fn an_exhausted_retry_budget_marks_the_email_failed_and_keeps_it_visible() {
    let (app, fake) = plain_setup(
        Behavior {
            greeting: Greeting::Reply(421, "4.3.2 Still down".into()),
            ..Behavior::default()
        },
        // Tries at 0 s, ~30 s and ~90 s; the next would come ~2 min later, past the budget.
        |s| {
            s.retry = RetryPolicy {
                first_delay: Duration::from_secs(30),
                max_delay: Duration::from_secs(3600),
                give_up_after: Duration::from_secs(120),
            }
        },
    )
    .await;
    let id = queue(&app, &letter("ada@example.test", "budget")).await;
    let mut now = now_ms();
    for _ in 0..2 {
        let p = run_one(&app, now).await;
        let Settlement::Retry { next_attempt_at } = p.settlement else {
            panic!("within the budget: {p:?}");
        };
        now = next_attempt_at;
    }
    let p = run_one(&app, now).await;
    assert_eq!(p.settlement, Settlement::Failed, "{p:?}");
    assert!(
        run(&app, now + 48 * HOUR).await.is_empty(),
        "a failed email is not tried again"
    );

    let email = row(&app, id).await;
    assert_eq!(
        (email.status.as_str(), email.attempts, email.last_code),
        ("failed", 3, Some(421))
    );
    assert!(
        email.last_error.as_deref().unwrap_or_default().contains("Still down"),
        "{email:?}"
    );
    assert_eq!(attempts(&app, id).await.len(), 3);
    assert!(fake.messages().is_empty());

    // The delivery log shows it, with the reason.
    let shown = app.get(&format!("/v2/email-deliveries/{id}"), &app.admin_key).await;
    let shown = shown.expect_success(StatusCode::OK);
    assert_eq!(shown["status"], "failed");
    assert_eq!(shown["lastSmtpCode"], 421);
    assert!(
        shown["lastError"].as_str().unwrap_or_default().contains("Still down"),
        "{shown}"
    );
    assert_eq!(shown["deliveryAttempts"].as_array().map(Vec::len), Some(3), "{shown}");
}

#[tokio::test]
async fn a_scheduled_email_waits_for_its_time() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    let at = now_ms() + 2 * HOUR;
    let id = queue(
        &app,
        &NewEmail {
            not_before: Some(at),
            ..letter("ada@example.test", "scheduled")
        },
    )
    .await;
    assert!(run(&app, now_ms()).await.is_empty());
    assert!(run(&app, at - 1).await.is_empty());
    assert_eq!(row(&app, id).await.status, "queued");
    assert!(fake.messages().is_empty());
    let p = run_one(&app, at).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        }
    );
    assert_eq!(fake.messages().len(), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Leases
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_abandoned_lease_is_taken_over_and_the_stale_result_is_refused() {
    let lease = 60 * SECOND;
    let (app, fake) = plain_setup(Behavior::default(), |s| s.lease = Duration::from_secs(60)).await;
    let id = queue(&app, &letter("ada@example.test", "lease")).await;

    // A worker claims the email and dies before sending or recording anything.
    let t0 = now_ms();
    let claimed = outbox::claim_due(&app.db, t0, lease, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].status.as_str(), claimed[0].attempts), ("sending", 1));
    assert_eq!(claimed[0].lease_until, Some(t0 + lease));

    assert!(run(&app, t0 + lease - 1).await.is_empty(), "a live lease is respected");
    let p = run_one(&app, t0 + lease).await;
    assert_eq!(p.id, id);
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        }
    );
    assert_eq!(p.routes[0].attempt, 2, "the takeover is a new attempt");

    // The first worker comes back and reports a failure for its attempt: too late, nothing changes.
    let stale = Settle {
        id,
        attempt: 1,
        settlement: Settlement::Failed,
        last_code: Some(554),
        last_error: Some("stale".into()),
        routes: vec![AttemptRecord {
            attempt: 1,
            route: "platform".into(),
            outcome: "failed".into(),
            smtp_code: Some(554),
            reply: Some("stale".into()),
            duration_ms: 1,
            started_at: t0,
        }],
    };
    assert_eq!(
        outbox::settle_all(&app.db, &[stale], now_ms()).await.expect("settle"),
        [false]
    );
    let email = row(&app, id).await;
    assert_eq!((email.status.as_str(), email.attempts), ("sent", 2));
    assert_eq!(email.last_error, None);
    let log = attempts(&app, id).await;
    assert_eq!(log.len(), 1, "the stale attempt left no record: {log:?}");
    assert_eq!((log[0].attempt, log[0].outcome.as_str()), (2, "sent"));
    assert_eq!(fake.messages().len(), 1);
}

/// The real worker loop ([`spawn_worker`]) against a second worker on the same database, with every setting inside
/// the documented rule ("the lease is longer than the slowest send — every timeout added up, twice — so a live
/// worker never loses its row") and a healthy server that merely answers in 50 ms. The lease must cover a row from
/// its claim to its recording; if the loop claims more rows than it can send within the lease, or records them
/// only after a long batch, the second worker takes over rows of a live worker — delivered ones included — and
/// sends them again. (The loop that claimed 16 × connections rows under one lease and recorded them after the
/// whole batch failed this with every email delivered 3 to 20 times.)
#[tokio::test]
async fn a_live_worker_never_loses_the_rows_it_claimed() {
    let timeouts = SmtpTimeouts {
        connect: Duration::from_millis(100),
        greeting: Duration::from_millis(300),
        command: Duration::from_millis(120),
        data: Duration::from_millis(150),
    };
    let lease = Duration::from_millis(2600);
    assert!(lease > timeouts.total() * 2, "the settings follow the documented rule");
    let (app, fake) = plain_setup(
        Behavior {
            reply_delay: Duration::from_millis(50),
            ..Behavior::default()
        },
        |s| {
            s.connections = 1;
            s.timeouts = timeouts;
            s.lease = lease;
        },
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..16 {
        ids.push(queue(&app, &letter(&format!("user{i}@example.test"), &format!("live-{i}"))).await);
    }
    // A second worker (another process, in production): same database and settings, its own connections.
    let other = AppState::new(app.db.clone(), (*app.state.settings).clone(), app.state.keyring.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let first = spawn_worker(app.state.clone(), stopped.clone(), RunMode::UntilIdle);
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    let second = spawn_worker(other, stopped, RunMode::UntilIdle);
    let mut both = tokio::spawn(async move {
        let (first, second) = tokio::join!(first, second);
        first.and(second)
    });
    // Alone, one worker needs ~3.5 s for the 16 emails. Two that keep taking each other's rows never run dry.
    let drained = match tokio::time::timeout(Duration::from_secs(10), &mut both).await {
        Ok(joined) => {
            joined.expect("join").expect("workers");
            true
        }
        Err(_) => {
            stop.send(true).expect("stop the workers");
            both.await.expect("join").expect("workers");
            false
        }
    };

    let delivered = message_ids(&fake.messages());
    let unique: HashSet<&String> = delivered.iter().collect();
    assert_eq!(
        delivered.len(),
        unique.len(),
        "{} deliveries of {} emails: the workers took rows from each other while they were being sent \
         (queue drained: {drained})",
        delivered.len(),
        unique.len()
    );
    assert!(drained, "the workers did not finish 16 emails within 10 s");
    for id in &ids {
        assert_eq!(row(&app, *id).await.status, "sent");
        let slowest = attempts(&app, *id).await.iter().map(|a| a.duration_ms).max();
        assert!(slowest < Some(1000), "each send is well within the lease: {slowest:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile rows
// ---------------------------------------------------------------------------------------------------------------

/// Lines that start a header called `name` anywhere in the message (the top and every MIME part).
fn header_lines(data: &[u8], name: &str) -> Vec<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    String::from_utf8_lossy(data)
        .split("\r\n")
        .flat_map(|l| l.split(['\n', '\r']))
        .filter(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn control_characters_in_stored_rows_never_add_headers_or_recipients() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    // PostgreSQL text cannot hold NUL at all, so only SQLite rows carry one.
    let nul = if app.db.backend() == Backend::Sqlite { "\0" } else { "" };
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
    let hostile = [
        NewEmail {
            to_name: Some("Eve\r\nBcc: victim1@evil.test".into()),
            subject: "Hi\r\nBcc: victim2@evil.test".into(),
            reply_to_email: Some("replies@ok.test".into()),
            reply_to_name: Some("Desk\nBcc: victim3@evil.test".into()),
            ics: Some(ics.into()),
            ics_method: Some("REQUEST\r\nBcc: victim4@evil.test".into()),
            ..letter("eve@example.test", "crlf")
        },
        NewEmail {
            to_name: Some("\r\n".into()),
            subject: format!("Nul{nul}bell\u{7}esc\u{1b}[31m nel\u{85}Bcc: victim5@evil.test\rX-Injected: 1"),
            ..letter("mallory@example.test", "controls")
        },
        NewEmail {
            to_name: Some("Ünïcödé\u{2028}Bcc: victim6@evil.test".into()),
            subject: "Grüße\r\n\r\nBody injection attempt".into(),
            ..letter("trent@example.test", "unicode")
        },
    ];
    let mut ids = Vec::new();
    for email in &hostile {
        ids.push(queue(&app, email).await);
    }
    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), 3);
    for p in &processed {
        assert_eq!(
            p.settlement,
            Settlement::Sent {
                route: "platform".into()
            },
            "{p:?}"
        );
    }
    let messages = fake.messages();
    assert_eq!(messages.len(), 3);
    for m in &messages {
        assert_eq!(m.rcpt_to.len(), 1, "one recipient only: {:?}", m.rcpt_to);
        assert!(!m.rcpt_to[0].contains("evil"), "{:?}", m.rcpt_to);
        assert_eq!(header_lines(&m.data, "Bcc"), Vec::<String>::new(), "{}", m.data_text());
        assert_eq!(
            header_lines(&m.data, "X-Injected"),
            Vec::<String>::new(),
            "{}",
            m.data_text()
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(&m.data)
            .expect("the message parses");
        let names: Vec<&str> = parsed.headers().iter().map(|h| h.name()).collect();
        assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("bcc")), "{names:?}");
        assert_eq!(
            names.iter().filter(|n| n.eq_ignore_ascii_case("subject")).count(),
            1,
            "{names:?}"
        );
        let subject = parsed.subject().expect("a subject");
        assert!(!subject.chars().any(char::is_control), "{subject:?}");
        let to = parsed.to().and_then(|a| a.first()).expect("a To");
        assert_eq!(Some(m.rcpt_to[0].as_str()), to.address());
        assert!(!to.name().unwrap_or_default().chars().any(char::is_control), "{to:?}");
    }
    let crlf = messages
        .iter()
        .find(|m| m.rcpt_to == ["eve@example.test"])
        .expect("eve's message");
    let parsed = mail_parser::MessageParser::default().parse(&crlf.data).expect("parses");
    assert!(
        parsed.subject().unwrap_or_default().starts_with("Hi"),
        "{:?}",
        parsed.subject()
    );
    let methods: Vec<String> = parsed
        .parts
        .iter()
        .filter_map(|part| part.content_type())
        .filter(|ct| ct.ctype() == "text" && ct.subtype() == Some("calendar"))
        .map(|ct| ct.attribute("method").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(methods.len(), 1, "{methods:?}");
    assert!(
        methods[0].starts_with("REQUEST") && methods[0].chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "the calendar METHOD is reduced to a token: {methods:?}"
    );
    let unicode = messages
        .iter()
        .find(|m| m.rcpt_to == ["trent@example.test"])
        .expect("trent's message");
    let parsed = mail_parser::MessageParser::default()
        .parse(&unicode.data)
        .expect("parses");
    assert!(parsed.subject().unwrap_or_default().contains("Grüße"));
    assert!(
        !parsed
            .body_text(0)
            .unwrap_or_default()
            .contains("Body injection attempt"),
        "a blank line in the subject does not start the body"
    );
}

#[tokio::test]
async fn an_invalid_recipient_address_fails_with_a_clear_error_and_no_smtp_session() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    let mut ids = Vec::new();
    for (i, to) in [
        "not an address",
        "",
        "ok@example.test>\r\nRCPT TO:<evil@evil.test",
        "ok@example.test\r\nBcc: evil@evil.test",
    ]
    .into_iter()
    .enumerate()
    {
        ids.push(queue(&app, &letter(to, &format!("bad-{i}"))).await);
    }
    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), ids.len());
    for p in &processed {
        assert_eq!(p.settlement, Settlement::Failed, "{p:?}");
        let reply = p.routes[0].reply.as_deref().unwrap_or_default();
        assert!(reply.contains("invalid recipient address"), "{reply}");
        let email = row(&app, p.id).await;
        assert_eq!(email.status, "failed");
        assert!(
            email
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("invalid recipient address")
        );
    }
    assert!(fake.messages().is_empty());
    assert!(
        !fake.commands().iter().any(|c| c.contains("evil")),
        "{:?}",
        fake.commands()
    );
    assert!(run(&app, now_ms() + 48 * HOUR).await.is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Throughput: connection reuse and TCP_NODELAY
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn twenty_emails_over_two_connections_reuse_them() {
    let (app, fake) = plain_setup(Behavior::default(), |s| s.connections = 2).await;
    for i in 0..20 {
        queue(&app, &letter(&format!("user{i}@example.test"), &format!("reuse-{i}"))).await;
    }
    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), 20);
    assert!(
        processed
            .iter()
            .all(|p| matches!(p.settlement, Settlement::Sent { .. }))
    );
    let messages = fake.messages();
    assert_eq!(messages.len(), 20);
    assert!(
        fake.connections() <= 3,
        "{} connections for 20 emails",
        fake.connections()
    );
    let used: HashSet<u64> = messages.iter().map(|m| m.connection).collect();
    assert!(used.len() <= 2, "{used:?}");
    let ehlos = fake.commands().iter().filter(|c| c.starts_with("EHLO")).count();
    assert!(ehlos <= 3, "one EHLO per connection, no per-message handshake: {ehlos}");
}

#[tokio::test]
async fn fifty_emails_in_a_row_do_not_stall_on_delayed_acks() {
    let (app, fake) = plain_setup(
        Behavior {
            delayed_ack: true,
            ..Behavior::default()
        },
        |s| s.connections = 1,
    )
    .await;
    // A first email opens the connection, so the timing covers steady-state sending only.
    queue(&app, &letter("warm@example.test", "warm-up")).await;
    run_one(&app, now_ms()).await;
    for i in 0..50 {
        queue(&app, &letter(&format!("user{i}@example.test"), &format!("nodelay-{i}"))).await;
    }
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let batch = run(&app, now_ms()).await;
        if batch.is_empty() {
            break;
        }
        sent += batch
            .iter()
            .filter(|p| matches!(p.settlement, Settlement::Sent { .. }))
            .count();
    }
    let elapsed = started.elapsed();
    assert_eq!(sent, 50);
    assert_eq!(fake.connections(), 1, "all over one connection");
    // With Nagle's algorithm every message would wait ~40 ms for the server's delayed ACK: 2 s or more.
    assert!(
        elapsed < Duration::from_secs(1),
        "50 sequential emails took {elapsed:?}"
    );
}

/// The control for the test above: the fake's delayed-ACK mode does stall a client that leaves Nagle on, so the
/// fast result there is TCP_NODELAY's doing and not the fake's.
#[tokio::test]
async fn control_a_client_without_nodelay_does_stall_on_delayed_acks() {
    use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
    use lettre::transport::smtp::extension::ClientId;

    let fake = FakeSmtp::start(FakeSmtpConfig::default()).await;
    fake.set_behavior(Behavior {
        delayed_ack: true,
        ..Behavior::default()
    });
    let tcp = tokio::net::TcpStream::connect(fake.addr()).await.expect("connect");
    tcp.set_nodelay(false).expect("Nagle on");
    let stream: Box<dyn AsyncTokioStream> = Box::new(tcp);
    let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &ClientId::Domain("control.test".into()))
        .await
        .expect("greeting");
    async fn send(conn: &mut AsyncSmtpConnection, i: usize) {
        let message = lettre::Message::builder()
            .from("from@example.test".parse().expect("from"))
            .to("to@example.test".parse().expect("to"))
            .subject(format!("control {i}"))
            .body(format!("control body {i}\r\n"))
            .expect("message");
        conn.send(message.envelope(), &message.formatted()).await.expect("send");
    }
    send(&mut conn, 0).await;
    let started = Instant::now();
    for i in 1..=10 {
        send(&mut conn, i).await;
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(10 * 20),
        "without TCP_NODELAY 10 messages should stall on delayed ACKs, yet took only {elapsed:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// A real SMTP server: aiosmtpd
// ---------------------------------------------------------------------------------------------------------------

async fn aiosmtpd_delivery(tls: AioTls, security: Security) {
    let ca = TestCa::new();
    let server = Aiosmtpd::start(tls, &ca.leaf(&["localhost"]), USER, PASSWORD).await;
    let app = spawn(settings(
        smtp("localhost", server.port(), security, Some(PASSWORD)),
        Some(&ca.ca_pem()),
    ))
    .await;
    let id = queue(&app, &letter("ada@example.test", "aiosmtpd")).await;
    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    assert_eq!(p.routes[0].smtp_code, Some(250));
    let messages = server.wait_for_messages(1, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.tls, "{tls:?}");
    assert_eq!(m.auth_user.as_deref(), Some(USER));
    assert_eq!(m.rcpt_to, ["ada@example.test"]);
    assert_eq!(
        m.header("Message-ID").as_deref(),
        Some("<aiosmtpd@delivery.convene.test>")
    );
    let parsed = mail_parser::MessageParser::default().parse(&m.data).expect("parses");
    assert_eq!(parsed.subject(), Some("Reset your password (aiosmtpd)"));
    assert!(parsed.body_text(0).unwrap_or_default().contains("Hello from aiosmtpd"));
    assert_eq!(row(&app, id).await.status, "sent");
}

#[tokio::test]
async fn aiosmtpd_over_starttls_with_auth_receives_the_email() {
    aiosmtpd_delivery(AioTls::StartTls, Security::StartTls).await;
}

#[tokio::test]
async fn aiosmtpd_over_implicit_tls_with_auth_receives_the_email() {
    aiosmtpd_delivery(AioTls::Implicit, Security::ImplicitTls).await;
}

#[tokio::test]
async fn aiosmtpd_refusing_the_password_means_a_retry_at_the_auth_stage() {
    let ca = TestCa::new();
    let server = Aiosmtpd::start(AioTls::StartTls, &ca.leaf(&["localhost"]), USER, PASSWORD).await;
    let app = spawn(settings(
        smtp("localhost", server.port(), Security::StartTls, Some("wrong password")),
        Some(&ca.ca_pem()),
    ))
    .await;
    let id = queue(&app, &letter("ada@example.test", "aio-wrong")).await;
    let p = run_one(&app, now_ms()).await;
    assert_first_retry(&p);
    assert_route(&p.routes[0], 1, "failed", Some(535), "AUTH: ");
    assert_eq!(row(&app, id).await.status, "retrying");
    assert!(server.messages().is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------------------------

/// The value of the sample `series` (name and labels exactly as exposed).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_sent_retried_and_failed_emails_by_kind_and_show_the_queue() {
    let (app, fake) = plain_setup(
        Behavior {
            rcpt_reject: vec![("gone@example.test".into(), 550, "5.1.1 No such user".into())],
            ..Behavior::default()
        },
        |_| {},
    )
    .await;
    queue(&app, &letter("ada@example.test", "m-sent")).await;
    queue(&app, &letter("gone@example.test", "m-failed")).await;
    assert_eq!(run(&app, now_ms()).await.len(), 2);

    // (The connection of the first batch is reused, so the fault is scripted at MAIL, not at the greeting.)
    fake.set_behavior(Behavior {
        mail_from: Some((451, "4.3.0 Busy".into())),
        ..Behavior::default()
    });
    queue(
        &app,
        &NewEmail {
            kind: "email_verification_code".into(),
            ..letter("ada@example.test", "m-retried")
        },
    )
    .await;
    assert!(matches!(
        run_one(&app, now_ms()).await.settlement,
        Settlement::Retry { .. }
    ));

    // Two due and waiting, one scheduled for later (not due, so not in the depth).
    queue(&app, &letter("b@example.test", "m-waiting-1")).await;
    queue(&app, &letter("c@example.test", "m-waiting-2")).await;
    queue(
        &app,
        &NewEmail {
            not_before: Some(now_ms() + HOUR),
            ..letter("d@example.test", "m-later")
        },
    )
    .await;

    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    for (series, value) in [
        ("convene_emails_sent_total{kind=\"password_reset\"}", 1.0),
        ("convene_emails_failed_total{kind=\"password_reset\"}", 1.0),
        ("convene_emails_retried_total{kind=\"email_verification_code\"}", 1.0),
        ("convene_email_queue_depth", 2.0),
    ] {
        assert_eq!(sample(&metrics, series), Some(value), "{series} in:\n{metrics}");
    }
    for absent in [
        "convene_emails_sent_total{kind=\"email_verification_code\"}",
        "convene_emails_retried_total{kind=\"password_reset\"}",
    ] {
        assert_eq!(sample(&metrics, absent), None, "{absent} in:\n{metrics}");
    }
}
