//! Leases: a dead worker's rows are taken over when the lease runs out and its late result is refused; a live
//! worker never loses its rows to another.

use super::*;
use crate::helpers::email::message_ids;
use crate::helpers::instant;
use convene_core::EmailId;
use convene_server::AppState;
use convene_server::email::SmtpTimeouts;
use convene_server::email::worker::{RunMode, spawn_worker};
use convene_store::now_ms;
use convene_store::outbox::{self, AttemptRecord, Settle, Settlement};
use convene_testkit::Behavior;
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test]
async fn an_abandoned_lease_is_taken_over_and_the_stale_result_is_refused() {
    let lease = 60 * SECOND;
    let (app, fake) = plain_setup(Behavior::default(), |s| s.lease = Duration::from_secs(60)).await;
    let id = queue(&app, &letter("ada@example.test", "lease")).await;

    // A worker claims the email and dies before sending or recording anything.
    let t0 = now_ms();
    let claimed = outbox::claim_due(&app.db, instant(t0), lease, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].status.as_str(), claimed[0].attempts), ("sending", 1));
    assert_eq!(claimed[0].lease_until, Some(instant(t0 + lease)));

    assert!(run(&app, t0 + lease - 1).await.is_empty(), "a live lease is respected");
    let p = run_one(&app, t0 + lease).await;
    assert_eq!(p.id, EmailId(id));
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        }
    );
    assert_eq!(p.routes[0].attempt, 2, "the takeover is a new attempt");

    // The first worker comes back and reports a failure for its attempt: too late, nothing changes.
    let stale = Settle {
        id: EmailId(id),
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
            started_at: instant(t0),
        }],
    };
    assert_eq!(
        outbox::settle_all(&app.db, &[stale], jiff::Timestamp::now())
            .await
            .expect("settle"),
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
        move |s| {
            s.connections = 1;
            s.timeouts = timeouts;
            s.lease = lease;
        },
    )
    .await;
    // Alone, one worker needs at least 32 × 4 replies × 50 ms = 6.4 s for these: far longer than the lease.
    let mut ids = Vec::new();
    for i in 0..32 {
        ids.push(queue(&app, &letter(&format!("user{i}@example.test"), &format!("live-{i}"))).await);
    }
    // A second worker (another process, in production): same database and settings, its own connections.
    let other = AppState::new(app.db.clone(), (*app.state.settings).clone(), app.state.keyring.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let first = spawn_worker(app.state.clone(), stopped.clone(), RunMode::UntilIdle);
    // Real time must pass for the leases of the first claims to run out: the worker loop reads the wall clock.
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    // The second worker must start while the first is still at work, or nothing here is tested.
    let unsent = outbox::count_by_status(&app.db, convene_core::EmailStatus::Sent)
        .await
        .expect("count");
    let unsent = i64::try_from(ids.len()).expect("a count") - unsent;
    assert!(
        unsent > 0 && !first.is_finished(),
        "the first worker finished before the second started: the two never overlapped"
    );
    let second = spawn_worker(other, stopped, RunMode::UntilIdle);
    let mut both = tokio::spawn(async move {
        let (first, second) = tokio::join!(first, second);
        first.and(second)
    });
    // Two workers that keep taking each other's rows never run dry: give up after a minute (they need seconds).
    let drained = match tokio::time::timeout(Duration::from_secs(60), &mut both).await {
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
    assert!(drained, "the workers did not finish 32 emails within a minute");
    let half_lease = i64::try_from(lease.as_millis()).expect("ms") / 2;
    for id in &ids {
        assert_eq!(row(&app, *id).await.status, "sent");
        // The premise: every send stayed well within the lease, so no takeover was ever legitimate.
        let slowest = attempts(&app, *id).await.iter().map(|a| a.duration_ms).max();
        assert!(
            slowest < Some(half_lease),
            "a send took {slowest:?} ms of a {lease:?} lease"
        );
    }
}
