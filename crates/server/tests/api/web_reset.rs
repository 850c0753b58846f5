//! The password reset pages over plain HTTP: asking for the email, following its link, CSRF, bad input.

use crate::helpers::TestApp;
use convene_core::{EmailAddress, UserId};
use convene_server::tenancy;
use convene_store::outbox::{self, Filter, Scope};
use convene_store::users;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Creates an account and returns its user id.
pub(crate) async fn account(app: &TestApp, email: &str, password: &str) -> i64 {
    let email = EmailAddress::parse("email", email).expect("email");
    (tenancy::create_account(&app.db, &email, "Reset User", Some(password.into()), false)
        .await
        .expect("account")
        .user
        .id)
        .0
}

/// The tokens of the user's queued password reset emails, newest first.
pub(crate) async fn reset_tokens(app: &TestApp, user_id: i64) -> Vec<String> {
    let filter = Filter {
        kind: Some("password_reset".parse().expect("an outbox kind")),
        ..Filter::default()
    };
    outbox::list(&app.db, Scope::User { id: UserId(user_id) }, &filter, 10)
        .await
        .expect("outbox")
        .into_iter()
        .map(|email| {
            email
                .body_text
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
                .expect("a token line in the email")
                .to_owned()
        })
        .collect()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no hidden {name} field in {html}"))
        .to_owned()
}

/// Loads a form page and returns its HTML.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let answer = client.get(format!("{}{path}", app.address)).send().await.expect("send");
    assert_eq!(answer.status(), StatusCode::OK, "GET {path}");
    answer.text().await.expect("html")
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let answer = client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    (answer.status(), answer.text().await.expect("html"))
}

/// Asks for a reset email through the forgot-password form.
async fn forgot(app: &TestApp, client: &reqwest::Client, email: &str) -> (StatusCode, String) {
    let csrf = hidden(&page(app, client, "/auth/forgot-password").await, "csrf");
    post(
        app,
        client,
        "/auth/forgot-password",
        &[("email", email), ("csrf", &csrf)],
    )
    .await
}

/// Signs in with a fresh client: 303 on success, 401 on a wrong password.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    let client = client();
    let csrf = hidden(&page(app, &client, "/auth/login").await, "csrf");
    post(
        app,
        &client,
        "/auth/login",
        &[("email", email), ("password", password), ("csrf", &csrf)],
    )
    .await
    .0
}

async fn password_hash(app: &TestApp, user_id: i64) -> Option<String> {
    users::find(&app.db, UserId(user_id))
        .await
        .expect("db")
        .expect("user")
        .password_hash
}

#[tokio::test]
async fn forgot_password_queues_one_email_for_a_known_address_and_answers_the_same_for_unknown() {
    let app = TestApp::spawn().await;
    let user = account(&app, "forgetful@example.test", "old password 1").await;
    let client = client();

    let login = page(&app, &client, "/auth/login").await;
    assert!(login.contains("href=\"/auth/forgot-password\""), "{login}");
    assert!(login.contains("Forgot your password?"), "{login}");

    let (status, known) = forgot(&app, &client, "Forgetful@Example.test").await;
    assert_eq!(status, StatusCode::OK);
    assert!(known.contains("If an account exists"), "{known}");
    assert_eq!(reset_tokens(&app, user).await.len(), 1);
    assert_eq!(
        outbox::count_by_status(&app.db, convene_core::EmailStatus::Queued)
            .await
            .expect("count"),
        1
    );

    let (status, unknown) = forgot(&app, &client, "nobody@example.test").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(known, unknown, "known and unknown addresses get the same page");
    assert_eq!(reset_tokens(&app, user).await.len(), 1);
    assert_eq!(
        outbox::count_by_status(&app.db, convene_core::EmailStatus::Queued)
            .await
            .expect("count"),
        1
    );

    // Not an address: the form again, nothing queued.
    let (status, html) = forgot(&app, &client, "not-an-address").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Please enter a valid email address."), "{html}");
    assert!(html.contains("id=\"forgot-form\""), "{html}");
    assert_eq!(
        outbox::count_by_status(&app.db, convene_core::EmailStatus::Queued)
            .await
            .expect("count"),
        1
    );
}

