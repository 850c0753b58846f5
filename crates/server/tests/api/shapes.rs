//! Shapes and requests as Cal.com's reference defines them (issue 12): booking fields with `isDefault`,
//! `hidden` and `placeholder`, default fields given by slug, team event types with their `team`, no nulls
//! where the schema has none.

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, EVENT_TYPES, book, host_with_event, weekdays_9_to_5};
use convene_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn field<'a>(fields: &'a Value, slug: &str) -> &'a Value {
    fields
        .as_array()
        .and_then(|list| list.iter().find(|f| f["slug"] == slug))
        .unwrap_or_else(|| panic!("no field {slug} in {fields}"))
}

#[tokio::test]
async fn booking_fields_carry_what_the_output_schemas_require_and_defaults_are_set_by_slug() {
    let app = TestApp::spawn().await;
    let (host, id) = host_with_event(
        &app,
        "fields@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Fields", "slug": "fields", "lengthInMinutes": 30, "bookingFields": [
            { "type": "text", "slug": "company", "label": "Company", "required": false },
            { "type": "boolean", "slug": "agree", "label": "Agree", "required": false },
            { "slug": "guests", "hidden": true },
            { "slug": "notes", "required": true, "label": "Agenda" },
            { "type": "email", "label": "Work email", "placeholder": "you@company.example" }
        ] }),
    )
    .await;
    let path = format!("/v2/event-types/{id}");
    let read = app
        .versioned(Method::GET, &path, Some(&host.key), None, Some(EVENT_TYPES))
        .await;
    let fields = read.expect_success(StatusCode::OK)["bookingFields"].clone();
    assert_eq!(
        field(&fields, "company"),
        &json!({ "type": "text", "slug": "company", "label": "Company", "required": false,
                 "isDefault": false, "hidden": false, "placeholder": "" })
    );
    assert!(field(&fields, "agree").get("placeholder").is_none(), "{fields}");
    assert_eq!(field(&fields, "agree")["isDefault"], false);
    assert_eq!(field(&fields, "name")["placeholder"], "");
    assert_eq!(
        field(&fields, "email"),
        &json!({ "type": "email", "slug": "email", "label": "Work email", "placeholder": "you@company.example",
                 "required": true, "isDefault": true })
    );
    assert_eq!(field(&fields, "guests")["hidden"], true);
    assert_eq!(field(&fields, "guests")["isDefault"], true);
    assert_eq!(field(&fields, "guests")["type"], "multiemail");
    assert_eq!(field(&fields, "notes")["label"], "Agenda");

    // A default field made required is enforced as Cal.com's booking schema does: no notes, no booking.
    book(&app, id, "2030-01-07T09:00:00Z", "booker@example.test")
        .await
        .expect_field_error("bookingFieldsResponses.notes");
    let with_notes = json!({ "eventTypeId": id, "start": "2030-01-07T09:00:00Z",
        "attendee": { "name": "Alex Attendee", "email": "booker@example.test", "timeZone": "UTC" },
        "bookingFieldsResponses": { "notes": "The agenda" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(with_notes), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED);

    // A custom field may not take a default field's slug, and a wrong override type is named.
    for (body, field) in [
        (
            json!([{ "type": "text", "slug": "notes", "label": "N", "required": true }]),
            "bookingFields[0].slug",
        ),
        (json!([{ "slug": "title", "hidden": "yes" }]), "bookingFields[0].hidden"),
    ] {
        app.versioned(
            Method::PATCH,
            &path,
            Some(&host.key),
            Some(json!({ "bookingFields": body })),
            Some(EVENT_TYPES),
        )
        .await
        .expect_field_error(field);
    }
}

#[tokio::test]
async fn a_booking_without_a_location_says_so_with_an_empty_string() {
    let app = TestApp::spawn().await;
    let (_, id) = host_with_event(
        &app,
        "noloc@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "No place", "slug": "no-place", "lengthInMinutes": 30 }),
    )
    .await;
    let booked = book(&app, id, "2030-01-07T09:00:00Z", "somebody@example.test").await;
    assert_eq!(booked.expect_success(StatusCode::CREATED)["location"], "");
}

#[tokio::test]
async fn team_event_types_carry_their_team_and_read_through_the_plain_route() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("shapes").await;
    let member = app.member(org, "member@shapes.test", Role::Member).await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Crew" }),
        )
        .await;
    let team = team.expect_success(StatusCode::CREATED).clone();
    // No null where OrgTeamOutputDto has no null: unset fields are left out.
    assert!(team.get("bio").is_none() && team.get("logoUrl").is_none(), "{team}");
    let team_id = team["id"].as_i64().expect("team id");
    let membership = app
        .post(
            &format!("/v2/organizations/{org}/teams/{team_id}/memberships"),
            &owner.key,
            json!({ "userId": member.id, "role": "MEMBER", "accepted": true }),
        )
        .await;
    let membership = membership.expect_success(StatusCode::CREATED);
    assert!(membership["user"].get("avatarUrl").is_none(), "{membership}");
    let created = app
        .post(
            &format!("/v2/organizations/{org}/teams/{team_id}/event-types"),
            &owner.key,
            json!({ "title": "Crew call", "slug": "crew-call", "lengthInMinutes": 30,
                    "schedulingType": "collective", "hosts": [{ "userId": member.id }] }),
        )
        .await;
    let created = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(created["team"]["id"], team_id);
    assert_eq!(created["team"]["name"], "Crew");
    assert_eq!(created["team"]["bannerUrl"], "");
    let id = created["id"].as_i64().expect("event type id");

    let path = format!("/v2/event-types/{id}");
    let read = app
        .versioned(Method::GET, &path, Some(&member.key), None, Some(EVENT_TYPES))
        .await;
    let read = read.expect_success(StatusCode::OK);
    assert_eq!(
        (read["teamId"].clone(), read["team"]["slug"].clone()),
        (json!(team_id), created["team"]["slug"].clone())
    );
    let legacy = app.versioned(Method::GET, &path, Some(&member.key), None, None).await;
    assert_eq!(legacy.expect_success(StatusCode::OK)["teamId"], team_id);
    let stranger = app.user("stranger@example.test").await;
    app.versioned(Method::GET, &path, Some(&stranger.key), None, Some(EVENT_TYPES))
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unset_payload_template_is_an_empty_string() {
    let app = TestApp::spawn().await;
    let person = app.user("hooks@example.test").await;
    let created = app
        .versioned(
            Method::POST,
            "/v2/webhooks",
            Some(&person.key),
            Some(json!({ "subscriberUrl": "https://hooks.example.test/x", "triggers": ["BOOKING_CREATED"], "active": true })),
            Some(BOOKINGS),
        )
        .await;
    assert_eq!(created.expect_success(StatusCode::CREATED)["payloadTemplate"], "");
}

