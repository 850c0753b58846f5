//! Webhooks in real headless Chromium: a host adds a webhook with a secret, sends a test ping, and sees the local
//! receiver's answer listed — and axe-core finds no serious or critical violation on the list or the editor.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::web_a11y::violations;
use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, type_into, wait_for};
use crate::webhooks::receiver::Receiver;
use convene_server::webhooks::deliver_one;
use fantoccini::Locator;

const HOST: &str = "hook@chrome.test";

#[tokio::test]
async fn a_host_adds_a_webhook_and_sees_the_test_ping_answered() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    app.account(HOST).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    let mut found = Vec::new();

    c.goto(&format!("{base}/settings/webhooks")).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", HOST).await;
    type_into(c, "password", PASSWORD).await;
    click(c, "sign-in").await;
    wait_for(c, "new-webhook-form").await;
    found.extend(violations(c, &axe).await);

    type_into(c, "subscriberUrl", &receiver.url()).await;
    click(c, "trigger-BOOKING_CREATED").await;
    type_into(c, "secret", "browser-secret").await;
    click(c, "create-webhook").await;
    wait_for(c, "ping").await;
    found.extend(violations(c, &axe).await);

    click(c, "ping").await;
    wait_for(c, "deliveries").await;
    // The worker of `convene serve` would send it; the test takes its step.
    deliver_one(&app.state, convene_store::now())
        .await
        .expect("deliver")
        .expect("the ping");
    receiver.wait_for(1).await;
    assert!(receiver.received()[0].signed_with("browser-secret"));
    c.refresh().await.expect("reload");
    wait_for(c, "deliveries").await;
    let code = c
        .find(Locator::Css("#deliveries td.code"))
        .await
        .expect("a response code cell")
        .text()
        .await
        .expect("text");
    assert_eq!(code, "200");
    found.extend(violations(c, &axe).await);

    assert!(found.is_empty(), "accessibility: {found:#?}");
}
