//! Every organization route against every kind of caller. Forbidden callers get an error
//! envelope and never data.

use crate::helpers::{Answer, World};
use convene_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const OK: StatusCode = StatusCode::OK;
const CREATED: StatusCode = StatusCode::CREATED;
const NO: StatusCode = StatusCode::FORBIDDEN;

/// Callers in the order of the expectation arrays below.
const CALLERS: [&str; 6] = [
    "owner",
    "admin",
    "member",
    "other org admin",
    "outsider",
    "instance admin",
];

fn key<'a>(w: &'a World, who: &str) -> &'a str {
    match who {
        "owner" => &w.owner.key,
        "admin" => &w.admin.key,
        "member" => &w.member.key,
        "other org admin" => &w.other_admin.key,
        "outsider" => &w.outsider.key,
        _ => &w.app.admin_key,
    }
}

fn check(answer: &Answer, expected: StatusCode, who: &str, what: &str) {
    assert_eq!(answer.status, expected, "{who} → {what}: {}", answer.body);
    if expected.is_success() {
        assert_eq!(answer.body["status"], "success", "{who} → {what}");
    } else {
        assert_eq!(answer.body["status"], "error", "{who} → {what}");
        assert!(
            answer.body.get("data").is_none(),
            "{who} → {what} leaked data: {}",
            answer.body
        );
    }
}

async fn run(w: &World, method: Method, path: &str, body: Option<Value>, expected: [StatusCode; 6]) {
    for (who, status) in CALLERS.iter().zip(expected) {
        let answer = w
            .app
            .request(method.clone(), path, Some(key(w, who)), body.clone())
            .await;
        check(&answer, status, who, &format!("{method} {path}"));
    }
}

#[tokio::test]
async fn reads_of_an_organization() {
    let w = World::new().await;
    let (org, team) = (w.org, w.team);
    let member_ship = w
        .app
        .get(&format!("/v2/organizations/{org}/memberships"), &w.owner.key)
        .await
        .data()[0]["id"]
        .clone();
    let team_ship = w
        .app
        .get(
            &format!("/v2/organizations/{org}/teams/{team}/memberships"),
            &w.owner.key,
        )
        .await
        .data()[0]["id"]
        .clone();

    let everyone_in_org = [OK, OK, OK, NO, NO, OK];
    let org_admins = [OK, OK, NO, NO, NO, OK];
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams"),
        None,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/me"),
        None,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/{team}"),
        None,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/memberships"),
        None,
        org_admins,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/memberships/{member_ship}"),
        None,
        org_admins,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/users"),
        None,
        org_admins,
    )
    .await;
    // The member belongs to the team, so they may read its memberships.
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/{team}/memberships"),
        None,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/{team}/memberships/{team_ship}"),
        None,
        everyone_in_org,
    )
    .await;
}

#[tokio::test]
async fn instance_admin_routes() {
    let w = World::new().await;
    let org = w.org;
    let only_instance = [NO, NO, NO, NO, NO, OK];
    run(&w, Method::GET, "/v2/admin/organizations", None, only_instance).await;
    run(
        &w,
        Method::GET,
        &format!("/v2/admin/organizations/{org}"),
        None,
        only_instance,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/admin/organizations/{org}/features"),
        None,
        only_instance,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        None,
        only_instance,
    )
    .await;
    run(
        &w,
        Method::PUT,
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        Some(json!({"enabled": true})),
        only_instance,
    )
    .await;
    run(
        &w,
        Method::DELETE,
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        None,
        only_instance,
    )
    .await;
    for (i, (who, expected)) in CALLERS.iter().zip([NO, NO, NO, NO, NO, CREATED]).enumerate() {
        let body = json!({ "name": format!("New Org {i}") });
        let answer = w
            .app
            .request(Method::POST, "/v2/admin/organizations", Some(key(&w, who)), Some(body))
            .await;
        check(&answer, expected, who, "POST /v2/admin/organizations");
    }
}

#[tokio::test]
async fn team_writes() {
    let w = World::new().await;
    let (org, team) = (w.org, w.team);
    let managers = [OK, OK, NO, NO, NO, OK];
    run(
        &w,
        Method::PATCH,
        &format!("/v2/organizations/{org}/teams/{team}"),
        Some(json!({"bio": "Closers"})),
        managers,
    )
    .await;

    for (i, (who, expected)) in CALLERS.iter().zip([CREATED, CREATED, NO, NO, NO, CREATED]).enumerate() {
        let body = json!({ "name": format!("Team {i}") });
        let answer = w
            .app
            .request(
                Method::POST,
                &format!("/v2/organizations/{org}/teams"),
                Some(key(&w, who)),
                Some(body),
            )
            .await;
        check(&answer, expected, who, "POST teams");
    }
    for (i, (who, expected)) in CALLERS.iter().zip(managers).enumerate() {
        let doomed = w
            .app
            .post(
                &format!("/v2/organizations/{org}/teams"),
                &w.owner.key,
                json!({ "name": format!("Doomed {i}") }),
            )
            .await;
        let doomed = doomed.data()["id"].clone();
        let answer = w
            .app
            .request(
                Method::DELETE,
                &format!("/v2/organizations/{org}/teams/{doomed}"),
                Some(key(&w, who)),
                None,
            )
            .await;
        check(&answer, expected, who, "DELETE team");
    }
}

