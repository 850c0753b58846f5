//! What a sender is: its documented fields and defaults, the one default sender, and PATCH changing only what it is
//! given while the secrets stay sealed as they were.

use super::*;
use crate::helpers::email::closed_port;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_sender_has_exactly_the_documented_fields_and_defaults() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let minimal = json!({ "fromEmail": "Bookings@Acme.Example", "fromName": "Acme", "smtpHost": "127.0.0.1" });
    let sender = rig.create(minimal.clone()).await;
    assert_eq!(
        sender,
        json!({
            "id": sender["id"],
            "organizationId": rig.org,
            "fromEmail": "bookings@acme.example",
            "fromName": "Acme",
            "smtpHost": "127.0.0.1",
            "smtpPort": 465,
            "smtpSecure": true,
            "provider": "SMTP",
            "ipPool": null,
            "isDefault": true,
            "teamIds": [],
            "hasSmtpCredentials": false,
            "hasApiKey": false,
            "health": {
                "status": "UNTESTED",
                "lastError": null,
                "lastSuccessAt": null,
                "lastFailureAt": null,
                "lastTestedAt": null,
            },
            "createdAt": sender["createdAt"],
            "updatedAt": sender["updatedAt"],
        })
    );
    assert_eq!(rig.sender(sender["id"].as_i64().expect("id")).await, sender);

    let starttls = rig.create(with(minimal.clone(), json!({ "smtpSecure": false }))).await;
    assert_eq!(
        (&starttls["smtpSecure"], &starttls["smtpPort"]),
        (&json!(false), &json!(587))
    );
    let explicit = rig.create(with(minimal.clone(), json!({ "smtpPort": 2525 }))).await;
    assert_eq!(
        (&explicit["smtpSecure"], &explicit["smtpPort"]),
        (&json!(true), &json!(2525))
    );
    let user_only = rig.create(with(minimal.clone(), json!({ "smtpUser": USER }))).await;
    assert_eq!(
        (&user_only["hasSmtpCredentials"], &user_only["hasApiKey"]),
        (&json!(true), &json!(false))
    );

    let sendgrid = rig
        .create(json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID", "apiKey": API_KEY }))
        .await;
    assert_eq!(
        (
            &sendgrid["provider"],
            &sendgrid["smtpHost"],
            &sendgrid["smtpPort"],
            &sendgrid["hasApiKey"],
            &sendgrid["hasSmtpCredentials"]
        ),
        (
            &json!("SENDGRID"),
            &Value::Null,
            &Value::Null,
            &json!(true),
            &json!(false)
        )
    );
    let sparkpost = rig
        .create(
            json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SPARKPOST",
            "apiKey": OTHER_API_KEY, "ipPool": "transactional", "smtpUser": "SMTP_Injection",
            "smtpPassword": OTHER_PASSWORD, "smtpHost": "127.0.0.1", "smtpPort": 587, "smtpSecure": false }),
        )
        .await;
    assert_eq!(
        (
            &sparkpost["ipPool"],
            &sparkpost["hasApiKey"],
            &sparkpost["hasSmtpCredentials"]
        ),
        (&json!("transactional"), &json!(true), &json!(true))
    );
    for sender in rig.list().await {
        assert_eq!(sender["organizationId"], rig.org);
    }
}

