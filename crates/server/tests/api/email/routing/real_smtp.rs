//! An organization's sender on a real SMTP server (aiosmtpd): delivered, and a wrong password falls back.

use super::*;
use crate::helpers::email::{WAIT, from_and_reply_to, mailbox, starttls};
use convene_testkit::{AioTls, Aiosmtpd};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_sender_on_a_real_smtp_server_delivers_and_a_wrong_password_falls_back() {
    // aiosmtpd is Python: give its greeting more room than the fake's.
    let rig = RoutingRig::start(starttls, |s| s.timeouts.greeting = Duration::from_secs(3)).await;
    let aio = Aiosmtpd::start(
        AioTls::StartTls,
        &rig.ca().leaf(&["localhost"]),
        "mailer",
        "s3cret pass",
    )
    .await;
    // "localhost" resolves to 127.0.0.1, which this instance allows; TLS verifies the name "localhost".
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "smtpHost": "localhost",
            "smtpPort": aio.port(), "smtpSecure": false, "smtpUser": "mailer", "smtpPassword": "s3cret pass" }),
        )
        .await;

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[(&format!("sender:{sender}"), "sent")]), "{p:?}");
    }
    let arrived = aio.wait_for_messages(2, WAIT).await;
    for r in &arrived {
        assert!(r.tls, "STARTTLS");
        assert_eq!(r.auth_user.as_deref(), Some("mailer"));
        assert_eq!(r.mail_from, ORG_FROM);
        assert_eq!(from_and_reply_to(r).0, mailbox(ORG_NAME, ORG_FROM));
    }

    rig.app()
        .patch(
            &format!("{}/{sender}", rig.senders_path()),
            &rig.owner.key,
            json!({ "smtpPassword": "not the password" }),
        )
        .await
        .expect_success(StatusCode::OK);
    book_and_expect_fallback(&rig, sender, "AUTH", Some(535)).await;
    assert_eq!(aio.messages().len(), 2, "nothing more reached aiosmtpd");
    assert_eq!(rig.sender(sender).await["health"]["status"], "AUTH_FAILED");
}
