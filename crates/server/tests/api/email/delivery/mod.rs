//! The outbox worker against real SMTP servers: faults, retries, fallback of nothing, durability.
//!
//! Every test drives the worker one batch at a time with [`process_due`], passing a later `now` to make a retry
//! due instead of sleeping. The SMTP side is the test kit's [`FakeSmtp`] (scripted faults) as the platform's
//! transport of an [`EmailRig`], or a real aiosmtpd.

mod aiosmtpd;
mod connections;
mod faults;
mod hostile_rows;
mod leases;
mod metrics;
mod retries;
mod throughput;

use crate::helpers::TestApp;
use crate::helpers::email::{Credentials, EmailRig};
use convene_core::EmailId;
use convene_core::email::EmailKind;
use convene_server::email::worker::{Processed, process_due};
use convene_server::email::{EmailSettings, Security, SmtpServer};
use convene_store::now_ms;
use convene_store::outbox::{self, AttemptRecord, EmailRecord, NewEmail, Settlement};
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, TestCa};

pub(super) const USER: &str = "mailer";

pub(super) const PASSWORD: &str = "correct horse battery";

pub(super) const SECOND: i64 = 1000;

pub(super) const MINUTE: i64 = 60 * SECOND;

pub(super) const HOUR: i64 = 60 * MINUTE;

/// The default retry policy's first delay; each later one doubles, plus up to a quarter of jitter.
pub(super) const FIRST_DELAY: i64 = 30 * SECOND;

pub(super) fn smtp(host: &str, port: u16, security: Security, credentials: Option<&str>) -> SmtpServer {
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

pub(super) fn plain(port: u16) -> SmtpServer {
    smtp("127.0.0.1", port, Security::Plain, None)
}

/// A plain FakeSmtp behaving as `behavior` as the platform's transport (two connections), adjusted by `adjust`.
pub(super) async fn plain_setup(
    behavior: Behavior,
    adjust: impl FnOnce(&mut EmailSettings) + 'static,
) -> (TestApp, FakeSmtp) {
    let EmailRig { app, platform, .. } = EmailRig::builder()
        .email(|s| s.connections = 2)
        .email(adjust)
        .start()
        .await;
    platform.set_behavior(behavior);
    (app, platform)
}

/// A platform server set up by `server` (its TLS and AUTH, with certificates from the rig's CA), reached at `host`
/// with `security` and, when given, [`USER`] and `password`.
pub(super) async fn platform_setup(
    server: impl FnOnce(&TestCa) -> FakeSmtpConfig + 'static,
    host: &'static str,
    security: Security,
    password: Option<&'static str>,
) -> (TestApp, FakeSmtp) {
    let EmailRig { app, platform, .. } = EmailRig::builder()
        .platform_server(server)
        .platform_route(move |port| smtp(host, port, security, password))
        .email(|s| s.connections = 2)
        .start()
        .await;
    (app, platform)
}

/// An account email (routed by the platform only) to `to`, recognisable by `tag`.
pub(super) fn letter(to: &str, tag: &str) -> NewEmail {
    NewEmail {
        message_id: format!("<{tag}@delivery.convene.test>"),
        to_email: to.to_owned(),
        to_name: Some("Ada Lovelace".to_owned()),
        subject: format!("Reset your password ({tag})"),
        body_text: format!("Hello from {tag}"),
        body_html: format!("<p>Hello from {tag}</p>"),
        ..NewEmail::of(EmailKind::PasswordReset)
    }
}

pub(super) async fn queue(app: &TestApp, email: &NewEmail) -> i64 {
    (outbox::enqueue(&app.db, email, jiff::Timestamp::now())
        .await
        .expect("enqueue"))
    .0
}

pub(super) async fn run(app: &TestApp, now: i64) -> Vec<Processed> {
    process_due(&app.state, crate::helpers::instant(now))
        .await
        .expect("worker batch")
}

/// The one email a batch processed.
pub(super) async fn run_one(app: &TestApp, now: i64) -> Processed {
    let mut processed = run(app, now).await;
    assert_eq!(
        processed.len(),
        1,
        "expected exactly one email in the batch: {processed:?}"
    );
    processed.remove(0)
}

pub(super) async fn row(app: &TestApp, id: i64) -> EmailRecord {
    outbox::find(&app.db, EmailId(id))
        .await
        .expect("find")
        .expect("the row is never deleted")
}

pub(super) async fn attempts(app: &TestApp, id: i64) -> Vec<AttemptRecord> {
    outbox::attempts(&app.db, EmailId(id)).await.expect("attempts")
}

/// Asserts one route record: the platform route, its outcome, code and a reply containing `reply`.
pub(super) fn assert_route(record: &AttemptRecord, attempt: i64, outcome: &str, code: Option<i64>, reply: &str) {
    assert_eq!(record.route, "platform", "{record:?}");
    assert_eq!(record.attempt, attempt, "{record:?}");
    assert_eq!(record.outcome, outcome, "{record:?}");
    assert_eq!(record.smtp_code, code, "{record:?}");
    let text = record.reply.as_deref().unwrap_or_default();
    assert!(text.contains(reply), "reply {text:?} should contain {reply:?}");
    assert!((0..30_000).contains(&record.duration_ms), "{record:?}");
    assert!(record.started_at.as_millisecond() > now_ms() - HOUR, "{record:?}");
}

/// Asserts `p` is a retry scheduled the first delay (with at most a quarter of jitter) after its attempt began.
pub(super) fn assert_first_retry(p: &Processed) -> i64 {
    let Settlement::Retry { next_attempt_at } = p.settlement else {
        panic!("expected a retry: {p:?}");
    };
    let next_attempt_at = next_attempt_at.as_millisecond();
    let delay = next_attempt_at - p.routes[0].started_at.as_millisecond();
    assert!(
        (FIRST_DELAY..=FIRST_DELAY + FIRST_DELAY / 4 + 5 * SECOND).contains(&delay),
        "first retry after {delay} ms: {p:?}"
    );
    next_attempt_at
}

/// One email through a plain FakeSmtp scripted with `behavior`: what the worker did, the row and its route record.
pub(super) async fn one_attempt(behavior: Behavior) -> (TestApp, FakeSmtp, Processed, EmailRecord) {
    let (app, fake) = plain_setup(behavior, |_| {}).await;
    let id = queue(&app, &letter("ada@example.test", "fault")).await;
    let p = run_one(&app, now_ms()).await;
    assert_eq!(p.id, EmailId(id));
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
pub(super) async fn assert_retried(
    app: &TestApp,
    fake: &FakeSmtp,
    p: &Processed,
    email: &EmailRecord,
    code: Option<i64>,
) {
    let next = assert_first_retry(p);
    assert_eq!(email.status, "retrying");
    assert_eq!(email.next_attempt_at.as_millisecond(), next);
    assert_eq!(email.last_code, code);
    assert_eq!(email.last_error, p.routes[0].reply);
    assert!(fake.messages().is_empty(), "nothing was accepted");
    assert!(run(app, next - 1).await.is_empty(), "not due again before its time");
}
