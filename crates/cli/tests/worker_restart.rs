//! Crash recovery with the real binary: `convene worker` killed with SIGKILL in the middle of a batch. Restarted
//! from the same data folder it is the same worker and takes back at once what it held; if it never comes back,
//! another worker takes those emails as soon as their (short, renewed-while-sending) lease runs out. On SQLite, or
//! on PostgreSQL when CONVENE_TEST_DATABASE_URL is set.

mod support;

use convene_core::EmailId;
use convene_store::now_ms;
use convene_store::testing::TestDb;
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig};
use std::collections::HashSet;
use std::time::Duration;
use support::{deliveries, queue_emails, statuses, wait_for_messages, worker};

const TOTAL: usize = 300;

/// A fake SMTP server that answers each command in 5 ms, so a batch is still going when the worker is killed.
async fn slowish_smtp() -> FakeSmtp {
    let smtp = FakeSmtp::start(FakeSmtpConfig::default()).await;
    smtp.set_behavior(Behavior {
        reply_delay: Duration::from_millis(5),
        ..Behavior::default()
    });
    smtp
}

/// Asserts every queued email arrived, and that only the ones in flight at the kill arrived twice.
fn assert_all_delivered_once_but_in_flight(smtp: &FakeSmtp, queued: &[(EmailId, String)], in_flight: &HashSet<String>) {
    let counts = deliveries(smtp);
    for (_, message_id) in queued {
        assert!(counts.contains_key(message_id), "{message_id} was never delivered");
    }
    assert_eq!(counts.len(), queued.len(), "nothing but the queued emails arrived");
    let twice: HashSet<&String> = counts.iter().filter(|(_, n)| **n > 1).map(|(id, _)| id).collect();
    assert!(
        twice.iter().all(|id| in_flight.contains(*id)),
        "only emails in flight at the kill may arrive twice: {twice:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_restarted_after_sigkill_takes_back_its_emails_at_once() {
    let test_db = TestDb::new().await.expect("test database");
    let db = &test_db.db;
    let smtp = slowish_smtp().await;
    let queued = queue_emails(db, TOTAL, "restart").await;
    let ids: Vec<EmailId> = queued.iter().map(|(id, _)| *id).collect();
    let dir = tempfile::tempdir().expect("worker dir");

    let mut doomed = worker(
        dir.path(),
        &test_db.url,
        smtp.port(),
        &[("CONVENE_EMAIL_CONNECTIONS", "2")],
        &[],
    );
    wait_for_messages(&smtp, &mut doomed, 40).await;
    doomed.kill();
    let at_kill = statuses(db, &ids).await;
    let held: HashSet<String> = at_kill
        .get("sending")
        .map(|rows| rows.iter().map(|r| r.message_id.clone()).collect())
        .unwrap_or_default();
    assert!(
        !held.is_empty(),
        "the kill should catch emails claimed and not recorded: {:?}",
        at_kill.keys()
    );

    // The same worker (same data folder) comes back and works until nothing is due: what it held is due again at
    // once, not after a lease.
    let mut again = worker(
        dir.path(),
        &test_db.url,
        smtp.port(),
        &[("CONVENE_EMAIL_CONNECTIONS", "2")],
        &["--until-idle"],
    );
    let status = again.wait().await;
    assert!(
        status.success(),
        "worker --until-idle failed: {status}; log:\n{}",
        again.log()
    );

    let after = statuses(db, &ids).await;
    assert_eq!(
        after.get("sent").map_or(0, Vec::len),
        TOTAL,
        "every email was sent by the restarted worker; states: {:?}",
        after
            .iter()
            .map(|(s, rows)| (s.clone(), rows.len()))
            .collect::<Vec<_>>()
    );
    assert_all_delivered_once_but_in_flight(&smtp, &queued, &held);
    assert!(
        again.log().contains("held before this start"),
        "the restarted worker says it took its emails back; log:\n{}",
        again.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_worker_takes_a_dead_workers_emails_when_their_short_lease_runs_out() {
    const LEASE_SECS: i64 = 2;
    let test_db = TestDb::new().await.expect("test database");
    let db = &test_db.db;
    let smtp = slowish_smtp().await;
    let queued = queue_emails(db, TOTAL, "lease").await;
    let ids: Vec<EmailId> = queued.iter().map(|(id, _)| *id).collect();
    let settings = [("CONVENE_EMAIL_CONNECTIONS", "2"), ("CONVENE_EMAIL_LEASE_SECS", "2")];

    let dead_dir = tempfile::tempdir().expect("worker dir");
    let mut doomed = worker(dead_dir.path(), &test_db.url, smtp.port(), &settings, &[]);
    wait_for_messages(&smtp, &mut doomed, 40).await;
    doomed.kill();
    let killed_at = now_ms();
    let at_kill = statuses(db, &ids).await;
    let held = at_kill.get("sending").cloned().unwrap_or_default();
    assert!(
        !held.is_empty(),
        "the kill should catch emails claimed and not recorded"
    );
    // The bound: nothing the dead worker held stays reserved longer than one lease after its death.
    for row in &held {
        let lease_until = row.lease_until.expect("a claimed row has a lease").as_millisecond();
        assert!(
            lease_until <= killed_at + LEASE_SECS * 1000,
            "email {} is reserved until {lease_until}, more than {LEASE_SECS} s after the kill at {killed_at}",
            row.id
        );
    }

    // Another worker (its own data folder, so another name) delivers everything, those included.
    let other_dir = tempfile::tempdir().expect("worker dir");
    let mut other = worker(other_dir.path(), &test_db.url, smtp.port(), &settings, &[]);
    let in_flight: HashSet<String> = held.iter().map(|r| r.message_id.clone()).collect();
    let unique_needed = TOTAL;
    let deadline = std::time::Instant::now() + support::HANG_GUARD;
    while deliveries(&smtp).len() < unique_needed {
        assert!(other.is_running(), "the other worker exited; log:\n{}", other.log());
        assert!(
            std::time::Instant::now() < deadline,
            "not everything arrived; log:\n{}",
            other.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    other.signal("TERM");
    let status = other.wait().await;
    assert!(status.success(), "clean stop: {status}; log:\n{}", other.log());
    let after = statuses(db, &ids).await;
    assert_eq!(
        after.get("sent").map_or(0, Vec::len),
        TOTAL,
        "states: {:?}",
        after.keys()
    );
    assert_all_delivered_once_but_in_flight(&smtp, &queued, &in_flight);
}
