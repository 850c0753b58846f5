//! *Send test email*: through exactly that sender, never queued and never falling back to the platform.

use super::*;
use crate::helpers::email::closed_port;
use convene_server::email::worker::process_due;
use convene_testkit::Behavior;
use mail_parser::MessageParser;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_test_email_goes_through_exactly_that_sender() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let second = starttls_server(&rig.ca).await;
    let id = rig.create_id(smtp_body(smtp.port())).await;
    let other = rig
        .create_id(with(
            smtp_body(second.port()),
            json!({ "fromEmail": "hello@globex.example", "fromName": "Second Sender" }),
        ))
        .await;
    let result = rig.test_email(id, "Check@Example.com").await;
    assert_eq!(
        (&result["success"], &result["smtpCode"]),
        (&json!(true), &json!(250)),
        "{result}"
    );
    let received = smtp.wait_for_messages(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.rcpt_to, ["check@example.com"]);
    assert_eq!(message.mail_from, FROM_EMAIL);
    assert!(message.tls, "sent in clear");
    assert_eq!(message.auth_user.as_deref(), Some(USER));
    let parsed = MessageParser::default()
        .parse(&message.data)
        .expect("mail-parser reads it");
    let from = parsed.from().and_then(|a| a.first()).expect("a From");
    assert_eq!((from.name(), from.address()), (Some(FROM_NAME), Some(FROM_EMAIL)));
    let to = parsed.to().and_then(|a| a.first()).expect("a To");
    assert_eq!(to.address(), Some("check@example.com"));
    assert_eq!(rig.sender(id).await["health"]["status"], "OK");

    // The other sender's test goes to its own server; nothing went to the platform, nothing was queued.
    assert_eq!(rig.test_email(other, "check@example.com").await["success"], true);
    let received = second.wait_for_messages(1, Duration::from_secs(5)).await;
    let parsed = MessageParser::default().parse(&received[0].data).expect("parses");
    let from = parsed.from().and_then(|a| a.first()).expect("a From");
    assert_eq!(
        (from.name(), from.address()),
        (Some("Second Sender"), Some("hello@globex.example"))
    );
    assert_eq!(smtp.messages().len(), 1);
    assert!(
        process_due(&rig.app.state, convene_store::now())
            .await
            .expect("a worker batch")
            .is_empty()
    );
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn a_refused_test_email_reports_the_reply_and_never_falls_back_to_the_platform() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        rcpt_reject: vec![("gone@example.com".into(), 550, "5.1.1 no such user".into())],
        ..Behavior::default()
    });
    let id = rig.create_id(smtp_body(smtp.port())).await;
    let result = rig.test_email(id, "gone@example.com").await;
    assert_eq!(
        (&result["success"], &result["smtpCode"]),
        (&json!(false), &json!(550)),
        "{result}"
    );
    assert!(
        result["message"].as_str().is_some_and(|m| m.contains("no such user")),
        "{result}"
    );
    assert!(smtp.messages().is_empty());

    // Other failures don't fall back either: a sender whose server is down.
    let down = rig.create_id(smtp_body(closed_port())).await;
    let result = rig.test_email(down, "check@example.com").await;
    assert_eq!(
        (&result["success"], &result["stage"]),
        (&json!(false), &json!("CONNECT")),
        "{result}"
    );
    let busy = starttls_server(&rig.ca).await;
    busy.set_behavior(Behavior {
        data_end: Some((451, "4.3.0 try again later".into())),
        ..Behavior::default()
    });
    let temporary = rig.create_id(smtp_body(busy.port())).await;
    let result = rig.test_email(temporary, "check@example.com").await;
    assert_eq!(
        (&result["success"], &result["smtpCode"]),
        (&json!(false), &json!(451)),
        "{result}"
    );

    // Nothing was queued for later either. (This server runs no worker of its own, and a test email starts no
    // task: once the answer is in, nothing is left that could still reach the platform.)
    assert!(
        process_due(&rig.app.state, convene_store::now())
            .await
            .expect("a worker batch")
            .is_empty()
    );
    assert_eq!(rig.platform.connections(), 0, "a test email fell back to the platform");
    assert!(rig.platform.messages().is_empty());
}

#[tokio::test]
async fn a_test_email_refused_for_its_recipient_does_not_mark_a_working_sender_failing() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        rcpt_reject: vec![("gone@example.com".into(), 550, "5.1.1 no such user".into())],
        ..Behavior::default()
    });
    let id = rig.create_id(smtp_body(smtp.port())).await;
    assert_eq!(rig.test_saved(id).await["success"], true);
    let result = rig.test_email(id, "gone@example.com").await;
    assert_eq!((&result["success"], &result["smtpCode"]), (&json!(false), &json!(550)));
    // The server, the TLS and the credentials all worked: only that address does not exist.
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "OK", "{health}");
}
