//! Where a sender may point: public addresses only (in every spelling of a special address), checked again when
//! a stored sender is tested.

use super::*;
use crate::helpers::Answer;
use convene_core::TeamId;
use convene_store::smtp_senders::{self, SenderFields};
use reqwest::StatusCode;
use serde_json::json;

/// Special addresses in every spelling, and a name that resolves to 127.0.0.1.
const NOT_PUBLIC_HOSTS: [&str; 22] = [
    "0.0.0.0",
    "[::1]",
    "::1",
    "::ffff:10.0.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "fd00::1",
    "127.0.0.1",
    "10.0.0.1",
    "192.168.0.1",
    "localhost",
    "LOCALHOST",
    "[::]",
    "::ffff:127.0.0.1",
    "[::ffff:a9fe:a9fe]",
    "64:ff9b::a00:1",
    "2002:a00:1::",
    "fe80::1",
    "172.16.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
];

/// Other spellings of loopback that a resolver may or may not read as numbers: refused either way.
const ODD_SPELLINGS: [&str; 5] = ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost."];

#[tokio::test]
async fn private_and_special_addresses_are_refused_on_create_patch_and_test() {
    let rig = SenderApi::start(Hosts::PublicOnly, true, |_| {}).await;
    let body = json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "smtpPort": 587, "smtpSecure": false });
    // A public IP literal is accepted without any lookup (and this test never connects to it).
    let id = rig
        .create_id(with(body.clone(), json!({ "smtpHost": "8.8.8.8" })))
        .await;
    let refused = |answer: &Answer, host: &str, how: &str| {
        answer.expect_field_error("smtpHost");
        assert_eq!(
            answer.body["error"]["details"]["errors"][0]["message"], NOT_PUBLIC,
            "{how} {host}: {}",
            answer.body
        );
    };
    for host in NOT_PUBLIC_HOSTS {
        let with_host = with(body.clone(), json!({ "smtpHost": host }));
        refused(
            &rig.post(&rig.base(), &rig.owner.key, with_host.clone()).await,
            host,
            "create",
        );
        refused(
            &rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpHost": host }))
                .await,
            host,
            "patch",
        );
        let test = rig.test_unsaved(with_host).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("DNS")),
            "{host}: {test}"
        );
        assert!(
            test["message"].as_str().is_some_and(|m| m.contains(NOT_PUBLIC)),
            "{host}: {test}"
        );
    }
    for host in ODD_SPELLINGS {
        let with_host = with(body.clone(), json!({ "smtpHost": host }));
        rig.post(&rig.base(), &rig.owner.key, with_host.clone())
            .await
            .expect_field_error("smtpHost");
        rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpHost": host }))
            .await
            .expect_field_error("smtpHost");
        assert_eq!(rig.test_unsaved(with_host).await["success"], false, "{host}");
    }
    // A name that does not resolve.
    let unresolvable = "no-such-host.invalid";
    let with_host = with(body.clone(), json!({ "smtpHost": unresolvable }));
    for answer in [
        rig.post(&rig.base(), &rig.owner.key, with_host.clone()).await,
        rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpHost": unresolvable }))
            .await,
    ] {
        let message = answer.expect_error(StatusCode::BAD_REQUEST);
        assert_eq!(answer.body["error"]["details"]["field"], "smtpHost");
        assert!(message.contains("could not be resolved"), "{message}");
    }
    let test = rig.test_unsaved(with_host).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("DNS")),
        "{test}"
    );
    assert!(
        test["message"]
            .as_str()
            .is_some_and(|m| m.contains("could not be resolved")),
        "{test}"
    );

    assert_eq!(ids(&rig.list().await), [id]);
    assert_eq!(rig.sender(id).await["smtpHost"], "8.8.8.8");
}

#[tokio::test]
async fn a_stored_sender_on_a_private_address_is_refused_again_when_tested() {
    // A row written behind the API's back (an older version, a restored backup, a changed policy): the tests
    // check the address again and never connect.
    let rig = SenderApi::start(Hosts::PublicOnly, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let mut stored = Vec::new();
    for host in ["127.0.0.1", "localhost", "::ffff:127.0.0.1"] {
        let mut tx = rig.app.db.begin().await.expect("begin");
        let fields = SenderFields {
            from_email: FROM_EMAIL.to_owned(),
            from_name: FROM_NAME.to_owned(),
            provider: "SMTP".to_owned(),
            smtp_host: Some(host.to_owned()),
            smtp_port: Some(i64::from(smtp.port())),
            smtp_secure: false,
            ip_pool: None,
        };
        let first = stored.is_empty();
        stored.push(
            smtp_senders::insert(&mut tx, TeamId(rig.org), &fields, first, jiff::Timestamp::now())
                .await
                .expect("insert"),
        );
        tx.commit().await.expect("commit");
    }
    for id in stored {
        let test = rig.test_saved(id.0).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("DNS")),
            "{test}"
        );
        assert!(
            test["message"].as_str().is_some_and(|m| m.contains(NOT_PUBLIC)),
            "{test}"
        );
        let email = rig.test_email(id.0, "check@example.com").await;
        assert_eq!(
            (&email["success"], &email["stage"]),
            (&json!(false), &json!("DNS")),
            "{email}"
        );
        assert_eq!(rig.sender(id.0).await["health"]["status"], "FAILING");
    }
    assert_eq!(smtp.connections(), 0, "connected to a refused address");
    assert_eq!(rig.platform.connections(), 0);
}