#[tokio::test]
async fn forgot_password_needs_the_csrf_token_and_shares_the_api_rate_limit() {
    // The real default limits (the usual test server's are roomy).
    let app = TestApp::spawn_with(convene_server::ServerSettings {
        secure_cookies: false,
        ..convene_server::ServerSettings::default()
    })
    .await;
    let user = account(&app, "limited@example.test", "old password 1").await;
    let client = client();
    page(&app, &client, "/auth/forgot-password").await;
    let (status, _) = post(
        &app,
        &client,
        "/auth/forgot-password",
        &[("email", "limited@example.test"), ("csrf", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &app,
        &reqwest::Client::new(),
        "/auth/forgot-password",
        &[("email", "limited@example.test"), ("csrf", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(reset_tokens(&app, user).await.is_empty());

    // The API and the page draw on one allowance per address.
    for _ in 0..10 {
        let answer = app
            .request(
                Method::POST,
                "/v2/auth/password-reset",
                None,
                Some(json!({ "email": "unknown@example.test" })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let (status, html) = forgot(&app, &client, "Unknown@example.test").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many requests"), "{html}");
}

#[tokio::test]
async fn the_emailed_link_sets_a_new_password() {
    let app = TestApp::spawn().await;
    let user = account(&app, "reset@example.test", "old password 1").await;
    let client = client();
    forgot(&app, &client, "reset@example.test").await;
    let tokens = reset_tokens(&app, user).await;
    let [token] = tokens.as_slice() else {
        panic!("one reset email, got {tokens:?}");
    };

    let form = page(&app, &client, &format!("/auth/reset-password?token={token}")).await;
    assert_eq!(&hidden(&form, "token"), token);
    let csrf = hidden(&form, "csrf");
    let (status, done) = post(
        &app,
        &client,
        "/auth/reset-password",
        &[
            ("token", token),
            ("password", "brand new password"),
            ("confirm", "brand new password"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("Your password was changed."), "{done}");
    assert!(
        done.contains("href=\"/auth/login?lang=en\""),
        "the language goes along: {done}"
    );
    assert!(!done.contains("brand new password"), "the password is never echoed");

    assert_eq!(
        sign_in(&app, "reset@example.test", "brand new password").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, "reset@example.test", "old password 1").await,
        StatusCode::UNAUTHORIZED
    );

    // The link works once.
    let (status, again) = post(
        &app,
        &client,
        "/auth/reset-password",
        &[
            ("token", token),
            ("password", "a third password"),
            ("confirm", "a third password"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(again.contains("invalid or has expired"), "{again}");
    assert_eq!(
        sign_in(&app, "reset@example.test", "brand new password").await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn bad_reset_forms_change_nothing_and_say_why() {
    let app = TestApp::spawn().await;
    let user = account(&app, "careful@example.test", "old password 1").await;
    let client = client();
    forgot(&app, &client, "careful@example.test").await;
    let token = reset_tokens(&app, user).await.pop().expect("a reset email");
    let before = password_hash(&app, user).await;

    let missing = client
        .get(format!("{}/auth/reset-password", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert!(missing.text().await.expect("html").contains("incomplete"));

    let form = page(&app, &client, &format!("/auth/reset-password?token={token}")).await;
    let csrf = hidden(&form, "csrf");
    let submit = |token: String, password: &'static str, confirm: &'static str, csrf: String| {
        let (app, client) = (&app, &client);
        async move {
            post(
                app,
                client,
                "/auth/reset-password",
                &[
                    ("token", token.as_str()),
                    ("password", password),
                    ("confirm", confirm),
                    ("csrf", csrf.as_str()),
                ],
            )
            .await
        }
    };

    let (status, html) = submit(token.clone(), "first new password", "second new password", csrf.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("The two passwords do not match."), "{html}");
    assert_eq!(hidden(&html, "token"), token, "the form keeps the link's token");
    assert!(!html.contains("first new password") && !html.contains("second new password"));

    let (status, html) = submit(token.clone(), "short", "short", csrf.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("The new password must be at least 8 characters."),
        "{html}"
    );
    assert!(!html.contains("value=\"short\""));

    let (status, html) = submit(
        "f".repeat(64),
        "a good new password",
        "a good new password",
        csrf.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("This reset link is invalid or has expired."), "{html}");
    assert!(html.contains("href=\"/auth/forgot-password\""), "{html}");

    let (status, _) = submit(
        token.clone(),
        "a good new password",
        "a good new password",
        "forged".into(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &app,
        &reqwest::Client::new(),
        "/auth/reset-password",
        &[
            ("token", token.as_str()),
            ("password", "a good new password"),
            ("confirm", "a good new password"),
            ("csrf", csrf.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF cookie");
    let cross_site = client
        .post(format!("{}/auth/reset-password", app.address))
        .header("origin", "https://evil.example")
        .form(&[
            ("token", token.as_str()),
            ("password", "a good new password"),
            ("confirm", "a good new password"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let (status, _) = post(&app, &client, "/auth/reset-password", &[("token", token.as_str())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an incomplete form");

    // Nothing changed: the old password still works and the token is still good.
    assert_eq!(password_hash(&app, user).await, before);
    assert_eq!(
        sign_in(&app, "careful@example.test", "old password 1").await,
        StatusCode::SEE_OTHER
    );
    let (status, html) = submit(token, "a good new password", "a good new password", csrf).await;
    assert_eq!(status, StatusCode::OK, "{html}");
}
