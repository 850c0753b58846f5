//! Sign-in limits: per client address against password spraying, per account and address against guessing,
//! without letting a stranger lock the owner out; and limits that never share keys (issue 10, items 3 and 4).

use crate::helpers::TestApp;
use crate::web_reset::account;
use convene_server::ServerSettings;
use convene_server::limits::{LimitSettings, TrustedProxies};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Signs in through the page (fetching its CSRF token first), as seen from `client` when given (the server
/// must trust 127.0.0.1 as a proxy for that to mean anything). Returns the status and `Retry-After`.
async fn sign_in(app: &TestApp, email: &str, password: &str, client: Option<&str>) -> (StatusCode, Option<u64>) {
    let browser = browser();
    let form = browser
        .get(format!("{}/auth/login", app.address))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_owned();
    let mut request = browser.post(format!("{}/auth/login", app.address)).form(&[
        ("email", email),
        ("password", password),
        ("csrf", csrf.as_str()),
    ]);
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let answer = request.send().await.expect("send");
    let retry_after = answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (answer.status(), retry_after)
}

#[tokio::test]
async fn spraying_passwords_across_accounts_from_one_address_is_refused() {
    let app = TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        ..ServerSettings::default()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        let (status, _) = sign_in(&app, &format!("user{i}@example.test"), "Summer2024!", None).await;
        statuses.push(status);
    }
    // The default allowance is 30 failures an hour per address.
    assert!(
        statuses[..30].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[30..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (_, retry_after) = sign_in(&app, "user99@example.test", "Summer2024!", None).await;
    assert!(retry_after.is_some_and(|s| (1..=120).contains(&s)), "{retry_after:?}");
}

#[tokio::test]
async fn a_stranger_guessing_a_password_cannot_lock_the_owner_out() {
    let app = TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        limits: LimitSettings {
            trusted_proxies: TrustedProxies::new(vec!["127.0.0.1/32".parse().expect("net")]),
            ..LimitSettings::default()
        },
        ..ServerSettings::default()
    })
    .await;
    account(&app, "owner@example.test", "the right password").await;
    let stranger = Some("203.0.113.66");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(sign_in(&app, "owner@example.test", "a guess", stranger).await.0);
    }
    // Five failures for one account from one address, then that pair is refused.
    assert!(
        statuses[..5].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[5..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (status, retry_after) = sign_in(&app, "owner@example.test", "the right password", stranger).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the stranger's address stays refused"
    );
    assert!(retry_after.is_some_and(|s| (1..=180).contains(&s)), "{retry_after:?}");

    // The owner, from their own address, signs in.
    let (status, _) = sign_in(&app, "owner@example.test", "the right password", Some("198.51.100.7")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_in_forgives_the_owner_s_earlier_mistakes() {
    let app = TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        ..ServerSettings::default()
    })
    .await;
    account(&app, "typo@example.test", "the right password").await;
    for _ in 0..4 {
        assert_eq!(
            sign_in(&app, "typo@example.test", "the rihgt password", None).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in(&app, "typo@example.test", "the right password", None).await.0,
        StatusCode::SEE_OTHER
    );
    for _ in 0..4 {
        assert_eq!(
            sign_in(&app, "typo@example.test", "the rihgt password", None).await.0,
            StatusCode::UNAUTHORIZED,
            "earlier failures no longer count"
        );
    }
}

#[tokio::test]
async fn signing_in_as_a_look_alike_key_never_touches_another_limit() {
    let app = TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        ..ServerSettings::default()
    })
    .await;
    // "reset:<address>" was once the password reset limiter's key for that address.
    for _ in 0..11 {
        sign_in(&app, "reset:root@convene.test", "anything", None).await;
    }
    let answer = app
        .request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": "root@convene.test" })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    // Nor do password resets touch sign-in: ten resets for an address leave its owner able to sign in.
    account(&app, "often@example.test", "the right password").await;
    for _ in 0..10 {
        app.request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": "often@example.test" })),
        )
        .await;
    }
    assert_eq!(
        sign_in(&app, "often@example.test", "the right password", None).await.0,
        StatusCode::SEE_OTHER
    );
}
