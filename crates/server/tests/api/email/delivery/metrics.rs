//! Metrics: sent, retried and failed emails by kind, and the queue.

use super::*;
use convene_store::now_ms;
use convene_store::outbox::{NewEmail, Settlement};
use convene_testkit::Behavior;

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
            kind: EmailKind::EmailVerificationCode.into(),
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
            not_before: Some(crate::helpers::instant(now_ms() + HOUR)),
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
