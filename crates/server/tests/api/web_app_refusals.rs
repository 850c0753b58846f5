//! Refusals from the shared services, on the app's pages, in the reader's language: the sentence comes from the
//! `refusal-*` catalogue beside the field it names, what was typed stays in the form, nothing is saved — and the
//! API still answers the same refusal in its English words.

use crate::helpers::TestApp;
use crate::web_app_bookings::{csrf_of, get, post, signed_in};
use convene_core::UserId;
use convene_store::users::{self, UserPatch};
use reqwest::StatusCode;
use serde_json::json;

const HOST: &str = "anna@refusals.test";

/// A signed-in host whose pages are in `locale`.
async fn host_in(app: &TestApp, locale: &str) -> (i64, reqwest::Client) {
    let host = app.account(HOST).await;
    let patch = UserPatch {
        locale: Some(locale.to_owned()),
        ..UserPatch::default()
    };
    users::update(&app.db, UserId(host.id), &patch)
        .await
        .expect("update")
        .expect("user");
    (host.id, signed_in(app, HOST).await)
}

/// The text of the refusal shown beside `field` (`<p … id="{field}-error">…</p>`).
fn beside(html: &str, field: &str) -> String {
    html.split(&format!(r#"id="{field}-error">"#))
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap_or_else(|| panic!("no refusal beside {field} in {html}"))
        .to_owned()
}

#[tokio::test]
async fn a_bad_key_lifetime_is_refused_in_german_beside_the_days_with_the_days_kept() {
    let app = TestApp::spawn().await;
    let (_, client) = host_in(&app, "de").await;
    let csrf = csrf_of(&get(&app, &client, "/settings/api-keys").await.1);
    let before = app.count_rows("api_keys").await;

    let (status, page) = post(
        &app,
        &client,
        "/settings/api-keys",
        &[("csrf", &csrf), ("note", "Kalender-Sync"), ("days", "0")],
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(beside(&page, "days"), "Geben Sie eine Zahl von 1 bis 36500 ein.");
    assert!(
        page.contains(r#"aria-describedby="days-error""#),
        "the field points at its refusal"
    );
    assert!(!page.contains("days: "), "no field name glued in front: {page}");
    assert!(
        page.contains(r#"value="0""#) && page.contains(r#"value="Kalender-Sync""#),
        "typed kept"
    );
    assert_eq!(app.count_rows("api_keys").await, before, "no key made");

    let (_, page) = post(
        &app,
        &client,
        "/settings/api-keys",
        &[("csrf", &csrf), ("days", "bald")],
    )
    .await;
    assert_eq!(beside(&page, "days"), "Geben Sie eine ganze Zahl von Tagen ein.");
}

#[tokio::test]
async fn a_taken_slug_is_refused_in_german_beside_the_slug_with_the_form_kept() {
    let app = TestApp::spawn().await;
    let (_, client) = host_in(&app, "de").await;
    let csrf = csrf_of(&get(&app, &client, "/event-types/new").await.1);
    let form = |title: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", title.to_owned()),
            ("slug", "kennenlernen".to_owned()),
            ("lengthInMinutes", "30".to_owned()),
            ("minimumBookingNotice", "60".to_owned()),
            ("beforeEventBuffer", "0".to_owned()),
            ("afterEventBuffer", "0".to_owned()),
        ]
    };
    let first_form = form("Kennenlernen");
    let first: Vec<(&str, &str)> = first_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = post(&app, &client, "/event-types", &first).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the first one is made");

    let second_form = form("Zweites Gespräch");
    let second: Vec<(&str, &str)> = second_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = post(&app, &client, "/event-types", &second).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        beside(&page, "slug"),
        "Diese Adresse verwendet schon ein anderer Termintyp; wählen Sie eine andere."
    );
    assert!(page.contains(r#"value="Zweites Gespräch""#), "title kept: {page}");
    assert_eq!(app.count_rows("event_types").await, 1);

    let bad_slug: Vec<(&str, &str)> = second
        .iter()
        .map(|(k, v)| if *k == "slug" { (*k, "Nicht Gültig!") } else { (*k, *v) })
        .collect();
    let (status, page) = post(&app, &client, "/event-types", &bad_slug).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        beside(&page, "slug"),
        "Verwenden Sie Kleinbuchstaben, Ziffern und einzelne Bindestriche, etwa sales-team."
    );
    assert!(page.contains(r#"value="Nicht Gültig!""#), "slug kept: {page}");
}

#[tokio::test]
async fn a_range_ending_before_it_starts_is_refused_in_french_with_the_week_kept() {
    let app = TestApp::spawn().await;
    let (host, client) = host_in(&app, "fr").await;
    let csrf = csrf_of(&get(&app, &client, "/availability").await.1);
    let (status, location) = post(
        &app,
        &client,
        "/availability",
        &[("csrf", &csrf), ("name", "Semaine"), ("timeZone", "Europe/Paris")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let id: i64 = location
        .trim_start_matches("/availability/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let before = convene_store::schedules::find(&app.db, UserId(host), convene_core::ScheduleId(id))
        .await
        .expect("find")
        .expect("made");

    let (status, page) = post(
        &app,
        &client,
        &format!("/availability/{id}"),
        &[
            ("csrf", &csrf),
            ("name", "Semaine"),
            ("timeZone", "Europe/Paris"),
            ("Monday-start", "17:00"),
            ("Monday-end", "09:00"),
        ],
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(beside(&page, "availability"), "La fin doit venir après le début.");
    assert!(
        page.contains(r#"value="17:00""#) && page.contains(r#"value="09:00""#),
        "typed kept: {page}"
    );
    let after = convene_store::schedules::find(&app.db, UserId(host), convene_core::ScheduleId(id))
        .await
        .expect("find")
        .expect("kept");
    assert_eq!(after.availability, before.availability, "nothing saved");
}

#[tokio::test]
async fn the_api_answers_the_same_refusal_in_its_english_words() {
    let app = TestApp::spawn().await;
    let person = app.user("api@refusals.test").await;

    let answer = app
        .post("/v2/api-keys/refresh", &person.key, json!({ "apiKeyDaysValid": 0 }))
        .await;

    answer.expect_field_error("apiKeyDaysValid");
    assert_eq!(
        answer.body["error"]["message"],
        "apiKeyDaysValid: must be between 1 and 36500"
    );
    assert_eq!(
        answer.body["error"]["details"]["errors"][0]["message"],
        "must be between 1 and 36500"
    );
}
