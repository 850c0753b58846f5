//! A team event type's `destinationCalendar`: the choosing member's own calendar, which receives the bookings
//! assigned to that member; every other host's bookings go to their own destination.

use crate::calendars_oauth::{app_with, consent, references};
use crate::helpers::TestApp;
use crate::team_events::schedule;
use convene_core::Role;
use convene_testkit::calendars::FakeGoogle;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PRIMARY: &str = "crew@gmail.test";
const TEAM: &str = "crew-team@group.calendar.google.com";

async fn book(app: &TestApp, event: i64, email: &str) -> String {
    let answer = app
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
                         "attendee": { "name": "Client", "email": email, "timeZone": "UTC" } })),
            Some(crate::scheduling::BOOKINGS),
        )
        .await;
    answer.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned()
}

#[tokio::test]
async fn a_team_event_types_calendar_receives_its_choosers_bookings_and_other_hosts_keep_their_own() {
    let google = FakeGoogle::start("gid", "gid-secret", PRIMARY).await;
    google.add_calendar(TEAM, "Team", "writer");
    let app = app_with(Some(&google), None).await;
    let (org, owner) = app.organization("crewco").await;
    let a = app.member(org, "a@crewco.test", Role::Member).await;
    let b = app.member(org, "b@crewco.test", Role::Member).await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Crew" }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    for (p, role) in [(&a, "ADMIN"), (&b, "MEMBER")] {
        app.post(
            &format!("/v2/organizations/{org}/teams/{team}/memberships"),
            &owner.key,
            json!({ "userId": p.id, "role": role, "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
        schedule(&app, p, "09:00", "17:00").await;
        assert_eq!(consent(&app, &p.key, "google", None).await.status(), StatusCode::OK);
    }
    let path = format!("/v2/organizations/{org}/teams/{team}/event-types");

    let refused = app
        .post(
            &path,
            &a.key,
            json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
            "schedulingType": "roundRobin", "hosts": [{ "userId": a.id }, { "userId": b.id }],
            "destinationCalendar": { "integration": "google_calendar", "externalId": "nope" } }),
        )
        .await;
    assert!(
        refused
            .expect_error(StatusCode::BAD_REQUEST)
            .contains("destinationCalendar.externalId")
    );
    let created = app
        .post(
            &path,
            &a.key,
            json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
            "schedulingType": "roundRobin", "hosts": [{ "userId": a.id }, { "userId": b.id }],
            "destinationCalendar": { "integration": "google_calendar", "externalId": TEAM } }),
        )
        .await;
    let data = created.expect_success(StatusCode::CREATED);
    assert_eq!(
        data["destinationCalendar"],
        json!({ "integration": "google_calendar", "externalId": TEAM })
    );
    let event = data["id"].as_i64().expect("id");
    let one = format!("{path}/{event}");
    let read = app.get(&one, &b.key).await;
    assert_eq!(
        read.expect_success(StatusCode::OK)["destinationCalendar"]["externalId"],
        TEAM
    );

    // Round robin: the first booking goes to a (listed first), the second to b.
    let first = book(&app, event, "one@example.test").await;
    let second = book(&app, event, "two@example.test").await;
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.done, 2, "{pass:?}");
    assert_eq!(references(&app, &a.key, &first).await[0]["destinationCalendarId"], TEAM);
    assert_eq!(
        references(&app, &b.key, &second).await[0]["destinationCalendarId"],
        PRIMARY,
        "b does not own the event type's calendar: b's own destination"
    );
    assert_eq!(google.events(TEAM).len(), 1);
    assert_eq!(google.events(PRIMARY).len(), 1);

    // null: every host's own destination again.
    let cleared = app.patch(&one, &a.key, json!({ "destinationCalendar": null })).await;
    assert_eq!(
        cleared.expect_success(StatusCode::OK).get("destinationCalendar"),
        None::<&Value>
    );
    let later = app
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(json!({ "eventTypeId": event, "start": "2030-01-07T11:00:00Z",
                         "attendee": { "name": "Client", "email": "three@example.test", "timeZone": "UTC" } })),
            Some(crate::scheduling::BOOKINGS),
        )
        .await;
    later.expect_success(StatusCode::CREATED);
    assert_eq!(app.state.calendars.process_due_writes().await.done, 1);
    assert_eq!(google.events(TEAM).len(), 1, "nothing new in the team calendar");
    assert_eq!(google.events(PRIMARY).len(), 2);
}

#[tokio::test]
async fn a_reassigned_booking_leaves_the_previous_hosts_calendar_and_enters_the_new_hosts() {
    let google = FakeGoogle::start("gid", "gid-secret", PRIMARY).await;
    google.add_calendar(TEAM, "Team", "writer");
    let app = app_with(Some(&google), None).await;
    let (org, owner) = app.organization("moveco").await;
    let a = app.member(org, "a@moveco.test", Role::Member).await;
    let b = app.member(org, "b@moveco.test", Role::Member).await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Movers" }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    for p in [&a, &b] {
        app.post(
            &format!("/v2/organizations/{org}/teams/{team}/memberships"),
            &owner.key,
            json!({ "userId": p.id, "role": "ADMIN", "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
        schedule(&app, p, "09:00", "17:00").await;
        assert_eq!(consent(&app, &p.key, "google", None).await.status(), StatusCode::OK);
    }
    // a's bookings go to the team calendar; b's to b's own primary one.
    let event = app
        .post(
            &format!("/v2/organizations/{org}/teams/{team}/event-types"),
            &a.key,
            json!({ "title": "Move", "slug": "move", "lengthInMinutes": 30,
            "schedulingType": "roundRobin", "hosts": [{ "userId": a.id }, { "userId": b.id }],
            "destinationCalendar": { "integration": "google_calendar", "externalId": TEAM } }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    let uid = book(&app, event, "mover@example.test").await;
    assert_eq!(app.state.calendars.process_due_writes().await.done, 1);
    assert_eq!(google.events(TEAM).len(), 1, "a hosts it: the team calendar has it");
    assert_eq!(google.events(PRIMARY).len(), 0);

    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{uid}/reassign/{}", b.id),
        Some(&a.key),
        Some(json!({})),
        Some(crate::scheduling::BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK);
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.done, 2, "one write for each host: {pass:?}");
    assert_eq!(google.events(TEAM).len(), 0, "gone from the previous host's calendar");
    assert_eq!(google.events(PRIMARY).len(), 1, "in the new host's calendar");
    assert_eq!(
        references(&app, &b.key, &uid).await[0]["destinationCalendarId"],
        PRIMARY
    );
}