#[tokio::test]
async fn organization_membership_writes() {
    let w = World::new().await;
    let org = w.org;
    let managers_create = [CREATED, CREATED, NO, NO, NO, CREATED];
    for (i, (who, expected)) in CALLERS.iter().zip(managers_create).enumerate() {
        let joiner = w.app.user(&format!("joiner{i}@example.test")).await;
        let body = json!({ "userId": joiner.id, "role": "MEMBER" });
        let answer = w
            .app
            .request(
                Method::POST,
                &format!("/v2/organizations/{org}/memberships"),
                Some(key(&w, who)),
                Some(body),
            )
            .await;
        check(&answer, expected, who, "POST memberships");
    }
    let member_ship = w
        .app
        .get(&format!("/v2/organizations/{org}/memberships"), &w.owner.key)
        .await;
    let member_ship = member_ship
        .data()
        .as_array()
        .and_then(|l| l.iter().find(|m| m["userId"] == w.member.id))
        .map(|m| m["id"].clone())
        .expect("member's membership");
    run(
        &w,
        Method::PATCH,
        &format!("/v2/organizations/{org}/memberships/{member_ship}"),
        Some(json!({"disableImpersonation": true})),
        [OK, OK, NO, NO, NO, OK],
    )
    .await;

    for (i, (who, expected)) in CALLERS.iter().zip([OK, OK, NO, NO, NO, OK]).enumerate() {
        let leaver = w.app.member(org, &format!("leaver{i}@acme.test"), Role::Member).await;
        let ship = w
            .app
            .get(&format!("/v2/organizations/{org}/memberships?take=1000"), &w.owner.key)
            .await;
        let ship = ship
            .data()
            .as_array()
            .and_then(|l| l.iter().find(|m| m["userId"] == leaver.id))
            .map(|m| m["id"].clone())
            .expect("leaver");
        let answer = w
            .app
            .request(
                Method::DELETE,
                &format!("/v2/organizations/{org}/memberships/{ship}"),
                Some(key(&w, who)),
                None,
            )
            .await;
        check(&answer, expected, who, "DELETE membership");
    }
}

#[tokio::test]
async fn organization_user_writes() {
    let w = World::new().await;
    let org = w.org;
    for (i, (who, expected)) in CALLERS.iter().zip([CREATED, CREATED, NO, NO, NO, CREATED]).enumerate() {
        let body = json!({ "email": format!("hire{i}@acme.test") });
        let answer = w
            .app
            .request(
                Method::POST,
                &format!("/v2/organizations/{org}/users"),
                Some(key(&w, who)),
                Some(body),
            )
            .await;
        check(&answer, expected, who, "POST users");
    }
    let member = w.member.id;
    run(
        &w,
        Method::PATCH,
        &format!("/v2/organizations/{org}/users/{member}"),
        Some(json!({"bio": "Edited"})),
        [OK, OK, NO, NO, NO, OK],
    )
    .await;
    for (i, (who, expected)) in CALLERS.iter().zip([OK, OK, NO, NO, NO, OK]).enumerate() {
        let gone = w.app.member(org, &format!("gone{i}@acme.test"), Role::Member).await;
        let answer = w
            .app
            .request(
                Method::DELETE,
                &format!("/v2/organizations/{org}/users/{}", gone.id),
                Some(key(&w, who)),
                None,
            )
            .await;
        check(&answer, expected, who, "DELETE user");
    }
}

#[tokio::test]
async fn team_membership_writes() {
    let w = World::new().await;
    let (org, team) = (w.org, w.team);
    for (i, (who, expected)) in CALLERS.iter().zip([CREATED, CREATED, NO, NO, NO, CREATED]).enumerate() {
        let recruit = w.app.member(org, &format!("recruit{i}@acme.test"), Role::Member).await;
        let body = json!({ "userId": recruit.id, "role": "MEMBER" });
        let path = format!("/v2/organizations/{org}/teams/{team}/memberships");
        let answer = w.app.request(Method::POST, &path, Some(key(&w, who)), Some(body)).await;
        check(&answer, expected, who, "POST team memberships");
    }
    let list = w
        .app
        .get(
            &format!("/v2/organizations/{org}/teams/{team}/memberships"),
            &w.owner.key,
        )
        .await;
    let ship = list
        .data()
        .as_array()
        .and_then(|l| l.iter().find(|m| m["userId"] == w.member.id))
        .map(|m| m["id"].clone())
        .expect("member in team");
    let path = format!("/v2/organizations/{org}/teams/{team}/memberships/{ship}");
    run(
        &w,
        Method::PATCH,
        &path,
        Some(json!({"accepted": true})),
        [OK, OK, NO, NO, NO, OK],
    )
    .await;
    for (i, (who, expected)) in CALLERS.iter().zip([OK, OK, NO, NO, NO, OK]).enumerate() {
        let temp = w.app.member(org, &format!("temp{i}@acme.test"), Role::Member).await;
        let added = w
            .app
            .post(
                &format!("/v2/organizations/{org}/teams/{team}/memberships"),
                &w.owner.key,
                json!({ "userId": temp.id, "role": "MEMBER" }),
            )
            .await;
        let ship = added.expect_success(CREATED)["id"].clone();
        let path = format!("/v2/organizations/{org}/teams/{team}/memberships/{ship}");
        let answer = w.app.request(Method::DELETE, &path, Some(key(&w, who)), None).await;
        check(&answer, expected, who, "DELETE team membership");
    }
}
