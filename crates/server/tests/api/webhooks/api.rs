//! The webhook endpoints: Cal.com shapes, ownership, validation, and a secret that is stored sealed and never
//! shown again.

use super::create_webhook;
use crate::helpers::{Answer, TestApp};
use crate::scheduling::{EVENT_TYPES, host_with_event, weekdays_9_to_5};
use convene_core::WebhookId;
use convene_server::ServerSettings;
use convene_server::webhooks::open_secret;
use convene_store::webhooks;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const SECRET: &str = "whsec-never-echo-this";

/// Asserts that no part of the answer carries the secret.
fn assert_no_secret(answer: &Answer, secret: &str) {
    let text = answer.body.to_string();
    assert!(!text.contains(secret), "secret leaked: {text}");
    let items = match answer.data() {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    for item in items {
        assert!(item.get("secret").is_none(), "a secret field in {item}");
    }
}

async fn stored_secret(app: &TestApp, id: i64) -> Option<String> {
    webhooks::find(&app.db, WebhookId(id))
        .await
        .expect("read")
        .expect("webhook")
        .secret_sealed
}

#[tokio::test]
async fn a_user_webhook_is_created_read_listed_updated_and_deleted_without_ever_showing_its_secret() {
    let app = TestApp::spawn().await;
    let owner = app.user("hooks@example.test").await;
    let other = app.user("other@example.test").await;
    let mut answers = Vec::new();

    let created = app
        .post(
            "/v2/webhooks",
            &owner.key,
            json!({ "subscriberUrl": "http://127.0.0.1:9/hook", "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"],
                    "active": true, "secret": SECRET, "payloadTemplate": "{\"t\": \"{{title}}\"}", "version": "2021-10-20" }),
        )
        .await;
    let webhook = created.expect_success(StatusCode::CREATED).clone();
    let id = webhook["id"].as_i64().expect("numeric id");
    assert_eq!(
        webhook,
        json!({ "payloadTemplate": "{\"t\": \"{{title}}\"}", "userId": owner.id, "id": id,
                "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"], "subscriberUrl": "http://127.0.0.1:9/hook", "active": true })
    );
    answers.push(created);

    let read = app.get(&format!("/v2/webhooks/{id}"), &owner.key).await;
    assert_eq!(read.expect_success(StatusCode::OK), &webhook);
    answers.push(read);
    let listed = app.get("/v2/webhooks", &owner.key).await;
    assert_eq!(listed.expect_success(StatusCode::OK), &json!([webhook]));
    answers.push(listed);

    // Someone else's webhook does not exist for them.
    app.get(&format!("/v2/webhooks/{id}"), &other.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.patch(&format!("/v2/webhooks/{id}"), &other.key, json!({ "active": false }))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.delete(&format!("/v2/webhooks/{id}"), &other.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/v2/webhooks", &other.key).await.expect_success(StatusCode::OK),
        &json!([])
    );

    let updated = app
        .patch(
            &format!("/v2/webhooks/{id}"),
            &owner.key,
            json!({ "active": false, "triggers": "MEETING_ENDED", "payloadTemplate": null }),
        )
        .await;
    let u = updated.expect_success(StatusCode::OK);
    assert_eq!(u["active"], false);
    assert_eq!(
        u["triggers"],
        json!(["MEETING_ENDED"]),
        "a single name is taken as a list of one"
    );
    assert_eq!(u["payloadTemplate"], "", "a cleared template reads as the empty string");
    assert_eq!(u["subscriberUrl"], "http://127.0.0.1:9/hook", "absent fields are kept");
    answers.push(updated);

    let deleted = app.delete(&format!("/v2/webhooks/{id}"), &owner.key).await;
    assert_eq!(deleted.expect_success(StatusCode::OK)["id"], id);
    answers.push(deleted);
    app.get(&format!("/v2/webhooks/{id}"), &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);

    for answer in &answers {
        assert_no_secret(answer, SECRET);
    }
}

