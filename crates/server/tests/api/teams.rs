use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_team_derives_the_slug_and_makes_the_creator_owner() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("derive").await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Sales Team (EU)", "timeZone": "Europe/Paris", "brandColor": "#112233" }),
        )
        .await;
    let team = team.expect_success(StatusCode::CREATED).clone();
    assert_eq!(team["slug"], "sales-team-eu");
    assert_eq!(team["parentId"], org);
    assert_eq!(team["isOrganization"], false);
    assert_eq!(team["timeZone"], "Europe/Paris");
    assert_eq!(team["brandColor"], "#112233");
    let id = team["id"].as_i64().expect("id");
    let members = app
        .get(&format!("/v2/organizations/{org}/teams/{id}/memberships"), &owner.key)
        .await;
    let members = members.expect_success(StatusCode::OK);
    assert_eq!(members[0]["userId"], owner.id);
    assert_eq!(members[0]["role"], "OWNER");
    assert_eq!(members[0]["accepted"], true);
    let mine = app.get(&format!("/v2/organizations/{org}/teams/me"), &owner.key).await;
    assert_eq!(mine.expect_success(StatusCode::OK)[0]["id"], id);
}

#[tokio::test]
async fn team_input_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("valid").await;
    let path = format!("/v2/organizations/{org}/teams");
    app.post(&path, &owner.key, json!({})).await.expect_field_error("name");
    app.post(&path, &owner.key, json!({ "name": "" }))
        .await
        .expect_field_error("name");
    app.post(&path, &owner.key, json!({ "name": "X", "slug": "Not A Slug" }))
        .await
        .expect_field_error("slug");
    app.post(&path, &owner.key, json!({ "name": "X", "brandColor": "red" }))
        .await
        .expect_field_error("brandColor");
    app.post(&path, &owner.key, json!({ "name": "X", "timeZone": "Moon/Base" }))
        .await
        .expect_field_error("timeZone");
    app.post(&path, &owner.key, json!({ "name": "X", "hideBranding": "yes" }))
        .await
        .expect_field_error("hideBranding");
    let many: serde_json::Map<String, serde_json::Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    app.post(&path, &owner.key, json!({ "name": "X", "metadata": many }))
        .await
        .expect_field_error("metadata");
    app.post(&path, &owner.key, json!({ "name": "!!!" }))
        .await
        .expect_field_error("slug");
}

#[tokio::test]
async fn duplicate_slug_in_one_org_is_409_but_fine_across_orgs() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("one").await;
    let (org2, owner2) = app.organization("two").await;
    app.post(
        &format!("/v2/organizations/{org}/teams"),
        &owner.key,
        json!({ "name": "Support" }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    app.post(
        &format!("/v2/organizations/{org}/teams"),
        &owner.key,
        json!({ "name": "Support" }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    app.post(
        &format!("/v2/organizations/{org2}/teams"),
        &owner2.key,
        json!({ "name": "Support" }),
    )
    .await
    .expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn update_and_delete_a_team() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("crud").await;
    let id = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Ops" }),
        )
        .await
        .data()["id"]
        .clone();
    let path = format!("/v2/organizations/{org}/teams/{id}");
    let updated = app
        .patch(&path, &owner.key, json!({ "name": "Operations", "isPrivate": true }))
        .await;
    let updated = updated.expect_success(StatusCode::OK);
    assert_eq!(updated["name"], "Operations");
    assert_eq!(updated["slug"], "ops", "slug stays unless given");
    assert_eq!(updated["isPrivate"], true);
    app.delete(&path, &owner.key).await.expect_success(StatusCode::OK);
    app.get(&path, &owner.key).await.expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_team_of_another_org_is_not_found_through_this_org() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("mine").await;
    let (org2, owner2) = app.organization("theirs").await;
    let theirs = app
        .post(
            &format!("/v2/organizations/{org2}/teams"),
            &owner2.key,
            json!({ "name": "Secret" }),
        )
        .await
        .data()["id"]
        .clone();
    app.get(&format!("/v2/organizations/{org}/teams/{theirs}"), &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.patch(
        &format!("/v2/organizations/{org}/teams/{theirs}"),
        &owner.key,
        json!({ "name": "Mine now" }),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    app.delete(&format!("/v2/organizations/{org}/teams/{theirs}"), &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}
