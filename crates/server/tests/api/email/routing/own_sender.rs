//! Booking emails leave through the organization's own sender, as the organization (From, envelope), over the
//! TLS the sender asks for.

use super::*;
use crate::helpers::email::{WAIT, find_received, from_and_reply_to, mailbox, starttls};
use convene_testkit::{FakeSmtpConfig, TlsMode};
use serde_json::json;

#[tokio::test]
async fn booking_emails_leave_through_the_organizations_own_sender() {
    let rig = RoutingRig::start(starttls, |_| {}).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    assert_eq!(rig.sender(sender).await["health"]["status"], "UNTESTED");

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    for p in &batch {
        assert_eq!(p.settlement, sent_by(&format!("sender:{sender}")), "{p:?}");
        let d = rig.delivery(p.id.0).await;
        assert_eq!(d["status"], "sent");
        assert_eq!(d["sentRoute"], format!("sender:{sender}"));
        assert_eq!(d["organizationId"], rig.org);
        let attempts = d["deliveryAttempts"].as_array().expect("attempts");
        assert_eq!(attempts.len(), 1, "{d}");
        assert_eq!(attempts[0]["route"], format!("sender:{sender}"));
        assert_eq!(attempts[0]["outcome"], "sent");
        assert_eq!(attempts[0]["smtpCode"], 250);

        let received = find_received(&arrived, d["messageId"].as_str().expect("messageId"));
        assert!(received.tls, "STARTTLS was required and used");
        assert_eq!(
            received.mail_from, ORG_FROM,
            "the envelope sender is the organization's"
        );
        let (from, reply_to) = from_and_reply_to(received);
        assert_eq!(from, mailbox(ORG_NAME, ORG_FROM), "From = fromName <fromEmail>");
        // The sender's own route keeps the email's Reply-To (host ↔ attendee).
        let expected_reply_to = if p.kind == KIND_ATTENDEE {
            HOST
        } else {
            "bea@example.test"
        };
        assert_eq!(
            reply_to.map(|(_, a)| a).as_deref(),
            Some(expected_reply_to),
            "{}",
            p.kind
        );
    }
    assert!(
        rig.platform().messages().is_empty(),
        "nothing went through the platform"
    );
    assert_eq!(rig.platform().connections(), 0);
    let health = rig.sender(sender).await["health"].clone();
    assert_eq!(health["status"], "OK", "{health}");
    assert!(health["lastSuccessAt"].is_string(), "{health}");
}

#[tokio::test]
async fn an_implicit_tls_sender_delivers_too() {
    let rig = RoutingRig::start(
        |ca| FakeSmtpConfig {
            tls: TlsMode::Implicit(ca.leaf(&["127.0.0.1"])),
            credentials: Some(("mailer".into(), "s3cret".into())),
        },
        |_| {},
    )
    .await;
    let sender = rig
        .smtp_sender(
            rig.org_smtp.port(),
            json!({ "smtpSecure": true, "smtpUser": "mailer", "smtpPassword": "s3cret" }),
        )
        .await;
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    assert!(
        arrived
            .iter()
            .all(|r| r.tls && r.auth_user.as_deref() == Some("mailer"))
    );
    assert!(rig.platform().messages().is_empty());
}
