//! `/v2/teams`: teams outside organizations, their memberships, event types (bookable by team slug),
//! event-type webhooks and members' schedules, with the access rule of the organization teams.

use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, SCHEDULES, SLOTS, starts};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A team "Band" created through the API by `owner`, with `admin` (ADMIN) and `member` (MEMBER) accepted.
async fn band(app: &TestApp) -> (i64, Person, Person, Person) {
    let owner = app.user("owner@band.test").await;
    let admin = app.user("admin@band.test").await;
    let member = app.user("member@band.test").await;
    let team = app
        .post(
            "/v2/teams",
            &owner.key,
            json!({ "name": "Band", "bio": "We play", "timeZone": "Europe/Berlin" }),
        )
        .await;
    let team = team.expect_success(StatusCode::CREATED).clone();
    assert_eq!(team["slug"], "band");
    assert_eq!(team["isOrganization"], false);
    assert!(team.get("parentId").is_none(), "no parent, and no null: {team}");
    let id = team["id"].as_i64().expect("team id");
    for (who, role) in [(&admin, "ADMIN"), (&member, "MEMBER")] {
        app.post(
            &format!("/v2/teams/{id}/memberships"),
            &owner.key,
            json!({ "userId": who.id, "role": role, "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
    }
    (id, owner, admin, member)
}

#[tokio::test]
async fn a_team_outside_organizations_is_created_read_updated_and_deleted_by_its_roles() {
    let app = TestApp::spawn().await;
    let (team, owner, admin, member) = band(&app).await;
    let stranger = app.user("stranger@else.test").await;
    let path = format!("/v2/teams/{team}");

    let mine = app.get("/v2/teams", &member.key).await;
    assert_eq!(mine.expect_success(StatusCode::OK)[0]["id"], team);
    let theirs = app.get("/v2/teams", &stranger.key).await;
    assert_eq!(theirs.expect_success(StatusCode::OK), &json!([]));
    assert_eq!(
        app.get(&path, &member.key).await.expect_success(StatusCode::OK)["bio"],
        "We play"
    );
    app.get(&path, &stranger.key).await.expect_error(StatusCode::FORBIDDEN);
    app.get("/v2/teams/999999", &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);

    app.patch(&path, &member.key, json!({ "bio": "Mine now" }))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    let updated = app
        .patch(
            &path,
            &admin.key,
            json!({ "bio": "We play loud", "brandColor": "#aa0000" }),
        )
        .await;
    let updated = updated.expect_success(StatusCode::OK);
    assert_eq!(updated["bio"], "We play loud");
    assert_eq!(updated["slug"], "band");
    app.patch(&path, &admin.key, json!({ "brandColor": "red" }))
        .await
        .expect_field_error("brandColor");

    // Only an OWNER deletes the team.
    app.delete(&path, &admin.key).await.expect_error(StatusCode::FORBIDDEN);
    app.delete(&path, &owner.key).await.expect_success(StatusCode::OK);
    app.get(&path, &owner.key).await.expect_error(StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/v2/teams", &member.key).await.expect_success(StatusCode::OK),
        &json!([])
    );
}

#[tokio::test]
async fn organizations_and_their_teams_are_not_reached_through_v2_teams() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("corp").await;
    let inner = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Inner" }),
        )
        .await;
    let inner = inner.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    for id in [org, inner] {
        app.get(&format!("/v2/teams/{id}"), &owner.key)
            .await
            .expect_error(StatusCode::NOT_FOUND);
        app.get(&format!("/v2/teams/{id}/memberships"), &owner.key)
            .await
            .expect_error(StatusCode::NOT_FOUND);
    }
    // A team outside organizations is no organization either, and shares the slug space with them.
    let (team, band_owner, _, _) = band(&app).await;
    app.get(&format!("/v2/organizations/{team}/teams"), &band_owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.post("/v2/teams", &band_owner.key, json!({ "name": "Corp" }))
        .await
        .expect_error(StatusCode::CONFLICT);
    app.post("/v2/teams", &band_owner.key, json!({}))
        .await
        .expect_field_error("name");
    let admin_orgs = app.get("/v2/admin/organizations", &app.admin_key).await;
    let ids: Vec<i64> = admin_orgs
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![org], "the team is not listed as an organization");
}

#[tokio::test]
async fn memberships_of_a_team_follow_the_roles() {
    let app = TestApp::spawn().await;
    let (team, owner, admin, member) = band(&app).await;
    let newcomer = app.user("new@band.test").await;
    let base = format!("/v2/teams/{team}/memberships");

    let list = app.get(&base, &member.key).await;
    assert_eq!(list.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(3));
    app.get(&base, &newcomer.key).await.expect_error(StatusCode::FORBIDDEN);
    app.post(&base, &member.key, json!({ "userId": newcomer.id }))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.post(&base, &admin.key, json!({ "userId": newcomer.id, "role": "OWNER" }))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.post(&base, &admin.key, json!({ "userId": 999_999 }))
        .await
        .expect_field_error("userId");
    let invited = app.post(&base, &admin.key, json!({ "userId": newcomer.id })).await;
    let invited = invited.expect_success(StatusCode::CREATED).clone();
    assert_eq!(invited["teamId"], team);
    assert_eq!(invited["accepted"], false);
    // Not accepted yet: not a member.
    app.get(&format!("/v2/teams/{team}"), &newcomer.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    let one = format!("{base}/{}", invited["id"]);
    let accepted = app
        .patch(&one, &owner.key, json!({ "accepted": true, "role": "ADMIN" }))
        .await;
    assert_eq!(accepted.expect_success(StatusCode::OK)["role"], "ADMIN");
    assert_eq!(
        app.get(&one, &newcomer.key).await.expect_success(StatusCode::OK)["userId"],
        newcomer.id
    );
    app.delete(&one, &member.key).await.expect_error(StatusCode::FORBIDDEN);
    app.delete(&one, &admin.key).await.expect_success(StatusCode::OK);
    app.get(&format!("/v2/teams/{team}"), &newcomer.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_team_event_type_is_managed_booked_by_slug_and_has_webhooks() {
    let app = TestApp::spawn().await;
    let (team, owner, admin, member) = band(&app).await;
    for who in [&owner, &admin, &member] {
        app.versioned(
            Method::POST,
            "/v2/schedules",
            Some(&who.key),
            Some(json!({ "name": "Week", "timeZone": "UTC", "isDefault": true,
                "availability": [{ "days": ["Monday"], "startTime": "09:00", "endTime": "12:00" }] })),
            Some(SCHEDULES),
        )
        .await
        .expect_success(StatusCode::CREATED);
    }
    let base = format!("/v2/teams/{team}/event-types");
    let body = json!({ "title": "Rehearsal", "slug": "rehearsal", "lengthInMinutes": 60,
        "schedulingType": "roundRobin", "assignAllTeamMembers": true });
    app.post(&base, &member.key, body.clone())
        .await
        .expect_error(StatusCode::FORBIDDEN);
    let created = app.post(&base, &admin.key, body).await;
    let created = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(created["teamId"], team);
    assert_eq!(created["team"]["slug"], "band");
    assert_eq!(created["hosts"].as_array().map(Vec::len), Some(3));
    let id = created["id"].as_i64().expect("id");
    let one = format!("{base}/{id}");
    assert_eq!(
        app.get(&base, &member.key).await.expect_success(StatusCode::OK)[0]["id"],
        id
    );
    let second = app
        .post(
            &base,
            &owner.key,
            json!({ "title": "Gig", "slug": "gig", "lengthInMinutes": 90, "schedulingType": "collective",
                "hosts": [{ "userId": owner.id }, { "userId": member.id }] }),
        )
        .await;
    let second = second.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    let newest = app
        .get(&format!("{base}?sortCreatedAt=desc&hostsLimit=1"), &member.key)
        .await;
    let newest = newest.expect_success(StatusCode::OK);
    assert_eq!(newest[0]["id"], second);
    assert_eq!(newest[0]["hosts"].as_array().map(Vec::len), Some(1));
    let picked = app.get(&format!("{base}?eventSlug=rehearsal"), &member.key).await;
    assert_eq!(picked.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(1));
    app.get(&format!("{base}?sortCreatedAt=sideways"), &member.key)
        .await
        .expect_field_error("sortCreatedAt");
    app.get(&format!("{base}?hostsLimit=0"), &member.key)
        .await
        .expect_field_error("hostsLimit");
    assert_eq!(
        app.get(&one, &member.key).await.expect_success(StatusCode::OK)["slug"],
        "rehearsal"
    );
    let stranger = app.user("stranger@else.test").await;
    app.get(&one, &stranger.key).await.expect_error(StatusCode::FORBIDDEN);
    let patched = app.patch(&one, &owner.key, json!({ "title": "Long rehearsal" })).await;
    assert_eq!(patched.expect_success(StatusCode::OK)["title"], "Long rehearsal");
    // `GET /v2/event-types/{id}` answers the team's members.
    app.versioned(
        Method::GET,
        &format!("/v2/event-types/{id}"),
        Some(&member.key),
        None,
        Some("2024-06-14"),
    )
    .await
    .expect_success(StatusCode::OK);

    // Webhooks of the team's event type: its ADMINs and OWNERs.
    let hooks = format!("{one}/webhooks");
    let hook =
        json!({ "subscriberUrl": "https://hooks.example.test/band", "triggers": ["BOOKING_CREATED"], "active": true });
    app.post(&hooks, &member.key, hook.clone())
        .await
        .expect_error(StatusCode::FORBIDDEN);
    let made = app.post(&hooks, &admin.key, hook).await;
    let made = made.expect_success(StatusCode::CREATED).clone();
    assert_eq!(made["eventTypeId"], id);
    let hook_path = format!("{hooks}/{}", made["id"]);
    assert_eq!(
        app.get(&hooks, &owner.key)
            .await
            .expect_success(StatusCode::OK)
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let off = app.patch(&hook_path, &owner.key, json!({ "active": false })).await;
    assert_eq!(off.expect_success(StatusCode::OK)["active"], false);
    app.get(&hook_path, &owner.key).await.expect_success(StatusCode::OK);
    app.get(&format!("/v2/teams/{team}/event-types/999999/webhooks"), &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.delete(&hook_path, &owner.key).await.expect_success(StatusCode::OK);
    app.delete(&hooks, &owner.key).await.expect_success(StatusCode::OK);

    // Bookable by the team's slug, without an organization.
    let slots = app
        .versioned(
            Method::GET,
            "/v2/slots?teamSlug=band&eventTypeSlug=rehearsal&start=2030-01-07&end=2030-01-07",
            None,
            None,
            Some(SLOTS),
        )
        .await;
    assert_eq!(starts(&slots).len(), 3, "09:00, 10:00, 11:00: {}", slots.body);
    let booked = app
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(json!({ "eventTypeId": id, "start": "2030-01-07T09:00:00Z",
                "attendee": { "name": "Fan", "email": "fan@example.test", "timeZone": "UTC" } })),
            Some(BOOKINGS),
        )
        .await;
    booked.expect_success(StatusCode::CREATED);

    app.delete(&one, &member.key).await.expect_error(StatusCode::FORBIDDEN);
    app.delete(&one, &owner.key).await.expect_success(StatusCode::OK);
    app.get(&one, &owner.key).await.expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn team_schedules_list_the_members_schedules_to_members_only() {
    let app = TestApp::spawn().await;
    let (team, owner, _, member) = band(&app).await;
    let outsider = app.user("outsider@else.test").await;
    for (who, name) in [
        (&owner, "Owner week"),
        (&member, "Member week"),
        (&outsider, "Not in the team"),
    ] {
        app.versioned(
            Method::POST,
            "/v2/schedules",
            Some(&who.key),
            Some(json!({ "name": name, "timeZone": "UTC", "isDefault": true })),
            Some(SCHEDULES),
        )
        .await
        .expect_success(StatusCode::CREATED);
    }
    let path = format!("/v2/teams/{team}/schedules");
    let list = app.get(&path, &member.key).await;
    let names: Vec<&str> = list
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Owner week", "Member week"]);
    let page = app.get(&format!("{path}?take=1&skip=1"), &member.key).await;
    assert_eq!(page.expect_success(StatusCode::OK)[0]["name"], "Member week");
    app.get(&path, &outsider.key).await.expect_error(StatusCode::FORBIDDEN);
}
