//! Provider senders (SendGrid, SparkPost): sends and probes through their APIs with the documented request
//! shapes, the provider's SMTP path before the platform, and the platform when the key stops working.

use super::fake_provider::{ApiCall, FakeProvider, SENDGRID_KEY, SPARKPOST_KEY};
use super::*;
use crate::helpers::email::{WAIT, from_and_reply_to, mailbox, starttls};
use base64::Engine as _;
use convene_testkit::{FakeSmtpConfig, TestCa};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The text of a base64 attachment.
fn decoded(data: &Value) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_str().expect("base64 text"))
        .expect("valid base64");
    String::from_utf8(bytes).expect("UTF-8")
}

/// The sends a fake API received at `path`, by recipient.
fn sends_to<'a>(calls: &'a [ApiCall], path: &str, to: impl Fn(&Value) -> &Value) -> Vec<(String, &'a ApiCall)> {
    calls
        .iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .map(|c| (to(&c.body).as_str().unwrap_or_default().to_owned(), c))
        .collect()
}

/// Checks a SendGrid v3 mail send request for the email `d` (a delivery log entry).
fn check_sendgrid_send(call: &ApiCall, d: &Value) {
    let body = &call.body;
    assert_eq!(
        call.authorization.as_deref(),
        Some(format!("Bearer {SENDGRID_KEY}").as_str())
    );
    assert!(
        call.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/json")),
        "{call:?}"
    );
    assert_eq!(
        body["personalizations"][0]["to"][0]["email"], d["recipient"]["email"],
        "{body}"
    );
    assert_eq!(body["from"]["email"], ORG_FROM, "{body}");
    assert_eq!(body["from"]["name"], ORG_NAME, "{body}");
    assert_eq!(body["subject"], d["subject"], "{body}");
    let content = body["content"].as_array().expect("content[]");
    let types: Vec<&str> = content.iter().filter_map(|c| c["type"].as_str()).collect();
    assert_eq!(types, ["text/plain", "text/html"], "text/plain must come first: {body}");
    assert!(
        content
            .iter()
            .all(|c| c["value"].as_str().is_some_and(|v| !v.is_empty()))
    );
    let attachment = &body["attachments"][0];
    assert_eq!(attachment["filename"], "invite.ics", "{body}");
    let ics = decoded(&attachment["content"]);
    assert!(
        ics.starts_with("BEGIN:VCALENDAR") && ics.contains("METHOD:REQUEST"),
        "{ics}"
    );
    assert_eq!(body["headers"]["Message-ID"], d["messageId"]);
}

/// Checks a SparkPost transmission for the email `d`.
fn check_sparkpost_send(call: &ApiCall, d: &Value, ip_pool: &str) {
    let body = &call.body;
    assert_eq!(
        call.authorization.as_deref(),
        Some(SPARKPOST_KEY),
        "the bare key, no scheme"
    );
    assert!(
        call.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/json")),
        "{call:?}"
    );
    assert_eq!(
        body["recipients"][0]["address"]["email"], d["recipient"]["email"],
        "{body}"
    );
    let content = &body["content"];
    assert_eq!(content["from"]["email"], ORG_FROM, "{body}");
    assert_eq!(content["from"]["name"], ORG_NAME, "{body}");
    assert_eq!(content["subject"], d["subject"], "{body}");
    assert!(content["text"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert!(content["html"].as_str().is_some_and(|t| t.contains('<')), "{body}");
    assert_eq!(body["options"]["ip_pool"], ip_pool, "{body}");
    let attachment = &content["attachments"][0];
    assert_eq!(attachment["name"], "invite.ics", "{body}");
    assert!(decoded(&attachment["data"]).starts_with("BEGIN:VCALENDAR"));
}

async fn provider_rig(api: &FakeProvider, org_server: impl FnOnce(&TestCa) -> FakeSmtpConfig) -> RoutingRig {
    let base = api.base.clone();
    RoutingRig::start(org_server, move |s| {
        s.sendgrid_api_url = base.clone();
        s.sparkpost_api_url = base;
    })
    .await
}

async fn test_connection(rig: &RoutingRig, sender: i64) -> Value {
    rig.app()
        .post(
            &format!("{}/{sender}/test-connection", rig.senders_path()),
            &rig.owner.key,
            json!({}),
        )
        .await
        .expect_success(StatusCode::OK)
        .clone()
}

#[tokio::test]
async fn a_sendgrid_sender_sends_through_the_v3_mail_send_api() {
    let api = FakeProvider::start().await;
    let rig = provider_rig(&api, starttls).await;
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "provider": "SENDGRID",
            "apiKey": SENDGRID_KEY }),
        )
        .await;

    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], true, "{tested}");
    let probe = api.calls().last().cloned().expect("the probe");
    assert_eq!((probe.method.as_str(), probe.path.as_str()), ("GET", "/v3/scopes"));
    assert_eq!(probe.authorization, Some(format!("Bearer {SENDGRID_KEY}")));

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    let calls = api.calls();
    let sends = sends_to(&calls, "/v3/mail/send", |b| &b["personalizations"][0]["to"][0]["email"]);
    assert_eq!(sends.len(), 2, "{calls:?}");
    for p in &batch {
        assert_eq!(
            outcomes(p),
            pairs(&[(&format!("sender:{sender}:api"), "sent")]),
            "{p:?}"
        );
        let d = rig.delivery(p.id.0).await;
        assert_eq!(d["sentRoute"], format!("sender:{sender}:api"));
        assert_eq!(d["deliveryAttempts"][0]["smtpCode"], 250);
        let (_, call) = sends
            .iter()
            .find(|(to, _)| *to == d["recipient"]["email"])
            .expect("a send for each email");
        check_sendgrid_send(call, &d);
    }
    assert!(rig.platform().messages().is_empty() && rig.org_smtp.connections() == 0);

    // A revoked key: the test reports AUTH.
    rig.app()
        .patch(
            &format!("{}/{sender}", rig.senders_path()),
            &rig.owner.key,
            json!({ "apiKey": "SG.revoked" }),
        )
        .await
        .expect_success(StatusCode::OK);
    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], false, "{tested}");
    assert_eq!(tested["stage"], "AUTH", "{tested}");
    assert!(
        tested["message"].as_str().is_some_and(|m| m.contains("401")),
        "{tested}"
    );
    assert!(!tested.to_string().contains("SG.revoked"), "the key never shows");
    assert_eq!(rig.sender(sender).await["health"]["status"], "AUTH_FAILED");
}

