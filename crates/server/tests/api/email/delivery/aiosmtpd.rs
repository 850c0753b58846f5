//! A real SMTP server (aiosmtpd) as the platform transport: STARTTLS and implicit TLS with AUTH, and a refused
//! password.

use super::*;
use crate::helpers::email::EmailRig;
use convene_server::email::Security;
use convene_store::now_ms;
use convene_store::outbox::Settlement;
use convene_testkit::{AioTls, Aiosmtpd, TestCa};
use std::time::Duration;

async fn aiosmtpd_delivery(tls: AioTls, security: Security) {
    let ca = TestCa::new();
    let server = Aiosmtpd::start(tls, &ca.leaf(&["localhost"]), USER, PASSWORD).await;
    let port = server.port();
    let EmailRig { app, .. } = EmailRig::builder()
        .ca(ca)
        .platform_route(move |_| smtp("localhost", port, security, Some(PASSWORD)))
        .start()
        .await;
    let id = queue(&app, &letter("ada@example.test", "aiosmtpd")).await;
    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    assert_eq!(p.routes[0].smtp_code, Some(250));
    let messages = server.wait_for_messages(1, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.tls, "{tls:?}");
    assert_eq!(m.auth_user.as_deref(), Some(USER));
    assert_eq!(m.rcpt_to, ["ada@example.test"]);
    assert_eq!(
        m.header("Message-ID").as_deref(),
        Some("<aiosmtpd@delivery.convene.test>")
    );
    let parsed = mail_parser::MessageParser::default().parse(&m.data).expect("parses");
    assert_eq!(parsed.subject(), Some("Reset your password (aiosmtpd)"));
    assert!(parsed.body_text(0).unwrap_or_default().contains("Hello from aiosmtpd"));
    assert_eq!(row(&app, id).await.status, "sent");
}

#[tokio::test]
async fn aiosmtpd_over_starttls_with_auth_receives_the_email() {
    aiosmtpd_delivery(AioTls::StartTls, Security::StartTls).await;
}

#[tokio::test]
async fn aiosmtpd_over_implicit_tls_with_auth_receives_the_email() {
    aiosmtpd_delivery(AioTls::Implicit, Security::ImplicitTls).await;
}

#[tokio::test]
async fn aiosmtpd_refusing_the_password_means_a_retry_at_the_auth_stage() {
    let ca = TestCa::new();
    let server = Aiosmtpd::start(AioTls::StartTls, &ca.leaf(&["localhost"]), USER, PASSWORD).await;
    let port = server.port();
    let EmailRig { app, .. } = EmailRig::builder()
        .ca(ca)
        .platform_route(move |_| smtp("localhost", port, Security::StartTls, Some("wrong password")))
        .start()
        .await;
    let id = queue(&app, &letter("ada@example.test", "aio-wrong")).await;
    let p = run_one(&app, now_ms()).await;
    assert_first_retry(&p);
    assert_route(&p.routes[0], 1, "failed", Some(535), "AUTH: ");
    assert_eq!(row(&app, id).await.status, "retrying");
    assert!(server.messages().is_empty());
}
