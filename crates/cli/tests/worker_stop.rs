//! A bounded stop with the real binary: on SIGTERM `convene worker` claims nothing more, lets the emails in flight
//! finish within `shutdown_grace_secs`, and gives everything else back to the outbox — due at once, unclaimed, with
//! no attempt counted — so another worker or the next start sends it without waiting for a lease. On SQLite, or on
//! PostgreSQL when CONVENE_TEST_DATABASE_URL is set.

mod support;

use convene_core::EmailId;
use convene_store::outbox;
use convene_store::testing::TestDb;
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig};
use std::time::{Duration, Instant};
use support::{HANG_GUARD, deliveries, queue_emails, statuses, wait_for_messages, worker};

/// Asserts the rows not sent were given back: queued, unclaimed (no lease), due by now, no attempt counted or
/// recorded.
async fn assert_given_back(db: &convene_store::Db, rows: &[outbox::EmailRecord]) {
    let now = jiff::Timestamp::now();
    for row in rows {
        assert_eq!(row.status, "queued", "email {} was given back", row.id);
        assert_eq!(row.lease_until, None, "email {} is not reserved", row.id);
        assert!(row.next_attempt_at <= now, "email {} is due at once", row.id);
        assert_eq!(
            row.attempts, 0,
            "email {}: the abandoned claim is not an attempt",
            row.id
        );
        assert!(
            outbox::attempts(db, row.id).await.expect("attempts").is_empty(),
            "email {}: nothing was recorded for it",
            row.id
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_a_worker_finishes_what_is_in_flight_and_gives_the_rest_back() {
    const TOTAL: usize = 100;
    const CONNECTIONS: usize = 2;
    let test_db = TestDb::new().await.expect("test database");
    let db = &test_db.db;
    // A slow server: each email takes over a second.
    let smtp = FakeSmtp::start(FakeSmtpConfig::default()).await;
    smtp.set_behavior(Behavior {
        reply_delay: Duration::from_millis(200),
        ..Behavior::default()
    });
    let queued = queue_emails(db, TOTAL, "stop").await;
    let ids: Vec<EmailId> = queued.iter().map(|(id, _)| *id).collect();
    let dir = tempfile::tempdir().expect("worker dir");
    let settings = [
        ("CONVENE_EMAIL_CONNECTIONS", "2"),
        ("CONVENE_SHUTDOWN_GRACE_SECS", "60"),
    ];
    let mut running = worker(dir.path(), &test_db.url, smtp.port(), &settings, &[]);
    wait_for_messages(&smtp, &mut running, 4).await;

    running.signal("TERM");
    let delivered_at_term = smtp.messages().len();
    let status = running.wait().await;
    assert!(status.success(), "clean stop: {status}; log:\n{}", running.log());

    let delivered = smtp.messages().len();
    assert!(
        delivered <= delivered_at_term + CONNECTIONS,
        "after SIGTERM only the {CONNECTIONS} emails in flight may go out, but {} did; log:\n{}",
        delivered - delivered_at_term,
        running.log()
    );
    let after = statuses(db, &ids).await;
    assert!(
        !after.contains_key("sending"),
        "nothing is left reserved: {:?}",
        after.keys()
    );
    assert_eq!(
        after.get("sent").map_or(0, Vec::len),
        delivered,
        "every delivery was recorded"
    );
    let rest = after.get("queued").cloned().unwrap_or_default();
    assert_eq!(rest.len(), TOTAL - delivered);
    assert_given_back(db, &rest).await;

    // The next worker sends the rest, nothing twice.
    smtp.set_behavior(Behavior::default());
    let mut next = worker(dir.path(), &test_db.url, smtp.port(), &settings, &["--until-idle"]);
    let status = next.wait().await;
    assert!(status.success(), "{status}; log:\n{}", next.log());
    let counts = deliveries(&smtp);
    assert_eq!(counts.len(), TOTAL);
    assert!(counts.values().all(|n| *n == 1), "nothing was sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_grace_period_sends_hung_after_data_are_abandoned_and_given_back() {
    const TOTAL: usize = 10;
    let test_db = TestDb::new().await.expect("test database");
    let db = &test_db.db;
    let smtp = FakeSmtp::start(FakeSmtpConfig::default()).await;
    smtp.set_behavior(Behavior {
        stall_after_data: true,
        ..Behavior::default()
    });
    let queued = queue_emails(db, TOTAL, "hung").await;
    let ids: Vec<EmailId> = queued.iter().map(|(id, _)| *id).collect();
    let dir = tempfile::tempdir().expect("worker dir");
    let settings = [("CONVENE_EMAIL_CONNECTIONS", "2"), ("CONVENE_SHUTDOWN_GRACE_SECS", "1")];
    let mut running = worker(dir.path(), &test_db.url, smtp.port(), &settings, &[]);
    // Both connections hang after DATA (the client's DATA timeout is 30 s).
    let deadline = Instant::now() + HANG_GUARD;
    while smtp.stalled_sessions() < 2 {
        assert!(running.is_running(), "log:\n{}", running.log());
        assert!(
            Instant::now() < deadline,
            "the sends never reached DATA; log:\n{}",
            running.log()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    running.signal("TERM");
    let status = running.wait().await;
    assert!(status.success(), "clean stop: {status}; log:\n{}", running.log());
    assert!(smtp.messages().is_empty());

    let after = statuses(db, &ids).await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["queued"],
        "the hung sends were abandoned, not waited out: {:?}",
        after.iter().map(|(s, r)| (s.clone(), r.len())).collect::<Vec<_>>()
    );
    assert_given_back(db, &after["queued"]).await;
    assert!(
        running.log().contains("abandoned"),
        "the log says what was abandoned:\n{}",
        running.log()
    );
}

#[tokio::test]
async fn bad_lease_grace_and_per_sender_settings_stop_the_start_naming_the_setting() {
    let dir = tempfile::tempdir().expect("worker dir");
    for (setting, value, named) in [
        (
            "CONVENE_EMAIL_LEASE_SECS",
            "1",
            "email_lease_secs (CONVENE_EMAIL_LEASE_SECS)",
        ),
        (
            "CONVENE_SHUTDOWN_GRACE_SECS",
            "86400",
            "shutdown_grace_secs (CONVENE_SHUTDOWN_GRACE_SECS)",
        ),
        (
            "CONVENE_EMAIL_CONNECTIONS_PER_SENDER",
            "9",
            "email_connections_per_sender (CONVENE_EMAIL_CONNECTIONS_PER_SENDER)",
        ),
        ("CONVENE_WORKER_ID", "", "worker_id (CONVENE_WORKER_ID)"),
    ] {
        let mut process = worker(dir.path(), "sqlite://unused.db", 25, &[(setting, value)], &[]);
        let status = process.wait().await;
        assert_eq!(status.code(), Some(2), "{setting}={value} is refused at start");
        assert!(process.log().contains(named), "{setting}: {}", process.log());
    }
}
