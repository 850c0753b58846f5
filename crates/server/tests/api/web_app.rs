//! The host's app over plain HTTP: the navigation, sign-in and back, and the event type pages (list, create,
//! edit, duplicate, delete) — with their validation messages, CSRF, and someone else's event type out of reach.

use crate::helpers::{PASSWORD, Person, TestApp};
use convene_core::{EventTypeId, UserId};
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::schedules::{self, ScheduleFields};
use convene_store::users::{self, UserPatch};
use reqwest::StatusCode;

const HOST: &str = "host@app.test";
const OTHER: &str = "other@app.test";

struct Answer {
    status: StatusCode,
    location: String,
    html: String,
}

/// A browser-like client (cookies kept, redirects not followed) signed in as `email`.
async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let html = get(app, &client, "/auth/login").await.html;
    let answer = post(
        app,
        &client,
        "/auth/login",
        &[("email", email), ("password", PASSWORD), ("csrf", &csrf_of(&html))],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "signed in as {email}");
    client
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> Answer {
    answer(client.get(format!("{}{path}", app.address)).send().await.expect("send")).await
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> Answer {
    answer(
        client
            .post(format!("{}{path}", app.address))
            .form(form)
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Answer {
        status,
        location,
        html: response.text().await.expect("html"),
    }
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in {html}"))
        .to_owned()
}

/// The event type form filled with `changes` over sensible values.
fn event_form<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("title", "Intro call"),
        ("slug", "intro"),
        ("description", "A first talk"),
        ("lengthInMinutes", "30"),
        ("lengthInMinutesOptions", ""),
        ("locationType", "link"),
        ("locationValue", "https://meet.example.test/intro"),
        ("locationType", ""),
        ("locationValue", ""),
        ("minimumBookingNotice", "60"),
        ("beforeEventBuffer", "5"),
        ("afterEventBuffer", "10"),
        ("slotInterval", ""),
        ("scheduleId", ""),
    ];
    for (name, value) in changes {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

/// The id at the end of a redirect to `/event-types/{id}?notice=…`.
fn id_in(location: &str) -> i64 {
    location
        .trim_start_matches("/event-types/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no event type id in {location}"))
}

async fn stored(app: &TestApp, id: i64) -> Option<EventTypeRecord> {
    event_types::find(&app.db, EventTypeId(id)).await.expect("find")
}

async fn host_app() -> (TestApp, Person, reqwest::Client) {
    let app = TestApp::spawn().await;
    let host = app.account(HOST).await;
    let client = signed_in(&app, HOST).await;
    (app, host, client)
}

/// Creates "Intro call" through the form; returns its id.
async fn create_intro(app: &TestApp, client: &reqwest::Client) -> i64 {
    let csrf = csrf_of(&get(app, client, "/event-types/new").await.html);
    let created = post(app, client, "/event-types", &event_form(&csrf, &[])).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    id_in(&created.location)
}

#[tokio::test]
async fn signed_out_visitor_is_sent_to_sign_in_and_back_to_the_page_asked_for() {
    let app = TestApp::spawn().await;
    app.account(HOST).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let refused = get(&app, &client, "/event-types/new").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location, "/auth/login?next=%2Fevent-types%2Fnew");
    let login = get(&app, &client, &refused.location).await;
    assert!(
        login.html.contains(r#"name="next" value="/event-types/new""#),
        "{}",
        login.html
    );
    let form = [
        ("email", HOST),
        ("password", PASSWORD),
        ("csrf", &csrf_of(&login.html)),
        ("next", "/event-types/new"),
    ];
    let signed = post(&app, &client, "/auth/login", &form).await;

    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location, "/event-types/new");
}

#[tokio::test]
async fn sign_in_never_sends_the_user_to_another_site() {
    let app = TestApp::spawn().await;
    app.account(HOST).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = get(&app, &client, "/auth/login?next=//evil.test/x").await;
    assert!(!login.html.contains("evil.test"), "{}", login.html);
    let form = [
        ("email", HOST),
        ("password", PASSWORD),
        ("csrf", &csrf_of(&login.html)),
        ("next", "//evil.test/x"),
    ];

    let signed = post(&app, &client, "/auth/login", &form).await;

    assert_eq!(signed.location, "/");
}