#[tokio::test]
async fn a_sendgrid_api_failure_falls_to_sendgrids_smtp_path_before_the_platform() {
    let api = FakeProvider::start().await;
    api.set_send_status(500);
    let rig = provider_rig(&api, |ca| FakeSmtpConfig {
        credentials: Some(("apikey".into(), SENDGRID_KEY.into())),
        ..starttls(ca)
    })
    .await;
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "provider": "SENDGRID",
            "apiKey": SENDGRID_KEY, "smtpHost": "127.0.0.1", "smtpPort": rig.org_smtp.port(), "smtpSecure": false,
            "smtpUser": "apikey", "smtpPassword": SENDGRID_KEY }),
        )
        .await;

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(
            outcomes(p),
            pairs(&[
                (&format!("sender:{sender}:api"), "failed"),
                (&format!("sender:{sender}"), "sent")
            ]),
            "{p:?}"
        );
        assert_eq!(p.settlement, sent_by(&format!("sender:{sender}")));
        assert!(
            p.routes[0].reply.as_deref().is_some_and(|r| r.contains("HTTP 500")),
            "{p:?}"
        );
    }
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    for r in &arrived {
        assert!(r.tls);
        assert_eq!(r.auth_user.as_deref(), Some("apikey"));
        assert_eq!(from_and_reply_to(r).0, mailbox(ORG_NAME, ORG_FROM));
    }
    assert_eq!(api.calls().iter().filter(|c| c.path == "/v3/mail/send").count(), 2);
    assert!(rig.platform().messages().is_empty());
}

#[tokio::test]
async fn a_sparkpost_sender_uses_transmissions_with_its_ip_pool_and_falls_back_on_401() {
    let api = FakeProvider::start().await;
    let rig = provider_rig(&api, starttls).await;
    let sender = rig
        .create_sender(
            json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "provider": "SPARKPOST",
            "apiKey": SPARKPOST_KEY, "ipPool": "transactional" }),
        )
        .await;

    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], true, "{tested}");
    let probe = api.calls().last().cloned().expect("the probe");
    assert_eq!((probe.method.as_str(), probe.path.as_str()), ("GET", "/api/v1/account"));
    assert_eq!(probe.authorization.as_deref(), Some(SPARKPOST_KEY));

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    let calls = api.calls();
    let sends = sends_to(
        &calls,
        "/api/v1/transmissions",
        |b| &b["recipients"][0]["address"]["email"],
    );
    assert_eq!(sends.len(), 2, "{calls:?}");
    for p in &batch {
        assert_eq!(
            outcomes(p),
            pairs(&[(&format!("sender:{sender}:api"), "sent")]),
            "{p:?}"
        );
        let d = rig.delivery(p.id.0).await;
        let (_, call) = sends
            .iter()
            .find(|(to, _)| *to == d["recipient"]["email"])
            .expect("a send for each email");
        check_sparkpost_send(call, &d, "transactional");
    }
    assert!(rig.platform().messages().is_empty());

    // The key stops working and there is no SMTP path: straight to the platform.
    rig.app()
        .patch(
            &format!("{}/{sender}", rig.senders_path()),
            &rig.owner.key,
            json!({ "apiKey": "revoked-key" }),
        )
        .await
        .expect_success(StatusCode::OK);
    let batch = {
        rig.book(rig.event, "cat@example.test").await;
        rig.run().await
    };
    assert_fell_back(&rig, &batch, &format!("sender:{sender}:api"), "HTTP 401", Some(535)).await;
    let last = api.calls().last().cloned().expect("a call");
    assert_eq!(last.authorization.as_deref(), Some("revoked-key"));
    assert_eq!(rig.sender(sender).await["health"]["status"], "AUTH_FAILED");

    let tested = test_connection(&rig, sender).await;
    assert_eq!(tested["success"], false, "{tested}");
    assert_eq!(tested["stage"], "AUTH", "{tested}");
    assert_eq!(tested["smtpCode"], 535, "{tested}");
}
