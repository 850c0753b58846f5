//! Bookings through the API: create, conflicts, fields, guests, confirm/decline, cancel,
//! reschedule, listing, visibility, and the race for one slot.

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, book, host_with_event, slots, starts, weekdays_9_to_5};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, key: Option<&str>, body: Value) -> crate::helpers::Answer {
    app.versioned(Method::POST, path, key, Some(body), Some(BOOKINGS)).await
}

#[tokio::test]
async fn a_booking_has_the_cal_com_shape_and_takes_its_slot() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30, "locations": [{ "type": "link", "link": "https://meet.example.com/x", "public": true }] }),
    )
    .await;
    let body = json!({
        "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
        "attendee": { "name": "Zoë Attendee", "email": "Zoe@Example.test", "timeZone": "Europe/Berlin", "language": "de" },
        "guests": ["guest@example.test", "zoe@example.test"], "metadata": { "crm": "42" }, "bookingFieldsResponses": { "notes": "hi" }
    });
    let created = post(&app, "/v2/bookings", None, body).await;
    let b = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(b["status"], "accepted");
    assert_eq!(b["start"], "2030-01-07T10:00:00.000Z");
    assert_eq!(b["end"], "2030-01-07T10:30:00.000Z");
    assert_eq!(b["duration"], 30);
    assert_eq!(b["eventType"], json!({ "id": event, "slug": "intro" }));
    assert_eq!(b["hosts"][0]["id"], host.id);
    assert_eq!(b["attendees"][0]["email"], "zoe@example.test");
    assert_eq!(b["attendees"][0]["language"], "de");
    assert_eq!(
        b["guests"],
        json!(["guest@example.test"]),
        "the attendee is not their own guest"
    );
    assert_eq!(b["location"], "https://meet.example.com/x");
    assert_eq!(b["metadata"]["crm"], "42");
    assert!(b["icsUid"].as_str().is_some_and(|u| u.ends_with("@convene")));
    assert!(
        b["title"]
            .as_str()
            .is_some_and(|t| t.contains("Intro") && t.contains("Zoë Attendee"))
    );

    book(&app, event, "2030-01-07T10:00:00Z", "late@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    book(&app, event, "2030-01-07T10:15:00Z", "overlap@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    let free = starts(&slots(&app, &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07")).await);
    assert!(!free.contains(&"2030-01-07T10:00:00.000+00:00".to_owned()));
}

#[tokio::test]
async fn times_outside_availability_or_misaligned_are_409() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "h2@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 60 }),
    )
    .await;
    book(&app, event, "2030-01-06T10:00:00Z", "sunday@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    book(&app, event, "2030-01-07T16:30:00Z", "late@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    book(&app, event, "2030-01-07T10:07:00Z", "odd@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    book(&app, event, "2020-01-06T10:00:00Z", "past@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn booking_input_errors_name_the_field() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "h3@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30, "disableGuests": true,
                "bookingFields": [{ "type": "text", "slug": "company", "label": "Company", "required": true, "placeholder": "" }] }),
    )
    .await;
    let attendee = json!({ "name": "A", "email": "a@example.test", "timeZone": "UTC" });
    let base = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z", "attendee": attendee, "bookingFieldsResponses": { "company": "Acme" } });
    let with = |patch: Value| {
        let mut body = base.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    post(
        &app,
        "/v2/bookings",
        None,
        with(json!({ "bookingFieldsResponses": {} })),
    )
    .await
    .expect_field_error("bookingFieldsResponses.company");
    post(&app, "/v2/bookings", None, with(json!({ "start": null })))
        .await
        .expect_field_error("start");
    post(&app, "/v2/bookings", None, with(json!({ "start": "next tuesday" })))
        .await
        .expect_field_error("start");
    post(&app, "/v2/bookings", None, with(json!({ "attendee": null })))
        .await
        .expect_field_error("attendee");
    post(
        &app,
        "/v2/bookings",
        None,
        with(json!({ "attendee": { "name": "A", "timeZone": "UTC" } })),
    )
    .await
    .expect_field_error("attendee.email");
    post(
        &app,
        "/v2/bookings",
        None,
        with(json!({ "attendee": { "name": "A\r\nBcc: x@y.z", "email": "a@example.test", "timeZone": "UTC" } })),
    )
    .await
    .expect_field_error("attendee.name");
    post(
        &app,
        "/v2/bookings",
        None,
        with(json!({ "attendee": { "name": "A", "email": "a@example.test" } })),
    )
    .await
    .expect_field_error("attendee.timeZone");
    post(
        &app,
        "/v2/bookings",
        None,
        with(json!({ "attendee": { "name": "A", "email": "a@example.test", "timeZone": "UTC", "language": "xx" } })),
    )
    .await
    .expect_field_error("attendee.language");
    post(
        &app,
        "/v2/bookings",
        None,
        with(json!({ "guests": ["g@example.test"] })),
    )
    .await
    .expect_field_error("guests");
    post(&app, "/v2/bookings", None, with(json!({ "lengthInMinutes": 45 })))
        .await
        .expect_field_error("lengthInMinutes");
    post(&app, "/v2/bookings", None, with(json!({ "eventTypeId": null })))
        .await
        .expect_field_error("eventTypeId");
    post(&app, "/v2/bookings", None, with(json!({ "eventTypeId": 424242 })))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    post(&app, "/v2/bookings", None, base.clone())
        .await
        .expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn confirmation_required_bookings_are_pending_until_the_host_decides() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "h4@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30, "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } }),
    )
    .await;
    let first = book(&app, event, "2030-01-07T10:00:00Z", "p1@example.test").await;
    let uid = first.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    assert_eq!(first.data()["status"], "pending");
    book(&app, event, "2030-01-07T10:00:00Z", "p2@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    let stranger = app.user("not-host@example.test").await;
    post(
        &app,
        &format!("/v2/bookings/{uid}/confirm"),
        Some(&stranger.key),
        json!({}),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    let confirmed = post(&app, &format!("/v2/bookings/{uid}/confirm"), Some(&host.key), json!({})).await;
    assert_eq!(confirmed.expect_success(StatusCode::OK)["status"], "accepted");
    post(&app, &format!("/v2/bookings/{uid}/confirm"), Some(&host.key), json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);

    let second = book(&app, event, "2030-01-07T11:00:00Z", "p3@example.test").await;
    let uid2 = second.data()["uid"].as_str().expect("uid").to_owned();
    let declined = post(
        &app,
        &format!("/v2/bookings/{uid2}/decline"),
        Some(&host.key),
        json!({ "reason": "Busy" }),
    )
    .await;
    assert_eq!(declined.expect_success(StatusCode::OK)["status"], "rejected");
    book(&app, event, "2030-01-07T11:00:00Z", "p4@example.test")
        .await
        .expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn cancelling_frees_the_slot_and_records_why() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "h5@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let uid = book(&app, event, "2030-01-07T10:00:00Z", "c@example.test").await.data()["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let stranger = app.user("stranger-c@example.test").await;
    post(
        &app,
        &format!("/v2/bookings/{uid}/cancel"),
        Some(&stranger.key),
        json!({}),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    let cancelled = post(
        &app,
        &format!("/v2/bookings/{uid}/cancel"),
        Some(&host.key),
        json!({ "cancellationReason": "Sick" }),
    )
    .await;
    let c = cancelled.expect_success(StatusCode::OK);
    assert_eq!(c["status"], "cancelled");
    assert_eq!(c["cancellationReason"], "Sick");
    assert_eq!(c["cancelledByEmail"], "h5@example.test");
    post(&app, &format!("/v2/bookings/{uid}/cancel"), None, json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);
    book(&app, event, "2030-01-07T10:00:00Z", "again@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    post(&app, "/v2/bookings/no-such-uid/cancel", None, json!({}))
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rescheduling_links_both_bookings_and_keeps_the_calendar_uid() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "h6@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 60, "slotInterval": 30 }),
    )
    .await;
    let old = book(&app, event, "2030-01-07T10:00:00Z", "r@example.test")
        .await
        .data()
        .clone();
    let uid = old["uid"].as_str().expect("uid");
    // Moving by 30 minutes overlaps the old booking, which must not block its own move.
    let moved = post(
        &app,
        &format!("/v2/bookings/{uid}/reschedule"),
        None,
        json!({ "start": "2030-01-07T10:30:00Z", "reschedulingReason": "Traffic", "rescheduledBy": "r@example.test" }),
    )
    .await;
    let new = moved.expect_success(StatusCode::CREATED).clone();
    assert_eq!(new["rescheduledFromUid"], old["uid"]);
    assert_eq!(new["icsUid"], old["icsUid"]);
    assert_eq!(new["attendees"][0]["email"], "r@example.test");
    let owner = app.verified_user("r@example.test").await;
    let old_now = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&owner.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    let old_now = old_now.expect_success(StatusCode::OK);
    assert_eq!(old_now["status"], "cancelled");
    assert_eq!(old_now["rescheduledToUid"], new["uid"]);
    assert_eq!(old_now["reschedulingReason"], "Traffic");
    assert_eq!(old_now["rescheduledByEmail"], "r@example.test");
    let again = post(
        &app,
        &format!("/v2/bookings/{uid}/reschedule"),
        None,
        json!({ "start": "2030-01-07T14:00:00Z" }),
    )
    .await;
    let message = again.expect_error(StatusCode::BAD_REQUEST);
    assert!(
        message.contains(new["uid"].as_str().unwrap_or("?")),
        "points at the new booking: {message}"
    );
    let free = starts(
        &slots(
            &app,
            &format!("eventTypeId={event}&start=2030-01-07&end=2030-01-07&timeZone=UTC"),
        )
        .await,
    );
    assert!(
        free.contains(&"2030-01-07T09:00:00.000+00:00".to_owned())
            && !free.contains(&"2030-01-07T10:30:00.000+00:00".to_owned())
    );
}

#[tokio::test]
async fn listing_shows_hosted_and_attended_bookings_with_filters() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "h7@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let attendee = app.verified_user("fan@example.test").await;
    book(&app, event, "2030-01-07T09:00:00Z", "fan@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    book(&app, event, "2030-01-07T10:00:00Z", "other@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    let uid = book(&app, event, "2030-01-08T10:00:00Z", "third@example.test")
        .await
        .data()["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    post(&app, &format!("/v2/bookings/{uid}/cancel"), Some(&host.key), json!({}))
        .await
        .expect_success(StatusCode::OK);

    let list = |key: String, query: &'static str| {
        let app = &app;
        async move {
            app.versioned(
                Method::GET,
                &format!("/v2/bookings{query}"),
                Some(&key),
                None,
                Some(BOOKINGS),
            )
            .await
        }
    };
    assert_eq!(
        list(host.key.clone(), "")
            .await
            .expect_success(StatusCode::OK)
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let mine = list(attendee.key.clone(), "").await;
    assert_eq!(
        mine.expect_success(StatusCode::OK).as_array().map(Vec::len),
        Some(1),
        "an attendee sees only their booking"
    );
    assert_eq!(
        list(host.key.clone(), "?status=upcoming")
            .await
            .data()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        list(host.key.clone(), "?status=cancelled")
            .await
            .data()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        list(host.key.clone(), "?attendeeEmail=other@example.test").await.data()[0]["attendees"][0]["email"],
        "other@example.test"
    );
    let desc = list(host.key.clone(), "?sortStart=desc&take=1").await;
    assert_eq!(
        desc.body["pagination"],
        json!({ "totalItems": 3, "remainingItems": 2, "returnedItems": 1, "itemsPerPage": 1, "currentPage": 1,
                "totalPages": 3, "hasNextPage": true, "hasPreviousPage": false })
    );
    let last = list(host.key.clone(), "?take=2&skip=2").await;
    assert_eq!(last.body["pagination"]["currentPage"], 2);
    assert_eq!(last.body["pagination"]["hasNextPage"], false);
    assert_eq!(last.body["pagination"]["hasPreviousPage"], true);
    assert_eq!(desc.data()[0]["start"], "2030-01-08T10:00:00.000Z");
    assert_eq!(
        list(
            host.key.clone(),
            "?afterStart=2030-01-07T09:30:00Z&beforeEnd=2030-01-07T23:00:00Z"
        )
        .await
        .data()
        .as_array()
        .map(Vec::len),
        Some(1)
    );
    list(host.key.clone(), "?status=soon")
        .await
        .expect_field_error("status");
    list(host.key.clone(), "?sortStart=up")
        .await
        .expect_field_error("sortStart");
    list(host.key.clone(), "?afterStart=yesterday")
        .await
        .expect_field_error("afterStart");
    let stranger = app.user("nosy@example.test").await;
    assert_eq!(
        list(stranger.key.clone(), "").await.data().as_array().map(Vec::len),
        Some(0)
    );
    app.versioned(
        Method::GET,
        &format!("/v2/bookings/{uid}"),
        Some(&stranger.key),
        None,
        Some(BOOKINGS),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    // Without a key the uid is the capability, as on Cal.com: the booking answers, an unknown uid is 404.
    for version in [Some(BOOKINGS), None] {
        let anonymous = app
            .versioned(Method::GET, &format!("/v2/bookings/{uid}"), None, None, version)
            .await;
        assert_eq!(anonymous.expect_success(StatusCode::OK)["uid"], uid.as_str());
    }
    app.versioned(Method::GET, "/v2/bookings/not-a-uid", None, None, Some(BOOKINGS))
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn thirty_two_concurrent_requests_for_one_slot_yield_exactly_one_booking() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "race@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let client = app.client.clone();
        let url = format!("{}/v2/bookings", app.address);
        tasks.push(tokio::spawn(async move {
            let body = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z", "attendee": { "name": "R", "email": format!("r{i}@example.test"), "timeZone": "UTC" } });
            client.post(url).json(&body).send().await.map(|r| r.status()).ok()
        }));
    }
    let mut created = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.ok().flatten() {
            Some(StatusCode::CREATED) => created += 1,
            Some(StatusCode::CONFLICT) => conflicts += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((created, conflicts), (1, 31));
}

#[tokio::test]
async fn answers_are_checked_by_their_question_type_as_the_booking_page_checks_them() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "typed@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30,
                "bookingFields": [
                    { "type": "number", "slug": "size", "label": "Size", "required": true },
                    { "type": "select", "slug": "plan", "label": "Plan", "required": false, "options": ["Free", "Pro"] },
                    { "type": "url", "slug": "site", "label": "Site", "required": false }
                ] }),
    )
    .await;
    let attendee = json!({ "name": "A", "email": "a@example.test", "timeZone": "UTC" });
    let booking = |answers: Value| json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z", "attendee": attendee, "bookingFieldsResponses": answers });
    for (answers, field) in [
        (json!({ "size": "many" }), "bookingFieldsResponses.size"),
        (json!({ "size": 3, "plan": "Gold" }), "bookingFieldsResponses.plan"),
        (
            json!({ "size": 3, "site": "javascript:alert(1)" }),
            "bookingFieldsResponses.site",
        ),
        (json!({ "size": { "n": 3 } }), "bookingFieldsResponses.size"),
    ] {
        post(&app, "/v2/bookings", None, booking(answers))
            .await
            .expect_field_error(field);
    }
    let made = post(
        &app,
        "/v2/bookings",
        None,
        booking(json!({ "size": "12", "plan": "Pro", "site": "https://example.test" })),
    )
    .await;
    let data = made.expect_success(StatusCode::CREATED);
    assert_eq!(
        data["bookingFieldsResponses"]["size"],
        json!(12.0),
        "kept as a number: {data}"
    );
    assert_eq!(data["bookingFieldsResponses"]["plan"], "Pro");
}

