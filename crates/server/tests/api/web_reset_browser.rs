//! Password reset in real headless Chromium: ask for the email, follow its link, choose a new password, sign in.

use crate::helpers::TestApp;
use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, type_into};
use crate::web_reset::{account, reset_tokens};
use convene_server::ServerSettings;
use fantoccini::Locator;

#[tokio::test]
async fn a_forgotten_password_is_replaced_through_the_emailed_link() {
    // Default settings: Secure cookies, which browsers accept on http://localhost.
    let app = TestApp::spawn_with(ServerSettings::default()).await;
    let user = account(&app, "reset-browser@example.test", "old password 1").await;
    let base = app.address.replace("127.0.0.1", "localhost");

    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&format!("{base}/auth/login")).await.expect("open sign-in");
    click(c, "forgot-password").await;
    c.wait()
        .for_element(Locator::Id("forgot-form"))
        .await
        .expect("forgot form");
    type_into(c, "email", "reset-browser@example.test").await;
    click(c, "send-link").await;
    let sent = c
        .wait()
        .for_element(Locator::Id("message"))
        .await
        .expect("sent message");
    assert!(
        sent.text().await.expect("text").contains("If an account exists"),
        "the same answer for every address"
    );

    let tokens = reset_tokens(&app, user).await;
    let [token] = tokens.as_slice() else {
        panic!("one reset email, got {tokens:?}");
    };
    c.goto(&format!("{base}/auth/reset-password?token={token}"))
        .await
        .expect("open the reset link");
    c.wait()
        .for_element(Locator::Id("reset-form"))
        .await
        .expect("reset form");
    type_into(c, "password", "browser new password").await;
    type_into(c, "confirm", "browser new password").await;
    click(c, "set-password").await;
    let done = c
        .wait()
        .for_element(Locator::Id("message"))
        .await
        .expect("done message");
    assert!(
        done.text().await.expect("text").contains("Your password was changed."),
        "success shown"
    );

    click(c, "sign-in-link").await;
    c.wait()
        .for_element(Locator::Id("login-form"))
        .await
        .expect("sign-in form");
    type_into(c, "email", "reset-browser@example.test").await;
    type_into(c, "password", "browser new password").await;
    click(c, "sign-in").await;
    let who = c
        .wait()
        .for_element(Locator::Id("signed-in-as"))
        .await
        .expect("signed in with the new password")
        .text()
        .await
        .expect("text");
    assert!(who.contains("reset-browser@example.test"), "{who}");
    browser.client.clone().close().await.expect("close");
}
