//! The availability pages over plain HTTP: creating schedules, the weekly editor with several ranges per day and
//! date overrides, the default schedule, deleting — with validation messages, CSRF, and another user's schedule
//! out of reach.

use crate::helpers::{PASSWORD, TestApp};
use convene_core::{ScheduleId, UserId};
use convene_store::schedules::{self, ScheduleRecord};
use reqwest::StatusCode;

const HOST: &str = "hours@app.test";

async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let html = get(app, &client, "/auth/login").await.1;
    let form = [("email", email), ("password", PASSWORD), ("csrf", &csrf_of(&html))];
    let (status, _, _) = post(app, &client, "/auth/login", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    client
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let answer = client.get(format!("{}{path}", app.address)).send().await.expect("send");
    (answer.status(), answer.text().await.expect("html"))
}

/// Status, Location and HTML.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let answer = client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (answer.status(), location, answer.text().await.expect("html"))
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in {html}"))
        .to_owned()
}

async fn stored(app: &TestApp, user: i64, id: i64) -> Option<ScheduleRecord> {
    schedules::find(&app.db, UserId(user), ScheduleId(id))
        .await
        .expect("find")
}

/// Creates a schedule through the list page's form; returns its id.
async fn create(app: &TestApp, client: &reqwest::Client, name: &str) -> i64 {
    let csrf = csrf_of(&get(app, client, "/availability").await.1);
    let (status, location, html) = post(
        app,
        client,
        "/availability",
        &[("csrf", &csrf), ("name", name), ("timeZone", "Europe/Berlin")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    location
        .trim_start_matches("/availability/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("id")
}

/// The weekly editor: Monday 09:00–12:00 and 13:00–17:00, Tuesday 10:00–11:00, one override.
fn week<'a>(csrf: &'a str, tuesday_end: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", "Split days"),
        ("timeZone", "Europe/Berlin"),
        ("Monday-start", "09:00"),
        ("Monday-end", "12:00"),
        ("Monday-start", "13:00"),
        ("Monday-end", "17:00"),
        ("Monday-start", ""),
        ("Monday-end", ""),
        ("Tuesday-start", "10:00"),
        ("Tuesday-end", tuesday_end),
        ("overrideDate", "2030-01-07"),
        ("overrideStart", ""),
        ("overrideEnd", ""),
        ("overrideDate", ""),
        ("overrideStart", ""),
        ("overrideEnd", ""),
    ]
}

#[tokio::test]
async fn the_first_schedule_created_on_the_page_is_the_default_with_weekday_hours() {
    let app = TestApp::spawn().await;
    let host = app.account(HOST).await;
    let client = signed_in(&app, HOST).await;
    let (_, empty) = get(&app, &client, "/availability").await;
    assert!(empty.contains("no-schedules"), "the empty list says what to do");
    assert!(empty.contains(r#"id="nav-availability" aria-current="page""#));

    let id = create(&app, &client, "Work hours").await;

    let record = stored(&app, host.id, id).await.expect("created");
    assert!(record.is_default);
    assert_eq!(record.time_zone, "Europe/Berlin");
    assert!(record.availability.contains("Friday") && record.availability.contains("09:00"));
    let (_, list) = get(&app, &client, "/availability").await;
    assert!(list.contains(&format!(r#"id="default-{id}""#)), "{list}");
}

#[tokio::test]
async fn the_weekly_editor_saves_several_ranges_a_day_and_date_overrides() {
    let app = TestApp::spawn().await;
    let host = app.account(HOST).await;
    let client = signed_in(&app, HOST).await;
    let id = create(&app, &client, "Work hours").await;
    let csrf = csrf_of(&get(&app, &client, &format!("/availability/{id}")).await.1);

    let (status, _, html) = post(&app, &client, &format!("/availability/{id}"), &week(&csrf, "11:00")).await;

    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let record = stored(&app, host.id, id).await.expect("kept");
    let rules: serde_json::Value = serde_json::from_str(&record.availability).expect("json");
    assert_eq!(
        rules,
        serde_json::json!([
            {"days": ["Monday"], "startTime": "09:00", "endTime": "12:00"},
            {"days": ["Monday"], "startTime": "13:00", "endTime": "17:00"},
            {"days": ["Tuesday"], "startTime": "10:00", "endTime": "11:00"},
        ])
    );
    let overrides: serde_json::Value = serde_json::from_str(&record.overrides).expect("json");
    assert_eq!(
        overrides,
        serde_json::json!([{"date": "2030-01-07", "startTime": "00:00", "endTime": "00:00"}])
    );
    assert_eq!(record.name, "Split days");
    let (_, editor) = get(&app, &client, &format!("/availability/{id}")).await;
    assert!(
        editor.contains(r#"value="13:00""#),
        "the second Monday range is shown: {editor}"
    );
}

#[tokio::test]
async fn a_bad_time_is_named_and_the_week_as_typed_is_kept() {
    let app = TestApp::spawn().await;
    let host = app.account(HOST).await;
    let client = signed_in(&app, HOST).await;
    let id = create(&app, &client, "Work hours").await;
    let before = stored(&app, host.id, id).await.expect("created");
    let csrf = csrf_of(&get(&app, &client, &format!("/availability/{id}")).await.1);

    let (status, _, html) = post(&app, &client, &format!("/availability/{id}"), &week(&csrf, "25:99")).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains(r#"id="availability-error""#), "{html}");
    assert!(html.contains(r#"value="25:99""#), "input kept: {html}");
    assert!(html.contains(r#"value="Split days""#), "input kept");
    assert_eq!(
        stored(&app, host.id, id).await.expect("kept").availability,
        before.availability
    );
}

#[tokio::test]
async fn the_default_schedule_is_not_deleted_while_others_exist_and_another_can_become_default() {
    let app = TestApp::spawn().await;
    let host = app.account(HOST).await;
    let client = signed_in(&app, HOST).await;
    let first = create(&app, &client, "First").await;
    let second = create(&app, &client, "Second").await;
    let (_, question) = get(&app, &client, &format!("/availability/{first}/delete")).await;
    assert!(question.contains("delete-blocked"), "{question}");
    let csrf = csrf_of(&question);
    post(
        &app,
        &client,
        &format!("/availability/{first}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert!(stored(&app, host.id, first).await.is_some());

    let mut form = week(&csrf, "11:00");
    form.push(("isDefault", "true"));
    post(&app, &client, &format!("/availability/{second}"), &form).await;
    let (status, location, _) = post(
        &app,
        &client,
        &format!("/availability/{first}/delete"),
        &[("csrf", &csrf)],
    )
    .await;

    assert!(stored(&app, host.id, second).await.expect("kept").is_default);
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/availability?notice=deleted")
    );
    assert!(stored(&app, host.id, first).await.is_none());
}

#[tokio::test]
async fn another_users_schedule_is_not_found_and_forms_need_the_sessions_token() {
    let app = TestApp::spawn().await;
    let host = app.account(HOST).await;
    let client = signed_in(&app, HOST).await;
    let id = create(&app, &client, "Mine").await;
    app.account("intruder@app.test").await;
    let intruder = signed_in(&app, "intruder@app.test").await;
    let csrf = csrf_of(&get(&app, &intruder, "/availability").await.1);

    assert_eq!(
        get(&app, &intruder, &format!("/availability/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (edit, _, _) = post(&app, &intruder, &format!("/availability/{id}"), &week(&csrf, "11:00")).await;
    assert_eq!(edit, StatusCode::NOT_FOUND);
    let (delete, _, _) = post(
        &app,
        &intruder,
        &format!("/availability/{id}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(delete, StatusCode::NOT_FOUND);
    let (forged, _, _) = post(&app, &client, &format!("/availability/{id}"), &week("forged", "11:00")).await;
    assert_eq!(forged, StatusCode::FORBIDDEN);

    let record = stored(&app, host.id, id).await.expect("still there");
    assert_eq!(record.name, "Mine");
}