#[tokio::test]
async fn navigation_marks_the_current_section_and_speaks_the_users_language() {
    let (app, host, client) = host_app().await;

    let page = get(&app, &client, "/event-types").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains(r#"id="nav-event-types" aria-current="page""#),
        "{}",
        page.html
    );
    assert!(page.html.contains(r#"id="nav-bookings""#));
    assert!(
        !page.html.contains("nav-senders"),
        "a user managing no organization has no senders link"
    );
    assert!(page.html.contains("no-event-types"), "the empty list says what to do");

    set_locale(&app, host.id, "de").await;
    let german = get(&app, &client, "/event-types").await;
    assert!(german.html.contains(r#"<html lang="de">"#), "{}", german.html);
    assert!(german.html.contains(">Terminarten</a>"), "{}", german.html);
    let settings = get(&app, &client, "/settings").await;
    assert!(
        settings.html.contains(r#"id="nav-settings" aria-current="page""#),
        "{}",
        settings.html
    );
}

/// The user's language setting, as `PATCH /v2/me` would store it.
async fn set_locale(app: &TestApp, user: i64, locale: &str) {
    let patch = UserPatch {
        locale: Some(locale.to_owned()),
        ..UserPatch::default()
    };
    users::update(&app.db, UserId(user), &patch)
        .await
        .expect("update")
        .expect("user");
}

#[tokio::test]
async fn event_type_created_through_the_form_is_listed_with_its_public_link() {
    let (app, host, client) = host_app().await;

    let id = create_intro(&app, &client).await;

    let record = stored(&app, id).await.expect("created");
    assert_eq!(record.owner_id, Some(UserId(host.id)));
    assert_eq!((record.title.as_str(), record.slug.as_str()), ("Intro call", "intro"));
    assert_eq!(
        (
            record.length_minutes,
            record.minimum_booking_notice,
            record.before_event_buffer,
            record.after_event_buffer
        ),
        (30, 60, 5, 10)
    );
    assert!(
        record.locations.contains("https://meet.example.test/intro"),
        "{}",
        record.locations
    );
    let list = get(&app, &client, "/event-types").await;
    assert!(list.html.contains(&format!(r#"id="event-type-{id}""#)), "{}", list.html);
    assert!(
        list.html.contains("/host-app-test/intro\""),
        "the public link is shown: {}",
        list.html
    );
    assert!(
        list.html.contains("readonly"),
        "the link is selectable text without JavaScript"
    );
}

#[tokio::test]
async fn a_refused_field_is_named_beside_it_and_the_input_is_kept() {
    let (app, _host, client) = host_app().await;
    let csrf = csrf_of(&get(&app, &client, "/event-types/new").await.html);

    let refused = post(
        &app,
        &client,
        "/event-types",
        &event_form(&csrf, &[("lengthInMinutes", "0"), ("title", "Kept title")]),
    )
    .await;

    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.html.contains(r#"id="lengthInMinutes-error""#),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains(r#"value="Kept title""#),
        "input kept: {}",
        refused.html
    );
    assert!(
        refused.html.contains("https://meet.example.test/intro"),
        "locations kept"
    );
    assert_eq!(app.count_rows("event_types").await, 0);

    let bad_number = post(
        &app,
        &client,
        "/event-types",
        &event_form(&csrf, &[("beforeEventBuffer", "soon")]),
    )
    .await;
    assert_eq!(bad_number.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_number.html.contains(r#"id="beforeEventBuffer-error""#),
        "{}",
        bad_number.html
    );
}

#[tokio::test]
async fn a_slug_already_used_is_refused_beside_the_slug() {
    let (app, _host, client) = host_app().await;
    create_intro(&app, &client).await;
    let csrf = csrf_of(&get(&app, &client, "/event-types/new").await.html);

    let refused = post(&app, &client, "/event-types", &event_form(&csrf, &[])).await;

    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.html.contains(r#"id="slug-error""#), "{}", refused.html);
    assert_eq!(app.count_rows("event_types").await, 1);
}

#[tokio::test]
async fn editing_saves_confirmation_hidden_interval_and_schedule() {
    let (app, host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    let schedule = schedules::insert(
        &app.db,
        UserId(host.id),
        &ScheduleFields {
            name: "Mornings".into(),
            time_zone: "Europe/Berlin".into(),
            availability: "[]".into(),
            overrides: "[]".into(),
        },
        true,
    )
    .await
    .expect("schedule");
    let page = get(&app, &client, &format!("/event-types/{id}")).await;
    assert!(
        page.html.contains("Mornings"),
        "the schedules are offered: {}",
        page.html
    );
    let schedule_id = schedule.id.to_string();
    let csrf = csrf_of(&page.html);
    let changes = [
        ("title", "Longer call"),
        ("lengthInMinutes", "45"),
        ("lengthInMinutesOptions", "30, 45"),
        ("slotInterval", "15"),
        ("scheduleId", schedule_id.as_str()),
        ("requiresConfirmation", "true"),
        ("hidden", "true"),
    ];

    let saved = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &event_form(&csrf, &changes),
    )
    .await;

    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let record = stored(&app, id).await.expect("kept");
    assert_eq!(record.title, "Longer call");
    assert_eq!(record.length_minutes, 45);
    assert_eq!(record.length_options, "[30,45]");
    assert_eq!(record.slot_interval, Some(15));
    assert_eq!(record.schedule_id, Some(schedule.id));
    assert!(record.requires_confirmation && record.hidden);

    // Emptied boxes clear the interval and the schedule; unticked boxes turn the flags off.
    let cleared = post(&app, &client, &format!("/event-types/{id}"), &event_form(&csrf, &[])).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    let record = stored(&app, id).await.expect("kept");
    assert_eq!((record.slot_interval, record.schedule_id), (None, None));
    assert!(!record.requires_confirmation && !record.hidden);
}

#[tokio::test]
async fn duplicate_makes_a_copy_under_a_free_slug() {
    let (app, _host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    let csrf = csrf_of(&get(&app, &client, "/event-types").await.html);

    let first = post(
        &app,
        &client,
        &format!("/event-types/{id}/duplicate"),
        &[("csrf", &csrf)],
    )
    .await;
    let second = post(
        &app,
        &client,
        &format!("/event-types/{id}/duplicate"),
        &[("csrf", &csrf)],
    )
    .await;

    let first = stored(&app, id_in(&first.location)).await.expect("copy");
    let second = stored(&app, id_in(&second.location)).await.expect("copy");
    assert_eq!(
        (first.slug.as_str(), second.slug.as_str()),
        ("intro-copy", "intro-copy-2")
    );
    assert_eq!(first.title, "Intro call (copy)");
    assert_eq!(first.before_event_buffer, 5);
}

#[tokio::test]
async fn delete_asks_first_then_removes_the_event_type() {
    let (app, _host, client) = host_app().await;
    let id = create_intro(&app, &client).await;

    let question = get(&app, &client, &format!("/event-types/{id}/delete")).await;
    assert_eq!(question.status, StatusCode::OK);
    assert!(question.html.contains("Intro call"), "{}", question.html);
    assert!(stored(&app, id).await.is_some(), "asking deletes nothing");
    let deleted = post(
        &app,
        &client,
        &format!("/event-types/{id}/delete"),
        &[("csrf", &csrf_of(&question.html))],
    )
    .await;

    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(deleted.location, "/event-types?notice=deleted");
    assert!(stored(&app, id).await.is_none());
}

#[tokio::test]
async fn another_users_event_type_is_not_found_and_stays_unchanged() {
    let (app, _host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    app.account(OTHER).await;
    let other = signed_in(&app, OTHER).await;
    let csrf = csrf_of(&get(&app, &other, "/event-types").await.html);

    assert_eq!(
        get(&app, &other, &format!("/event-types/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &other, &format!("/event-types/{id}/delete")).await.status,
        StatusCode::NOT_FOUND
    );
    let edit = post(
        &app,
        &other,
        &format!("/event-types/{id}"),
        &event_form(&csrf, &[("title", "Taken over")]),
    )
    .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let copy = post(
        &app,
        &other,
        &format!("/event-types/{id}/duplicate"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(copy.status, StatusCode::NOT_FOUND);
    let delete = post(&app, &other, &format!("/event-types/{id}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);

    assert_eq!(stored(&app, id).await.expect("still there").title, "Intro call");
    assert_eq!(app.count_rows("event_types").await, 1);
    assert!(!get(&app, &other, "/event-types").await.html.contains("Intro call"));
}

#[tokio::test]
async fn a_form_without_the_sessions_token_or_from_another_site_is_refused() {
    let (app, _host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    let csrf = csrf_of(&get(&app, &client, "/event-types").await.html);

    let forged = post(
        &app,
        &client,
        "/event-types",
        &event_form("not-the-token", &[("slug", "forged")]),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let no_token = post(&app, &client, &format!("/event-types/{id}/delete"), &[]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let cross_site = client
        .post(format!("{}/event-types/{id}/delete", app.address))
        .header("origin", "https://evil.test")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    assert!(stored(&app, id).await.is_some());
    assert_eq!(app.count_rows("event_types").await, 1);
}

/// Every location kind the API accepts is one the form can show and save: a conferencing-app location is offered
/// as such on the edit page and survives saving the form.
#[tokio::test]
async fn an_integration_location_survives_an_edit_on_the_page() {
    let (app, _, client) = host_app().await;
    let csrf = csrf_of(&get(&app, &client, "/event-types/new").await.html);
    let with_app = event_form(
        &csrf,
        &[("locationType", "integration"), ("locationValue", "cal-video")],
    );
    let created = post(&app, &client, "/event-types", &with_app).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id = id_in(&created.location);

    let page = get(&app, &client, &format!("/event-types/{id}")).await;
    assert!(page.html.contains("Conferencing app"), "{}", page.html);
    let csrf = csrf_of(&page.html);
    let saved = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &event_form(
            &csrf,
            &[
                ("locationType", "integration"),
                ("locationValue", "cal-video"),
                ("title", "Renamed"),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let record = stored(&app, id).await.expect("event type");
    assert_eq!(record.title, "Renamed");
    assert!(
        record.locations.contains(r#""type":"integration""#) && record.locations.contains("cal-video"),
        "{}",
        record.locations
    );
}

/// The form with two custom questions (a required select and an optional text) and the notes hidden.
fn with_questions<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let questions = vec![
        ("questionRows", "3"),
        ("q-0-type", "text"),
        ("q-0-label", "Company"),
        ("q-0-slug", ""),
        ("q-0-placeholder", "Acme"),
        ("q-0-position", "2"),
        ("q-1-type", "select"),
        ("q-1-label", "Team size"),
        ("q-1-slug", "size"),
        ("q-1-options", "1-10\r\n11-50\r\n"),
        ("q-1-required", "true"),
        ("q-1-position", "1"),
        ("q-2-type", ""),
        ("q-2-label", ""),
        ("d-notes-hidden", "true"),
    ];
    let mut form = event_form(csrf, &[]);
    form.extend(questions);
    for (name, value) in changes {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

fn custom_fields(record: &EventTypeRecord) -> Vec<serde_json::Value> {
    let stored: Vec<serde_json::Value> = serde_json::from_str(&record.booking_fields).expect("json");
    stored.into_iter().filter(|f| f.get("isDefault").is_none()).collect()
}

#[tokio::test]
async fn booking_questions_are_added_ordered_hidden_and_removed_on_the_form() {
    let (app, _host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    let csrf = csrf_of(&get(&app, &client, &format!("/event-types/{id}")).await.html);

    let saved = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &with_questions(&csrf, &[]),
    )
    .await;

    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let record = stored(&app, id).await.expect("kept");
    let custom = custom_fields(&record);
    assert_eq!(custom.len(), 2, "the blank row adds nothing: {custom:?}");
    assert_eq!(custom[0]["slug"], "size", "ordered by position");
    assert_eq!(custom[0]["options"], serde_json::json!(["1-10", "11-50"]));
    assert_eq!(custom[0]["required"], true);
    assert_eq!(custom[1]["slug"], "company", "the slug comes from the label");
    assert_eq!(custom[1]["placeholder"], "Acme");
    assert_eq!(custom[1]["required"], false);
    let fields: Vec<serde_json::Value> = serde_json::from_str(&record.booking_fields).expect("json");
    assert!(
        fields.contains(&serde_json::json!({ "slug": "notes", "isDefault": true, "required": false, "hidden": true })),
        "{}",
        record.booking_fields
    );
    // The page shows them again, in order, with one blank row to add another.
    let page = get(&app, &client, &format!("/event-types/{id}")).await.html;
    assert!(page.contains(r#"name="questionRows" value="3""#), "{page}");
    assert!(page.contains(r#"id="q-0-slug" name="q-0-slug" value="size""#), "{page}");
    assert!(page.contains(r#"id="q-1-label" name="q-1-label" value="Company""#));
    assert!(page.contains(r#"id="d-notes-hidden" name="d-notes-hidden" value="true" checked"#));

    let removed = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &with_questions(&csrf, &[("q-1-remove", "true")]),
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let custom = custom_fields(&stored(&app, id).await.expect("kept"));
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0]["slug"], "company");
}

#[tokio::test]
async fn add_question_shows_one_more_blank_row_and_saves_nothing() {
    let (app, _host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    let csrf = csrf_of(&get(&app, &client, &format!("/event-types/{id}")).await.html);

    let more = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &with_questions(&csrf, &[("addQuestion", "true"), ("title", "Not saved")]),
    )
    .await;

    assert_eq!(more.status, StatusCode::OK);
    assert!(more.html.contains(r#"name="questionRows" value="4""#), "{}", more.html);
    assert!(more.html.contains(r#"id="q-3-type""#));
    assert!(more.html.contains(r#"value="Not saved""#), "what was typed is kept");
    let record = stored(&app, id).await.expect("kept");
    assert_eq!(record.title, "Intro call");
    assert!(custom_fields(&record).is_empty());
}

#[tokio::test]
async fn a_refused_question_is_shown_beside_its_row_with_what_was_typed() {
    let (app, host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    let csrf = csrf_of(&get(&app, &client, &format!("/event-types/{id}")).await.html);

    // The service refuses a custom question named like a default field, as the API does.
    let taken = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &with_questions(&csrf, &[("q-0-slug", "notes")]),
    )
    .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(
        taken
            .html
            .contains(r#"<p class="field-error" id="q-0-error">“notes” is one of the standard questions"#),
        "{}",
        taken.html
    );
    assert!(
        taken
            .html
            .contains(r#"id="q-0-slug" name="q-0-slug" value="notes" aria-invalid="true""#)
    );
    assert!(taken.html.contains(r#"value="Team size""#), "the other row is kept");

    // A choice question without options is refused by the form before the service.
    let no_options = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &with_questions(&csrf, &[("q-1-options", "  ")]),
    )
    .await;
    assert_eq!(no_options.status, StatusCode::BAD_REQUEST);
    assert!(no_options.html.contains(r#"id="q-1-error""#), "{}", no_options.html);
    assert!(custom_fields(&stored(&app, id).await.expect("kept")).is_empty());

    let api = app
        .versioned(
            reqwest::Method::PATCH,
            &format!("/v2/event-types/{id}"),
            Some(&host.key),
            Some(serde_json::json!({ "bookingFields": [{ "type": "text", "slug": "notes", "label": "x", "required": false }] })),
            Some(crate::scheduling::EVENT_TYPES),
        )
        .await;
    assert_eq!(api.status.as_u16(), 400, "the API refuses the same question");
}

#[tokio::test]
async fn booking_limits_and_email_settings_are_saved_and_a_bad_limit_is_refused() {
    let (app, _host, client) = host_app().await;
    let id = create_intro(&app, &client).await;
    let csrf = csrf_of(&get(&app, &client, &format!("/event-types/{id}")).await.html);

    let saved = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &event_form(
            &csrf,
            &[
                ("bookingLimitsCount-day", "2"),
                ("bookingLimitsCount-week", ""),
                ("bookingLimitsDuration-month", "600"),
                ("disableEmailsToAttendees", "true"),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let record = stored(&app, id).await.expect("kept");
    assert_eq!(record.booking_limits_count.as_deref(), Some(r#"{"day":2}"#));
    assert_eq!(record.booking_limits_duration.as_deref(), Some(r#"{"month":600}"#));
    assert_eq!(
        record.email_settings.as_deref(),
        Some(r#"{"disableEmailsToAttendees":true,"disableEmailsToHosts":false}"#)
    );
    let page = get(&app, &client, &format!("/event-types/{id}")).await.html;
    assert!(page.contains(r#"name="bookingLimitsCount-day" value="2""#), "{page}");
    assert!(page.contains(r#"id="disableEmailsToAttendees" name="disableEmailsToAttendees" value="true" checked"#));

    let refused = post(
        &app,
        &client,
        &format!("/event-types/{id}"),
        &event_form(&csrf, &[("bookingLimitsCount-week", "0")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.html.contains(r#"id="bookingLimitsCount-error""#),
        "{}",
        refused.html
    );
    assert!(refused.html.contains(r#"name="bookingLimitsCount-week" value="0""#));

    // Emptied boxes lift the limits.
    let lifted = post(&app, &client, &format!("/event-types/{id}"), &event_form(&csrf, &[])).await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER);
    let record = stored(&app, id).await.expect("kept");
    assert_eq!(
        (record.booking_limits_count, record.booking_limits_duration),
        (None, None)
    );
}
