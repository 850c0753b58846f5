//! Every organization route against every kind of caller. Forbidden callers get an error
//! envelope and never data, and change nothing: after every refusal the organization is read back
//! whole (teams, memberships, users, the team's memberships, feature flags, the list of
//! organizations) and must be as it was. Writes give each caller a value of their own, so a
//! refused write that went through anyway would show.

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

/// Everything a request to the organization's routes could change, as the instance admin reads it.
async fn state(w: &World) -> Value {
    let (org, team) = (w.org, w.team);
    let mut state = serde_json::Map::new();
    for path in [
        "/v2/admin/organizations?take=1000".to_owned(),
        format!("/v2/admin/organizations/{org}/features"),
        format!("/v2/organizations/{org}/teams"),
        format!("/v2/organizations/{org}/memberships?take=1000"),
        format!("/v2/organizations/{org}/users?take=1000"),
        format!("/v2/organizations/{org}/teams/{team}/memberships?take=1000"),
    ] {
        let answer = w.app.get(&path, &w.app.admin_key).await;
        state.insert(path, answer.expect_success(OK).clone());
    }
    Value::Object(state)
}

/// Sends the request as `who` and checks the answer; a refusal must leave the organization as it was.
async fn call(w: &World, who: &str, method: Method, path: &str, body: Option<Value>, expected: StatusCode) {
    let before = (!expected.is_success()).then_some(state(w).await);
    let answer = w.app.request(method.clone(), path, Some(key(w, who)), body).await;
    let what = format!("{method} {path}");
    check(&answer, expected, who, &what);
    if let Some(before) = before {
        assert_eq!(
            state(w).await,
            before,
            "{who} → {what} was refused, yet something changed"
        );
    }
}

/// Every caller in turn, with the body `body` gives them.
async fn run(w: &World, method: Method, path: &str, body: impl Fn(&str) -> Option<Value>, expected: [StatusCode; 6]) {
    for (who, status) in CALLERS.iter().zip(expected) {
        call(w, who, method.clone(), path, body(who), status).await;
    }
}

/// No body, for every caller.
fn none(_: &str) -> Option<Value> {
    None
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
        none,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/me"),
        none,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/{team}"),
        none,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/memberships"),
        none,
        org_admins,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/memberships/{member_ship}"),
        none,
        org_admins,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/users"),
        none,
        org_admins,
    )
    .await;
    // The member belongs to the team, so they may read its memberships.
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/{team}/memberships"),
        none,
        everyone_in_org,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/organizations/{org}/teams/{team}/memberships/{team_ship}"),
        none,
        everyone_in_org,
    )
    .await;
}

#[tokio::test]
async fn instance_admin_routes() {
    let w = World::new().await;
    let org = w.org;
    let only_instance = [NO, NO, NO, NO, NO, OK];
    run(&w, Method::GET, "/v2/admin/organizations", none, only_instance).await;
    run(
        &w,
        Method::GET,
        &format!("/v2/admin/organizations/{org}"),
        none,
        only_instance,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/admin/organizations/{org}/features"),
        none,
        only_instance,
    )
    .await;
    run(
        &w,
        Method::GET,
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        none,
        only_instance,
    )
    .await;
    run(
        &w,
        Method::PUT,
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        |_| Some(json!({"enabled": true})),
        only_instance,
    )
    .await;
    run(
        &w,
        Method::DELETE,
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        none,
        only_instance,
    )
    .await;
    for (i, (who, expected)) in CALLERS.iter().zip([NO, NO, NO, NO, NO, CREATED]).enumerate() {
        let body = json!({ "name": format!("New Org {i}") });
        call(&w, who, Method::POST, "/v2/admin/organizations", Some(body), expected).await;
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
        |who| Some(json!({ "bio": format!("Closers, as edited by {who}") })),
        managers,
    )
    .await;

    for (i, (who, expected)) in CALLERS.iter().zip([CREATED, CREATED, NO, NO, NO, CREATED]).enumerate() {
        let body = json!({ "name": format!("Team {i}") });
        call(
            &w,
            who,
            Method::POST,
            &format!("/v2/organizations/{org}/teams"),
            Some(body),
            expected,
        )
        .await;
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
        call(
            &w,
            who,
            Method::DELETE,
            &format!("/v2/organizations/{org}/teams/{doomed}"),
            None,
            expected,
        )
        .await;
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
        call(
            &w,
            who,
            Method::POST,
            &format!("/v2/organizations/{org}/memberships"),
            Some(body),
            expected,
        )
        .await;
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
        // The refused callers send the opposite of what the ADMIN before them set.
        |who| Some(json!({ "disableImpersonation": !matches!(who, "admin" | "instance admin") })),
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
        call(
            &w,
            who,
            Method::DELETE,
            &format!("/v2/organizations/{org}/memberships/{ship}"),
            None,
            expected,
        )
        .await;
    }
}

