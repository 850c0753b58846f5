//! Settings → Profile over plain HTTP: the profile saved with the API's value rules (a bad field is named), a
//! password change that needs the current password and signs every other session out, and signing out the other
//! sessions on demand. Forms refuse a missing CSRF token.

use crate::helpers::{PASSWORD, TestApp};
use crate::web_app_bookings::{csrf_of, post};
use crate::web_app_bookings::{get, signed_in};
use convene_store::users;
use reqwest::StatusCode;

const MAE: &str = "mae@account.test";

async fn still_signed_in(app: &TestApp, client: &reqwest::Client) -> bool {
    get(app, client, "/settings/profile").await.0 == StatusCode::OK
}

#[tokio::test]
async fn the_profile_saves_with_the_apis_rules_and_names_a_bad_field() {
    let app = TestApp::spawn().await;
    app.account(MAE).await;
    let mae = signed_in(&app, MAE).await;
    let (status, page) = get(&app, &mae, "/settings/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"id="settings-tab-profile" aria-current="page""#),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let form = |zone: &'static str| {
        vec![
            ("name", "Mae Jemison"),
            ("bio", "Astronaut."),
            ("timeZone", zone),
            ("timeFormat", "12"),
            ("weekStart", "Sunday"),
            ("locale", "fr"),
        ]
    };
    let mut bad = form("Mars/Olympus");
    bad.push(("csrf", &csrf));
    let (status, page) = post(&app, &mae, "/settings/profile", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("is not a known time zone"), "{page}");
    assert!(page.contains("Mae Jemison"), "the form keeps what was typed");

    let mut good = form("America/Chicago");
    good.push(("csrf", &csrf));
    let (status, to) = post(&app, &mae, "/settings/profile", &good).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/profile?notice=saved")
    );
    let user = users::find_by_email(&app.db, MAE).await.expect("read").expect("user");
    assert_eq!(
        (
            user.name.as_deref(),
            user.bio.as_deref(),
            user.time_zone.as_str(),
            user.time_format
        ),
        (Some("Mae Jemison"), Some("Astronaut."), "America/Chicago", 12)
    );
    assert_eq!((user.week_start.as_str(), user.locale.as_str()), ("Sunday", "fr"));
    let (_, page) = get(&app, &mae, "/settings/profile").await;
    assert!(page.contains(r#"<html lang="fr""#), "the pages now speak French");

    let (status, _) = post(&app, &mae, "/settings/profile", &form("UTC")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_signs_out_every_other_session() {
    let app = TestApp::spawn().await;
    app.account(MAE).await;
    let here = signed_in(&app, MAE).await;
    let elsewhere = signed_in(&app, MAE).await;
    let csrf = csrf_of(&get(&app, &here, "/settings/profile").await.1);

    let (status, page) = post(
        &app,
        &here,
        "/settings/password",
        &[
            ("csrf", &csrf),
            ("currentPassword", "wrong one"),
            ("newPassword", "a brand new password"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("That is not your current password."), "{page}");
    let (status, page) = post(
        &app,
        &here,
        "/settings/password",
        &[("csrf", &csrf), ("currentPassword", PASSWORD), ("newPassword", "short")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Use at least 8 characters."), "{page}");
    assert!(still_signed_in(&app, &elsewhere).await);

    let (status, _) = post(
        &app,
        &here,
        "/settings/password",
        &[
            ("csrf", &csrf),
            ("currentPassword", PASSWORD),
            ("newPassword", "a brand new password"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(still_signed_in(&app, &here).await, "this session stays");
    assert!(!still_signed_in(&app, &elsewhere).await, "the other one is out");
    let user = users::find_by_email(&app.db, MAE).await.expect("read").expect("user");
    assert!(convene_server::credentials::verify_password(
        "a brand new password",
        user.password_hash.as_deref().expect("hash")
    ));
}

#[tokio::test]
async fn signing_out_the_other_sessions_keeps_this_one() {
    let app = TestApp::spawn().await;
    app.account(MAE).await;
    let here = signed_in(&app, MAE).await;
    let elsewhere = signed_in(&app, MAE).await;
    let (_, page) = get(&app, &here, "/settings/profile").await;
    assert!(page.contains(r#"id="this-session""#), "{page}");
    let csrf = csrf_of(&page);
    let (status, _) = post(&app, &here, "/settings/sessions/sign-out-others", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(still_signed_in(&app, &elsewhere).await);
    let (status, to) = post(&app, &here, "/settings/sessions/sign-out-others", &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/profile?notice=signed-out")
    );
    assert!(still_signed_in(&app, &here).await);
    assert!(!still_signed_in(&app, &elsewhere).await);
}

#[tokio::test]
async fn notification_choices_saved_on_the_page_are_what_the_api_reads() {
    let app = TestApp::spawn().await;
    let person = app.account(MAE).await;
    let mae = signed_in(&app, MAE).await;
    let (status, page) = get(&app, &mae, "/settings/notifications").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let (status, page) = post(
        &app,
        &mae,
        "/settings/notifications",
        &[("csrf", &csrf), ("bookingReminder.email", "maybe")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Booking reminder, Email: choose on, off or the default."),
        "named as the grid names it: {page}"
    );
    // The refusal is in the reader's language, as the rest of the page.
    let german = users::UserPatch {
        locale: Some("de".to_owned()),
        ..users::UserPatch::default()
    };
    users::update(&app.db, convene_core::UserId(person.id), &german)
        .await
        .expect("update");
    let (status, page) = post(
        &app,
        &mae,
        "/settings/notifications",
        &[("csrf", &csrf), ("bookingReminder.email", "maybe")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Terminerinnerung, E-Mail: Wählen Sie An, Aus oder die Voreinstellung."),
        "{page}"
    );
    users::update(
        &app.db,
        convene_core::UserId(person.id),
        &users::UserPatch {
            locale: Some("en".to_owned()),
            ..users::UserPatch::default()
        },
    )
    .await
    .expect("update");
    let (status, _) = post(
        &app,
        &mae,
        "/settings/notifications",
        &[("bookingReminder.email", "off")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, to) = post(
        &app,
        &mae,
        "/settings/notifications",
        &[
            ("csrf", &csrf),
            ("bookingReminder.email", "off"),
            ("bookingCancelled.sms", "on"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/notifications?notice=saved")
    );
    let api = app.get("/v2/me/notification-preferences", &person.key).await;
    let data = api.expect_success(StatusCode::OK);
    assert_eq!(data["bookingReminder"]["email"], false);
    assert_eq!(data["bookingConfirmed"]["email"], true);
    let (_, page) = get(&app, &mae, "/settings/notifications").await;
    assert!(page.contains(r#"<option value="off" selected>"#), "{page}");
}
