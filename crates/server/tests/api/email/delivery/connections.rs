//! Delivery over each kind of connection: plain, STARTTLS with AUTH, implicit TLS — and a certificate for
//! another name refused, the email retried rather than failed.

use super::*;
use crate::helpers::email::{HELLO, PLATFORM_FROM, message_ids};
use crate::scheduling::{book, host_with_event, weekdays_9_to_5};
use convene_server::email::Security;
use convene_store::now_ms;
use convene_store::outbox::Settlement;
use convene_testkit::{Behavior, FakeSmtpConfig, TestCa, TlsMode};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test]
async fn a_bookings_emails_are_delivered_over_plain_smtp_with_their_message_ids() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    let (_host, event) = host_with_event(
        &app,
        "host@delivery.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 }),
    )
    .await;
    book(&app, event, "2030-01-07T10:00:00Z", "bea@example.test")
        .await
        .expect_success(StatusCode::CREATED);

    let processed = run(&app, now_ms()).await;
    assert_eq!(
        processed.len(),
        2,
        "the attendee's and the organizer's email: {processed:?}"
    );
    let messages = fake.wait_for_messages(2, Duration::from_secs(5)).await;
    let mut recipients: Vec<String> = messages.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, ["bea@example.test", "host@delivery.test"]);
    let delivered: HashSet<String> = message_ids(&messages).into_iter().collect();
    for p in &processed {
        assert_eq!(
            p.settlement,
            Settlement::Sent {
                route: "platform".to_owned()
            }
        );
        assert_route(&p.routes[0], 1, "sent", Some(250), "queued as");
        let email = row(&app, p.id.0).await;
        assert_eq!(
            (email.status.as_str(), email.sent_route.as_deref()),
            ("sent", Some("platform"))
        );
        assert!(email.sent_at.is_some() && email.lease_until.is_none(), "{email:?}");
        assert!(
            delivered.contains(&email.message_id),
            "{} not among {delivered:?}",
            email.message_id
        );
    }
    for m in &messages {
        assert_eq!(m.mail_from, PLATFORM_FROM);
        assert!(!m.tls && m.auth_user.is_none());
    }
    assert!(
        fake.commands().iter().any(|c| *c == format!("EHLO {HELLO}")),
        "EHLO names the instance"
    );
    assert!(
        run(&app, now_ms() + 48 * HOUR).await.is_empty(),
        "sent emails are never due again"
    );
}

#[tokio::test]
async fn starttls_with_auth_delivers_and_credentials_only_travel_encrypted() {
    let (app, fake) = platform_setup(
        |ca| FakeSmtpConfig {
            tls: TlsMode::StartTls(ca.leaf(&["localhost"])),
            credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
        },
        "localhost",
        Security::StartTls,
        Some(PASSWORD),
    )
    .await;
    queue(&app, &letter("ada@example.test", "starttls")).await;

    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    let messages = fake.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].tls, "sent after STARTTLS");
    assert_eq!(messages[0].auth_user.as_deref(), Some(USER));
    assert_eq!(
        messages[0].header("Message-ID").as_deref(),
        Some("<starttls@delivery.convene.test>")
    );
    let commands = fake.commands();
    let position = |prefix: &str| commands.iter().position(|c| c.starts_with(prefix));
    let (starttls, auth) = (position("STARTTLS"), position("AUTH"));
    assert!(
        starttls.is_some() && auth.is_some() && starttls < auth,
        "STARTTLS before AUTH: {commands:?}"
    );
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let (app, fake) = platform_setup(
        |ca| FakeSmtpConfig {
            tls: TlsMode::Implicit(ca.leaf(&["localhost"])),
            credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
        },
        "localhost",
        Security::ImplicitTls,
        Some(PASSWORD),
    )
    .await;
    queue(&app, &letter("ada@example.test", "implicit")).await;

    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    let messages = fake.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].tls);
    assert_eq!(messages[0].auth_user.as_deref(), Some(USER));
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_and_retried_not_failed() {
    let starttls: fn(&TestCa) -> TlsMode = |ca| TlsMode::StartTls(ca.leaf(&["mail.other.test"]));
    let implicit: fn(&TestCa) -> TlsMode = |ca| TlsMode::Implicit(ca.leaf(&["mail.other.test"]));
    for (tls, security) in [(starttls, Security::StartTls), (implicit, Security::ImplicitTls)] {
        let (app, fake) = platform_setup(
            move |ca| FakeSmtpConfig {
                tls: tls(ca),
                credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
            },
            "localhost",
            security,
            Some(PASSWORD),
        )
        .await;
        let id = queue(&app, &letter("ada@example.test", "wrong-name")).await;

        let p = run_one(&app, now_ms()).await;
        assert_first_retry(&p);
        assert_route(&p.routes[0], 1, "failed", None, "TLS: ");
        assert_eq!(row(&app, id).await.status, "retrying", "{security:?}");
        assert!(fake.messages().is_empty(), "{security:?}");
        assert!(
            !fake
                .commands()
                .iter()
                .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
            "{security:?}: neither credentials nor mail go to a server that failed verification: {:?}",
            fake.commands()
        );
    }
}
