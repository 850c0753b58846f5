//! Organization-wide operations: every member's schedules and one member's managed by the organization's admins,
//! team schedules, the event types of all teams, and the organization's, a member's and a team's bookings.

use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES};
use convene_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Org {
    id: i64,
    owner: Person,
    admin: Person,
    member: Person,
    team: i64,
}

/// Organization "wide" with an ADMIN and a MEMBER, and team "Crew" where the member is an accepted MEMBER.
async fn org(app: &TestApp) -> Org {
    let (id, owner) = app.organization("wide").await;
    let admin = app.member(id, "admin@wide.test", Role::Admin).await;
    let member = app.member(id, "member@wide.test", Role::Member).await;
    let team = app
        .post(
            &format!("/v2/organizations/{id}/teams"),
            &owner.key,
            json!({ "name": "Crew" }),
        )
        .await;
    let team = team.expect_success(StatusCode::CREATED)["id"].as_i64().expect("team");
    app.post(
        &format!("/v2/organizations/{id}/teams/{team}/memberships"),
        &owner.key,
        json!({ "userId": member.id, "accepted": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    Org {
        id,
        owner,
        admin,
        member,
        team,
    }
}

fn names(data: &Value) -> Vec<String> {
    data.as_array()
        .expect("a list")
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn organization_admins_manage_a_members_schedules_and_read_everyones() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let outsider = app.user("outsider@else.test").await;
    let base = format!("/v2/organizations/{}/users/{}/schedules", o.id, o.member.id);
    // Always the current shapes, without a version header.
    let created = app
        .post(
            &base,
            &o.admin.key,
            json!({ "name": "Member hours", "timeZone": "Europe/Madrid", "isDefault": false,
                "availability": [{ "days": ["Monday", "Tuesday"], "startTime": "08:00", "endTime": "14:00" }] }),
        )
        .await;
    let created = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(created["ownerId"], o.member.id);
    assert_eq!(created["isDefault"], true, "a member's first schedule is their default");
    let one = format!("{base}/{}", created["id"]);
    app.post(
        &base,
        &o.member.key,
        json!({ "name": "X", "timeZone": "UTC", "isDefault": true }),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN);
    app.post(
        &format!("/v2/organizations/{}/users/{}/schedules", o.id, outsider.id),
        &o.admin.key,
        json!({ "name": "X", "timeZone": "UTC", "isDefault": true }),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    app.post(
        &base,
        &o.admin.key,
        json!({ "name": "X", "timeZone": "Mars/Base", "isDefault": true }),
    )
    .await
    .expect_field_error("timeZone");

    // The member sees it as their own.
    let own = app
        .versioned(Method::GET, "/v2/schedules", Some(&o.member.key), None, Some(SCHEDULES))
        .await;
    assert_eq!(names(own.expect_success(StatusCode::OK)), vec!["Member hours"]);
    assert_eq!(
        names(app.get(&base, &o.owner.key).await.expect_success(StatusCode::OK)),
        vec!["Member hours"]
    );
    let patched = app.patch(&one, &o.admin.key, json!({ "name": "Mornings" })).await;
    assert_eq!(patched.expect_success(StatusCode::OK)["name"], "Mornings");
    assert_eq!(
        app.get(&one, &o.admin.key).await.expect_success(StatusCode::OK)["timeZone"],
        "Europe/Madrid"
    );

    app.versioned(
        Method::POST,
        "/v2/schedules",
        Some(&o.admin.key),
        Some(json!({ "name": "Admin hours", "timeZone": "UTC", "isDefault": true })),
        Some(SCHEDULES),
    )
    .await
    .expect_success(StatusCode::CREATED);
    app.versioned(
        Method::POST,
        "/v2/schedules",
        Some(&outsider.key),
        Some(json!({ "name": "Not ours", "timeZone": "UTC", "isDefault": true })),
        Some(SCHEDULES),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let everyone = app
        .get(&format!("/v2/organizations/{}/schedules", o.id), &o.admin.key)
        .await;
    let mut all = names(everyone.expect_success(StatusCode::OK));
    all.sort();
    assert_eq!(all, vec!["Admin hours", "Mornings"]);
    app.get(&format!("/v2/organizations/{}/schedules", o.id), &o.member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);

    // Team schedules: the team's members (the member) and organization admins.
    let team_path = format!("/v2/organizations/{}/teams/{}/schedules", o.id, o.team);
    assert_eq!(
        names(app.get(&team_path, &o.member.key).await.expect_success(StatusCode::OK)),
        vec!["Mornings"]
    );
    let user_path = format!(
        "/v2/organizations/{}/teams/{}/users/{}/schedules",
        o.id, o.team, o.member.id
    );
    assert_eq!(
        names(app.get(&user_path, &o.admin.key).await.expect_success(StatusCode::OK)),
        vec!["Mornings"]
    );
    app.get(
        &format!(
            "/v2/organizations/{}/teams/{}/users/{}/schedules",
            o.id, o.team, o.admin.id
        ),
        &o.admin.key,
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    let (_, other_owner) = app.organization("other").await;
    app.get(&team_path, &other_owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);

    app.delete(&one, &o.member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.delete(&one, &o.admin.key).await.expect_success(StatusCode::OK);
    app.get(&one, &o.admin.key).await.expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn organization_admins_list_the_event_types_of_every_team() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let second = app
        .post(
            &format!("/v2/organizations/{}/teams", o.id),
            &o.owner.key,
            json!({ "name": "Second" }),
        )
        .await;
    let second = second.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    for (team, slug) in [(o.team, "crew-call"), (second, "second-call")] {
        app.post(
            &format!("/v2/organizations/{}/teams/{team}/event-types", o.id),
            &o.owner.key,
            json!({ "title": slug, "slug": slug, "lengthInMinutes": 30, "schedulingType": "collective",
                "assignAllTeamMembers": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
    }
    // Another organization's team event type stays out.
    let (other, other_owner) = app.organization("other").await;
    let other_team = app
        .post(
            &format!("/v2/organizations/{other}/teams"),
            &other_owner.key,
            json!({ "name": "Theirs" }),
        )
        .await;
    let other_team = other_team.expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    app.post(
        &format!("/v2/organizations/{other}/teams/{other_team}/event-types"),
        &other_owner.key,
        json!({ "title": "Theirs", "slug": "theirs", "lengthInMinutes": 30, "schedulingType": "collective",
            "assignAllTeamMembers": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);

    let path = format!("/v2/organizations/{}/teams/event-types", o.id);
    let list = app.get(&path, &o.admin.key).await;
    let slugs: Vec<&str> = list
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["slug"].as_str())
        .collect();
    assert_eq!(slugs, vec!["crew-call", "second-call"]);
    let page = app.get(&format!("{path}?take=1&skip=1"), &o.admin.key).await;
    assert_eq!(page.expect_success(StatusCode::OK)[0]["teamId"], second);
    app.get(&path, &o.member.key).await.expect_error(StatusCode::FORBIDDEN);
    app.get(&path, &other_owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
}

async fn book(app: &TestApp, event: i64, start: &str, email: &str) -> String {
    let booked = app
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(json!({ "eventTypeId": event, "start": start,
                "attendee": { "name": "Guest", "email": email, "timeZone": "UTC" } })),
            Some(BOOKINGS),
        )
        .await;
    booked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned()
}

async fn personal_event(app: &TestApp, who: &Person, slug: &str) -> i64 {
    let made = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&who.key),
            Some(json!({ "title": slug, "slug": slug, "lengthInMinutes": 30 })),
            Some(EVENT_TYPES),
        )
        .await;
    made.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id")
}

fn uids(answer: &crate::helpers::Answer) -> Vec<String> {
    let mut uids: Vec<String> = answer
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|b| b["uid"].as_str().map(str::to_owned))
        .collect();
    uids.sort();
    uids
}

#[tokio::test]
async fn organization_bookings_cover_members_and_teams_and_stay_inside_the_organization() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let outsider = app.user("outsider@else.test").await;
    let team_event = app
        .post(
            &format!("/v2/organizations/{}/teams/{}/event-types", o.id, o.team),
            &o.owner.key,
            json!({ "title": "Crew call", "slug": "crew-call", "lengthInMinutes": 30, "schedulingType": "roundRobin",
                "hosts": [{ "userId": o.member.id }] }),
        )
        .await;
    let team_event = team_event.expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    let admin_event = personal_event(&app, &o.admin, "admin-chat").await;
    let outside_event = personal_event(&app, &outsider, "outside-chat").await;
    let by_team = book(&app, team_event, "2030-01-07T10:00:00Z", "a@example.test").await;
    let by_admin = book(&app, admin_event, "2030-01-07T11:00:00Z", "b@example.test").await;
    book(&app, outside_event, "2030-01-07T12:00:00Z", "c@example.test").await;

    let base = format!("/v2/organizations/{}/bookings", o.id);
    let mut both = vec![by_team.clone(), by_admin.clone()];
    both.sort();
    let all = app.get(&base, &o.admin.key).await;
    assert_eq!(all.body["pagination"]["totalItems"], 2, "{}", all.body);
    assert_eq!(uids(&all), both);
    assert_eq!(
        uids(&app.get(&format!("{base}?teamId={}", o.team), &o.owner.key).await),
        vec![by_team.clone()]
    );
    assert_eq!(
        uids(
            &app.get(&format!("{base}?userIds={},{}", o.admin.id, outsider.id), &o.owner.key)
                .await
        ),
        vec![by_admin.clone()]
    );
    assert_eq!(
        uids(
            &app.get(&format!("{base}?attendeeEmail=b@example.test"), &o.owner.key)
                .await
        ),
        vec![by_admin.clone()]
    );
    app.get(&format!("{base}?userIds=x"), &o.owner.key)
        .await
        .expect_field_error("userIds");
    app.get(&format!("{base}?status=soon"), &o.owner.key)
        .await
        .expect_field_error("status");
    app.get(&base, &o.member.key).await.expect_error(StatusCode::FORBIDDEN);
    app.get(&base, &outsider.key).await.expect_error(StatusCode::FORBIDDEN);

    let member_path = format!("/v2/organizations/{}/users/{}/bookings", o.id, o.member.id);
    assert_eq!(uids(&app.get(&member_path, &o.admin.key).await), vec![by_team.clone()]);
    app.get(&member_path, &o.member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.get(
        &format!("/v2/organizations/{}/users/{}/bookings", o.id, outsider.id),
        &o.admin.key,
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);

    let team_path = format!("/v2/organizations/{}/teams/{}/bookings", o.id, o.team);
    assert_eq!(uids(&app.get(&team_path, &o.admin.key).await), vec![by_team.clone()]);
    // A team MEMBER doesn't read the team's bookings; a team ADMIN does.
    app.get(&team_path, &o.member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    let memberships = app
        .get(
            &format!("/v2/organizations/{}/teams/{}/memberships", o.id, o.team),
            &o.owner.key,
        )
        .await;
    let membership = memberships
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["userId"] == o.member.id)
        .expect("the member's membership")["id"]
        .clone();
    app.patch(
        &format!("/v2/organizations/{}/teams/{}/memberships/{membership}", o.id, o.team),
        &o.owner.key,
        json!({ "role": "ADMIN" }),
    )
    .await
    .expect_success(StatusCode::OK);
    assert_eq!(uids(&app.get(&team_path, &o.member.key).await), vec![by_team]);
}

#[tokio::test]
async fn organization_webhooks_are_managed_by_admins_and_hear_members_and_teams_bookings() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let outsider = app.user("outsider@else.test").await;
    let receiver = crate::webhooks::receiver::Receiver::start().await;
    let base = format!("/v2/organizations/{}/webhooks", o.id);
    let body = json!({ "subscriberUrl": receiver.url(), "triggers": ["BOOKING_CREATED"], "active": true,
        "secret": "an-organization-wide-shared-secret" });
    app.post(&base, &o.member.key, body.clone())
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.post(&base, &outsider.key, body.clone())
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.post(
        &base,
        &o.admin.key,
        json!({ "subscriberUrl": "not a url", "triggers": ["BOOKING_CREATED"], "active": true }),
    )
    .await
    .expect_field_error("subscriberUrl");
    let created = app.post(&base, &o.admin.key, body.clone()).await;
    let created = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(created["teamId"], o.id);
    assert!(created.get("secret").is_none(), "the secret is write-only: {created}");
    app.post(&base, &o.owner.key, body)
        .await
        .expect_error(StatusCode::CONFLICT);
    let one = format!("{base}/{}", created["id"]);
    assert_eq!(
        app.get(&base, &o.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    app.get(&one, &o.member.key).await.expect_error(StatusCode::FORBIDDEN);
    // Another organization's admin doesn't reach it, nor through their own organization.
    let (other, other_owner) = app.organization("other").await;
    app.get(&one, &other_owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.get(
        &format!("/v2/organizations/{other}/webhooks/{}", created["id"]),
        &other_owner.key,
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);

    // It hears the bookings of members and of the organization's teams, and nobody else's.
    let team_event = app
        .post(
            &format!("/v2/organizations/{}/teams/{}/event-types", o.id, o.team),
            &o.owner.key,
            json!({ "title": "Crew call", "slug": "crew-call", "lengthInMinutes": 30, "schedulingType": "roundRobin",
                "hosts": [{ "userId": o.member.id }] }),
        )
        .await;
    let team_event = team_event.expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    let admin_event = personal_event(&app, &o.admin, "admin-chat").await;
    let outside_event = personal_event(&app, &outsider, "outside-chat").await;
    let mut expected = vec![
        book(&app, team_event, "2030-01-07T10:00:00Z", "a@example.test").await,
        book(&app, admin_event, "2030-01-07T11:00:00Z", "b@example.test").await,
    ];
    book(&app, outside_event, "2030-01-07T12:00:00Z", "c@example.test").await;
    while convene_server::webhooks::deliver_one(&app.state, convene_store::now())
        .await
        .expect("queue reachable")
        .is_some()
    {}
    let received = receiver.received();
    assert!(
        received
            .iter()
            .all(|r| r.signed_with("an-organization-wide-shared-secret"))
    );
    let mut uids: Vec<String> = received
        .iter()
        .map(|r| r.json()["payload"]["uid"].as_str().unwrap_or_default().to_owned())
        .collect();
    uids.sort();
    expected.sort();
    assert_eq!(uids, expected);

    let off = app.patch(&one, &o.admin.key, json!({ "active": false })).await;
    assert_eq!(off.expect_success(StatusCode::OK)["active"], false);
    app.delete(&one, &o.member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.delete(&one, &o.admin.key).await.expect_success(StatusCode::OK);
    app.get(&one, &o.admin.key).await.expect_error(StatusCode::NOT_FOUND);
}
