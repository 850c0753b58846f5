//! Settings pages over plain HTTP: API keys (made with a lifetime and shown once, listed, revoked — and then refused
//! by the API; nobody else's), and the email address (a change waits for the new address's confirmation). Every
//! form refuses a missing CSRF token.

use crate::helpers::TestApp;
use crate::web_app_bookings::{csrf_of, post};
use crate::web_app_bookings::{get, signed_in};
use crate::web_booking::emailed_text;
use convene_store::users;
use reqwest::{Method, StatusCode};

const KAI: &str = "kai@settings.test";

/// The key shown on a page (the read-only field of a just-made key).
fn shown_key(html: &str) -> String {
    html.split(r#"id="new-key" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the new key, shown")
        .to_owned()
}

async fn me_status(app: &TestApp, key: &str) -> StatusCode {
    app.request(Method::GET, "/v2/me", Some(key), None).await.status
}

#[tokio::test]
async fn a_key_made_on_the_page_is_shown_once_works_and_is_refused_once_revoked() {
    let app = TestApp::spawn().await;
    app.account(KAI).await;
    let kai = signed_in(&app, KAI).await;
    let (status, page) = get(&app, &kai, "/settings/api-keys").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);

    let (status, made) = post(
        &app,
        &kai,
        "/settings/api-keys",
        &[("csrf", &csrf), ("note", "CI"), ("days", "7")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let key = shown_key(&made);
    assert_eq!(me_status(&app, &key).await, StatusCode::OK);
    let (_, listed) = get(&app, &kai, "/settings/api-keys").await;
    assert!(!listed.contains(&key), "the secret is shown only once");
    assert!(listed.contains("CI") && listed.contains(&key[key.len() - 4..]));

    let id = listed
        .split("action=\"/settings/api-keys/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a revoke form")
        .to_owned();
    // Revoke forms list newest first: the one just made.
    let (status, to) = post(
        &app,
        &kai,
        &format!("/settings/api-keys/{id}/revoke"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/api-keys?notice=revoked")
    );
    assert_eq!(me_status(&app, &key).await, StatusCode::UNAUTHORIZED);
    let (status, _) = post(
        &app,
        &kai,
        &format!("/settings/api-keys/{id}/revoke"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already revoked");
}

#[tokio::test]
async fn nobody_revokes_anothers_key_and_bad_lifetimes_and_missing_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let other = app.account("other@settings.test").await;
    app.account(KAI).await;
    let kai = signed_in(&app, KAI).await;
    let csrf = csrf_of(&get(&app, &kai, "/settings/api-keys").await.1);
    let before = app.count_rows("api_keys").await;

    let other_key_id: i64 = {
        let keys = convene_store::api_keys::list_for_user(&app.db, convene_core::UserId(other.id))
            .await
            .expect("keys");
        (keys[0].id).0
    };
    let (status, _) = post(
        &app,
        &kai,
        &format!("/settings/api-keys/{other_key_id}/revoke"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(me_status(&app, &other.key).await, StatusCode::OK);

    for days in ["0", "36501", "soon"] {
        let (status, page) = post(&app, &kai, "/settings/api-keys", &[("csrf", &csrf), ("days", days)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{days}");
        assert!(
            page.contains(r#"id="days-error""#),
            "the refusal beside the days: {page}"
        );
    }
    let (status, _) = post(&app, &kai, "/settings/api-keys", &[("days", "7")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&app, &kai, "/settings/email", &[("email", "new@settings.test")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.count_rows("api_keys").await, before);

    let (status, made) = post(&app, &kai, "/settings/api-keys", &[("csrf", &csrf), ("never", "1")]).await;
    assert_eq!(status, StatusCode::OK);
    let key = shown_key(&made);
    let record = convene_store::api_keys::find_by_hash(&app.db, &convene_server::credentials::hash_api_key(&key))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(record.expires_at, None);
}

#[tokio::test]
async fn a_new_email_address_waits_for_its_confirmation() {
    let app = TestApp::spawn().await;
    app.account(KAI).await;
    let kai = signed_in(&app, KAI).await;
    let csrf = csrf_of(&get(&app, &kai, "/settings/email").await.1);

    let (status, page) = post(
        &app,
        &kai,
        "/settings/email",
        &[("csrf", &csrf), ("email", "not an address")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"id="error""#));
    app.account("taken@settings.test").await;
    let (status, _) = post(
        &app,
        &kai,
        "/settings/email",
        &[("csrf", &csrf), ("email", "taken@settings.test")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, to) = post(
        &app,
        &kai,
        "/settings/email",
        &[("csrf", &csrf), ("email", "Kai.New@settings.test")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/email?notice=pending")
    );
    let user = users::find_by_email(&app.db, KAI)
        .await
        .expect("read")
        .expect("still the old address");
    assert_eq!(user.email, KAI);
    let (_, page) = get(&app, &kai, "/settings/email").await;
    assert!(page.contains(r#"id="pending-email">kai.new@settings.test<"#), "{page}");
    assert!(
        emailed_text(&app, "email_change_confirmation")
            .await
            .contains("/auth/confirm-email?token=")
    );
}
