//! The circuit breaker: after three failures in a row later emails skip the sender, one probe goes through after
//! a cool-down that doubles on every reopening, a success closes it, and the admins hear about it at most once a
//! day.
//!
//! The worker is driven with its `now` ([`RoutingRig::run_at`]), which is the time the breaker and the alert see:
//! cool-downs and days pass without sleeping, and each step happens at an exact instant (one millisecond before a
//! cool-down ends, the millisecond it ends). Each scenario runs twice: with the worker reloading the sender for
//! every email, and with it keeping one copy throughout, so the breaker's state owes nothing to the sender cache.

use super::*;
use crate::helpers::email::{PLATFORM_FROM, PLATFORM_NAME, WAIT, from_and_reply_to, mailbox, starttls};
use convene_core::TeamId;
use convene_server::email::EmailSettings;
use convene_server::email::settings::BreakerSettings;
use convene_server::email::worker::Processed;
use convene_store::now_ms;
use convene_store::outbox::{self, AttemptRecord};
use convene_testkit::{Behavior, Greeting};
use serde_json::json;
use std::time::Duration;

const COOLDOWN: Duration = Duration::from_secs(30);
const COOLDOWN_MS: i64 = 30_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How long the worker keeps its copy of an organization's senders: not at all, or longer than any test.
const CACHES: [Duration; 2] = [Duration::ZERO, Duration::from_secs(3600)];

/// Emails one at a time (so the breaker sees them in order); three failures open the circuit for [`COOLDOWN`].
fn breaker_settings(cache: Duration) -> impl FnOnce(&mut EmailSettings) + 'static {
    move |s| {
        s.connections = 1;
        s.sender_cache_ttl = cache;
        s.breaker = BreakerSettings {
            threshold: 3,
            cooldown: COOLDOWN,
            max_cooldown: 8 * COOLDOWN,
        };
    }
}

/// An event type whose bookings email only the attendee: one email per booking.
async fn attendee_only_event(rig: &RoutingRig) -> i64 {
    rig.event_type(json!({ "title": "Solo", "slug": "solo", "lengthInMinutes": 30,
        "emailSettings": { "disableEmailsToHosts": true } }))
        .await
}

/// Books `n` attendee-only meetings and runs one batch at `at`.
async fn book_and_run(rig: &RoutingRig, event: i64, n: usize, tag: &str, at: i64) -> Vec<Processed> {
    for i in 0..n {
        rig.book(event, &format!("{tag}-{i}@example.test")).await;
    }
    let batch = rig.run_at(at).await;
    assert_eq!(batch.len(), n, "{batch:?}");
    batch
}

/// The sender was skipped (no connection: the caller checks the server's count) and the platform sent it.
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

fn assert_sent_by_sender(p: &Processed, sender: i64) {
    assert_eq!(outcomes(p), pairs(&[(&format!("sender:{sender}"), "sent")]), "{p:?}");
}

/// The recipients of every sender-failing alert queued for the organization, sorted.
async fn sender_failing_alerts(rig: &RoutingRig) -> Vec<String> {
    let filter = outbox::Filter {
        kind: Some("sender_failing".parse().expect("an outbox kind")),
        ..outbox::Filter::default()
    };
    let mut to: Vec<String> = outbox::list(
        &rig.app().db,
        outbox::Scope::Organization(TeamId(rig.org)),
        &filter,
        100,
    )
    .await
    .expect("outbox")
    .into_iter()
    .map(|e| e.to_email)
    .collect();
    to.sort();
    to
}

/// The first instant the tests drive the worker at: an hour from now, so every email booked while a test runs is
/// already due then.
fn start_of_test() -> i64 {
    now_ms() + HOUR_MS
}

/// The server refuses every transaction at once (MAIL FROM 451), so a failure costs no timeout.
fn refusing() -> Behavior {
    Behavior {
        mail_from: Some((451, "4.3.0 Try again later".into())),
        ..Behavior::default()
    }
}

#[tokio::test]
async fn the_circuit_opens_skips_the_sender_probes_after_a_growing_cooldown_and_closes() {
    for cache in CACHES {
        circuit_opens_skips_probes_and_closes(cache).await;
    }
}

