//! *Test connection*: resolves, connects, negotiates TLS, reads the greeting and authenticates without sending,
//! reports the stage and reply of a failure, and records the sender's health.

use super::*;
use crate::helpers::email::closed_port;
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, Greeting, TestCa, TlsMode};
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn test_connection_succeeds_against_a_working_server_without_sending_anything() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let test = rig.test_unsaved(body.clone()).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(true), &json!("AUTH"), &Value::Null),
        "{test}"
    );
    assert!(test["durationMs"].is_u64(), "{test}");
    assert!(test["message"].is_string(), "{test}");
    // Nothing was saved by the unsaved test.
    assert!(rig.list().await.is_empty());

    let id = rig.create_id(body).await;
    let before = rig.sender(id).await;
    assert_eq!(before["health"]["lastTestedAt"], Value::Null);
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("AUTH")),
        "{test}"
    );
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(
        (&health["status"], &health["lastError"]),
        (&json!("OK"), &Value::Null),
        "{health}"
    );
    assert!(
        health["lastTestedAt"].is_string() && health["lastSuccessAt"].is_string(),
        "{health}"
    );
    assert_eq!(health["lastFailureAt"], Value::Null);

    // No credentials: the test stops after the greeting (and EHLO/STARTTLS) and says so.
    let open = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(rig.ca.leaf(&["127.0.0.1"])),
        credentials: None,
    })
    .await;
    let anonymous = with(
        smtp_body(open.port()),
        json!({ "-smtpUser": null, "-smtpPassword": null }),
    );
    let test = rig.test_unsaved(anonymous).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("GREETING")),
        "{test}"
    );

    // Implicit TLS (smtpSecure true on a port other than 587/25).
    let implicit = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::Implicit(rig.ca.leaf(&["127.0.0.1"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let test = rig
        .test_unsaved(with(smtp_body(implicit.port()), json!({ "smtpSecure": true })))
        .await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("AUTH")),
        "{test}"
    );

    for server in [&smtp, &open, &implicit] {
        assert!(server.connections() > 0);
        assert!(server.messages().is_empty(), "a connection test sent an email");
        assert!(
            !server
                .commands()
                .iter()
                .any(|c| c.to_ascii_uppercase().starts_with("MAIL")),
            "a connection test started a transaction: {:?}",
            server.commands()
        );
    }
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn a_server_that_never_greets_is_reported_at_greeting_within_the_bound() {
    let rig = SenderApi::start(Hosts::Loopback, true, |e| {
        e.timeouts.greeting = Duration::from_millis(300);
        e.test_timeout = Duration::from_secs(2);
    })
    .await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let body = smtp_body(smtp.port());
    // The server stays silent for good. The answer names the greeting and its 300 ms: the phase's own timeout
    // ended the test, not the test's 2 s bound (which would say "no complete answer within 2 s").
    let greeting_timed_out = |test: &Value| {
        assert_eq!(
            (&test["success"], &test["stage"], &test["message"]),
            (&json!(false), &json!("GREETING"), &json!("no answer within 300 ms")),
            "{test}"
        );
        assert!(test["durationMs"].as_u64().is_some_and(|ms| ms >= 300), "{test}");
    };
    greeting_timed_out(&rig.test_unsaved(body.clone()).await);

    let id = rig.create_id(body).await;
    greeting_timed_out(&rig.test_saved(id).await);
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "FAILING", "{health}");
    assert!(
        health["lastError"].as_str().is_some_and(|e| e.contains("GREETING")),
        "{health}"
    );
    assert!(
        health["lastTestedAt"].is_string() && health["lastFailureAt"].is_string(),
        "{health}"
    );
    assert_eq!(health["lastSuccessAt"], Value::Null);
}

