//! Seated event types: bookers share one booking per start until its seats are taken; each seat is cancelled or
//! moved alone; slots say their seats; each seat's holder gets their own emails.

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, host_with_event, slots, weekdays_9_to_5};
use convene_core::UserId;
use convene_store::outbox::{self, Filter, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn seated_event(app: &TestApp, seats: i64) -> (crate::helpers::Person, i64) {
    host_with_event(
        app,
        "seats-host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Workshop", "slug": "workshop", "lengthInMinutes": 60,
                "seats": { "seatsPerTimeSlot": seats, "showAttendeeInfo": false, "showAvailabilityCount": true } }),
    )
    .await
}

async fn take_seat(app: &TestApp, event: i64, start: &str, email: &str) -> crate::helpers::Answer {
    let body = json!({ "eventTypeId": event, "start": start,
        "attendee": { "name": email, "email": email, "timeZone": "Europe/Paris" },
        "bookingFieldsResponses": { "notes": format!("from {email}") } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
}

async fn post(app: &TestApp, path: &str, body: Value) -> crate::helpers::Answer {
    app.versioned(Method::POST, path, None, Some(body), Some(BOOKINGS))
        .await
}

async fn get_booking(app: &TestApp, uid: &str, key: Option<&str>) -> Value {
    app.versioned(Method::GET, &format!("/v2/bookings/{uid}"), key, None, Some(BOOKINGS))
        .await
        .expect_success(StatusCode::OK)
        .clone()
}

fn seat_emails(booking: &Value) -> Vec<String> {
    let mut out: Vec<String> = booking["attendees"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["email"].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn three_seats_and_four_concurrent_bookers_seat_three_and_refuse_one_with_409() {
    let app = TestApp::spawn().await;
    let (host, event) = seated_event(&app, 3).await;
    let mut tasks = Vec::new();
    for i in 0..4 {
        let client = app.client.clone();
        let url = format!("{}/v2/bookings", app.address);
        tasks.push(tokio::spawn(async move {
            let body = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
                "attendee": { "name": format!("Seat {i}"), "email": format!("s{i}@example.test"), "timeZone": "UTC" } });
            let response = client
                .post(url)
                .header("cal-api-version", BOOKINGS)
                .json(&body)
                .send()
                .await
                .expect("send");
            let status = response.status();
            (status, response.json::<Value>().await.expect("json"))
        }));
    }
    let mut seated = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            (StatusCode::CREATED, body) => seated.push(body["data"].clone()),
            (StatusCode::CONFLICT, _) => refused += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((seated.len(), refused), (3, 1));
    let uid = seated[0]["uid"].as_str().expect("uid").to_owned();
    assert!(
        seated.iter().all(|b| b["uid"] == uid),
        "every seat is in the one booking"
    );
    let mut seat_uids: Vec<&str> = seated.iter().filter_map(|b| b["seatUid"].as_str()).collect();
    seat_uids.sort_unstable();
    seat_uids.dedup();
    assert_eq!(seat_uids.len(), 3, "each booker has their own seat");
    // A booker sees only their own seat (showAttendeeInfo is off); the host sees all three.
    assert_eq!(seated[0]["attendees"].as_array().map(Vec::len), Some(1));
    assert_eq!(seated[0]["attendees"][0]["seatUid"], seated[0]["seatUid"]);
    let hosted = get_booking(&app, &uid, Some(&host.key)).await;
    assert_eq!(hosted["attendees"].as_array().map(Vec::len), Some(3));
    assert!(hosted.get("bookingFieldsResponses").is_none());

    // Full: the start is no longer offered, and one more booker is refused.
    let full = slots(&app, &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07")).await;
    let day = full.expect_success(StatusCode::OK)["2030-01-07"].clone();
    assert!(
        !day.as_array()
            .into_iter()
            .flatten()
            .any(|s| s["start"] == "2030-01-07T10:00:00.000+00:00"),
        "{day}"
    );
    take_seat(&app, event, "2030-01-07T10:00:00Z", "late@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn each_seat_cancels_alone_and_the_last_one_cancels_the_booking() {
    let app = TestApp::spawn().await;
    let (host, event) = seated_event(&app, 3).await;
    let mut seats = Vec::new();
    for email in ["a@example.test", "b@example.test", "c@example.test"] {
        let b = take_seat(&app, event, "2030-01-07T10:00:00Z", email).await;
        seats.push(b.expect_success(StatusCode::CREATED).clone());
    }
    let uid = seats[0]["uid"].as_str().expect("uid").to_owned();
    let path = format!("/v2/bookings/{uid}/cancel");

    // Cancelling b's seat leaves a and c seated, the booking accepted.
    let after = post(
        &app,
        &path,
        json!({ "seatUid": seats[1]["seatUid"], "cancellationReason": "ill" }),
    )
    .await;
    assert_eq!(after.expect_success(StatusCode::OK)["status"], "accepted");
    let hosted = get_booking(&app, &uid, Some(&host.key)).await;
    assert_eq!(seat_emails(&hosted), ["a@example.test", "c@example.test"]);
    // The seat is gone: cancelling it again is 404.
    post(&app, &path, json!({ "seatUid": seats[1]["seatUid"] }))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    // The freed seat is offered again, and says so.
    let listing = slots(&app, &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07")).await;
    let slot = listing.expect_success(StatusCode::OK)["2030-01-07"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["start"] == "2030-01-07T10:00:00.000+00:00")
        .cloned()
        .expect("the start with a free seat is offered");
    assert_eq!(
        slot,
        json!({"start": "2030-01-07T10:00:00.000+00:00", "seatsBooked": 2, "seatsRemaining": 1, "seatsTotal": 3, "bookingUid": uid})
    );

    // Only b was told of b's cancellation (and the host); nobody else got a cancellation.
    let cancelled = outbox::list(
        &app.db,
        Scope::User { id: UserId(host.id) },
        &Filter {
            kind: Some("booking_cancelled_attendee".parse().expect("an outbox kind")),
            ..Filter::default()
        },
        10,
    )
    .await
    .expect("outbox");
    let told: Vec<&str> = cancelled.iter().map(|e| e.to_email.as_str()).collect();
    assert_eq!(told, ["b@example.test"]);
    let ics = cancelled[0].ics.clone().unwrap_or_default();
    assert!(
        ics.contains("b@example.test") && !ics.contains("mailto:a@example.test"),
        "{ics}"
    );

    post(&app, &path, json!({ "seatUid": seats[0]["seatUid"] }))
        .await
        .expect_success(StatusCode::OK);
    let last = post(&app, &path, json!({ "seatUid": seats[2]["seatUid"] })).await;
    assert_eq!(last.expect_success(StatusCode::OK)["status"], "cancelled");
}

#[tokio::test]
async fn a_seat_moves_alone_to_another_start() {
    let app = TestApp::spawn().await;
    let (host, event) = seated_event(&app, 2).await;
    let a = take_seat(&app, event, "2030-01-07T10:00:00Z", "a@example.test").await;
    let a = a.expect_success(StatusCode::CREATED).clone();
    take_seat(&app, event, "2030-01-07T10:00:00Z", "b@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    let uid = a["uid"].as_str().expect("uid");
    let moved = post(
        &app,
        &format!("/v2/bookings/{uid}/reschedule"),
        json!({ "start": "2030-01-07T14:00:00Z", "seatUid": a["seatUid"] }),
    )
    .await;
    let moved = moved.expect_success(StatusCode::CREATED).clone();
    assert_eq!(moved["start"], "2030-01-07T14:00:00.000Z");
    assert_ne!(moved["uid"], a["uid"]);
    assert_eq!(moved["attendees"][0]["email"], "a@example.test");
    assert_eq!(
        moved["attendees"][0]["bookingFieldsResponses"]["notes"],
        "from a@example.test"
    );
    let old = get_booking(&app, uid, Some(&host.key)).await;
    assert_eq!(seat_emails(&old), ["b@example.test"]);
    assert_eq!(old["status"], "accepted");
}

#[tokio::test]
async fn seats_are_an_event_type_setting_with_its_limits() {
    let app = TestApp::spawn().await;
    let (host, event) = seated_event(&app, 4).await;
    let shown = app
        .versioned(
            Method::GET,
            &format!("/v2/event-types/{event}"),
            Some(&host.key),
            None,
            Some("2024-06-14"),
        )
        .await;
    let shown = shown.expect_success(StatusCode::OK);
    assert_eq!(
        shown["seats"],
        json!({"seatsPerTimeSlot": 4, "showAttendeeInfo": false, "showAvailabilityCount": true})
    );
    assert_eq!(shown["seatsPerTimeSlot"], 4);
    let path = format!("/v2/event-types/{event}");
    let patch = |body: Value| app.versioned(Method::PATCH, &path, Some(&host.key), Some(body), Some("2024-06-14"));
    patch(json!({ "seats": { "seatsPerTimeSlot": 0 } }))
        .await
        .expect_field_error("seats.seatsPerTimeSlot");
    patch(json!({ "recurrence": { "frequency": "weekly", "interval": 1, "occurrences": 3 } }))
        .await
        .expect_field_error("seats");
    let off = patch(json!({ "seats": { "disabled": true } })).await;
    let off = off.expect_success(StatusCode::OK);
    assert!(off.get("seats").is_none());
    assert_eq!(off["seatsPerTimeSlot"], Value::Null);
}

#[tokio::test]
async fn the_host_moving_a_whole_seated_booking_moves_every_seat_with_its_answers() {
    let app = TestApp::spawn().await;
    let (host, event) = seated_event(&app, 3).await;
    let mut seat_uids = Vec::new();
    let mut uid = String::new();
    for who in ["a@example.test", "b@example.test", "c@example.test"] {
        let seat = take_seat(&app, event, "2030-01-07T10:00:00Z", who).await;
        let seat = seat.expect_success(StatusCode::CREATED);
        uid = seat["uid"].as_str().expect("uid").to_owned();
        seat_uids.push(seat["seatUid"].as_str().expect("seat uid").to_owned());
    }
    let moved = app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{uid}/reschedule"),
            Some(&host.key),
            Some(json!({ "start": "2030-01-07T14:00:00Z" })),
            Some(BOOKINGS),
        )
        .await;
    let moved_uid = moved.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    assert_ne!(moved_uid, uid);
    let now = get_booking(&app, &moved_uid, Some(&host.key)).await;
    assert_eq!(
        seat_emails(&now),
        ["a@example.test", "b@example.test", "c@example.test"],
        "every seat moved: {now}"
    );
    for attendee in now["attendees"].as_array().into_iter().flatten() {
        let email = attendee["email"].as_str().unwrap_or_default();
        assert_eq!(attendee["bookingFieldsResponses"]["notes"], format!("from {email}"));
        let seat = attendee["seatUid"].as_str().unwrap_or_default();
        assert!(
            !seat.is_empty() && !seat_uids.iter().any(|s| s == seat),
            "a new seat uid: {attendee}"
        );
    }
    assert_eq!(get_booking(&app, &uid, Some(&host.key)).await["status"], "cancelled");
}

#[tokio::test]
async fn moving_the_last_seat_moves_it_and_cancels_the_emptied_booking_together() {
    let app = TestApp::spawn().await;
    let (host, event) = seated_event(&app, 2).await;
    let a = take_seat(&app, event, "2030-01-07T10:00:00Z", "a@example.test").await;
    let a = a.expect_success(StatusCode::CREATED).clone();
    let uid = a["uid"].as_str().expect("uid");
    // A move that can't be made (outside availability) changes nothing: the seat stays where it was.
    post(
        &app,
        &format!("/v2/bookings/{uid}/reschedule"),
        json!({ "start": "2030-01-07T20:00:00Z", "seatUid": a["seatUid"] }),
    )
    .await
    .expect_error(StatusCode::CONFLICT);
    let old = get_booking(&app, uid, Some(&host.key)).await;
    assert_eq!(
        (seat_emails(&old), old["status"].clone()),
        (vec!["a@example.test".to_owned()], json!("accepted"))
    );

    let moved = post(
        &app,
        &format!("/v2/bookings/{uid}/reschedule"),
        json!({ "start": "2030-01-07T14:00:00Z", "seatUid": a["seatUid"] }),
    )
    .await;
    let moved = moved.expect_success(StatusCode::CREATED).clone();
    assert_eq!(moved["attendees"][0]["email"], "a@example.test");
    assert_eq!(get_booking(&app, uid, Some(&host.key)).await["status"], "cancelled");
    // The old seat uid is gone with its booking: moving it again is not found, and nothing is booked twice.
    post(
        &app,
        &format!("/v2/bookings/{uid}/reschedule"),
        json!({ "start": "2030-01-07T15:00:00Z", "seatUid": a["seatUid"] }),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST);
    assert_eq!(app.count_rows("bookings").await, 2);
}

/// The seat holders of one start, by distinct names and addresses.
const HOLDERS: [(&str, &str); 3] = [
    ("Ada Lovelace", "ada@example.test"),
    ("Bea Arthur", "bea@example.test"),
    ("Cy Twombly", "cy@example.test"),
];

/// Three seats taken at one start by [`HOLDERS`], then the whole booking moved by its host; the host's emails.
async fn three_seats_moved_by_the_host(show_attendees: bool) -> Vec<outbox::EmailRecord> {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "seats-host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Workshop", "slug": "workshop", "lengthInMinutes": 60,
                "seats": { "seatsPerTimeSlot": 3, "showAttendeeInfo": show_attendees, "showAvailabilityCount": true } }),
    )
    .await;
    let mut uid = String::new();
    for (name, email) in HOLDERS {
        let body = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
            "attendee": { "name": name, "email": email, "timeZone": "Europe/Paris" } });
        let seat = post(&app, "/v2/bookings", body).await;
        uid = seat.expect_success(StatusCode::CREATED)["uid"]
            .as_str()
            .expect("uid")
            .to_owned();
    }
    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{uid}/reschedule"),
        Some(&host.key),
        Some(json!({ "start": "2030-01-07T14:00:00Z" })),
        Some(BOOKINGS),
    )
    .await
    .expect_success(StatusCode::CREATED);
    outbox::list(&app.db, Scope::User { id: UserId(host.id) }, &Filter::default(), 100)
        .await
        .expect("outbox")
}