#[tokio::test]
async fn the_secret_is_stored_sealed_bound_to_its_webhook_and_replaceable_or_removable() {
    let app = TestApp::spawn().await;
    let owner = app.user("sealed@example.test").await;
    let id = create_webhook(
        &app,
        &owner,
        json!({ "subscriberUrl": "http://127.0.0.1:9/a", "triggers": ["BOOKING_CREATED"], "active": true, "secret": SECRET }),
    )
    .await;
    let sealed = stored_secret(&app, id).await.expect("a sealed secret");
    assert!(sealed.starts_with("v1."), "{sealed}");
    assert!(!sealed.contains(SECRET));
    let keyring = &app.state.keyring;
    assert_eq!(
        open_secret(keyring, id, &sealed).expect("opens").expose_secret(),
        SECRET
    );
    assert!(
        open_secret(keyring, id + 1, &sealed).is_err(),
        "bound to this webhook's id"
    );

    let untouched = app
        .patch(&format!("/v2/webhooks/{id}"), &owner.key, json!({ "active": true }))
        .await;
    untouched.expect_success(StatusCode::OK);
    assert_eq!(
        stored_secret(&app, id).await.as_deref(),
        Some(sealed.as_str()),
        "no secret field keeps it"
    );

    let replaced = app
        .patch(
            &format!("/v2/webhooks/{id}"),
            &owner.key,
            json!({ "secret": "rotated-secret" }),
        )
        .await;
    assert_no_secret(&replaced, "rotated-secret");
    let resealed = stored_secret(&app, id).await.expect("sealed");
    assert_eq!(
        open_secret(keyring, id, &resealed).expect("opens").expose_secret(),
        "rotated-secret"
    );

    app.patch(&format!("/v2/webhooks/{id}"), &owner.key, json!({ "secret": null }))
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(stored_secret(&app, id).await, None);
}

#[tokio::test]
async fn event_type_webhooks_belong_to_the_event_types_owner_and_others_get_404() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "et-owner@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 }),
    )
    .await;
    let stranger = app.user("et-stranger@example.test").await;
    let base = format!("/v2/event-types/{event}/webhooks");
    let body = json!({ "subscriberUrl": "http://127.0.0.1:9/et", "triggers": ["BOOKING_CREATED"], "active": true, "secret": SECRET });

    let created = app.post(&base, &host.key, body.clone()).await;
    let webhook = created.expect_success(StatusCode::CREATED).clone();
    assert_no_secret(&created, SECRET);
    let id = webhook["id"].as_i64().expect("id");
    assert_eq!(webhook["eventTypeId"], event);
    assert!(webhook.get("userId").is_none(), "{webhook}");

    app.post(&base, &stranger.key, body.clone())
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.get(&base, &stranger.key).await.expect_error(StatusCode::NOT_FOUND);
    app.get(&format!("{base}/{id}"), &stranger.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.patch(&format!("{base}/{id}"), &stranger.key, json!({ "active": false }))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.delete(&base, &stranger.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.get("/v2/event-types/999999/webhooks", &host.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);

    let read = app.get(&format!("{base}/{id}"), &host.key).await;
    assert_eq!(read.expect_success(StatusCode::OK), &webhook);
    assert_no_secret(&read, SECRET);
    // The event type's webhook is not one of the host's own webhooks, and vice versa.
    app.get(&format!("/v2/webhooks/{id}"), &host.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let own = create_webhook(
        &app,
        &host,
        json!({ "subscriberUrl": "http://127.0.0.1:9/own", "triggers": ["BOOKING_CREATED"], "active": true }),
    )
    .await;
    app.get(&format!("{base}/{own}"), &host.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);

    let patched = app
        .patch(
            &format!("{base}/{id}"),
            &host.key,
            json!({ "subscriberUrl": "http://127.0.0.1:9/et2" }),
        )
        .await;
    assert_eq!(
        patched.expect_success(StatusCode::OK)["subscriberUrl"],
        "http://127.0.0.1:9/et2"
    );
    let second = app
        .post(
            &base,
            &host.key,
            json!({ "subscriberUrl": "http://127.0.0.1:9/et3", "triggers": ["BOOKING_CANCELLED"], "active": false }),
        )
        .await;
    second.expect_success(StatusCode::CREATED);
    let listed = app.get(&format!("{base}?take=1&skip=1"), &host.key).await;
    assert_eq!(
        listed.expect_success(StatusCode::OK)[0]["subscriberUrl"],
        "http://127.0.0.1:9/et3"
    );
    let all = app.get(&base, &host.key).await;
    assert_eq!(all.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(2));
    assert_no_secret(&all, SECRET);

    let removed = app.delete(&format!("{base}/{id}"), &host.key).await;
    assert_eq!(removed.expect_success(StatusCode::OK)["id"], id);
    let cleared = app.delete(&base, &host.key).await;
    assert_eq!(cleared.expect_success(StatusCode::OK), &json!("1 webhooks deleted"));
    assert_eq!(
        app.get(&base, &host.key).await.expect_success(StatusCode::OK),
        &json!([])
    );
    app.get(&format!("/v2/webhooks/{own}"), &host.key)
        .await
        .expect_success(StatusCode::OK);
}

#[tokio::test]
async fn invalid_webhook_settings_are_refused_with_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let owner = app.user("invalid@example.test").await;
    let valid = json!({ "subscriberUrl": "http://127.0.0.1:9/hook", "triggers": ["BOOKING_CREATED"], "active": true });
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = valid.clone();
        body.as_object_mut().expect("object").remove(key);
        body
    };
    let cases = [
        (without("subscriberUrl"), "subscriberUrl"),
        (without("triggers"), "triggers"),
        (without("active"), "active"),
        (
            with("triggers", json!(["BOOKING_CREATED", "BOOKING_CONFIRMED"])),
            "triggers",
        ),
        (with("triggers", json!([])), "triggers"),
        (with("triggers", json!("NOT_A_TRIGGER")), "triggers"),
        (with("triggers", json!(42)), "triggers"),
        (with("subscriberUrl", json!("ftp://example.com/hook")), "subscriberUrl"),
        (with("subscriberUrl", json!("file:///etc/passwd")), "subscriberUrl"),
        (
            with("subscriberUrl", json!("http://169.254.169.254/latest/meta-data/")),
            "subscriberUrl",
        ),
        (
            with("subscriberUrl", json!("http://metadata.google.internal/")),
            "subscriberUrl",
        ),
        (
            with("subscriberUrl", json!("http://user:pw@example.com/")),
            "subscriberUrl",
        ),
        (with("subscriberUrl", json!("not a url")), "subscriberUrl"),
        (with("version", json!("2024-08-13")), "version"),
        (with("payloadTemplate", json!("{\"a\": \"\u{0}\"}")), "payloadTemplate"),
        (with("secret", json!("line\nbreak")), "secret"),
        (with("active", json!("yes")), "active"),
    ];
    for (body, field) in cases {
        let answer = app.post("/v2/webhooks", &owner.key, body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}: {}", answer.body);
        answer.expect_field_error(field);
    }
    assert_eq!(
        app.get("/v2/webhooks", &owner.key).await.expect_success(StatusCode::OK),
        &json!([])
    );

    let id = create_webhook(&app, &owner, valid.clone()).await;
    app.patch(
        &format!("/v2/webhooks/{id}"),
        &owner.key,
        json!({ "triggers": ["BOOKING_COMPLETED"] }),
    )
    .await
    .expect_field_error("triggers");
    app.patch(
        &format!("/v2/webhooks/{id}"),
        &owner.key,
        json!({ "subscriberUrl": "gopher://example.com/" }),
    )
    .await
    .expect_field_error("subscriberUrl");
    app.post("/v2/webhooks", &owner.key, valid)
        .await
        .expect_error(StatusCode::CONFLICT);
    app.get("/v2/webhooks/not-a-number", &owner.key)
        .await
        .expect_field_error("webhookId");
}

