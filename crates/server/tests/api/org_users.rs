use crate::helpers::TestApp;
use convene_core::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_an_organization_user_with_profile() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("people").await;
    let body = json!({ "email": "New.Hire@People.test", "timeZone": "America/New_York", "weekday": "Monday", "locale": "de", "organizationRole": "ADMIN", "metadata": { "costCenter": "42" } });
    let user = app
        .post(&format!("/v2/organizations/{org}/users"), &owner.key, body)
        .await;
    let user = user.expect_success(StatusCode::CREATED).clone();
    assert_eq!(user["email"], "new.hire@people.test");
    assert_eq!(user["username"], "new.hire");
    assert_eq!(user["timeZone"], "America/New_York");
    assert_eq!(user["weekStart"], "Monday");
    assert_eq!(user["locale"], "de");
    assert_eq!(user["metadata"]["costCenter"], "42");
    assert_eq!(user["profile"]["organizationId"], org);
    assert!(user["createdDate"].as_str().is_some_and(|d| d.ends_with('Z')));
    let ships = app
        .get(&format!("/v2/organizations/{org}/memberships"), &owner.key)
        .await;
    let ship = ships
        .data()
        .as_array()
        .and_then(|l| l.iter().find(|m| m["userId"] == user["id"]).cloned())
        .expect("membership");
    assert_eq!(ship["role"], "ADMIN");
    assert_eq!(ship["accepted"], true);
}

#[tokio::test]
async fn organization_user_input_errors() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("inputs").await;
    let admin = app.member(org, "admin@inputs.test", Role::Admin).await;
    let path = format!("/v2/organizations/{org}/users");
    app.post(&path, &owner.key, json!({})).await.expect_field_error("email");
    app.post(&path, &owner.key, json!({ "email": "bad" }))
        .await
        .expect_field_error("email");
    app.post(
        &path,
        &owner.key,
        json!({ "email": "x@inputs.test", "organizationRole": "BOSS" }),
    )
    .await
    .expect_field_error("organizationRole");
    app.post(
        &path,
        &owner.key,
        json!({ "email": "x@inputs.test", "timeFormat": "12" }),
    )
    .await
    .expect_field_error("timeFormat");
    app.post(
        &path,
        &admin.key,
        json!({ "email": "y@inputs.test", "organizationRole": "OWNER" }),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN);
    app.post(&path, &owner.key, json!({ "email": "admin@inputs.test" }))
        .await
        .expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn list_users_filters_by_email() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("listing").await;
    app.member(org, "ann@listing.test", Role::Member).await;
    app.member(org, "bob@listing.test", Role::Member).await;
    let all = app.get(&format!("/v2/organizations/{org}/users"), &owner.key).await;
    assert_eq!(all.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(3));
    let some = app
        .get(
            &format!("/v2/organizations/{org}/users?emails=ann@listing.test,bob@listing.test"),
            &owner.key,
        )
        .await;
    assert_eq!(some.data().as_array().map(Vec::len), Some(2));
    let one = app
        .get(
            &format!("/v2/organizations/{org}/users?emails[]=BOB@listing.test"),
            &owner.key,
        )
        .await;
    assert_eq!(one.data()[0]["email"], "bob@listing.test");
    let paged = app
        .get(&format!("/v2/organizations/{org}/users?take=1&skip=1"), &owner.key)
        .await;
    assert_eq!(paged.data().as_array().map(Vec::len), Some(1));
    app.get(&format!("/v2/organizations/{org}/users?emails=nope"), &owner.key)
        .await
        .expect_field_error("emails");
}

#[tokio::test]
async fn update_and_delete_organization_users() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("edit").await;
    let member = app.member(org, "member@edit.test", Role::Member).await;
    let path = format!("/v2/organizations/{org}/users/{}", member.id);
    let updated = app
        .patch(
            &path,
            &owner.key,
            json!({ "name": "Renamed", "timeZone": "Asia/Tokyo" }),
        )
        .await;
    let updated = updated.expect_success(StatusCode::OK);
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["timeZone"], "Asia/Tokyo");
    app.delete(&path, &owner.key).await.expect_success(StatusCode::OK);
    app.get("/v2/me", &member.key)
        .await
        .expect_error(StatusCode::UNAUTHORIZED);
    app.patch(&path, &owner.key, json!({ "name": "Ghost" }))
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_of_other_organizations_are_not_reachable() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("here").await;
    let (org2, _) = app.organization("there").await;
    let theirs = app.member(org2, "them@there.test", Role::Member).await;
    app.patch(
        &format!("/v2/organizations/{org}/users/{}", theirs.id),
        &owner.key,
        json!({ "name": "x" }),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    app.delete(&format!("/v2/organizations/{org}/users/{}", theirs.id), &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.get("/v2/me", &theirs.key).await.expect_success(StatusCode::OK);
}

#[tokio::test]
async fn protected_accounts_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("guard").await;
    let admin = app.member(org, "admin@guard.test", Role::Admin).await;
    let path = format!("/v2/organizations/{org}/users");
    app.delete(&format!("{path}/{}", owner.id), &owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.delete(&format!("{path}/{}", owner.id), &admin.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_username_that_names_one_of_convenes_pages_is_refused() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("paths").await;
    let users = format!("/v2/organizations/{org}/users");
    for taken in ["bookings", "Availability", "org"] {
        let message = app
            .post(
                &users,
                &owner.key,
                json!({ "email": "new@paths.test", "username": taken }),
            )
            .await
            .expect_error(StatusCode::BAD_REQUEST);
        assert!(
            message.contains("username") && message.contains("reserved"),
            "{taken}: {message}"
        );
    }
    let created = app
        .post(
            &users,
            &owner.key,
            json!({ "email": "new@paths.test", "username": "bookings-desk" }),
        )
        .await;
    assert_eq!(created.expect_success(StatusCode::CREATED)["username"], "bookings-desk");
}
