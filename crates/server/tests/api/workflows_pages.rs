//! The personal workflow pages: over plain HTTP a workflow made on the page is the service's (its reminder planned
//! with the next booking), refusals show beside their field with what was typed kept, and nobody else's workflow
//! is reachable; in real headless Chromium a host makes one from the empty list, with axe-core finding no serious or
//! critical violation on the list and the editor.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::scheduling::{EVENT_TYPES, SCHEDULES, weekdays_9_to_5};
use crate::web_a11y::violations;
use crate::web_app_bookings::{csrf_of, post};
use crate::web_app_bookings::{get, signed_in};
use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, type_into, wait_for};
use fantoccini::Locator;
use reqwest::{Method, StatusCode};
use serde_json::json;

const SOLO: &str = "solo@pages.test";

/// `email`'s account with a schedule and a personal event type "Intro"; returns the event type's id.
pub(crate) async fn host_with_intro(app: &TestApp, email: &str) -> i64 {
    let host = app.account(email).await;
    app.versioned(
        Method::POST,
        "/v2/schedules",
        Some(&host.key),
        Some(json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() })),
        Some(SCHEDULES),
    )
    .await
    .expect_success(StatusCode::CREATED);
    app.versioned(
        Method::POST,
        "/v2/event-types",
        Some(&host.key),
        Some(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 })),
        Some(EVENT_TYPES),
    )
    .await
    .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("event type id")
}

#[tokio::test]
async fn a_workflow_made_on_the_page_is_checked_like_the_api_and_kept_to_its_owner() {
    let app = TestApp::spawn().await;
    let event = host_with_intro(&app, SOLO).await.to_string();
    let solo = signed_in(&app, SOLO).await;
    let (status, list) = get(&app, &solo, "/workflows").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("id=\"no-workflows\"") && list.contains("aria-current=\"page\""),
        "{list}"
    );
    let csrf = csrf_of(&list);

    // A zero-hour offset is fine; a negative one is refused beside the offset, the typed subject kept.
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("stepCount", "1"),
        ("name", "Day before"),
        ("trigger", "beforeEvent"),
        ("offset", "-3"),
        ("unit", "hour"),
        ("eventTypes", event.as_str()),
        ("step0-action", "email_attendee"),
        ("step0-template", "reminder"),
        ("step0-subject", "See you at {EVENT_TIME}"),
        ("step0-body", ""),
    ];
    let (status, page) = post(&app, &solo, "/workflows", &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"offset-error\""), "{page}");
    assert!(page.contains("value=\"See you at {EVENT_TIME}\""), "{page}");
    form[4] = ("offset", "24");
    let (status, to) = post(&app, &solo, "/workflows", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(to.starts_with("/workflows/") && to.ends_with("?notice=saved"), "{to}");
    let path = to.trim_end_matches("?notice=saved").to_owned();
    let (_, editor) = get(&app, &solo, &to).await;
    assert!(
        editor.contains("id=\"notice\"") && editor.contains("id=\"step0-remove\""),
        "{editor}"
    );
    assert!(
        editor.contains(&format!("id=\"event-type-{event}\" checked")),
        "{editor}"
    );

    // Someone else sees nothing of it, and a form without the session's token is refused.
    host_with_intro(&app, "other@pages.test").await;
    let other = signed_in(&app, "other@pages.test").await;
    assert_eq!(get(&app, &other, &path).await.0, StatusCode::NOT_FOUND);
    let other_csrf = csrf_of(&get(&app, &other, "/workflows").await.1);
    let (status, _) = post(&app, &other, &format!("{path}/delete"), &[("csrf", &other_csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(&app, &solo, &format!("{path}/delete"), &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, to) = post(&app, &solo, &format!("{path}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/workflows?notice=deleted")
    );
    assert_eq!(get(&app, &solo, &path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_host_makes_a_reminder_workflow_in_the_browser() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    let event = host_with_intro(&app, SOLO).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let mut found = Vec::new();

    c.goto(&format!("{}/workflows", app.address)).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", SOLO).await;
    type_into(c, "password", PASSWORD).await;
    click(c, "sign-in").await;
    wait_for(c, "no-workflows").await;
    found.extend(violations(c, &axe).await);

    click(c, "new-workflow").await;
    wait_for(c, "workflow-form").await;
    found.extend(violations(c, &axe).await);
    type_into(c, "name", "Day before").await;
    click(c, "all").await;
    click(c, &format!("event-type-{event}")).await;
    type_into(c, "step0-subject", "Tomorrow: {EVENT_NAME} at {EVENT_TIME}").await;
    click(c, "save-workflow").await;
    wait_for(c, "notice").await;
    found.extend(violations(c, &axe).await);

    click(c, "nav-workflows").await;
    wait_for(c, "workflows").await;
    let listed = c
        .find(Locator::Css("#workflows h2"))
        .await
        .expect("the listed workflow")
        .text()
        .await
        .expect("text");
    assert_eq!(listed, "Day before");

    click(c, "nav-routing-forms").await;
    wait_for(c, "no-forms").await;
    found.extend(violations(c, &axe).await);
    assert!(found.is_empty(), "accessibility: {found:#?}");
}
