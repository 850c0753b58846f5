//! Settings → Webhooks over plain HTTP: made and changed through the same checks as `/v2/webhooks` (a bad URL or no
//! trigger is refused naming the field), the secret kept when left blank, a test ping delivered signed to a local
//! receiver and listed with its answer, and nobody else's webhook reachable. Forms refuse a missing CSRF token.

use crate::helpers::TestApp;
use crate::web_app_bookings::{csrf_of, post};
use crate::web_app_bookings::{get, signed_in};
use crate::webhooks::receiver::Receiver;
use convene_core::UserId;
use convene_server::webhooks::deliver_one;
use convene_store::webhooks::{self, WebhookOwner};
use reqwest::StatusCode;

const LEE: &str = "lee@hooks.test";

#[tokio::test]
async fn a_webhook_made_on_the_page_pings_a_local_receiver_signed_and_lists_the_answer() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let person = app.account(LEE).await;
    let lee = signed_in(&app, LEE).await;
    let csrf = csrf_of(&get(&app, &lee, "/settings/webhooks").await.1);
    let url = receiver.url();

    let (status, page) = post(
        &app,
        &lee,
        "/settings/webhooks",
        &[
            ("csrf", &csrf),
            ("subscriberUrl", "ftp://x"),
            ("triggers", "BOOKING_CREATED"),
            ("active", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Enter a web address starting with http"), "{page}");
    let (status, page) = post(
        &app,
        &lee,
        "/settings/webhooks",
        &[("csrf", &csrf), ("subscriberUrl", &url), ("active", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Choose at least one event to send."), "{page}");

    let (status, to) = post(
        &app,
        &lee,
        "/settings/webhooks",
        &[
            ("csrf", &csrf),
            ("subscriberUrl", &url),
            ("triggers", "BOOKING_CREATED"),
            ("triggers", "BOOKING_CANCELLED"),
            ("active", "1"),
            ("secret", "shh-its-a-secret"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page_path = to.split('?').next().expect("path").to_owned();
    let stored = webhooks::list(&app.db, WebhookOwner::User(UserId(person.id)), 10, 0)
        .await
        .expect("list");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].secret_sealed.is_some());
    let (_, page) = get(&app, &lee, &page_path).await;
    assert!(!page.contains("shh-its-a-secret"), "the secret is never shown");

    // Saving with the secret left blank keeps it; the triggers change.
    let (status, _) = post(
        &app,
        &lee,
        &page_path,
        &[
            ("csrf", &csrf),
            ("subscriberUrl", &url),
            ("triggers", "BOOKING_CREATED"),
            ("active", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let saved = webhooks::find(&app.db, stored[0].id)
        .await
        .expect("read")
        .expect("webhook");
    assert_eq!(saved.secret_sealed, stored[0].secret_sealed);
    assert_eq!(saved.triggers, r#"["BOOKING_CREATED"]"#);

    let (status, to) = post(&app, &lee, &format!("{page_path}/ping"), &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to),
        (StatusCode::SEE_OTHER, format!("{page_path}?notice=pinged"))
    );
    let outcome = deliver_one(&app.state, convene_store::now())
        .await
        .expect("deliver")
        .expect("the ping");
    assert_eq!(outcome.webhook_id, Some(saved.id));
    receiver.wait_for(1).await;
    let ping = &receiver.received()[0];
    assert_eq!(ping.json()["triggerEvent"], "PING");
    assert!(ping.signed_with("shh-its-a-secret"));
    let (_, page) = get(&app, &lee, &page_path).await;
    assert!(
        page.contains(r#"data-status="delivered""#) && page.contains(r#"<td class="code">200</td>"#),
        "{page}"
    );
}

#[tokio::test]
async fn another_users_webhook_is_not_found_and_forms_without_the_token_change_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.account("owner@hooks.test").await;
    let fields = webhooks::WebhookFields {
        subscriber_url: "https://hooks.example/in".to_owned(),
        triggers: r#"["BOOKING_CREATED"]"#.to_owned(),
        active: true,
        payload_template: None,
        version: convene_server::webhooks::PAYLOAD_VERSION.to_owned(),
    };
    let theirs = webhooks::insert(&app.db, WebhookOwner::User(UserId(owner.id)), &fields)
        .await
        .expect("insert");
    app.account(LEE).await;
    let lee = signed_in(&app, LEE).await;
    let csrf = csrf_of(&get(&app, &lee, "/settings/webhooks").await.1);
    let path = format!("/settings/webhooks/{}", theirs.id);
    assert_eq!(get(&app, &lee, &path).await.0, StatusCode::NOT_FOUND);
    for action in ["", "/ping", "/delete"] {
        let (status, _) = post(
            &app,
            &lee,
            &format!("{path}{action}"),
            &[("csrf", &csrf), ("subscriberUrl", "https://evil.example/")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    let (status, _) = post(
        &app,
        &lee,
        "/settings/webhooks",
        &[
            ("subscriberUrl", "https://hooks.example/x"),
            ("triggers", "BOOKING_CREATED"),
            ("active", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.count_rows("webhooks").await, 1);
    assert_eq!(app.count_rows("webhook_deliveries").await, 0);
}
