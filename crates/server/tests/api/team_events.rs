//! Team event types: COLLECTIVE needs every host free and blocks them all; ROUND_ROBIN picks
//! the least-booked free host.

use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, SCHEDULES, SLOTS, starts};
use convene_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub async fn schedule(app: &TestApp, who: &Person, from: &str, to: &str) {
    let availability =
        json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "startTime": from, "endTime": to }]);
    app.versioned(
        Method::POST,
        "/v2/schedules",
        Some(&who.key),
        Some(json!({ "name": "W", "timeZone": "UTC", "isDefault": true, "availability": availability })),
        Some(SCHEDULES),
    )
    .await
    .expect_success(StatusCode::CREATED);
}

/// An organization "acme" with team "crew" (slug) holding two accepted members, a and b.
async fn crew(app: &TestApp) -> (i64, i64, Person, Person, Person) {
    let (org, owner) = app.organization("acme").await;
    let a = app.member(org, "a@acme.test", Role::Member).await;
    let b = app.member(org, "b@acme.test", Role::Member).await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Crew" }),
        )
        .await;
    let team = team.expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    for p in [&a, &b] {
        app.post(
            &format!("/v2/organizations/{org}/teams/{team}/memberships"),
            &owner.key,
            json!({ "userId": p.id, "role": "MEMBER", "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
    }
    (org, team, owner, a, b)
}

async fn book(app: &TestApp, body: Value) -> crate::helpers::Answer {
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
}

fn attendee(email: &str) -> Value {
    json!({ "name": "Client", "email": email, "timeZone": "UTC" })
}

#[tokio::test]
async fn collective_slots_need_every_host_and_a_booking_blocks_them_all() {
    let app = TestApp::spawn().await;
    let (org, team, owner, a, b) = crew(&app).await;
    schedule(&app, &a, "09:00", "12:00").await;
    schedule(&app, &b, "11:00", "17:00").await;
    let path = format!("/v2/organizations/{org}/teams/{team}/event-types");
    let created = app.post(&path, &owner.key, json!({ "title": "Joint", "slug": "joint", "lengthInMinutes": 60, "schedulingType": "collective", "assignAllTeamMembers": true })).await;
    let event = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(event["schedulingType"], "collective");
    assert_eq!(event["teamId"], team);
    assert_eq!(
        event["hosts"].as_array().map(Vec::len),
        Some(3),
        "owner, a and b: {event}"
    );
    let id = event["id"].as_i64().expect("id");
    // The owner has no schedule: the default 09:00–17:00 applies to them.
    let free = starts(
        &app.versioned(
            Method::GET,
            &format!("/v2/slots?eventTypeId={id}&start=2030-01-07&end=2030-01-07"),
            None,
            None,
            Some(SLOTS),
        )
        .await,
    );
    assert_eq!(
        free,
        vec!["2030-01-07T11:00:00.000+00:00"],
        "only 11:00–12:00 suits everyone"
    );
    let by_slug = app
        .versioned(
            Method::GET,
            "/v2/slots?teamSlug=crew&organizationSlug=acme&eventTypeSlug=joint&start=2030-01-07&end=2030-01-07",
            None,
            None,
            Some(SLOTS),
        )
        .await;
    assert_eq!(starts(&by_slug).len(), 1);

    let booked = book(
        &app,
        json!({ "eventTypeId": id, "start": "2030-01-07T11:00:00Z", "attendee": attendee("client@example.test") }),
    )
    .await;
    let hosts: Vec<i64> = booked.expect_success(StatusCode::CREATED)["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect();
    assert_eq!(hosts.len(), 3);
    assert!(hosts.contains(&a.id) && hosts.contains(&b.id));
    book(
        &app,
        json!({ "eventTypeId": id, "start": "2030-01-07T10:00:00Z", "attendee": attendee("c2@example.test") }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);

    // b's own event type can't use the hour b now spends in the team meeting.
    let personal = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&b.key),
            Some(json!({ "title": "Solo", "slug": "solo", "lengthInMinutes": 60 })),
            Some("2024-06-14"),
        )
        .await;
    let personal = personal.data()["id"].as_i64().expect("id");
    let b_free = starts(
        &app.versioned(
            Method::GET,
            &format!("/v2/slots?eventTypeId={personal}&start=2030-01-07&end=2030-01-07"),
            None,
            None,
            Some(SLOTS),
        )
        .await,
    );
    assert!(
        !b_free.contains(&"2030-01-07T11:00:00.000+00:00".to_owned())
            && b_free.contains(&"2030-01-07T12:00:00.000+00:00".to_owned()),
        "{b_free:?}"
    );
    let b_bookings = app
        .versioned(Method::GET, "/v2/bookings", Some(&b.key), None, Some(BOOKINGS))
        .await;
    assert_eq!(
        b_bookings.expect_success(StatusCode::OK).as_array().map(Vec::len),
        Some(1),
        "a co-host sees the booking too"
    );
}

#[tokio::test]
async fn round_robin_spreads_bookings_across_free_hosts() {
    let app = TestApp::spawn().await;
    let (org, team, owner, a, b) = crew(&app).await;
    schedule(&app, &a, "09:00", "17:00").await;
    schedule(&app, &b, "09:00", "17:00").await;
    let path = format!("/v2/organizations/{org}/teams/{team}/event-types");
    let created = app.post(&path, &owner.key, json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30, "schedulingType": "roundRobin", "hosts": [{ "userId": b.id }, { "userId": a.id }] })).await;
    let id = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    assert_eq!(created.data()["schedulingType"], "roundRobin");

    let mut picked = Vec::new();
    for i in 0..2 {
        let answer = book(&app, json!({ "eventTypeId": id, "start": "2030-01-07T10:00:00Z", "attendee": attendee(&format!("rr{i}@example.test")) })).await;
        picked.push(
            answer.expect_success(StatusCode::CREATED)["hosts"][0]["id"]
                .as_i64()
                .expect("host"),
        );
    }
    picked.sort_unstable();
    let mut both = vec![a.id, b.id];
    both.sort_unstable();
    assert_eq!(picked, both, "the second booking goes to the other host");
    book(
        &app,
        json!({ "eventTypeId": id, "start": "2030-01-07T10:00:00Z", "attendee": attendee("rr3@example.test") }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    let free = starts(
        &app.versioned(
            Method::GET,
            &format!("/v2/slots?eventTypeId={id}&start=2030-01-07&end=2030-01-07"),
            None,
            None,
            Some(SLOTS),
        )
        .await,
    );
    assert!(
        !free.contains(&"2030-01-07T10:00:00.000+00:00".to_owned())
            && free.contains(&"2030-01-07T10:30:00.000+00:00".to_owned())
    );
    // A third booking at another time goes to whoever has fewer: they are even, so either is fine,
    // but a fourth must then go to the other one.
    let third = book(
        &app,
        json!({ "eventTypeId": id, "start": "2030-01-07T11:00:00Z", "attendee": attendee("rr4@example.test") }),
    )
    .await;
    let third_host = third.expect_success(StatusCode::CREATED)["hosts"][0]["id"]
        .as_i64()
        .expect("host");
    let fourth = book(
        &app,
        json!({ "eventTypeId": id, "start": "2030-01-07T12:00:00Z", "attendee": attendee("rr5@example.test") }),
    )
    .await;
    assert_ne!(
        fourth.expect_success(StatusCode::CREATED)["hosts"][0]["id"].as_i64(),
        Some(third_host)
    );
}

#[tokio::test]
async fn team_event_type_rules_and_permissions() {
    let app = TestApp::spawn().await;
    let (org, team, owner, a, _b) = crew(&app).await;
    let path = format!("/v2/organizations/{org}/teams/{team}/event-types");
    let base = json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 });
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    app.post(&path, &owner.key, with(json!({ "assignAllTeamMembers": true })))
        .await
        .expect_field_error("schedulingType");
    app.post(
        &path,
        &owner.key,
        with(json!({ "schedulingType": "managed", "assignAllTeamMembers": true })),
    )
    .await
    .expect_field_error("schedulingType");
    app.post(&path, &owner.key, with(json!({ "schedulingType": "collective" })))
        .await
        .expect_field_error("hosts");
    app.post(
        &path,
        &owner.key,
        with(json!({ "schedulingType": "collective", "hosts": [{ "userId": 424242 }] })),
    )
    .await
    .expect_field_error("hosts[0].userId");
    app.post(
        &path,
        &owner.key,
        with(json!({ "schedulingType": "collective", "hosts": [{ "userId": a.id }], "assignAllTeamMembers": true })),
    )
    .await
    .expect_field_error("hosts");
    app.post(
        &path,
        &owner.key,
        with(json!({ "schedulingType": "collective", "hosts": [{ "userId": a.id }], "scheduleId": 1 })),
    )
    .await
    .expect_field_error("scheduleId");
    app.post(
        &path,
        &a.key,
        with(json!({ "schedulingType": "collective", "hosts": [{ "userId": a.id }] })),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN);
    let created = app
        .post(
            &path,
            &owner.key,
            with(json!({ "schedulingType": "collective", "hosts": [{ "userId": a.id }] })),
        )
        .await;
    let id = created.expect_success(StatusCode::CREATED)["id"].clone();
    app.get(&path, &a.key).await.expect_success(StatusCode::OK);
    let one = format!("{path}/{id}");
    app.patch(&one, &owner.key, json!({ "schedulingType": "roundRobin" }))
        .await
        .expect_field_error("schedulingType");
    let patched = app
        .patch(
            &one,
            &owner.key,
            json!({ "title": "Renamed", "assignAllTeamMembers": true }),
        )
        .await;
    assert_eq!(
        patched.expect_success(StatusCode::OK)["hosts"].as_array().map(Vec::len),
        Some(3)
    );
    let (_, stranger_owner) = app.organization("elsewhere").await;
    app.get(&one, &stranger_owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.delete(&one, &a.key).await.expect_error(StatusCode::FORBIDDEN);
    app.delete(&one, &owner.key).await.expect_success(StatusCode::OK);
    app.get(&one, &owner.key).await.expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dynamic_group_slots_need_every_named_user_free() {
    let app = TestApp::spawn().await;
    let ann = app.user("ann@example.test").await;
    let bob = app.user("bob@example.test").await;
    schedule(&app, &ann, "09:00", "11:00").await;
    schedule(&app, &bob, "10:00", "17:00").await;
    let get = |query: String| {
        let app = &app;
        async move {
            app.versioned(Method::GET, &format!("/v2/slots?{query}"), None, None, Some(SLOTS))
                .await
        }
    };
    let both = starts(&get("usernames=ann-example-test,bob-example-test&start=2030-01-07&end=2030-01-07".into()).await);
    assert_eq!(
        both,
        vec!["2030-01-07T10:00:00.000+00:00", "2030-01-07T10:30:00.000+00:00"],
        "30-minute slots in the shared hour"
    );
    let hour = starts(
        &get("usernames=ann-example-test,bob-example-test&duration=60&start=2030-01-07&end=2030-01-07".into()).await,
    );
    assert_eq!(hour, vec!["2030-01-07T10:00:00.000+00:00"]);
    get("usernames=ann-example-test&start=2030-01-07&end=2030-01-07".into())
        .await
        .expect_field_error("usernames");
    get("usernames=ann-example-test,nobody&start=2030-01-07&end=2030-01-07".into())
        .await
        .expect_field_error("usernames");
}