#[tokio::test]
async fn private_and_loopback_targets_are_refused_at_save_unless_the_instance_allows_them() {
    let app = TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        ..ServerSettings::default()
    })
    .await;
    let owner = app.user("public-only@example.test").await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost/hook",
        "http://2130706433/hook",
    ] {
        let answer = app
            .post(
                "/v2/webhooks",
                &owner.key,
                json!({ "subscriberUrl": url, "triggers": ["BOOKING_CREATED"], "active": true }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{url}: {}", answer.body);
        answer.expect_field_error("subscriberUrl");
    }
    create_webhook(
        &app,
        &owner,
        json!({ "subscriberUrl": "https://93.184.215.14/hook", "triggers": ["BOOKING_CREATED"], "active": true }),
    )
    .await;

    // The test instance allows private targets (its receivers listen on 127.0.0.1).
    let allowing = TestApp::spawn().await;
    let owner = allowing.user("allow-private@example.test").await;
    create_webhook(
        &allowing,
        &owner,
        json!({ "subscriberUrl": "http://127.0.0.1:8080/hook", "triggers": ["BOOKING_CREATED"], "active": true }),
    )
    .await;
}

#[tokio::test]
async fn webhook_endpoints_need_an_api_key_and_ignore_cal_api_version() {
    let app = TestApp::spawn().await;
    app.request(Method::GET, "/v2/webhooks", None, None)
        .await
        .expect_error(StatusCode::UNAUTHORIZED);
    let owner = app.user("versionless@example.test").await;
    let answer = app
        .versioned(Method::GET, "/v2/webhooks", Some(&owner.key), None, Some(EVENT_TYPES))
        .await;
    answer.expect_success(StatusCode::OK);
}
