//! Out-of-office entries: who may manage them, and how they block availability.

use crate::helpers::TestApp;
use crate::scheduling::{SCHEDULES, SLOTS, book, weekdays_9_to_5};
use convene_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_absence_removes_slots_and_blocks_bookings_until_deleted() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("away").await;
    let member = app.member(org, "member@away.test", Role::Member).await;
    app.versioned(
        Method::POST,
        "/v2/schedules",
        Some(&member.key),
        Some(json!({ "name": "W", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() })),
        Some(SCHEDULES),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let event = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&member.key),
            Some(json!({ "title": "T", "slug": "t", "lengthInMinutes": 60 })),
            Some("2024-06-14"),
        )
        .await
        .data()["id"]
        .as_i64()
        .expect("id");
    let path = format!("/v2/organizations/{org}/users/{}/ooo", member.id);
    let created = app.post(&path, &member.key, json!({ "start": "2030-01-07T00:00:00Z", "end": "2030-01-08T00:00:00Z", "reason": "vacation", "toUserId": owner.id })).await;
    let entry = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(entry["reason"], "vacation");
    assert_eq!(entry["toUserId"], owner.id);
    let monday = app
        .versioned(
            Method::GET,
            &format!("/v2/slots?eventTypeId={event}&start=2030-01-07&end=2030-01-08"),
            None,
            None,
            Some(SLOTS),
        )
        .await;
    let data = monday.expect_success(StatusCode::OK);
    assert!(data.get("2030-01-07").is_none(), "Monday is away: {data}");
    assert!(data.get("2030-01-08").is_some(), "Tuesday is not");
    book(&app, event, "2030-01-07T10:00:00Z", "hopeful@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);

    let listed = app.get(&format!("/v2/organizations/{org}/ooo"), &owner.key).await;
    assert_eq!(listed.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(1));
    app.delete(&format!("{path}/{}", entry["id"]), &owner.key)
        .await
        .expect_success(StatusCode::OK);
    book(&app, event, "2030-01-07T10:00:00Z", "hopeful@example.test")
        .await
        .expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn members_manage_their_own_entries_and_admins_everyone_s() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("ooo-auth").await;
    let a = app.member(org, "a@ooo-auth.test", Role::Member).await;
    let b = app.member(org, "b@ooo-auth.test", Role::Member).await;
    let (other_org, other_owner) = app.organization("ooo-other").await;
    let body = json!({ "start": "2030-02-01T00:00:00Z", "end": "2030-02-02T00:00:00Z" });
    let b_path = format!("/v2/organizations/{org}/users/{}/ooo", b.id);
    app.post(&b_path, &a.key, body.clone())
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.post(&b_path, &other_owner.key, body.clone())
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.post(&b_path, &owner.key, body.clone())
        .await
        .expect_success(StatusCode::CREATED);
    app.get(&b_path, &b.key).await.expect_success(StatusCode::OK);
    app.get(&format!("/v2/organizations/{org}/ooo"), &a.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    let outsider = app.member(other_org, "x@ooo-other.test", Role::Member).await;
    app.post(
        &format!("/v2/organizations/{org}/users/{}/ooo", outsider.id),
        &owner.key,
        body,
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn my_own_entries_and_their_validation() {
    let app = TestApp::spawn().await;
    let me = app.user("solo@example.test").await;
    let post = |body| app.post("/v2/me/ooo", &me.key, body);
    post(json!({ "end": "2030-02-02T00:00:00Z" }))
        .await
        .expect_field_error("start");
    post(json!({ "start": "2030-02-02T00:00:00Z" }))
        .await
        .expect_field_error("end");
    post(json!({ "start": "2030-02-02T00:00:00Z", "end": "2030-02-01T00:00:00Z" }))
        .await
        .expect_field_error("end");
    post(json!({ "start": "2030-02-01T00:00:00Z", "end": "2033-02-01T00:00:00Z" }))
        .await
        .expect_field_error("end");
    post(json!({ "start": "2030-02-01T00:00:00Z", "end": "2030-02-02T00:00:00Z", "reason": "bored" }))
        .await
        .expect_field_error("reason");
    post(json!({ "start": "2030-02-01T00:00:00Z", "end": "2030-02-02T00:00:00Z", "toUserId": me.id }))
        .await
        .expect_field_error("toUserId");
    post(json!({ "start": "2030-02-01", "end": "2030-02-02T00:00:00Z" }))
        .await
        .expect_field_error("start");
    let created =
        post(json!({ "start": "2030-02-01T00:00:00Z", "end": "2030-02-02T00:00:00Z", "notes": "Skiing" })).await;
    let id = created.expect_success(StatusCode::CREATED)["id"].clone();
    assert_eq!(created.data()["reason"], "unspecified");
    let patched = app
        .patch(&format!("/v2/me/ooo/{id}"), &me.key, json!({ "reason": "travel" }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["notes"], "Skiing");
    let stranger = app.user("someone@example.test").await;
    app.delete(&format!("/v2/me/ooo/{id}"), &stranger.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.delete(&format!("/v2/me/ooo/{id}"), &me.key)
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(
        app.get("/v2/me/ooo", &me.key).await.data().as_array().map(Vec::len),
        Some(0)
    );
}
