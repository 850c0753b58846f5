//! `convene worker` as real processes: killed with SIGKILL in the middle of sending, and two of them draining one
//! queue together. The emails are queued through the store API into the database the processes use, and delivered
//! to the test kit's FakeSmtp; every Message-ID is stable per row, so duplicates are recognisable.
//!
//! Nothing here depends on timing: the FakeSmtp holds sends at the end of DATA ([`FakeSmtp::hold`]) so that a
//! worker is killed with sends provably in flight, and two workers are provably sending at the same moment, before
//! anything is released.

use convene_core::EmailId;
use convene_core::email::EmailKind;
use convene_store::outbox::{self, NewEmail};
use convene_store::testing::{TEST_DATABASE_URL_VAR, TestDb};
use convene_store::{Db, now_ms};
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, HeldSend, Received};
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_convene");

/// The encryption key processes sharing a database are given (PostgreSQL refuses to start without one).
const SHARED_KEY: &str = "shared:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A `convene worker` process with its own working folder and a log file; killed when dropped.
struct Worker {
    child: Child,
    dir: tempfile::TempDir,
}

impl Worker {
    /// Starts `convene worker <args>` on the database at `db_url`, sending to the FakeSmtp on `smtp_port` with
    /// `connections` connections; `name` is its EHLO name, so the server can tell the workers apart.
    fn start(db_url: &str, smtp_port: u16, name: &str, connections: usize, args: &[&str]) -> Worker {
        let dir = tempfile::tempdir().expect("worker dir");
        let log = std::fs::File::create(dir.path().join("stderr.log")).expect("log file");
        let child = Command::new(BIN)
            .current_dir(dir.path())
            .arg("worker")
            .args(args)
            .env("CONVENE_DATA_DIR", dir.path().join("data"))
            .env("CONVENE_DATABASE_URL", db_url)
            .env("CONVENE_ENCRYPTION_KEYS", SHARED_KEY)
            .env(
                "CONVENE_EMAIL_TRANSPORT",
                format!("smtp+insecure://127.0.0.1:{smtp_port}"),
            )
            .env("CONVENE_EMAIL_CONNECTIONS", connections.to_string())
            .env("CONVENE_HOSTNAME", name)
            .env("CONVENE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn convene worker");
        Worker { child, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Waits (without blocking the runtime the FakeSmtp runs on) for the process to end.
    async fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "convene worker still running after {limit:?}; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Queues `n` account emails; returns (row id, Message-ID) of each.
async fn queue_many(db: &Db, n: usize, tag: &str) -> Vec<(EmailId, String)> {
    let mut queued = Vec::with_capacity(n);
    for i in 0..n {
        let email = NewEmail {
            message_id: format!("<{tag}-{i}@worker.convene.test>"),
            to_email: format!("user{i}@example.test"),
            to_name: Some(format!("User {i}")),
            subject: format!("Email {i} of {n}"),
            body_text: format!("Body {i}"),
            body_html: format!("<p>Body {i}</p>"),
            ..NewEmail::of(EmailKind::PasswordReset)
        };
        let id = outbox::enqueue(db, &email, Timestamp::now()).await.expect("enqueue");
        queued.push((id, email.message_id));
    }
    queued
}

/// How many times each Message-ID arrived.
fn deliveries(messages: &[Received]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in messages {
        let id = m.header("Message-ID").expect("every message has a Message-ID");
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// Waits until the server has accepted at least `n` messages, while `worker` keeps running.
async fn wait_for_deliveries(fake: &FakeSmtp, worker: &mut Worker, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.messages().len() < n {
        assert!(
            worker.is_running(),
            "the worker exited early; its log:\n{}",
            worker.log()
        );
        assert!(
            Instant::now() < deadline,
            "only {} emails arrived in 60 s; the worker's log:\n{}",
            fake.messages().len(),
            worker.log()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Simulates the passage of the lease time after the kill: the killed worker's leases (120 s) would have run out
/// by then, and waiting for that is too slow for a test. No setting shortens the lease in the binary, and only
/// the store API is at hand here, so this claims every unsettled row as of a day later with a lease that ends a
/// millisecond ago. For rows the dead worker held, that is exactly their lease running out; rows it never claimed
/// merely count one more (instant, empty) attempt. That the expiry of a real lease lets another worker take the
/// row is tested step by step in the server's `email_delivery` tests.
async fn expire_leases(db: &Db) -> usize {
    let later = Timestamp::now() + SignedDuration::from_hours(24);
    let expired_lease = (now_ms() - 1) - later.as_millisecond();
    outbox::claim_due(db, later, expired_lease, 100_000)
        .await
        .expect("expire leases")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_loses_no_email_and_duplicates_only_what_was_in_flight() {
    const TOTAL: usize = 300;
    let test_db = TestDb::new().await.expect("test database");
    let db = &test_db.db;
    let fake = FakeSmtp::start(FakeSmtpConfig::default()).await;
    fake.set_behavior(Behavior {
        reply_delay: Duration::from_millis(5),
        ..Behavior::default()
    });
    let queued = queue_many(db, TOTAL, "kill").await;

    let mut worker = Worker::start(&test_db.url, fake.port(), "doomed.test", 2, &[]);
    wait_for_deliveries(&fake, &mut worker, 40).await;
    // Hold the next sends at the end of DATA: the worker is then provably in the middle of sending, with rows it
    // claimed and cannot have recorded, when it dies.
    fake.hold();
    fake.wait_for_held(|held| !held.is_empty(), Duration::from_secs(60))
        .await;
    worker.child.kill().expect("SIGKILL");
    worker.child.wait().expect("reap");
    let delivered_at_kill = fake.messages().len();
    assert!(delivered_at_kill < TOTAL, "the worker was stopped before it finished");
    // What the server had read in full it now accepts, though the client is gone: the classic duplicate.
    fake.release();

    // The state the crash left behind.
    let mut sent_at_kill = HashSet::new();
    let mut in_flight = HashSet::new();
    for (id, message_id) in &queued {
        let row = outbox::find(db, *id).await.expect("find").expect("row");
        match row.status.as_str() {
            "sent" => {
                sent_at_kill.insert(message_id.clone());
            }
            "sending" => {
                in_flight.insert(message_id.clone());
            }
            "queued" => {}
            other => panic!("{message_id}: unexpected state {other:?} after the kill"),
        }
    }
    assert!(!in_flight.is_empty(), "the kill should catch a batch in flight");
    assert!(sent_at_kill.len() < TOTAL);

    assert!(expire_leases(db).await >= in_flight.len());
    let mut recovery = Worker::start(&test_db.url, fake.port(), "recovery.test", 2, &["--until-idle"]);
    let status = recovery.wait(Duration::from_secs(60)).await;
    assert!(
        status.success(),
        "worker --until-idle failed: {status}; log:\n{}",
        recovery.log()
    );

    assert_eq!(
        outbox::count_by_status(db, convene_core::EmailStatus::Sent)
            .await
            .expect("count"),
        TOTAL as i64
    );
    let counts = deliveries(&fake.messages());
    let duplicated: HashSet<String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id.clone())
        .collect();
    for (_, message_id) in &queued {
        assert!(counts.contains_key(message_id), "{message_id} was never delivered");
    }
    assert_eq!(counts.len(), TOTAL, "nothing but the queued emails arrived");
    assert!(
        duplicated.is_subset(&in_flight),
        "only emails in flight at the kill may arrive twice; also duplicated: {:?}",
        duplicated.difference(&in_flight).collect::<Vec<_>>()
    );
    assert!(counts.values().all(|n| *n <= 2), "{counts:?}");
    for message_id in &sent_at_kill {
        assert_eq!(
            counts[message_id], 1,
            "{message_id} was recorded as sent and must not be sent again"
        );
    }
    eprintln!(
        "killed after {delivered_at_kill} deliveries with {} rows recorded sent and {} in flight; {} of those \
         were delivered twice",
        sent_at_kill.len(),
        in_flight.len(),
        duplicated.len()
    );
}

/// Two `convene worker --until-idle` processes started together on one database and one SMTP server. Until both
/// have a send in flight the server holds every send, so the two provably share the queue, whoever is faster.
async fn two_workers_drain_one_queue_without_sending_anything_twice(test_db: TestDb) {
    const TOTAL: usize = 500;
    let fake = FakeSmtp::start(FakeSmtpConfig::default()).await;
    fake.set_behavior(Behavior {
        reply_delay: Duration::from_millis(3),
        ..Behavior::default()
    });
    let queued = queue_many(&test_db.db, TOTAL, "pair").await;

    fake.hold();
    let mut a = Worker::start(&test_db.url, fake.port(), "worker-a.test", 2, &["--until-idle"]);
    let mut b = Worker::start(&test_db.url, fake.port(), "worker-b.test", 2, &["--until-idle"]);
    let sending = |held: &[HeldSend], name: &str| held.iter().any(|h| h.client == name);
    let held = fake
        .wait_for_held(
            |held| sending(held, "worker-a.test") && sending(held, "worker-b.test"),
            Duration::from_secs(60),
        )
        .await;
    fake.release();
    for worker in [&mut a, &mut b] {
        let status = worker.wait(Duration::from_secs(120)).await;
        assert!(status.success(), "worker failed: {status}; log:\n{}", worker.log());
    }

    let messages = fake.messages();
    let counts = deliveries(&messages);
    let twice: Vec<&String> = counts.iter().filter(|(_, n)| **n > 1).map(|(id, _)| id).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(messages.len(), TOTAL);
    let expected: HashSet<&String> = queued.iter().map(|(_, id)| id).collect();
    assert_eq!(counts.keys().collect::<HashSet<_>>(), expected);
    assert_eq!(
        outbox::count_by_status(&test_db.db, convene_core::EmailStatus::Sent)
            .await
            .expect("count"),
        TOTAL as i64
    );
    // Both had a send in flight at once, and a held send is delivered once released: both sent some.
    assert!(
        sending(&held, "worker-a.test") && sending(&held, "worker-b.test"),
        "{held:?}"
    );
}

/// Ignored unless asked for: it needs a PostgreSQL server. The PostgreSQL pass of `.ci/run` runs it
/// (`--include-ignored` with `CONVENE_TEST_DATABASE_URL` set); without the variable it fails rather than pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set CONVENE_TEST_DATABASE_URL and run with --include-ignored"]
async fn two_worker_processes_on_postgresql_never_send_an_email_twice() {
    let url = std::env::var(TEST_DATABASE_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| panic!("set {TEST_DATABASE_URL_VAR} to a PostgreSQL server to run this test"));
    let test_db = TestDb::postgres(&url).await.expect("PostgreSQL test schema");
    two_workers_drain_one_queue_without_sending_anything_twice(test_db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_on_sqlite_take_turns_and_never_send_an_email_twice() {
    let test_db = TestDb::sqlite().await.expect("SQLite test database");
    two_workers_drain_one_queue_without_sending_anything_twice(test_db).await;
}