#[tokio::test]
async fn a_test_answers_within_the_test_timeout_even_when_the_phase_timeouts_are_longer() {
    let rig = SenderApi::start(Hosts::Loopback, true, |e| {
        e.timeouts.greeting = Duration::from_secs(30);
        e.test_timeout = Duration::from_secs(1);
    })
    .await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let id = rig.create_id(smtp_body(smtp.port())).await;
    // Waiting for the 30 s greeting phase would take at least half of it: fail at once instead of waiting it out.
    let half_the_phase = Duration::from_secs(15);
    let waited = "the test waited for the 30 s greeting phase instead of its 1 s bound";
    let test = tokio::time::timeout(half_the_phase, rig.test_saved(id))
        .await
        .expect(waited);
    let email = tokio::time::timeout(half_the_phase, rig.test_email(id, "check@example.com"))
        .await
        .expect(waited);
    // The answer is the test's own bound speaking, after at least that long.
    for answer in [&test, &email] {
        assert_eq!(
            (&answer["success"], &answer["message"]),
            (&json!(false), &json!("no complete answer within 1 s")),
            "{answer}"
        );
        assert!(answer["durationMs"].as_u64().is_some_and(|ms| ms >= 1000), "{answer}");
    }
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn refusals_are_reported_with_their_stage_and_code() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    // 421 instead of a greeting.
    let busy = starttls_server(&rig.ca).await;
    busy.set_behavior(Behavior {
        greeting: Greeting::Reply(421, "4.3.2 try later".into()),
        ..Behavior::default()
    });
    let test = rig.test_unsaved(smtp_body(busy.port())).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(false), &json!("GREETING"), &json!(421)),
        "{test}"
    );
    // Nothing listening.
    let test = rig.test_unsaved(smtp_body(closed_port())).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("CONNECT")),
        "{test}"
    );
    let id = rig.create_id(smtp_body(closed_port())).await;
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("CONNECT")),
        "{test}"
    );
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "FAILING");
    assert!(health["lastTestedAt"].is_string());
}

#[tokio::test]
async fn a_535_is_reported_at_auth_and_marks_the_sender_auth_failed() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        auth: Some((535, "5.7.8 Authentication credentials invalid".into())),
        ..Behavior::default()
    });
    let body = smtp_body(smtp.port());
    let test = rig.test_unsaved(body.clone()).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(false), &json!("AUTH"), &json!(535)),
        "{test}"
    );
    let id = rig.create_id(body).await;
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(false), &json!("AUTH"), &json!(535)),
        "{test}"
    );
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "AUTH_FAILED", "{health}");
    assert!(
        health["lastError"].is_string() && health["lastFailureAt"].is_string(),
        "{health}"
    );

    // A plainly wrong password is the same answer; once the server accepts, the health is OK again.
    smtp.set_behavior(Behavior::default());
    let wrong = rig
        .test_unsaved(with(smtp_body(smtp.port()), json!({ "smtpPassword": WRONG_PASSWORD })))
        .await;
    assert_eq!(
        (&wrong["stage"], &wrong["smtpCode"]),
        (&json!("AUTH"), &json!(535)),
        "{wrong}"
    );
    assert_eq!(rig.test_saved(id).await["success"], true);
    assert_eq!(rig.sender(id).await["health"]["status"], "OK");
}

#[tokio::test]
async fn a_certificate_for_another_name_or_from_an_unknown_ca_fails_at_tls() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let other_name = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(rig.ca.leaf(&["other.test"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let unknown_ca = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(TestCa::new().leaf(&["localhost", "127.0.0.1"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let implicit_other_name = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::Implicit(rig.ca.leaf(&["other.test"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let no_starttls = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::None,
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    for (what, body) in [
        ("a certificate for other.test", smtp_body(other_name.port())),
        ("a certificate from an unknown CA", smtp_body(unknown_ca.port())),
        (
            "implicit TLS with a certificate for other.test",
            with(smtp_body(implicit_other_name.port()), json!({ "smtpSecure": true })),
        ),
        ("a server without STARTTLS", smtp_body(no_starttls.port())),
    ] {
        let test = rig.test_unsaved(body.clone()).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("TLS")),
            "{what}: {test}"
        );
        let id = rig.create_id(body).await;
        let test = rig.test_saved(id).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("TLS")),
            "{what}: {test}"
        );
        assert_eq!(rig.sender(id).await["health"]["status"], "FAILING", "{what}");
        let email = rig.test_email(id, "check@example.com").await;
        assert_eq!(email["success"], false, "{what}: {email}");
    }
    // The credentials never went out in clear, and nothing was delivered anywhere.
    assert!(
        !no_starttls
            .commands()
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("AUTH") || c.to_ascii_uppercase().starts_with("MAIL")),
        "{:?}",
        no_starttls.commands()
    );
    for server in [&other_name, &unknown_ca, &implicit_other_name, &no_starttls] {
        assert!(server.messages().is_empty());
    }
    assert_eq!(rig.platform.connections(), 0);
}