/// `email`'s calendar invite with its folded lines (RFC 5545 §3.1) unfolded, so a name can't hide across a fold.
fn ics_of(email: &outbox::EmailRecord) -> String {
    email
        .ics
        .as_deref()
        .unwrap_or_default()
        .replace("\r\n ", "")
        .replace("\n ", "")
}

/// Everything of `email` a reader sees: names, subject, bodies and the calendar invite.
fn seen_in(email: &outbox::EmailRecord) -> String {
    [
        email.to_name.as_deref().unwrap_or_default(),
        &email.subject,
        &email.body_text,
        &email.body_html,
        &ics_of(email),
    ]
    .join("\n")
}

/// The one email telling seat holder `email` of the move (asserting there is exactly one).
fn told_of_move<'e>(emails: &'e [outbox::EmailRecord], email: &str) -> &'e outbox::EmailRecord {
    let told: Vec<_> = emails
        .iter()
        .filter(|e| e.to_email == email && e.kind == "booking_rescheduled_attendee")
        .collect();
    assert_eq!(told.len(), 1, "{email} hears of the move once");
    told[0]
}

#[tokio::test]
async fn a_whole_seated_booking_moved_by_its_host_tells_each_seat_holder_without_naming_the_others() {
    let emails = three_seats_moved_by_the_host(false).await;

    for (name, email) in HOLDERS {
        let told = told_of_move(&emails, email);
        let ics = ics_of(told);
        let attendee_lines: Vec<&str> = ics.lines().filter(|l| l.starts_with("ATTENDEE")).collect();
        assert_eq!(attendee_lines.len(), 1, "{ics}");
        assert!(attendee_lines[0].contains(email), "{ics}");
        assert!(seen_in(told).contains(name));
        // No email this seat holder ever got (their seat's, the move's) names another seat holder.
        for got in emails.iter().filter(|e| e.to_email == email) {
            let seen = seen_in(got);
            for (other_name, other_email) in HOLDERS.iter().filter(|(_, e)| *e != email) {
                assert!(
                    !seen.contains(other_name) && !seen.contains(other_email),
                    "{email}'s {} email names {other_name}:\n{seen}",
                    got.kind
                );
            }
        }
    }
    // The host hears of the move once, with every seat holder in it.
    let host: Vec<_> = emails
        .iter()
        .filter(|e| e.kind == "booking_rescheduled_organizer")
        .collect();
    assert_eq!(host.len(), 1);
    let seen = seen_in(host[0]);
    assert!(HOLDERS.iter().all(|(_, email)| seen.contains(email)), "{seen}");
    let rescheduled = emails
        .iter()
        .filter(|e| e.kind.as_str().starts_with("booking_rescheduled"))
        .count();
    assert_eq!(rescheduled, 4, "three seat holders and the host");
}

#[tokio::test]
async fn a_seated_event_type_showing_attendees_names_every_seat_holder_when_the_booking_moves() {
    let emails = three_seats_moved_by_the_host(true).await;

    for (_, email) in HOLDERS {
        let told = told_of_move(&emails, email);
        let ics = ics_of(told);
        assert_eq!(ics.lines().filter(|l| l.starts_with("ATTENDEE")).count(), 3, "{ics}");
        let seen = seen_in(told);
        assert!(HOLDERS.iter().all(|(_, other)| seen.contains(other)), "{seen}");
    }
}
