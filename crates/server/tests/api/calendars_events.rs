//! One event of a connected Outlook or CalDAV calendar through Cal.com's unified shapes:
//! `GET /v2/calendars/{calendar}/event/{eventUid}` and `PATCH /v2/calendars/{calendar}/events/{eventUid}`, against
//! the Graph fake and a real CalDAV server (Radicale). Google's are in `calendars_oauth`.

use crate::calendars::radicale::Radicale;
use crate::calendars::{PASSWORD, USER, put_event, remote_event};
use crate::calendars_oauth::{app_with, consent, day_ahead, host, references};
use crate::scheduling::book;
use convene_testkit::calendars::FakeGraph;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_outlook_event_is_read_and_patched_in_the_unified_shape_and_only_by_its_owner() {
    let graph = FakeGraph::start("mid", "mid-secret", "AAMkDefault").await;
    let app = app_with(None, Some(&graph)).await;
    let (owner, event) = host(&app, "ms-events@example.test").await;
    assert_eq!(
        consent(&app, &owner.key, "office365", None).await.status(),
        StatusCode::OK
    );
    let day = day_ahead(9);
    let booked = book(&app, event, &format!("{day}T10:00:00Z"), "guest@example.test").await;
    let uid = booked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    assert_eq!(app.state.calendars.process_due_writes().await.done, 1);
    let event_id = references(&app, &owner.key, &uid).await[0]["eventUid"]
        .as_str()
        .expect("the Graph event id")
        .to_owned();

    let read = app
        .get(&format!("/v2/calendars/office365/event/{event_id}"), &owner.key)
        .await;
    let data = read.expect_success(StatusCode::OK);
    assert_eq!(data["id"], event_id.as_str());
    assert_eq!(data["source"], "office365");
    let written = graph
        .events("AAMkDefault")
        .into_iter()
        .find(|e| e["id"] == event_id.as_str())
        .expect("the booking's event");
    assert_eq!(data["title"], written["subject"]);
    assert_eq!(data["start"]["time"], format!("{day}T10:00:00.000Z"));
    assert_eq!(data["end"]["time"], format!("{day}T11:00:00.000Z"));
    assert_eq!(data["status"], "accepted");

    let patched = app
        .patch(
            &format!("/v2/calendars/office365/events/{event_id}"),
            &owner.key,
            json!({ "title": "Renamed", "status": "pending",
                    "start": { "time": format!("{day}T10:15:00Z"), "timeZone": "Europe/Berlin" } }),
        )
        .await;
    let data = patched.expect_success(StatusCode::OK);
    assert_eq!(data["title"], "Renamed");
    assert_eq!(data["status"], "pending");
    assert_eq!(data["start"]["time"], format!("{day}T10:15:00.000Z"));
    let stored = graph
        .events("AAMkDefault")
        .into_iter()
        .find(|e| e["id"] == event_id.as_str())
        .expect("the event");
    assert_eq!(stored["subject"], "Renamed");
    assert_eq!(stored["showAs"], "tentative");
    assert_eq!(stored["start"]["timeZone"], "Europe/Berlin", "{stored}");

    let cancel = app
        .patch(
            &format!("/v2/calendars/office365/events/{event_id}"),
            &owner.key,
            json!({ "status": "cancelled" }),
        )
        .await;
    assert!(cancel.expect_error(StatusCode::BAD_REQUEST).contains("status"));
    app.get("/v2/calendars/office365/event/AAMk-nope", &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let stranger = app.user("ms-stranger@example.test").await;
    app.get(&format!("/v2/calendars/office365/event/{event_id}"), &stranger.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_caldav_event_is_read_and_patched_by_its_icalendar_uid_keeping_what_convene_does_not_change() {
    let server = Radicale::start(&[(USER, PASSWORD)]).await;
    let work = server.make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"]).await;
    let app = crate::calendars::app_with(Some(server.url().to_string())).await;
    let (owner, event) = crate::calendars::host(&app, "dav-events@example.test").await;
    app.post(
        "/v2/calendars/apple/credentials",
        &owner.key,
        json!({ "username": USER, "password": PASSWORD }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let day = day_ahead(13);
    let d = crate::calendars::ymd(day);

    // An event made in the calendar app: found by its UID at `{uid}.ics`.
    put_event(
        &work,
        "dentist-1",
        &format!("{d}T080000Z"),
        &format!("{d}T090000Z"),
        "Dentist",
    )
    .await;
    let read = app.get("/v2/calendars/apple/event/dentist-1", &owner.key).await;
    let data = read.expect_success(StatusCode::OK);
    assert_eq!(data["id"], "dentist-1");
    assert_eq!(data["source"], "apple");
    assert_eq!(data["title"], "Dentist");
    assert_eq!(data["start"]["time"], format!("{day}T08:00:00.000Z"));
    assert_eq!(data["end"]["time"], format!("{day}T09:00:00.000Z"));

    let patched = app
        .patch(
            "/v2/calendars/apple/events/dentist-1",
            &owner.key,
            json!({ "title": "Dentist, moved", "end": { "time": format!("{day}T09:30:00Z") },
                    "attendees": [{ "email": "nurse@example.test", "name": "Nurse", "responseStatus": "accepted" }] }),
        )
        .await;
    let data = patched.expect_success(StatusCode::OK);
    assert_eq!(data["title"], "Dentist, moved");
    assert_eq!(data["end"]["time"], format!("{day}T09:30:00.000Z"));
    assert_eq!(data["attendees"][0]["email"], "nurse@example.test");
    assert_eq!(data["attendees"][0]["responseStatus"], "accepted");
    let stored = remote_event(&work, "dentist-1").await.expect("still there");
    let unfolded = stored.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:Dentist\\, moved"), "{stored}");
    assert!(unfolded.contains(&format!("DTEND:{d}T093000Z")), "{stored}");
    assert!(unfolded.contains("SEQUENCE:1"), "{stored}");
    let again = app.get("/v2/calendars/apple/event/dentist-1", &owner.key).await;
    assert_eq!(again.expect_success(StatusCode::OK)["title"], "Dentist, moved");

    // A booking's event, by the eventUid its references give.
    app.put(
        "/v2/destination-calendars",
        &owner.key,
        json!({ "integration": "apple_calendar", "externalId": work.as_str() }),
    )
    .await
    .expect_success(StatusCode::OK);
    let booked = book(&app, event, &format!("{day}T12:00:00Z"), "guest@example.test").await;
    let uid = booked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    assert_eq!(app.state.calendars.process_due_writes().await.done, 1);
    let event_uid = references(&app, &owner.key, &uid).await[0]["eventUid"]
        .as_str()
        .expect("event uid")
        .to_owned();
    let read = app
        .get(&format!("/v2/calendars/apple/event/{event_uid}"), &owner.key)
        .await;
    let data = read.expect_success(StatusCode::OK);
    assert_eq!(data["start"]["time"], format!("{day}T12:00:00.000Z"));
    assert!(
        data["attendees"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p["email"] == "guest@example.test")),
        "{data}"
    );
    assert_eq!(data["hosts"][0]["email"], "dav-events@example.test");

    app.get("/v2/calendars/apple/event/nope", &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let stranger = app.user("dav-stranger@example.test").await;
    app.get("/v2/calendars/apple/event/dentist-1", &stranger.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.get("/v2/calendars/ics-feed/event/dentist-1", &owner.key)
        .await
        .expect_error(StatusCode::BAD_REQUEST);
}
