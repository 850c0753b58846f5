//! Settings in real headless Chromium: make an API key (shown once), use it, revoke it and see the API refuse it;
//! ask for a new email address and see the account keep the old one until the emailed link is confirmed — and
//! axe-core finds no serious or critical violation on those pages or the profile and
//! notifications pages.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::web_a11y::violations;
use crate::web_booking::emailed_text;
use crate::web_browser::by_id::{click, text_of, type_into, wait_for};
use crate::web_browser::{Browser, wait_replaced};
use convene_store::users;
use fantoccini::Locator;
use reqwest::{Method, StatusCode};

const HOST: &str = "set@chrome.test";

#[tokio::test]
async fn a_host_makes_and_revokes_an_api_key_and_changes_email_only_once_confirmed() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    app.account(HOST).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    let mut found = Vec::new();

    c.goto(&format!("{base}/settings/api-keys")).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", HOST).await;
    type_into(c, "password", PASSWORD).await;
    click(c, "sign-in").await;
    wait_for(c, "new-key-form").await;
    found.extend(violations(c, &axe).await);

    type_into(c, "note", "Zapier").await;
    type_into(c, "days", "30").await;
    click(c, "create-key").await;
    wait_for(c, "new-key").await;
    found.extend(violations(c, &axe).await);
    let key = c
        .find(Locator::Id("new-key"))
        .await
        .expect("key field")
        .prop("value")
        .await
        .expect("value")
        .expect("a key");
    let me = |key: String| {
        let app = &app;
        async move { app.request(Method::GET, "/v2/me", Some(&key), None).await.status }
    };
    assert_eq!(me(key.clone()).await, StatusCode::OK);

    // Newest first: the key just made (the account's own key from the test setup follows).
    let live = c
        .find_all(Locator::Css("button[id^='revoke-']"))
        .await
        .expect("revoke buttons");
    assert_eq!(live.len(), 2);
    live[0].click().await.expect("revoke");
    wait_replaced(c, &live[0]).await;
    wait_for(c, "notice").await;
    let left = c
        .find_all(Locator::Css("button[id^='revoke-']"))
        .await
        .expect("revoke buttons")
        .len();
    assert_eq!(left, 1, "one key fewer is live");
    assert_eq!(me(key).await, StatusCode::UNAUTHORIZED);

    click(c, "settings-tab-email").await;
    wait_for(c, "email-form").await;
    found.extend(violations(c, &axe).await);
    type_into(c, "email", "set.new@chrome.test").await;
    click(c, "change-email").await;
    wait_for(c, "pending-email").await;
    assert_eq!(text_of(c, "pending-email").await, "set.new@chrome.test");
    assert!(text_of(c, "current-email").await.starts_with(HOST));
    assert!(
        users::find_by_email(&app.db, "set.new@chrome.test")
            .await
            .expect("read")
            .is_none()
    );

    let mail = emailed_text(&app, "email_change_confirmation").await;
    let link = mail
        .lines()
        .map(str::trim)
        .find(|l| l.contains("/auth/confirm-email?token="))
        .expect("a link");
    let path = &link[link.find("/auth/").expect("path")..];
    c.goto(&format!("{base}{path}")).await.expect("the emailed link");
    wait_for(c, "confirm-email").await;
    click(c, "confirm-email").await;
    wait_for(c, "message").await;
    c.goto(&format!("{base}/settings/email")).await.expect("settings");
    wait_for(c, "current-email").await;
    assert!(text_of(c, "current-email").await.starts_with("set.new@chrome.test"));
    assert!(c.find(Locator::Id("pending-email")).await.is_err());

    click(c, "settings-tab-profile").await;
    wait_for(c, "profile-form").await;
    found.extend(violations(c, &axe).await);
    click(c, "settings-tab-notifications").await;
    wait_for(c, "notifications-form").await;
    found.extend(violations(c, &axe).await);

    assert!(found.is_empty(), "accessibility: {found:#?}");
}
