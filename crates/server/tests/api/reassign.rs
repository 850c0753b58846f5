//! Round-robin reassignment: `POST /v2/bookings/{uid}/reassign` picks the next free host, `…/reassign/{userId}` a
//! chosen one; the previous host, the new host and the attendee are told; only the booking's organizer or a team
//! manager may ask.

use crate::helpers::{Person, TestApp};
use crate::scheduling::BOOKINGS;
use crate::team_events::schedule;
use convene_core::{Role, TeamId};
use convene_store::bookings;
use convene_store::outbox::{self, Filter, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Crew {
    org: i64,
    owner: Person,
    a: Person,
    b: Person,
    c: Person,
    /// The round-robin event type hosted by a, b and c.
    event: i64,
}

/// Organization "acme", team "crew" with members a, b, c (free 09:00–17:00 on weekdays), a round-robin event type
/// they all host.
async fn crew(app: &TestApp) -> Crew {
    let (org, owner) = app.organization("acme").await;
    let a = app.member(org, "a@acme.test", Role::Member).await;
    let b = app.member(org, "b@acme.test", Role::Member).await;
    let c = app.member(org, "c@acme.test", Role::Member).await;
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
    for p in [&a, &b, &c] {
        app.post(
            &format!("/v2/organizations/{org}/teams/{team}/memberships"),
            &owner.key,
            json!({ "userId": p.id, "role": "MEMBER", "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
        schedule(app, p, "09:00", "17:00").await;
    }
    let created = app
        .post(
            &format!("/v2/organizations/{org}/teams/{team}/event-types"),
            &owner.key,
            json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30, "schedulingType": "roundRobin",
                    "hosts": [{ "userId": a.id }, { "userId": b.id }, { "userId": c.id }] }),
        )
        .await;
    let event = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    Crew {
        org,
        owner,
        a,
        b,
        c,
        event,
    }
}

async fn book(app: &TestApp, event: i64, start: &str, email: &str) -> (String, i64) {
    let body = json!({ "eventTypeId": event, "start": start,
                       "attendee": { "name": "Client", "email": email, "timeZone": "UTC" } });
    let answer = app
        .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await;
    let data = answer.expect_success(StatusCode::CREATED);
    (
        data["uid"].as_str().expect("uid").to_owned(),
        data["hosts"][0]["id"].as_i64().expect("host"),
    )
}

async fn reassign(app: &TestApp, key: &str, path: &str, body: Option<Value>) -> crate::helpers::Answer {
    app.versioned(Method::POST, path, Some(key), body, Some(BOOKINGS)).await
}

fn key_of(crew: &Crew, id: i64) -> &str {
    [&crew.a, &crew.b, &crew.c]
        .into_iter()
        .find(|p| p.id == id)
        .map(|p| p.key.as_str())
        .expect("a host")
}

async fn host_of(app: &TestApp, uid: &str) -> i64 {
    (bookings::find_by_uid(&app.db, uid)
        .await
        .expect("store")
        .expect("booking")
        .host_id)
        .0
}

async fn sent(app: &TestApp, org: i64, kind: &str) -> Vec<String> {
    let filter = Filter {
        kind: Some(kind.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    outbox::list(&app.db, Scope::Organization(TeamId(org)), &filter, 50)
        .await
        .expect("outbox")
        .into_iter()
        .map(|e| e.to_email)
        .collect()
}

#[tokio::test]
async fn automatic_reassignment_picks_a_free_other_host_and_tells_everyone() {
    let app = TestApp::spawn().await;
    let crew = crew(&app).await;
    let (uid, first) = book(&app, crew.event, "2030-01-07T10:00:00Z", "client@example.test").await;
    // Of the two others, one is busy then: the reassignment must go to the free one.
    let others: Vec<&Person> = [&crew.a, &crew.b, &crew.c]
        .into_iter()
        .filter(|p| p.id != first)
        .collect();
    let (_, busy) = book(&app, crew.event, "2030-01-07T10:00:00Z", "other@example.test").await;
    assert_ne!(busy, first);
    let free = others.iter().find(|p| p.id != busy).expect("a free host");

    let answer = reassign(
        &app,
        key_of(&crew, first),
        &format!("/v2/bookings/{uid}/reassign"),
        None,
    )
    .await;
    let data = answer.expect_success(StatusCode::OK);
    assert_eq!(data["bookingUid"], uid.as_str());
    assert_eq!(data["reassignedTo"]["id"].as_i64(), Some(free.id));
    assert!(
        data["reassignedTo"]["email"]
            .as_str()
            .is_some_and(|e| e.ends_with("@acme.test"))
    );
    assert_eq!(
        host_of(&app, &uid).await,
        free.id,
        "the booking is the new host's, under the same uid"
    );

    let first_email = match first {
        id if id == crew.a.id => "a@acme.test",
        id if id == crew.b.id => "b@acme.test",
        _ => "c@acme.test",
    };
    assert_eq!(
        sent(&app, crew.org, "booking_unassigned_organizer").await,
        [first_email]
    );
    let assigned = sent(&app, crew.org, "booking_reassigned_organizer").await;
    assert_eq!(assigned.len(), 1);
    assert_ne!(assigned[0], first_email);
    assert_eq!(
        sent(&app, crew.org, "booking_reassigned_attendee").await,
        ["client@example.test"]
    );

    // The previous host is free again; a third booking takes them, and then no other host is free at 10:00.
    let (_, third) = book(&app, crew.event, "2030-01-07T10:00:00Z", "third@example.test").await;
    assert_eq!(third, first);
    let again = reassign(
        &app,
        key_of(&crew, free.id),
        &format!("/v2/bookings/{uid}/reassign"),
        None,
    )
    .await;
    again.expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn reassigning_to_a_chosen_host_checks_that_they_host_and_are_free() {
    let app = TestApp::spawn().await;
    let crew = crew(&app).await;
    let (uid, first) = book(&app, crew.event, "2030-01-07T10:00:00Z", "client@example.test").await;
    let (_, busy) = book(&app, crew.event, "2030-01-07T10:00:00Z", "other@example.test").await;
    let free = [&crew.a, &crew.b, &crew.c]
        .into_iter()
        .find(|p| p.id != first && p.id != busy)
        .expect("the third host");
    let key = key_of(&crew, first);

    // Busy then: 409.
    reassign(
        &app,
        key,
        &format!("/v2/bookings/{uid}/reassign/{busy}"),
        Some(json!({})),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    // Not a host of the event type (the team's owner is not among its hosts): 400.
    reassign(
        &app,
        key,
        &format!("/v2/bookings/{uid}/reassign/{}", crew.owner.id),
        Some(json!({})),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST);
    assert_eq!(host_of(&app, &uid).await, first, "refusals change nothing");

    let answer = reassign(
        &app,
        key,
        &format!("/v2/bookings/{uid}/reassign/{}", free.id),
        Some(json!({ "reason": "Host has to take another call" })),
    )
    .await;
    assert_eq!(
        answer.expect_success(StatusCode::OK)["reassignedTo"]["id"].as_i64(),
        Some(free.id)
    );
    assert_eq!(host_of(&app, &uid).await, free.id);
    let told = outbox::list(
        &app.db,
        Scope::Organization(TeamId(crew.org)),
        &Filter {
            kind: Some("booking_reassigned_attendee".parse().expect("an outbox kind")),
            ..Filter::default()
        },
        5,
    )
    .await
    .expect("outbox");
    assert!(
        told[0].body_text.contains("Host has to take another call"),
        "{}",
        told[0].body_text
    );
}

#[tokio::test]
async fn only_round_robin_bookings_can_be_reassigned() {
    let app = TestApp::spawn().await;
    let host = app.user("solo@example.test").await;
    schedule(&app, &host, "09:00", "17:00").await;
    let made = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(json!({ "title": "Chat", "slug": "chat", "lengthInMinutes": 30 })),
            Some("2024-06-14"),
        )
        .await;
    let event = made.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    let (uid, _) = book(&app, event, "2030-01-07T10:00:00Z", "client@example.test").await;
    reassign(&app, &host.key, &format!("/v2/bookings/{uid}/reassign"), None)
        .await
        .expect_error(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_the_organizer_or_a_team_manager_may_reassign() {
    let app = TestApp::spawn().await;
    let crew = crew(&app).await;
    let (uid, first) = book(&app, crew.event, "2030-01-07T10:00:00Z", "client@example.test").await;
    let path = format!("/v2/bookings/{uid}/reassign");
    // Another host of the event type (a plain member) and a stranger: not found.
    let other = [&crew.a, &crew.b, &crew.c]
        .into_iter()
        .find(|p| p.id != first)
        .expect("another host");
    reassign(&app, &other.key, &path, None)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let stranger = app.user("stranger@example.test").await;
    reassign(&app, &stranger.key, &path, None)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.request(Method::POST, &path, None, None)
        .await
        .expect_error(StatusCode::UNAUTHORIZED);
    assert_eq!(host_of(&app, &uid).await, first);
    // The organization's owner manages the team.
    reassign(&app, &crew.owner.key, &path, None)
        .await
        .expect_success(StatusCode::OK);
    assert_ne!(host_of(&app, &uid).await, first);
}

#[tokio::test]
async fn a_reassigned_booking_reminds_its_new_host_and_no_longer_the_previous_one() {
    let app = TestApp::spawn().await;
    let crew = crew(&app).await;
    let team = app
        .get(&format!("/v2/organizations/{}/teams", crew.org), &crew.owner.key)
        .await
        .expect_success(StatusCode::OK)[0]["id"]
        .as_i64()
        .expect("team id");
    let workflow = json!({
        "name": "Day before",
        "activation": { "isActiveOnAllEventTypes": true, "activeOnEventTypeIds": [] },
        "trigger": { "type": "beforeEvent", "offset": { "value": 24, "unit": "hour" } },
        "steps": [{ "action": "email_host", "stepNumber": 1, "recipient": "const", "template": "reminder",
                    "sender": "Acme", "includeCalendarEvent": false,
                    "message": { "subject": "Tomorrow: {EVENT_NAME}", "html": "<p>With {ORGANIZER}</p>" } }]
    });
    app.post(
        &format!("/v2/organizations/{}/teams/{team}/workflows", crew.org),
        &crew.owner.key,
        workflow,
    )
    .await
    .expect_success(StatusCode::CREATED);
    let (uid, first) = book(&app, crew.event, "2030-01-07T10:00:00Z", "client@example.test").await;
    let email_of = |id: i64| {
        [
            (&crew.a, "a@acme.test"),
            (&crew.b, "b@acme.test"),
            (&crew.c, "c@acme.test"),
        ]
        .into_iter()
        .find(|(p, _)| p.id == id)
        .map(|(_, email)| email.to_owned())
        .expect("a host")
    };
    let queued = |rows: Vec<outbox::EmailRecord>| -> Vec<String> {
        rows.into_iter()
            .filter(|r| r.status == "queued")
            .map(|r| r.to_email)
            .collect()
    };
    let reminders = |app: &TestApp| {
        let filter = Filter {
            kind: Some("workflow_email".parse().expect("an outbox kind")),
            ..Filter::default()
        };
        let db = app.db.clone();
        let org = crew.org;
        async move {
            outbox::list(&db, Scope::Organization(TeamId(org)), &filter, 50)
                .await
                .expect("outbox")
        }
    };
    assert_eq!(queued(reminders(&app).await), [email_of(first)]);

    let answer = reassign(
        &app,
        key_of(&crew, first),
        &format!("/v2/bookings/{uid}/reassign"),
        None,
    )
    .await;
    let now_host = answer.expect_success(StatusCode::OK)["reassignedTo"]["id"]
        .as_i64()
        .expect("new host");

    assert_ne!(now_host, first);
    assert_eq!(
        queued(reminders(&app).await),
        [email_of(now_host)],
        "the previous host's reminder is cancelled and the new host's planned"
    );
}
