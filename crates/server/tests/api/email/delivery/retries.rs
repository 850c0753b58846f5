//! Retries over time: a growing backoff with jitter, a retry budget that ends in `failed`, and emails scheduled
//! for later.

use super::*;
use crate::helpers::email::message_ids;
use crate::helpers::instant;
use convene_server::RetryPolicy;
use convene_store::now_ms;
use convene_store::outbox::{NewEmail, Settlement};
use convene_testkit::{Behavior, Greeting};
use reqwest::StatusCode;
use std::time::Duration;

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
        let next_attempt_at = next_attempt_at.as_millisecond();
        assert_route(&p.routes[0], attempt, "failed", Some(421), "Down for maintenance");
        delays.push(next_attempt_at - p.routes[0].started_at.as_millisecond());
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
        now = next_attempt_at.as_millisecond();
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
            not_before: Some(instant(at)),
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
