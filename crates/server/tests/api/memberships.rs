use crate::helpers::TestApp;
use convene_core::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn membership_has_the_cal_com_shape() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("shape").await;
    let joiner = app.user("joiner@example.test").await;
    let created = app
        .post(
            &format!("/v2/organizations/{org}/memberships"),
            &owner.key,
            json!({ "userId": joiner.id, "role": "ADMIN" }),
        )
        .await;
    let m = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(m["userId"], joiner.id);
    assert_eq!(m["teamId"], org);
    assert_eq!(m["role"], "ADMIN");
    assert_eq!(m["accepted"], false, "accepted defaults to false");
    assert_eq!(m["disableImpersonation"], false);
    assert_eq!(m["user"]["email"], "joiner@example.test");
    assert!(m["attributes"].is_array());
    let me = app.get("/v2/me", &joiner.key).await;
    assert_eq!(me.data()["organizationId"], org);
}

#[tokio::test]
async fn unaccepted_members_have_no_access_until_accepted() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("pending").await;
    let joiner = app.user("pending@example.test").await;
    let id = app
        .post(
            &format!("/v2/organizations/{org}/memberships"),
            &owner.key,
            json!({ "userId": joiner.id, "role": "MEMBER" }),
        )
        .await
        .data()["id"]
        .clone();
    app.get(&format!("/v2/organizations/{org}/teams"), &joiner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.patch(
        &format!("/v2/organizations/{org}/memberships/{id}"),
        &owner.key,
        json!({ "accepted": true }),
    )
    .await
    .expect_success(StatusCode::OK);
    app.get(&format!("/v2/organizations/{org}/teams"), &joiner.key)
        .await
        .expect_success(StatusCode::OK);
}

#[tokio::test]
async fn only_owners_grant_or_revoke_the_owner_role() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("roles").await;
    let admin = app.member(org, "admin@roles.test", Role::Admin).await;
    let candidate = app.user("candidate@example.test").await;
    let path = format!("/v2/organizations/{org}/memberships");
    // The candidate's role in the organization, as the owner reads it (None: not a member).
    let role_of_candidate = || async {
        let list = app.get(&format!("{path}?take=1000"), &owner.key).await;
        list.expect_success(StatusCode::OK)
            .as_array()
            .expect("a list")
            .iter()
            .find(|m| m["userId"] == candidate.id)
            .map(|m| m["role"].as_str().expect("a role").to_owned())
    };
    app.post(&path, &admin.key, json!({ "userId": candidate.id, "role": "OWNER" }))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    assert_eq!(role_of_candidate().await, None, "the refused invitation added nobody");
    let id = app
        .post(&path, &admin.key, json!({ "userId": candidate.id, "role": "MEMBER" }))
        .await
        .data()["id"]
        .clone();
    app.patch(&format!("{path}/{id}"), &admin.key, json!({ "role": "OWNER" }))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    assert_eq!(role_of_candidate().await.as_deref(), Some("MEMBER"));
    app.patch(&format!("{path}/{id}"), &owner.key, json!({ "role": "OWNER" }))
        .await
        .expect_success(StatusCode::OK);
    app.delete(&format!("{path}/{id}"), &admin.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    assert_eq!(role_of_candidate().await.as_deref(), Some("OWNER"));
    app.delete(&format!("{path}/{id}"), &owner.key)
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(role_of_candidate().await, None);
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_or_removed() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("last").await;
    let list = app
        .get(&format!("/v2/organizations/{org}/memberships"), &owner.key)
        .await;
    let before = list.expect_success(StatusCode::OK).clone();
    let id = before[0]["id"].clone();
    assert_eq!(before[0]["role"], "OWNER");
    let path = format!("/v2/organizations/{org}/memberships/{id}");
    app.patch(&path, &owner.key, json!({ "role": "ADMIN" }))
        .await
        .expect_error(StatusCode::CONFLICT);
    app.delete(&path, &owner.key).await.expect_error(StatusCode::CONFLICT);
    // Still the owner, still a member: read back after both refusals.
    let after = app
        .get(&format!("/v2/organizations/{org}/memberships"), &owner.key)
        .await;
    assert_eq!(after.expect_success(StatusCode::OK), &before);
}

#[tokio::test]
async fn a_user_belongs_to_at_most_one_organization() {
    let app = TestApp::spawn().await;
    let (org, _) = app.organization("first").await;
    let (org2, owner2) = app.organization("second").await;
    let taken = app.member(org, "taken@first.test", Role::Member).await;
    app.post(
        &format!("/v2/organizations/{org2}/memberships"),
        &owner2.key,
        json!({ "userId": taken.id, "role": "MEMBER" }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    let second = app
        .get(&format!("/v2/organizations/{org2}/memberships?take=1000"), &owner2.key)
        .await;
    let members = second
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("a list")
        .clone();
    assert!(
        members.iter().all(|m| m["userId"] != taken.id),
        "the refused membership was stored: {members:?}"
    );
    let me = app.get("/v2/me", &taken.key).await;
    assert_eq!(me.expect_success(StatusCode::OK)["organizationId"], org);
}

#[tokio::test]
async fn membership_input_errors_name_the_field() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("errs").await;
    let path = format!("/v2/organizations/{org}/memberships");
    app.post(&path, &owner.key, json!({ "role": "MEMBER" }))
        .await
        .expect_field_error("userId");
    app.post(&path, &owner.key, json!({ "userId": 1, "role": "KING" }))
        .await
        .expect_field_error("role");
    app.post(&path, &owner.key, json!({ "userId": 999999, "role": "MEMBER" }))
        .await
        .expect_field_error("userId");
    app.post(&path, &owner.key, json!({ "userId": "7", "role": "MEMBER" }))
        .await
        .expect_field_error("userId");
    app.get(&format!("{path}/424242"), &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn leaving_an_organization_also_leaves_its_teams() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("leave").await;
    let leaver = app.member(org, "leaver@leave.test", Role::Member).await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Crew" }),
        )
        .await
        .data()["id"]
        .clone();
    app.post(
        &format!("/v2/organizations/{org}/teams/{team}/memberships"),
        &owner.key,
        json!({ "userId": leaver.id, "role": "MEMBER", "accepted": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let list = app
        .get(&format!("/v2/organizations/{org}/memberships"), &owner.key)
        .await;
    let ship = list
        .data()
        .as_array()
        .and_then(|l| l.iter().find(|m| m["userId"] == leaver.id))
        .map(|m| m["id"].clone())
        .expect("ship");
    app.delete(&format!("/v2/organizations/{org}/memberships/{ship}"), &owner.key)
        .await
        .expect_success(StatusCode::OK);
    let crew = app
        .get(&format!("/v2/organizations/{org}/teams/{team}/memberships"), &owner.key)
        .await;
    assert!(
        crew.data()
            .as_array()
            .expect("list")
            .iter()
            .all(|m| m["userId"] != leaver.id)
    );
    assert_eq!(
        app.get("/v2/me", &leaver.key).await.data()["organizationId"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn team_members_must_belong_to_the_organization() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("teamrule").await;
    let stranger = app.user("stranger@example.test").await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Inner" }),
        )
        .await
        .data()["id"]
        .clone();
    app.post(
        &format!("/v2/organizations/{org}/teams/{team}/memberships"),
        &owner.key,
        json!({ "userId": stranger.id, "role": "MEMBER" }),
    )
    .await
    .expect_field_error("userId");
}
