//! Bad input is a 400 naming the field: unknown fields, bad providers, ports and types, and control characters in
//! any field (which could otherwise inject SMTP commands or headers).

use super::*;
use crate::helpers::email::closed_port;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn unknown_fields_bad_providers_ports_and_types_are_400() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    let id = rig.create_id(body.clone()).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "smtpPass": "x" }), "smtpPass"),
        (json!({ "password": "x" }), "password"),
        (json!({ "id": 5 }), "id"),
        (json!({ "organizationId": rig.other_org }), "organizationId"),
        (json!({ "hasSmtpCredentials": true }), "hasSmtpCredentials"),
        (json!({ "health": { "status": "OK" } }), "health"),
        (json!({ "provider": "MAILGUN" }), "provider"),
        (json!({ "provider": "smtp" }), "provider"),
        (json!({ "provider": "" }), "provider"),
        (json!({ "provider": 1 }), "provider"),
        (json!({ "smtpPort": 0 }), "smtpPort"),
        (json!({ "smtpPort": 65536 }), "smtpPort"),
        (json!({ "smtpPort": -25 }), "smtpPort"),
        (json!({ "smtpPort": "25" }), "smtpPort"),
        (json!({ "smtpPort": 25.5 }), "smtpPort"),
        (json!({ "smtpSecure": "true" }), "smtpSecure"),
        (json!({ "isDefault": "yes" }), "isDefault"),
        (json!({ "teamIds": "1" }), "teamIds"),
        (json!({ "smtpPassword": "" }), "smtpPassword"),
        (json!({ "smtpUser": "" }), "smtpUser"),
        (json!({ "smtpHost": "" }), "smtpHost"),
        (json!({ "smtpHost": "mail host.example" }), "smtpHost"),
        (json!({ "fromEmail": "not-an-address" }), "fromEmail"),
        (json!({ "fromName": "" }), "fromName"),
        (json!({ "fromName": "x".repeat(101) }), "fromName"),
        (json!({ "ipPool": "pool" }), "ipPool"),
        (json!({ "apiKey": API_KEY }), "apiKey"),
        (json!({ "provider": "SENDGRID" }), "apiKey"),
    ];
    for (change, field) in cases {
        rig.post(&rig.base(), &rig.owner.key, with(body.clone(), change.clone()))
            .await
            .expect_field_error(field);
        rig.patch(&rig.one(id), &rig.owner.key, change.clone())
            .await
            .expect_field_error(field);
    }
    // Required on create.
    for missing in ["fromEmail", "fromName", "smtpHost"] {
        let mut partial = body.clone();
        partial.as_object_mut().expect("object").remove(missing);
        rig.post(&rig.base(), &rig.owner.key, partial)
            .await
            .expect_field_error(missing);
    }
    assert_eq!(rig.list().await.len(), 1);
    let record = rig.record(id).await;
    assert_eq!(
        (record.from_email.as_str(), record.provider.as_str()),
        (FROM_EMAIL, "SMTP")
    );
}

const CONTROLS: [&str; 8] = ["\r\n", "\n", "\r", "\0", "\t", "\u{7f}", "\u{85}", "\u{1b}"];

#[tokio::test]
async fn line_breaks_and_control_characters_are_refused_in_every_field() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let smtp_sender = smtp_body(smtp.port());
    let sendgrid = json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID", "apiKey": API_KEY });
    let sparkpost = json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SPARKPOST",
        "apiKey": API_KEY, "ipPool": "transactional" });
    let smtp_id = rig.create_id(smtp_sender.clone()).await;
    let sendgrid_id = rig.create_id(sendgrid.clone()).await;
    let sparkpost_id = rig.create_id(sparkpost.clone()).await;
    let before = rig.list().await;

    // (field, base body, sender to PATCH, value around the control character)
    let fields: [(&str, &Value, i64, (&str, &str)); 7] = [
        (
            "fromEmail",
            &smtp_sender,
            smtp_id,
            ("bookings@acme.example", "Bcc: victim@example.com"),
        ),
        ("fromName", &smtp_sender, smtp_id, ("Acme", "Bcc: victim@example.com")),
        ("smtpHost", &smtp_sender, smtp_id, ("127.0.0.1", "evil.example")),
        ("smtpUser", &smtp_sender, smtp_id, (USER, "MAIL FROM:<x@evil.example>")),
        (
            "smtpPassword",
            &smtp_sender,
            smtp_id,
            (PASSWORD, "RCPT TO:<x@evil.example>"),
        ),
        ("apiKey", &sendgrid, sendgrid_id, (API_KEY, "X-Injected: 1")),
        ("ipPool", &sparkpost, sparkpost_id, ("transactional", "other")),
    ];
    for (field, base, id, (head, tail)) in fields {
        for control in CONTROLS {
            let value = format!("{head}{control}{tail}");
            let what = format!("{field} with {control:?}");
            let body = with(base.clone(), json!({ field: value }));
            let created = rig.post(&rig.base(), &rig.owner.key, body.clone()).await;
            assert_eq!(
                created.body["error"]["details"]["field"], field,
                "create, {what}: {}",
                created.body
            );
            created.expect_field_error(field);
            rig.patch(&rig.one(id), &rig.owner.key, json!({ field: value }))
                .await
                .expect_field_error(field);
            let test = rig
                .post(&format!("{}/test-connection", rig.base()), &rig.owner.key, body)
                .await;
            if field == "smtpHost" {
                // The unsaved test reports a host it cannot use as its answer.
                assert_eq!(
                    test.expect_success(StatusCode::OK)["success"],
                    false,
                    "{what}: {}",
                    test.body
                );
            } else {
                test.expect_field_error(field);
            }
            // At the end of the value (where trimming could hide it): refused, or stored without it.
            let value = format!("{head}{control}");
            let created = rig
                .post(&rig.base(), &rig.owner.key, with(base.clone(), json!({ field: value })))
                .await;
            if created.status.is_success() {
                let id = created.data()["id"].as_i64().expect("id");
                let stored = rig.record(id).await;
                let visible = [
                    stored.from_email,
                    stored.from_name,
                    stored.smtp_host.unwrap_or_default(),
                ];
                assert!(
                    visible.iter().all(|v| !v.chars().any(char::is_control)),
                    "{what} at the end was stored: {visible:?}"
                );
                assert!(
                    matches!(field, "fromEmail" | "fromName" | "smtpHost"),
                    "{what} at the end was accepted"
                );
                rig.delete(&rig.one(id), &rig.owner.key)
                    .await
                    .expect_success(StatusCode::OK);
            } else {
                created.expect_field_error(field);
            }
        }
    }
    // The test email's address too.
    for control in CONTROLS {
        rig.post(
            &format!("{}/test-email", rig.one(smtp_id)),
            &rig.owner.key,
            json!({ "toEmail": format!("check@example.com{control}RCPT TO:<victim@example.com>") }),
        )
        .await
        .expect_field_error("toEmail");
    }
    assert_eq!(smtp.messages().len(), 0);
    // Nothing stored changed.
    let after = rig.list().await;
    assert_eq!(ids(&after), ids(&before));
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(a, b);
    }
}