async fn circuit_opens_skips_probes_and_closes(cache: Duration) {
    let rig = RoutingRig::start(starttls, breaker_settings(cache)).await;
    let solo = attendee_only_event(&rig).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.org_smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let t0 = start_of_test();

    // Three emails wait out the greeting timeout and open the circuit; the fourth skips the sender at once.
    let batch = book_and_run(&rig, solo, 4, "first", t0).await;
    for p in &batch[..3] {
        assert_failed_then_platform(p, sender);
        assert!(p.routes[0].duration_ms >= 300, "{p:?}");
    }
    assert_skipped(&batch[3], sender);
    assert_eq!(rig.org_smtp.connections(), 3);
    let d = rig.delivery((batch[3].id).0).await;
    assert_eq!(d["deliveryAttempts"][0]["outcome"], "skipped", "{d}");
    assert_eq!(d["sentRoute"], "platform");
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "FAILING", "{health}");
    assert!(
        health["lastError"].as_str().is_some_and(|e| e.contains("GREETING")),
        "{health}"
    );

    // The organization's owner and admin were told once each, through the platform, never the failing sender.
    let alerts = rig.run_at(t0).await;
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    for p in &alerts {
        assert_eq!(p.kind, "sender_failing");
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    let arrived = rig.platform().wait_for_messages(6, WAIT).await;
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

    // Until the last millisecond of the cool-down every email skips the sender.
    let open = book_and_run(&rig, solo, 2, "open", t0 + COOLDOWN_MS - 1).await;
    open.iter().for_each(|p| assert_skipped(p, sender));
    assert_eq!(rig.org_smtp.connections(), 3);

    // When it ends exactly one email probes the sender; it fails, the circuit reopens and the next skips.
    let t1 = t0 + COOLDOWN_MS;
    let probe = book_and_run(&rig, solo, 2, "probe", t1).await;
    assert_failed_then_platform(&probe[0], sender);
    assert_skipped(&probe[1], sender);
    assert_eq!(rig.org_smtp.connections(), 4, "one probe");

    // The reopened circuit stays open for twice the first cool-down: past one cool-down, and to its last
    // millisecond.
    for at in [t1 + COOLDOWN_MS, t1 + 2 * COOLDOWN_MS - 1] {
        let longer = book_and_run(&rig, solo, 1, "longer", at).await;
        assert_skipped(&longer[0], sender);
    }
    assert_eq!(rig.org_smtp.connections(), 4);

    // The server recovers; when the doubled cool-down ends the probe succeeds and the circuit closes.
    rig.org_smtp.set_behavior(Behavior::default());
    let t2 = t1 + 2 * COOLDOWN_MS;
    let healed = book_and_run(&rig, solo, 3, "healed", t2).await;
    healed.iter().for_each(|p| assert_sent_by_sender(p, sender));
    let arrived = rig.org_smtp.wait_for_messages(3, WAIT).await;
    assert!(
        arrived
            .iter()
            .all(|r| from_and_reply_to(r).0 == mailbox(ORG_NAME, ORG_FROM))
    );
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "OK", "{health}");

    // It fails again an hour later: the circuit opens again after three failures, but the admins were already
    // told today. (A MAIL refusal also hits the pooled connection.)
    rig.org_smtp.set_behavior(refusing());
    let t3 = t2 + HOUR_MS;
    let again = book_and_run(&rig, solo, 4, "again", t3).await;
    for p in &again[..3] {
        assert_failed_then_platform(p, sender);
    }
    assert_skipped(&again[3], sender);
    assert!(rig.run_at(t3).await.is_empty(), "no second alert");
    assert_eq!(sender_failing_alerts(&rig).await, [ADMIN, OWNER]);
    let alerts_received = rig
        .platform()
        .messages()
        .iter()
        .filter(|r| r.rcpt_to == [OWNER] || r.rcpt_to == [ADMIN])
        .count();
    assert_eq!(alerts_received, 2);
}

#[tokio::test]
async fn after_the_circuit_closes_the_threshold_applies_again() {
    for cache in CACHES {
        threshold_applies_again(cache).await;
    }
}

