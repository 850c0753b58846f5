//! Settings → Email senders in real headless Chromium: an organization admin signs in, adds a sender pointing at
//! a fake SMTP server, runs Test connection and sees the result, sends a test email, sees the server's reply on
//! the page, and the message arrives at the fake server.

use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, text_of, type_into};
use crate::web_senders::{ADMIN, PASSWORD, SMTP_PASSWORD, SMTP_USER, SendersPage};
use fantoccini::{Client, Locator};
use std::time::Duration;

/// Clicks `id` and waits until the browser has left the current page: otherwise a lookup right after could
/// find an element of the page being replaced (a previous test result) and read stale text.
async fn submit(c: &Client, id: &str) {
    let old = c.find(Locator::Css("html")).await.expect("the current page");
    click(c, id).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while old.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the page did not change after {id}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_admin_adds_a_sender_tests_it_and_sends_a_test_email_in_a_real_browser() {
    // Secure cookies, which browsers accept on http://localhost.
    let rig = SendersPage::start(true, true).await;
    let base = rig.app.address.replace("127.0.0.1", "localhost");
    let browser = Browser::launch().await;
    let c = &browser.client;

    c.goto(&format!("{base}{}", rig.page_path()))
        .await
        .expect("open the page");
    c.wait()
        .for_element(Locator::Id("login-form"))
        .await
        .expect("sent to sign in first");
    type_into(c, "email", ADMIN).await;
    type_into(c, "password", PASSWORD).await;
    submit(c, "sign-in").await;
    c.wait()
        .for_element(Locator::Id("add-form"))
        .await
        .expect("signed in, back on the page asked for");
    // The home page leads there too.
    c.goto(&format!("{base}/")).await.expect("open home");
    c.wait()
        .for_element(Locator::Id("signed-in-as"))
        .await
        .expect("signed in");
    submit(c, &format!("email-senders-{}", rig.org)).await;
    c.wait()
        .for_element(Locator::Id("add-form"))
        .await
        .expect("the settings page");
    assert!(c.find(Locator::Id("no-senders")).await.is_ok(), "no sender yet");

    type_into(c, "fromEmail", "bookings@acme.example").await;
    type_into(c, "fromName", "Acme Bookings").await;
    c.find(Locator::Css("#provider option[value='SMTP']"))
        .await
        .expect("SMTP option")
        .click()
        .await
        .expect("choose SMTP");
    type_into(c, "smtpHost", "127.0.0.1").await;
    type_into(c, "smtpPort", &rig.smtp.port().to_string()).await;
    // STARTTLS on a submission port, not implicit TLS.
    let secure = c.find(Locator::Id("smtpSecure")).await.expect("smtpSecure");
    if secure.prop("checked").await.expect("checked").as_deref() == Some("true") {
        secure.click().await.expect("untick smtpSecure");
    }
    type_into(c, "smtpUser", SMTP_USER).await;
    type_into(c, "smtpPassword", SMTP_PASSWORD).await;
    click(c, &format!("team-{}", rig.team)).await;
    submit(c, "save-sender").await;

    let notice = text_of(c, "notice").await;
    assert!(notice.contains("Sender saved"), "{notice}");
    let card = c
        .find(Locator::Css("section[data-sender-id]"))
        .await
        .expect("the new sender is listed");
    let id = card
        .attr("data-sender-id")
        .await
        .expect("attribute")
        .expect("a sender id");
    assert_eq!(text_of(c, &format!("status-{id}")).await, "Not tested yet");
    assert!(text_of(c, &format!("default-{id}")).await.contains("Default"));
    assert_eq!(text_of(c, &format!("teams-{id}")).await, "Sales");

    submit(c, &format!("test-connection-{id}")).await;
    assert_eq!(text_of(c, "test-outcome").await, "success");
    assert_eq!(text_of(c, "test-stage").await, "AUTH");
    let message = text_of(c, "test-message").await;
    assert!(message.contains("authenticated"), "{message}");
    assert_eq!(text_of(c, &format!("status-{id}")).await, "OK");

    type_into(c, &format!("toEmail-{id}"), "inbox@example.test").await;
    submit(c, &format!("send-test-{id}")).await;
    let result = text_of(c, "test-result").await;
    assert!(result.contains("Test email for bookings@acme.example"), "{result}");
    assert_eq!(text_of(c, "test-outcome").await, "success");
    let reply = text_of(c, "test-message").await;
    assert!(reply.starts_with("Accepted: "), "the server's reply: {reply}");
    let code = text_of(c, "test-code").await;
    assert!(code.starts_with('2'), "{code}");

    let received = rig.smtp.wait_for_messages(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1, "the test email arrived");
    assert_eq!(received[0].rcpt_to, vec!["inbox@example.test".to_owned()]);
    assert!(received[0].tls, "over STARTTLS");
    assert_eq!(received[0].auth_user.as_deref(), Some(SMTP_USER));
    assert!(
        received[0].data_text().contains("bookings@acme.example"),
        "From the sender's address"
    );

    let source = c.source().await.expect("page source");
    assert!(
        !source.contains(SMTP_PASSWORD) && !source.contains(SMTP_USER),
        "no secret in the page"
    );
    browser.client.clone().close().await.expect("close");
}