#[tokio::test]
async fn organization_user_writes() {
    let w = World::new().await;
    let org = w.org;
    for (i, (who, expected)) in CALLERS.iter().zip([CREATED, CREATED, NO, NO, NO, CREATED]).enumerate() {
        let body = json!({ "email": format!("hire{i}@acme.test") });
        call(
            &w,
            who,
            Method::POST,
            &format!("/v2/organizations/{org}/users"),
            Some(body),
            expected,
        )
        .await;
    }
    let member = w.member.id;
    run(
        &w,
        Method::PATCH,
        &format!("/v2/organizations/{org}/users/{member}"),
        |who| Some(json!({ "bio": format!("Edited by {who}") })),
        [OK, OK, NO, NO, NO, OK],
    )
    .await;
    for (i, (who, expected)) in CALLERS.iter().zip([OK, OK, NO, NO, NO, OK]).enumerate() {
        let gone = w.app.member(org, &format!("gone{i}@acme.test"), Role::Member).await;
        call(
            &w,
            who,
            Method::DELETE,
            &format!("/v2/organizations/{org}/users/{}", gone.id),
            None,
            expected,
        )
        .await;
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
        call(&w, who, Method::POST, &path, Some(body), expected).await;
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
        // The refused callers ask for the role the ADMIN before them did not set.
        |who| Some(json!({ "role": if matches!(who, "admin" | "instance admin") { "MEMBER" } else { "ADMIN" } })),
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
        call(&w, who, Method::DELETE, &path, None, expected).await;
    }
}

#[tokio::test]
async fn team_verified_resources() {
    let w = World::new().await;
    let (org, team) = (w.org, w.team);
    // A team's verified addresses and numbers are its managers' (Cal.com guards them with TEAM_ADMIN): the
    // organization's OWNER and ADMIN, and the instance admin; the team's plain member is refused.
    let managers = [OK, OK, NO, NO, NO, OK];
    for kind in ["emails", "phones"] {
        let base = format!("/v2/organizations/{org}/teams/{team}/verified-resources/{kind}");
        run(&w, Method::GET, &base, none, managers).await;
        run(
            &w,
            Method::GET,
            &format!("{base}/1"),
            none,
            managers.map(|s| if s == OK { StatusCode::NOT_FOUND } else { s }),
        )
        .await;
    }
    // A wrong code proves nothing: the managers are told so, everyone else is refused before the code is read.
    let wrong = StatusCode::BAD_REQUEST;
    run(
        &w,
        Method::POST,
        &format!("/v2/organizations/{org}/teams/{team}/verified-resources/emails/verification-code/verify"),
        |_| Some(json!({ "email": "desk@acme.test", "code": "000000" })),
        [wrong, wrong, NO, NO, NO, wrong],
    )
    .await;
    let emails = format!("/v2/organizations/{org}/teams/{team}/verified-resources/emails");
    let listed = w.app.get(&emails, &w.owner.key).await;
    assert_eq!(listed.expect_success(OK), &json!([]), "no caller proved an address");
}