#[tokio::test]
async fn the_first_sender_is_the_default_and_there_is_always_exactly_one() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    // Even asked not to be, the first sender is the default.
    let a = rig.create(with(body.clone(), json!({ "isDefault": false }))).await;
    assert_eq!(a["isDefault"], true);
    let a = a["id"].as_i64().expect("id");
    let b = rig.create(body.clone()).await;
    assert_eq!(b["isDefault"], false);
    let b = b["id"].as_i64().expect("id");
    assert_eq!(defaults(&rig.list().await), [a]);
    let c = rig.create(with(body.clone(), json!({ "isDefault": true }))).await;
    assert_eq!(c["isDefault"], true);
    let c = c["id"].as_i64().expect("id");
    assert_eq!(defaults(&rig.list().await), [c]);
    assert_eq!(rig.sender(a).await["isDefault"], false);

    // PATCH isDefault true moves it; false on the default is refused; false elsewhere changes nothing.
    let patched = rig
        .patch(&rig.one(a), &rig.owner.key, json!({ "isDefault": true }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["isDefault"], true);
    assert_eq!(defaults(&rig.list().await), [a]);
    rig.patch(&rig.one(a), &rig.owner.key, json!({ "isDefault": false }))
        .await
        .expect_field_error("isDefault");
    assert_eq!(defaults(&rig.list().await), [a]);
    let patched = rig
        .patch(&rig.one(b), &rig.owner.key, json!({ "isDefault": false }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["isDefault"], false);
    assert_eq!(defaults(&rig.list().await), [a]);

    // Deleting the default promotes another one.
    let deleted = rig.delete(&rig.one(a), &rig.owner.key).await;
    assert_eq!(deleted.expect_success(StatusCode::OK)["id"], a);
    assert_shape(deleted.data());
    let left = rig.list().await;
    assert_eq!(ids(&left), [b, c]);
    assert_eq!(defaults(&left).len(), 1, "{left:?}");
    // Deleting a non-default keeps the default.
    let default = defaults(&left)[0];
    let other = if default == b { c } else { b };
    rig.delete(&rig.one(other), &rig.owner.key)
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(defaults(&rig.list().await), [default]);
    // The only sender: it can't stop being the default, and deleting it leaves none.
    rig.patch(&rig.one(default), &rig.owner.key, json!({ "isDefault": false }))
        .await
        .expect_field_error("isDefault");
    rig.delete(&rig.one(default), &rig.owner.key)
        .await
        .expect_success(StatusCode::OK);
    assert!(rig.list().await.is_empty());
    rig.delete(&rig.one(default), &rig.owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    rig.patch(&rig.one(default), &rig.owner.key, json!({ "fromName": "x" }))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    // And the next one is the default again.
    assert_eq!(rig.create(body).await["isDefault"], true);
}

/// Several first senders at once: each create reads "no sender yet" and inserts itself as the default.
#[tokio::test]
async fn concurrent_first_senders_leave_exactly_one_default() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    let base = rig.base();
    let answers = futures::future::join_all((0..10).map(|_| rig.post(&base, &rig.owner.key, body.clone()))).await;
    let mut created = Vec::new();
    for answer in &answers {
        created.push(answer.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id"));
    }
    created.sort_unstable();
    let senders = rig.list().await;
    assert_eq!(ids(&senders), created, "every create was stored");
    assert_eq!(defaults(&senders).len(), 1, "{senders:?}");
    let said_default = answers.iter().filter(|a| a.data()["isDefault"] == true).count();
    assert_eq!(said_default, 1, "the answers name one default");
}

#[tokio::test]
async fn patch_changes_only_what_it_is_given_and_keeps_the_secrets() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let created = rig.create(smtp_body(smtp.port())).await;
    let id = created["id"].as_i64().expect("id");
    let sealed = rig.record(id).await;
    assert_eq!(created["hasSmtpCredentials"], true);

    // Nothing given: nothing changes.
    let same = rig.patch(&rig.one(id), &rig.owner.key, json!({})).await;
    let same = same.expect_success(StatusCode::OK).clone();
    assert_shape(&same);
    for field in SENDER_FIELDS.iter().filter(|f| **f != "updatedAt") {
        assert_eq!(same[*field], created[*field], "{field}");
    }

    // One field at a time; the rest, secrets included, stay.
    let changes = [
        json!({ "fromName": "Acme Scheduling" }),
        json!({ "fromEmail": "hello@acme.example" }),
        json!({ "smtpPort": smtp.port() }),
        json!({ "smtpSecure": false }),
        json!({ "teamIds": [rig.team] }),
    ];
    let mut expected = created.clone();
    for change in changes {
        let patched = rig.patch(&rig.one(id), &rig.owner.key, change.clone()).await;
        let patched = patched.expect_success(StatusCode::OK).clone();
        assert_shape(&patched);
        for (k, v) in change.as_object().expect("object") {
            expected[k] = v.clone();
        }
        for field in SENDER_FIELDS.iter().filter(|f| !matches!(**f, "updatedAt" | "health")) {
            assert_eq!(patched[*field], expected[*field], "{field} after {change}");
        }
        assert!(patched["updatedAt"].as_str() >= created["createdAt"].as_str());
        let now = rig.record(id).await;
        assert_eq!(
            (&now.smtp_user_sealed, &now.smtp_password_sealed),
            (&sealed.smtp_user_sealed, &sealed.smtp_password_sealed),
            "the secrets were re-sealed or lost by {change}"
        );
    }
    // The kept credentials still authenticate.
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("AUTH")),
        "{test}"
    );

    // A new password replaces the old one only; a wrong one fails at AUTH; the right one again works.
    let patched = rig
        .patch(&rig.one(id), &rig.owner.key, json!({ "smtpPassword": WRONG_PASSWORD }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["hasSmtpCredentials"], true);
    let now = rig.record(id).await;
    assert_eq!(now.smtp_user_sealed, sealed.smtp_user_sealed);
    assert_ne!(now.smtp_password_sealed, sealed.smtp_password_sealed);
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("AUTH")),
        "{test}"
    );
    rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpPassword": PASSWORD }))
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(rig.test_saved(id).await["success"], true);

    // null clears: the password alone leaves the user (still "has credentials"), then the user too.
    let cleared = rig
        .patch(&rig.one(id), &rig.owner.key, json!({ "smtpPassword": null }))
        .await;
    assert_eq!(cleared.expect_success(StatusCode::OK)["hasSmtpCredentials"], true);
    assert_eq!(rig.record(id).await.smtp_password_sealed, None);
    let cleared = rig
        .patch(&rig.one(id), &rig.owner.key, json!({ "smtpUser": null }))
        .await;
    assert_eq!(cleared.expect_success(StatusCode::OK)["hasSmtpCredentials"], false);
    let now = rig.record(id).await;
    assert_eq!((now.smtp_user_sealed, now.smtp_password_sealed), (None, None));

    // A provider's API key: kept on other changes, cleared by null only when the provider no longer needs it.
    let sg = rig
        .create(json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID", "apiKey": API_KEY }))
        .await;
    let sg = sg["id"].as_i64().expect("id");
    let key_sealed = rig.record(sg).await.api_key_sealed;
    let renamed = rig
        .patch(&rig.one(sg), &rig.owner.key, json!({ "fromName": "Renamed" }))
        .await;
    assert_eq!(renamed.expect_success(StatusCode::OK)["hasApiKey"], true);
    assert_eq!(rig.record(sg).await.api_key_sealed, key_sealed);
    rig.patch(&rig.one(sg), &rig.owner.key, json!({ "apiKey": null }))
        .await
        .expect_field_error("apiKey");
    let replaced = rig
        .patch(&rig.one(sg), &rig.owner.key, json!({ "apiKey": OTHER_API_KEY }))
        .await;
    assert_eq!(replaced.expect_success(StatusCode::OK)["hasApiKey"], true);
    assert_ne!(rig.record(sg).await.api_key_sealed, key_sealed);
    assert_eq!(smtp.messages().len(), 0, "a connection test sent an email");
}
