//! The sign-in flow over plain HTTP: cookies, CSRF, wrong passwords, sign-out.

use crate::helpers::TestApp;
use convene_core::EmailAddress;
use convene_server::tenancy;
use reqwest::StatusCode;

async fn account(app: &TestApp, email: &str, password: &str) {
    let email = EmailAddress::parse("email", email).expect("email");
    tenancy::create_account(&app.db, &email, "Web User", Some(password.into()), false)
        .await
        .expect("account");
}

/// Loads the sign-in page; returns the CSRF cookie set by this response (if new) and the form's token.
async fn login_form(app: &TestApp, client: &reqwest::Client) -> (Option<String>, String) {
    let page = client
        .get(format!("{}/auth/login", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("convene_csrf="))
        .map(str::to_owned);
    let html = page.text().await.expect("html");
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("token in form")
        .to_owned();
    (cookie, token)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn sign_in_sets_a_hardened_session_cookie_and_lands_on_home() {
    let app = TestApp::spawn_with(convene_server::ServerSettings::default()).await;
    account(&app, "web@example.test", "correct horse battery").await;
    let client = client();
    let (csrf_cookie, token) = login_form(&app, &client).await;
    let csrf_cookie = csrf_cookie.expect("a first visit sets the CSRF cookie");
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"),
        "{csrf_cookie}"
    );

    let form = [
        ("email", "Web@Example.test"),
        ("password", "correct horse battery"),
        ("csrf", token.as_str()),
    ];
    let signed_in = client
        .post(format!("{}/auth/login", app.address))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/");
    let session_cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("convene_session="))
        .expect("session cookie")
        .to_owned();
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session_cookie.contains(flag), "missing {flag}: {session_cookie}");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_account_get_the_same_answer() {
    let app = TestApp::spawn().await;
    account(&app, "known@example.test", "right password").await;
    let client = client();
    for (email, password) in [
        ("known@example.test", "wrong password"),
        ("unknown@example.test", "whatever"),
    ] {
        let (_, token) = login_form(&app, &client).await;
        let form = [("email", email), ("password", password), ("csrf", token.as_str())];
        let answer = client
            .post(format!("{}/auth/login", app.address))
            .form(&form)
            .send()
            .await
            .expect("send");
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        let html = answer.text().await.expect("html");
        assert!(html.contains("Incorrect email or password."), "{html}");
    }
}

#[tokio::test]
async fn sign_in_without_a_matching_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    account(&app, "csrf@example.test", "right password").await;
    let client = client();
    login_form(&app, &client).await;
    let form = [
        ("email", "csrf@example.test"),
        ("password", "right password"),
        ("csrf", "forged"),
    ];
    let answer = client
        .post(format!("{}/auth/login", app.address))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_no_session(&app, &answer).await;
    // A fresh client has no CSRF cookie at all.
    let bare = reqwest::Client::new();
    let answer = bare
        .post(format!("{}/auth/login", app.address))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_no_session(&app, &answer).await;
}

/// The refused sign-in set no session cookie and stored no session.
async fn assert_no_session(app: &TestApp, answer: &reqwest::Response) {
    let cookies: Vec<&str> = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        !cookies.iter().any(|c| c.starts_with("convene_session=")),
        "{cookies:?}"
    );
    assert_eq!(
        app.count_rows("web_sessions").await,
        0,
        "a refused sign-in stored a session"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_token() {
    let app = TestApp::spawn().await;
    account(&app, "origin@example.test", "right password").await;
    let client = client();
    let (_, token) = login_form(&app, &client).await;
    let form = [
        ("email", "origin@example.test"),
        ("password", "right password"),
        ("csrf", token.as_str()),
    ];
    let answer = client
        .post(format!("{}/auth/login", app.address))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_no_session(&app, &answer).await;
    // The same form from this site signs in: it was the origin that was refused, and a session would show.
    let answer = client
        .post(format!("{}/auth/login", app.address))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_rows("web_sessions").await, 1);
}

#[tokio::test]
async fn sign_out_needs_the_session_token_and_ends_the_session() {
    let app = TestApp::spawn().await;
    account(&app, "bye@example.test", "right password").await;
    let client = client();
    let (_, token) = login_form(&app, &client).await;
    let form = [
        ("email", "bye@example.test"),
        ("password", "right password"),
        ("csrf", token.as_str()),
    ];
    client
        .post(format!("{}/auth/login", app.address))
        .form(&form)
        .send()
        .await
        .expect("send");
    let home = client.get(format!("{}/", app.address)).send().await.expect("send");
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.expect("html");
    let session_token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("token")
        .to_owned();

    let forged = client
        .post(format!("{}/auth/logout", app.address))
        .form(&[("csrf", "nope")])
        .send()
        .await
        .expect("send");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let out = client
        .post(format!("{}/auth/logout", app.address))
        .form(&[("csrf", session_token.as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = client.get(format!("{}/", app.address)).send().await.expect("send");
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()["location"], "/auth/login");
}

#[tokio::test]
async fn pages_are_not_frameable() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(format!("{}/auth/login", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .is_ok_and(|v| v.contains("frame-ancestors 'none'"))
    );
}
