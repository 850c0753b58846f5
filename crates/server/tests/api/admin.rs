use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn instance_admin_creates_an_organization_owned_by_the_named_user() {
    let app = TestApp::spawn().await;
    let future_owner = app.user("founder@example.test").await;
    let org = app
        .post(
            "/v2/admin/organizations",
            &app.admin_key,
            json!({ "name": "Initech", "ownerId": future_owner.id }),
        )
        .await;
    let org = org.expect_success(StatusCode::CREATED).clone();
    assert_eq!(org["slug"], "initech");
    assert_eq!(org["isOrganization"], true);
    let id = org["id"].as_i64().expect("id");
    let ships = app
        .get(&format!("/v2/organizations/{id}/memberships"), &future_owner.key)
        .await;
    let ships = ships.expect_success(StatusCode::OK);
    assert_eq!(ships[0]["userId"], future_owner.id);
    assert_eq!(ships[0]["role"], "OWNER");
    let listed = app.get("/v2/admin/organizations", &app.admin_key).await;
    assert!(listed.data().as_array().expect("list").iter().any(|o| o["id"] == id));
}

#[tokio::test]
async fn without_owner_id_the_caller_owns_the_organization() {
    let app = TestApp::spawn().await;
    let org = app
        .post(
            "/v2/admin/organizations",
            &app.admin_key,
            json!({ "name": "Self Owned", "slug": "self" }),
        )
        .await;
    let id = org.expect_success(StatusCode::CREATED)["id"].clone();
    let me = app.get("/v2/me", &app.admin_key).await;
    assert_eq!(me.data()["organizationId"], id);
}

#[tokio::test]
async fn organization_creation_errors() {
    let app = TestApp::spawn().await;
    app.post("/v2/admin/organizations", &app.admin_key, json!({}))
        .await
        .expect_field_error("name");
    app.post(
        "/v2/admin/organizations",
        &app.admin_key,
        json!({ "name": "X", "ownerId": 424242 }),
    )
    .await
    .expect_field_error("ownerId");
    let owner = app.user("o@example.test").await;
    app.post(
        "/v2/admin/organizations",
        &app.admin_key,
        json!({ "name": "Dup", "ownerId": owner.id }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let other = app.user("p@example.test").await;
    app.post(
        "/v2/admin/organizations",
        &app.admin_key,
        json!({ "name": "Dup", "ownerId": other.id }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    // An owner already in an organization can't own a second one.
    app.post(
        "/v2/admin/organizations",
        &app.admin_key,
        json!({ "name": "Second", "ownerId": owner.id }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn feature_flags_are_set_read_and_cleared() {
    let app = TestApp::spawn().await;
    let (org, _) = app.organization("flags").await;
    let path = format!("/v2/admin/organizations/{org}/features/custom-smtp");
    assert_eq!(
        app.get(&path, &app.admin_key).await.expect_success(StatusCode::OK)["enabled"],
        false
    );
    let set = app.put(&path, &app.admin_key, json!({ "enabled": true })).await;
    assert_eq!(set.expect_success(StatusCode::OK)["enabled"], true);
    assert_eq!(app.get(&path, &app.admin_key).await.data()["enabled"], true);
    let list = app
        .get(&format!("/v2/admin/organizations/{org}/features"), &app.admin_key)
        .await;
    assert_eq!(list.expect_success(StatusCode::OK)[0]["flag"], "custom-smtp");
    assert_eq!(list.data()[0]["enabled"], true);
    app.delete(&path, &app.admin_key).await.expect_success(StatusCode::OK);
    assert_eq!(app.get(&path, &app.admin_key).await.data()["enabled"], false);
}

#[tokio::test]
async fn unknown_flags_and_organizations_are_404() {
    let app = TestApp::spawn().await;
    let (org, _) = app.organization("unknown").await;
    let message = app
        .get(
            &format!("/v2/admin/organizations/{org}/features/warp-drive"),
            &app.admin_key,
        )
        .await
        .expect_error(StatusCode::NOT_FOUND);
    assert!(message.contains("custom-smtp"), "lists the known flags: {message}");
    app.get("/v2/admin/organizations/424242/features/custom-smtp", &app.admin_key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.put(
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        &app.admin_key,
        json!({ "enabled": "on" }),
    )
    .await
    .expect_field_error("enabled");
}