#[tokio::test]
async fn an_attendee_known_only_by_phone_books_and_is_emailed_nothing() {
    let app = TestApp::spawn().await;
    let (host, id) = host_with_event(
        &app,
        "phone.host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Call", "slug": "call", "lengthInMinutes": 30 }),
    )
    .await;
    let body = json!({ "eventTypeId": id, "start": "2030-01-07T09:00:00Z",
                       "attendee": { "name": "Pat Phone", "phoneNumber": "+14155550123", "timeZone": "UTC" } });
    let booked = app
        .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await;
    let data = booked.expect_success(StatusCode::CREATED).clone();
    assert_eq!(data["status"], "accepted");
    assert_eq!(data["attendees"][0]["email"], "");
    assert_eq!(data["attendees"][0]["phoneNumber"], "+14155550123");
    // The booking stands: the host sees it and the slot is taken.
    let uid = data["uid"].as_str().expect("uid");
    let read = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    assert_eq!(read.expect_success(StatusCode::OK)["status"], "accepted");
    book(&app, id, "2030-01-07T09:00:00Z", "late@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
    // Only the host is written to: every email of this booking goes to the host's address.
    let booking_id = data["id"].as_i64().expect("booking id");
    let sql = "SELECT to_email FROM email_outbox WHERE booking_id = $1";
    let recipients: Vec<String> = match &app.db {
        convene_store::Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(booking_id).fetch_all(pool).await,
        convene_store::Db::Postgres(pool) => sqlx::query_scalar(sql).bind(booking_id).fetch_all(pool).await,
    }
    .expect("read the outbox");
    assert!(!recipients.is_empty(), "the host is told");
    assert!(
        recipients.iter().all(|r| r == "phone.host@example.test"),
        "{recipients:?}"
    );
    // Without a phone number the address is still required.
    let body =
        json!({ "eventTypeId": id, "start": "2030-01-07T10:00:00Z", "attendee": { "name": "N", "timeZone": "UTC" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_field_error("attendee.email");
}

#[tokio::test]
async fn an_org_user_may_be_created_with_a_default_schedule_id() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("sched-org").await;
    let created = app
        .post(
            &format!("/v2/organizations/{org}/users"),
            &owner.key,
            json!({ "email": "new.member@sched-org.test", "defaultScheduleId": 1 }),
        )
        .await;
    assert_eq!(
        created.expect_success(StatusCode::CREATED)["email"],
        "new.member@sched-org.test"
    );
}

#[tokio::test]
async fn the_host_moves_a_booking_to_another_place() {
    let app = TestApp::spawn().await;
    let (host, id) = host_with_event(
        &app,
        "mover@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Meet", "slug": "meet", "lengthInMinutes": 30, "locations": [
            { "type": "address", "address": "1 Main St", "public": true },
            { "type": "link", "link": "https://meet.example.test/room", "public": true }
        ] }),
    )
    .await;
    let booked = book(&app, id, "2030-01-07T09:00:00Z", "guest@example.test").await;
    let booked = booked.expect_success(StatusCode::CREATED).clone();
    assert_eq!(booked["location"], "1 Main St");
    let path = format!("/v2/bookings/{}/location", booked["uid"].as_str().expect("uid"));
    let patch = |key: Option<String>, body: Value, version: Option<&'static str>| {
        let app = &app;
        let path = path.clone();
        async move {
            app.versioned(Method::PATCH, &path, key.as_deref(), Some(body), version)
                .await
        }
    };
    // The event type's own link, by kind; then a place given in full.
    let moved = patch(
        Some(host.key.clone()),
        json!({ "location": { "type": "link" } }),
        Some(BOOKINGS),
    )
    .await;
    assert_eq!(
        moved.expect_success(StatusCode::OK)["location"],
        "https://meet.example.test/room"
    );
    let moved = patch(
        Some(host.key.clone()),
        json!({ "location": { "type": "address", "address": "2 Side St" } }),
        Some(BOOKINGS),
    )
    .await;
    assert_eq!(moved.expect_success(StatusCode::OK)["location"], "2 Side St");
    // Bad input names the field; the kind must be one the event type offers.
    patch(Some(host.key.clone()), json!({}), Some(BOOKINGS))
        .await
        .expect_field_error("location");
    patch(
        Some(host.key.clone()),
        json!({ "location": { "type": "phone" } }),
        Some(BOOKINGS),
    )
    .await
    .expect_field_error("location.type");
    // Only the host; without the version header Cal.com answers 404.
    let attendee = app.user("someone.else@example.test").await;
    patch(
        Some(attendee.key.clone()),
        json!({ "location": { "type": "link" } }),
        Some(BOOKINGS),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    patch(None, json!({ "location": { "type": "link" } }), Some(BOOKINGS))
        .await
        .expect_error(StatusCode::UNAUTHORIZED);
    patch(Some(host.key.clone()), json!({ "location": { "type": "link" } }), None)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bookings_attendees_are_listed_read_and_added() {
    let app = TestApp::spawn().await;
    let (host, id) = host_with_event(
        &app,
        "attendees.host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Meet", "slug": "meet", "lengthInMinutes": 30 }),
    )
    .await;
    let booked = book(&app, id, "2030-01-07T09:00:00Z", "first@example.test").await;
    let booked = booked.expect_success(StatusCode::CREATED).clone();
    let base = format!("/v2/bookings/{}/attendees", booked["uid"].as_str().expect("uid"));
    let call =
        |method: Method, path: String, key: Option<String>, body: Option<Value>, version: Option<&'static str>| {
            let app = &app;
            async move { app.versioned(method, &path, key.as_deref(), body, version).await }
        };
    let key = Some(host.key.clone());
    let list = call(Method::GET, base.clone(), key.clone(), None, Some(BOOKINGS)).await;
    let list = list.expect_success(StatusCode::OK).clone();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["email"], "first@example.test");
    assert_eq!(list[0]["bookingId"], booked["id"]);

    let added = call(
        Method::POST,
        base.clone(),
        key.clone(),
        Some(json!({ "name": "Second Person", "email": "second@example.test", "timeZone": "Europe/Paris" })),
        Some(BOOKINGS),
    )
    .await;
    let added = added.expect_success(StatusCode::CREATED).clone();
    assert_eq!(
        (added["name"].clone(), added["timeZone"].clone()),
        (json!("Second Person"), json!("Europe/Paris"))
    );
    let one = call(
        Method::GET,
        format!("{base}/{}", added["id"]),
        key.clone(),
        None,
        Some(BOOKINGS),
    )
    .await;
    assert_eq!(one.expect_success(StatusCode::OK)["email"], "second@example.test");
    // The new attendee is told by email.
    let sql = "SELECT COUNT(*) FROM email_outbox WHERE to_email = 'second@example.test'";
    let told: i64 = match &app.db {
        convene_store::Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        convene_store::Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .expect("count");
    assert_eq!(told, 1);

    // Bad input names the field; strangers and unknown ids get 404; the version is required.
    call(
        Method::POST,
        base.clone(),
        key.clone(),
        Some(json!({ "name": "Again", "email": "second@example.test", "timeZone": "UTC" })),
        Some(BOOKINGS),
    )
    .await
    .expect_field_error("email");
    call(
        Method::POST,
        base.clone(),
        key.clone(),
        Some(json!({ "name": "No zone", "email": "z@example.test" })),
        Some(BOOKINGS),
    )
    .await
    .expect_field_error("timeZone");
    call(Method::GET, format!("{base}/999999"), key.clone(), None, Some(BOOKINGS))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let stranger = app.user("not.invited@example.test").await;
    call(
        Method::GET,
        base.clone(),
        Some(stranger.key.clone()),
        None,
        Some(BOOKINGS),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
    call(Method::GET, base.clone(), key.clone(), None, None)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}
