use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn get_me_has_the_cal_com_shape() {
    let app = TestApp::spawn().await;
    let person = app.user("shape@example.test").await;
    let data = app
        .get("/v2/me", &person.key)
        .await
        .expect_success(StatusCode::OK)
        .clone();
    for field in [
        "id",
        "username",
        "email",
        "name",
        "avatarUrl",
        "bio",
        "timeFormat",
        "defaultScheduleId",
        "weekStart",
        "timeZone",
        "organizationId",
    ] {
        assert!(data.get(field).is_some(), "missing {field} in {data}");
    }
    assert_eq!(data["organizationId"], serde_json::Value::Null);
}

#[tokio::test]
async fn patch_me_updates_only_the_given_fields() {
    let app = TestApp::spawn().await;
    let person = app.user("patch@example.test").await;
    let body = json!({ "name": "Ada Lovelace", "timeZone": "Asia/Kolkata", "weekStart": "Sunday", "timeFormat": 12, "locale": "pt-BR", "bio": "Analyst" });
    let data = app
        .patch("/v2/me", &person.key, body)
        .await
        .expect_success(StatusCode::OK)
        .clone();
    assert_eq!(data["name"], "Ada Lovelace");
    assert_eq!(data["timeZone"], "Asia/Kolkata");
    assert_eq!(data["weekStart"], "Sunday");
    assert_eq!(data["timeFormat"], 12);
    assert_eq!(data["locale"], "pt-BR");
    assert_eq!(data["email"], "patch@example.test");

    let cleared = app
        .patch("/v2/me", &person.key, json!({ "bio": null }))
        .await
        .expect_success(StatusCode::OK)
        .clone();
    assert_eq!(cleared["bio"], serde_json::Value::Null);
    assert_eq!(cleared["name"], "Ada Lovelace", "absent fields stay as they were");
}

#[tokio::test]
async fn patch_me_to_a_taken_email_is_409() {
    let app = TestApp::spawn().await;
    let a = app.user("a@example.test").await;
    app.user("b@example.test").await;
    app.patch("/v2/me", &a.key, json!({ "email": "B@Example.test" }))
        .await
        .expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn me_shows_the_organization() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("shown").await;
    let data = app
        .get("/v2/me", &owner.key)
        .await
        .expect_success(StatusCode::OK)
        .clone();
    assert_eq!(data["organizationId"], org);
    assert_eq!(data["organization"]["id"], org);
    assert_eq!(data["organization"]["isPlatform"], false);
}
