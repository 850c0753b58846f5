//! The pages before sign-in (sign-in, forgot/reset password, confirm email, the message page) in the visitor's
//! language: `?lang=` or `Accept-Language`, carried through the forms, with refusals in that language too.

use crate::helpers::TestApp;
use crate::web_reset::{account, client, hidden};
use reqwest::header::ACCEPT_LANGUAGE;
use reqwest::{Client, StatusCode};

async fn get(app: &TestApp, client: &Client, path: &str, accept: &str) -> (StatusCode, String) {
    let answer = client
        .get(format!("{}{path}", app.address))
        .header(ACCEPT_LANGUAGE, accept)
        .send()
        .await
        .expect("send");
    (answer.status(), answer.text().await.expect("html"))
}

/// Posts a form without `Accept-Language`: the language must come from the form's own `lang` field.
async fn post(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let answer = client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    (answer.status(), answer.text().await.expect("html"))
}

#[tokio::test]
async fn sign_in_speaks_german_from_accept_language_and_refuses_in_german_keeping_the_email() {
    let app = TestApp::spawn().await;
    account(&app, "deutsch@example.test", "richtiges Passwort 1").await;
    let client = client();

    let (status, html) = get(&app, &client, "/auth/login", "de-DE,de;q=0.9,en;q=0.5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("Bei convene anmelden"), "{html}");
    assert!(html.contains("Passwort vergessen?"), "{html}");
    assert!(!html.contains("Forgot your password?"), "{html}");

    let csrf = hidden(&html, "csrf");
    let lang = hidden(&html, "lang");
    let (status, html) = post(
        &app,
        &client,
        "/auth/login",
        &[
            ("email", "deutsch@example.test"),
            ("password", "falsch"),
            ("csrf", &csrf),
            ("lang", &lang),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("E-Mail-Adresse oder Passwort ist falsch."), "{html}");
    assert!(html.contains("value=\"deutsch@example.test\""), "{html}");

    // English stays the default.
    let answer = Client::new()
        .get(format!("{}/auth/login", app.address))
        .send()
        .await
        .expect("send");
    let html = answer.text().await.expect("html");
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(html.contains("Sign in to convene"), "{html}");
}

#[tokio::test]
async fn forgot_password_in_french_from_the_query_refuses_a_bad_address_in_french() {
    let app = TestApp::spawn().await;
    let client = client();
    // `?lang=` wins over the browser's preference.
    let (status, html) = get(&app, &client, "/auth/forgot-password?lang=fr", "de").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Mot de passe oublié ?"), "{html}");
    assert!(html.contains("Retour à la connexion"), "{html}");

    let csrf = hidden(&html, "csrf");
    let (status, html) = post(
        &app,
        &client,
        "/auth/forgot-password",
        &[("email", "pas-une-adresse"), ("csrf", &csrf), ("lang", "fr")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Veuillez saisir une adresse e-mail valide."), "{html}");
    assert!(html.contains("value=\"pas-une-adresse\""), "{html}");

    let csrf = hidden(&html, "csrf");
    let (status, html) = post(
        &app,
        &client,
        "/auth/forgot-password",
        &[("email", "personne@example.test"), ("csrf", &csrf), ("lang", "fr")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Consultez vos e-mails"), "{html}");
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
}

#[tokio::test]
async fn reset_and_confirm_pages_and_their_messages_follow_the_language() {
    let app = TestApp::spawn().await;
    let client = client();

    let (status, html) = get(&app, &client, "/auth/reset-password", "es").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    assert!(html.contains("Enlace incompleto"), "{html}");
    assert!(html.contains("Volver a iniciar sesión"), "{html}");

    let (status, html) = get(&app, &client, "/auth/reset-password?token=abc", "es").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Elige una contraseña nueva"), "{html}");
    let csrf = hidden(&html, "csrf");
    let (status, html) = post(
        &app,
        &client,
        "/auth/reset-password",
        &[
            ("token", "abc"),
            ("password", "una contraseña 1"),
            ("confirm", "otra contraseña 2"),
            ("csrf", &csrf),
            ("lang", "es"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    assert!(html.contains("Las dos contraseñas no coinciden."), "{html}");
    assert!(html.contains("name=\"token\" value=\"abc\""), "{html}");

    let csrf = hidden(&html, "csrf");
    let (status, html) = post(
        &app,
        &client,
        "/auth/reset-password",
        &[
            ("token", "abc"),
            ("password", "una contraseña 1"),
            ("confirm", "una contraseña 1"),
            ("csrf", &csrf),
            ("lang", "es"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Este enlace no es válido o ha caducado."), "{html}");

    let (status, html) = get(&app, &client, "/auth/confirm-email?token=xyz&lang=de", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("Diese Adresse verwenden"), "{html}");
    let csrf = hidden(&html, "csrf");
    let (status, html) = post(
        &app,
        &client,
        "/auth/confirm-email",
        &[("token", "xyz"), ("csrf", &csrf), ("lang", "de")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Dieser Link ist ungültig oder abgelaufen."), "{html}");
}

#[tokio::test]
async fn the_message_pages_sign_in_link_carries_the_language_to_the_sign_in_page() {
    let app = TestApp::spawn().await;
    let client = client();
    // The message page in French (from `?lang=`, over the browser's German).
    let (status, html) = get(&app, &client, "/auth/reset-password?lang=fr", "de").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    let href = html
        .split("id=\"sign-in-link\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no sign-in link in {html}"));
    assert_eq!(href, "/auth/login?lang=fr");

    // Followed by the same German browser, the sign-in page stays French.
    let (status, html) = get(&app, &client, href, "de").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("name=\"lang\" value=\"fr\""), "{html}");
    assert!(!html.contains("Bei convene anmelden"), "{html}");
}