#[tokio::test]
async fn default_fields_made_required_are_refused_by_name_when_left_out() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "strict@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Strict", "slug": "strict", "lengthInMinutes": 30,
                "locations": [{ "type": "link", "link": "https://meet.example.com/a", "public": true },
                              { "type": "phone", "phone": "+15550100", "public": true }],
                "bookingFields": [{ "slug": "notes", "required": true }, { "slug": "guests", "required": true },
                                  { "slug": "location", "required": true }] }),
    )
    .await;
    let attendee = json!({ "name": "Ann", "email": "ann@example.test", "timeZone": "UTC" });
    let full = json!({
        "eventTypeId": event, "start": "2030-01-07T10:00:00Z", "attendee": attendee,
        "guests": ["pal@example.test"], "location": { "type": "phone" },
        "bookingFieldsResponses": { "notes": "Agenda attached" }
    });
    for (leave_out, field) in [
        ("bookingFieldsResponses", "bookingFieldsResponses.notes"),
        ("guests", "guests"),
        ("location", "location"),
    ] {
        let mut body = full.clone();
        body.as_object_mut().expect("object").remove(leave_out);
        post(&app, "/v2/bookings", None, body).await.expect_field_error(field);
    }
    let blank = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z", "attendee": attendee,
        "guests": ["pal@example.test"], "location": { "type": "phone" },
        "bookingFieldsResponses": { "notes": "  " } });
    post(&app, "/v2/bookings", None, blank)
        .await
        .expect_field_error("bookingFieldsResponses.notes");
    // Nothing was booked by the refusals: the full request takes the slot.
    post(&app, "/v2/bookings", None, full)
        .await
        .expect_success(StatusCode::CREATED);
}
