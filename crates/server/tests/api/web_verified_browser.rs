//! Verified contacts in real headless Chromium, by keyboard alone (typing and Enter): a number refused for want of
//! an SMS provider, an address proved with the emailed code after a wrong one — and axe-core finds no serious or
//! critical violation in any of those states.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::verified_resources::other_code;
use crate::web_a11y::violations;
use crate::web_booking::emailed_text;
use crate::web_browser::Browser;
use crate::web_browser::by_id::{text_of, type_into, wait_for};
use fantoccini::Client;
use fantoccini::key::Key;

const HOST: &str = "proof@chrome.test";

/// Types `text` into the field `id` and presses Enter there, submitting its form.
async fn type_and_enter(c: &Client, id: &str, text: &str) {
    type_into(c, id, text).await;
    let old = wait_for(c, id).await;
    old.send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap_or_else(|e| panic!("Enter in #{id}: {e}"));
    crate::web_browser::wait_replaced(c, &old).await;
}

/// The six-character code alone on a line of the last verification email.
async fn emailed_code(app: &TestApp) -> String {
    let body = emailed_text(app, "email_verification_code").await;
    body.lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in:\n{body}"))
        .to_owned()
}

#[tokio::test]
async fn a_host_proves_an_address_by_keyboard_and_every_state_of_the_page_passes_axe() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    app.account(HOST).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let mut found = Vec::new();

    c.goto(&format!("{}/settings/verified", app.address))
        .await
        .expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", HOST).await;
    type_and_enter(c, "password", PASSWORD).await;
    wait_for(c, "add-email-form").await;
    found.extend(violations(c, &axe).await);

    type_and_enter(c, "phone", "+372 5555 6666").await;
    assert!(
        text_of(c, "phone-error")
            .await
            .starts_with("This server cannot send text messages"),
        "said beside the number"
    );
    found.extend(violations(c, &axe).await);

    type_and_enter(c, "email", "proof.work@chrome.test").await;
    wait_for(c, "verify-email-form").await;
    assert!(text_of(c, "email-code-sent").await.contains("proof.work@chrome.test"));
    found.extend(violations(c, &axe).await);
    let code = emailed_code(&app).await;

    type_and_enter(c, "email-code", &other_code(&code)).await;
    assert!(text_of(c, "email-code-error").await.starts_with("That code is wrong"));
    found.extend(violations(c, &axe).await);

    type_and_enter(c, "email-code", &code).await;
    assert_eq!(text_of(c, "notice").await, "Email address verified.");
    assert!(
        text_of(c, "verified-emails").await.contains("proof.work@chrome.test"),
        "listed"
    );
    found.extend(violations(c, &axe).await);

    assert!(found.is_empty(), "accessibility: {found:#?}");
}
