//! Every failure of the organization's sender but a permanent rejection of the recipient sends the email through
//! the platform at once, as the platform with the organization's address as Reply-To, and marks the sender's health.

use super::*;
use crate::helpers::email::{WAIT, closed_port, starttls};
use convene_store::outbox::Settlement;
use convene_testkit::{Behavior, FakeSmtpConfig, Greeting, TlsMode};
use serde_json::json;

#[tokio::test]
async fn a_refused_connection_falls_back_to_the_platform_at_once() {
    let rig = RoutingRig::start(starttls, |_| {}).await;
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
    let rig = RoutingRig::start(starttls, |_| {}).await;
    rig.org_smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    // Each email waited out the greeting timeout once (the reply below says which timeout ended it), the two side
    // by side (their attempts overlap), and then went to the platform without another try of the sender.
    let span = |p: &Processed| {
        let start = p.routes[0].started_at.as_millisecond();
        (start, start + p.routes[0].duration_ms)
    };
    let (a, b) = (span(&batch[0]), span(&batch[1]));
    assert!(
        a.0 < b.1 && b.0 < a.1,
        "the sender attempts ran one after the other: {a:?} {b:?}"
    );
    for p in &batch {
        assert!(
            p.routes[0].duration_ms >= 300,
            "the sender attempt took {} ms",
            p.routes[0].duration_ms
        );
        assert!(
            p.routes[1].started_at.as_millisecond() >= span(p).1 - 1,
            "the platform was tried before the sender attempt ended: {p:?}"
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
    let rig = RoutingRig::start(starttls, |_| {}).await;
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
    let rig = RoutingRig::start(
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
    let rig = RoutingRig::start(
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
    let rig = RoutingRig::start(starttls, |_| {}).await;
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
        let d = rig.delivery(p.id.0).await;
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
        rig.platform().messages().is_empty(),
        "no fallback for a rejected recipient"
    );
    assert_eq!(rig.platform().connections(), 0);
    assert!(rig.run().await.is_empty(), "no retry either");
    // The server answered: the sender is healthy.
    assert_eq!(rig.sender(sender).await["health"]["status"], "OK");
}