async fn threshold_applies_again(cache: Duration) {
    let rig = RoutingRig::start(starttls, breaker_settings(cache)).await;
    let solo = attendee_only_event(&rig).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.org_smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let t0 = start_of_test();
    let batch = book_and_run(&rig, solo, 3, "first", t0).await;
    batch.iter().for_each(|p| assert_failed_then_platform(p, sender));
    assert_eq!(rig.run_at(t0).await.len(), 2, "the alerts to the owner and the admin");

    // The server recovers; past the cool-down the probe succeeds and the circuit closes.
    rig.org_smtp.set_behavior(Behavior::default());
    let healed = book_and_run(&rig, solo, 2, "healed", t0 + COOLDOWN_MS).await;
    healed.iter().for_each(|p| assert_sent_by_sender(p, sender));
    assert_eq!(rig.sender(sender).await["health"]["status"], "OK");

    // Two failures in a row are below the threshold of three: both emails must still try the sender.
    rig.org_smtp.set_behavior(refusing());
    let again = book_and_run(&rig, solo, 2, "again", t0 + COOLDOWN_MS + 1).await;
    for p in &again {
        assert_failed_then_platform(p, sender);
    }
}

/// Opens the circuit at `at` with three refused emails, checks the fourth skips the sender, and returns the
/// batch of alerts the opening queued (run at `at`).
async fn open_circuit(rig: &RoutingRig, solo: i64, sender: i64, tag: &str, at: i64) -> Vec<Processed> {
    rig.org_smtp.set_behavior(refusing());
    let batch = book_and_run(rig, solo, 4, tag, at).await;
    for p in &batch[..3] {
        assert_failed_then_platform(p, sender);
    }
    assert_skipped(&batch[3], sender);
    rig.run_at(at).await
}

/// Lets the probe at `at` succeed, which closes the circuit.
async fn close_circuit(rig: &RoutingRig, solo: i64, sender: i64, tag: &str, at: i64) {
    rig.org_smtp.set_behavior(Behavior::default());
    let healed = book_and_run(rig, solo, 1, tag, at).await;
    assert_sent_by_sender(&healed[0], sender);
}

#[tokio::test]
async fn the_admins_hear_of_a_failing_sender_at_most_once_a_day_and_again_the_next_day() {
    for cache in CACHES {
        alerts_at_most_once_a_day(cache).await;
    }
}

async fn alerts_at_most_once_a_day(cache: Duration) {
    let rig = RoutingRig::start(starttls, breaker_settings(cache)).await;
    let solo = attendee_only_event(&rig).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    let kinds = |batch: &[Processed]| batch.iter().map(|p| p.kind).collect::<Vec<_>>();
    let t0 = start_of_test();

    let alerts = open_circuit(&rig, solo, sender, "monday", t0).await;
    assert_eq!(kinds(&alerts), ["sender_failing", "sender_failing"]);
    assert_eq!(sender_failing_alerts(&rig).await, [ADMIN, OWNER]);

    // The circuit closes and opens again, and again, within the day: no more alerts.
    for (i, at) in [t0 + COOLDOWN_MS, t0 + DAY_MS - COOLDOWN_MS - 1]
        .into_iter()
        .enumerate()
    {
        close_circuit(&rig, solo, sender, &format!("healed-{i}"), at).await;
        let alerts = open_circuit(&rig, solo, sender, &format!("same-day-{i}"), at).await;
        assert!(alerts.is_empty(), "a second alert within the day: {alerts:?}");
    }
    assert_eq!(sender_failing_alerts(&rig).await, [ADMIN, OWNER]);

    // A day after the first alert, the next opening tells them again — once.
    let next_day = t0 + DAY_MS;
    close_circuit(&rig, solo, sender, "healed-next-day", next_day).await;
    let alerts = open_circuit(&rig, solo, sender, "next-day", next_day).await;
    assert_eq!(kinds(&alerts), ["sender_failing", "sender_failing"]);
    assert_eq!(sender_failing_alerts(&rig).await, [ADMIN, ADMIN, OWNER, OWNER]);
    let received = rig
        .platform()
        .messages()
        .iter()
        .filter(|r| r.rcpt_to == [OWNER] || r.rcpt_to == [ADMIN])
        .count();
    assert_eq!(received, 4, "two alerts to each, a day apart");
}
