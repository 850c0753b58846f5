//! Organizations' addresses for the booking pages: `/org/{orgSlug}/{username}[/{eventSlug}]` for members and
//! `/org/{orgSlug}/team/{teamSlug}/{eventSlug}` where two organizations use the same team slug.

use crate::helpers::{Person, TestApp};
use crate::scheduling::EVENT_TYPES;
use crate::web_booking::get;
use convene_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A team with slug `sales` in organization `org`, holding a round-robin event type `demo` titled `title`.
async fn sales_team(app: &TestApp, org: i64, owner: &Person, title: &str) {
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Sales", "slug": "sales" }),
        )
        .await;
    let team = team.expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    app.post(
        &format!("/v2/organizations/{org}/teams/{team}/event-types"),
        &owner.key,
        json!({ "title": title, "slug": "demo", "lengthInMinutes": 30, "schedulingType": "roundRobin", "assignAllTeamMembers": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn organization_addresses_open_their_own_members_and_teams_only() {
    let app = TestApp::spawn().await;
    let (acme, acme_owner) = app.organization("acme").await;
    let (globex, globex_owner) = app.organization("globex").await;
    sales_team(&app, acme, &acme_owner, "Acme demo").await;
    sales_team(&app, globex, &globex_owner, "Globex demo").await;

    // Two organizations share the team slug: the plain team address can't choose, the organization's can.
    assert_eq!(get(&app, "/team/sales/demo").await.status, StatusCode::NOT_FOUND);
    let acme_demo = get(&app, "/org/acme/team/sales/demo").await;
    assert_eq!(acme_demo.status, StatusCode::OK);
    assert!(acme_demo.html.contains("Acme demo"), "acme's event type");
    assert!(!acme_demo.html.contains("Globex demo"));
    let globex_demo = get(&app, "/org/globex/team/sales/demo/embed").await;
    assert_eq!(globex_demo.status, StatusCode::OK);
    assert!(globex_demo.html.contains("Globex demo"), "globex's event type");
    assert_eq!(
        get(&app, "/org/initech/team/sales/demo").await.status,
        StatusCode::NOT_FOUND
    );

    // A member's pages at their organization's address; the same username under another organization is not found.
    let ada = app.member(acme, "ada@acme.test", Role::Member).await;
    app.versioned(
        Method::POST,
        "/v2/event-types",
        Some(&ada.key),
        Some(json!({ "title": "Ada's intro", "slug": "intro", "lengthInMinutes": 15 })),
        Some(EVENT_TYPES),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let profile = get(&app, "/org/acme/ada-acme-test").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(
        profile.html.contains("href=\"/org/acme/ada-acme-test/intro"),
        "the profile links to the event type at the same address"
    );
    let booker = get(&app, "/org/acme/ada-acme-test/intro").await;
    assert_eq!(booker.status, StatusCode::OK);
    assert!(booker.html.contains("Ada&#39;s intro") || booker.html.contains("Ada's intro"));
    assert!(
        booker.html.contains("href=\"/org/acme/ada-acme-test/intro?"),
        "the month's links stay at the organization's address"
    );
    for elsewhere in [
        "/org/globex/ada-acme-test",
        "/org/globex/ada-acme-test/intro",
        "/org/nope/ada-acme-test",
    ] {
        assert_eq!(get(&app, elsewhere).await.status, StatusCode::NOT_FOUND, "{elsewhere}");
    }
    // Someone outside any organization has no organization address.
    app.user("solo@example.test").await;
    assert_eq!(
        get(&app, "/org/acme/solo-example-test").await.status,
        StatusCode::NOT_FOUND
    );
}
