use crate::helpers::TestApp;
use convene_core::UserId;
use convene_server::credentials::generate_api_key;
use convene_store::{api_keys, now_ms};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn status_with_header(app: &TestApp, value: Option<&str>) -> crate::helpers::Answer {
    let mut req = app.client.get(format!("{}/v2/me", app.address));
    if let Some(v) = value {
        req = req.header("authorization", v);
    }
    TestApp::answer(req.send().await.expect("send")).await
}

#[tokio::test]
async fn missing_authorization_is_401_in_the_error_envelope() {
    let app = TestApp::spawn().await;
    let answer = app.request(Method::GET, "/v2/me", None, None).await;
    let message = answer.expect_error(StatusCode::UNAUTHORIZED);
    assert!(message.contains("Authorization"), "{message}");
    assert_eq!(answer.body["error"]["code"], "UnauthorizedException");
    assert_eq!(answer.body["path"], "/v2/me");
}

#[tokio::test]
async fn malformed_authorization_headers_are_401() {
    let app = TestApp::spawn().await;
    for bad in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer cal_",
        "Bearer not_a_cal_key",
        "cal_abc",
    ] {
        status_with_header(&app, Some(bad))
            .await
            .expect_error(StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn the_bare_key_without_bearer_is_accepted_as_cal_com_accepts_it() {
    let app = TestApp::spawn().await;
    let person = app.user("bare.key@example.test").await;
    for value in [person.key.clone(), format!("  {}  ", person.key)] {
        let answer = status_with_header(&app, Some(&value)).await;
        assert_eq!(answer.expect_success(StatusCode::OK)["id"], person.id);
    }
    // A bare value that is not a key of ours is still refused.
    status_with_header(&app, Some("cal_not-a-key"))
        .await
        .expect_error(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_key_is_401() {
    let app = TestApp::spawn().await;
    let answer = app.get("/v2/me", &generate_api_key().secret).await;
    assert_eq!(answer.expect_error(StatusCode::UNAUTHORIZED), "Invalid API key");
}

#[tokio::test]
async fn expired_key_is_401() {
    let app = TestApp::spawn().await;
    let person = app.user("late@example.test").await;
    let key = generate_api_key();
    api_keys::insert(
        &app.db,
        UserId(person.id),
        &key.hash,
        &key.hint,
        None,
        Some(crate::helpers::instant(now_ms() - 1_000)),
    )
    .await
    .expect("insert");
    let message = app
        .get("/v2/me", &key.secret)
        .await
        .expect_error(StatusCode::UNAUTHORIZED);
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn refresh_issues_a_new_key_and_revokes_the_old_one() {
    let app = TestApp::spawn().await;
    let person = app.user("rotate@example.test").await;
    let refreshed = app
        .post("/v2/api-keys/refresh", &person.key, json!({ "apiKeyDaysValid": 7 }))
        .await;
    let new_key = refreshed.expect_success(StatusCode::OK)["apiKey"]
        .as_str()
        .expect("apiKey")
        .to_owned();
    assert!(new_key.starts_with("cal_"));
    assert_ne!(new_key, person.key);

    let message = app
        .get("/v2/me", &person.key)
        .await
        .expect_error(StatusCode::UNAUTHORIZED);
    assert!(message.contains("revoked"), "{message}");
    assert_eq!(
        app.get("/v2/me", &new_key).await.expect_success(StatusCode::OK)["id"],
        person.id
    );
}

#[tokio::test]
async fn refresh_validates_the_days_and_accepts_an_empty_body() {
    let app = TestApp::spawn().await;
    let person = app.user("days@example.test").await;
    app.post("/v2/api-keys/refresh", &person.key, json!({ "apiKeyDaysValid": 0 }))
        .await
        .expect_field_error("apiKeyDaysValid");
    app.post("/v2/api-keys/refresh", &person.key, json!({ "apiKeyDaysValid": "ten" }))
        .await
        .expect_field_error("apiKeyDaysValid");
    let response = app
        .client
        .post(format!("{}/v2/api-keys/refresh", app.address))
        .bearer_auth(&person.key)
        .send()
        .await
        .expect("send");
    TestApp::answer(response).await.expect_success(StatusCode::OK);
}

#[tokio::test]
async fn a_key_never_appears_in_storage() {
    let app = TestApp::spawn().await;
    let person = app.user("hash@example.test").await;
    let stored = api_keys::find_by_hash(&app.db, &person.key).await.expect("query");
    assert!(stored.is_none(), "the raw key must not be a lookup value");
    let by_hash = api_keys::find_by_hash(&app.db, &convene_server::credentials::hash_api_key(&person.key))
        .await
        .expect("query");
    assert!(by_hash.is_some());
}
