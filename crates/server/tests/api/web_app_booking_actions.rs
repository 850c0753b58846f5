//! One booking's page in the app over plain HTTP: the host confirms, declines, cancels (also from the list), asks for
//! a new time, marks absences, adds a guest and moves it — through the same services as the API — while another
//! user sees nothing and a form without the session's CSRF token changes nothing. The list's filters too.

use crate::helpers::TestApp;
use crate::web_app_bookings::csrf_of;
use crate::web_app_bookings::{ADA, get, signed_in, with_password};
use crate::web_booking::{book_through_pages, host};
use convene_core::BookingStatus;
use convene_store::bookings::{self, BookingRecord};
use reqwest::StatusCode;
use serde_json::json;

/// A booked 2030-01-07 10:00 with Ada (`extra` for the event type), Ada signed in, and the booking's uid.
async fn booked(app: &TestApp, extra: serde_json::Value) -> (reqwest::Client, String) {
    let event = host(app, extra).await;
    let result = book_through_pages(app, event).await;
    let uid = result
        .trim_start_matches("/booking/")
        .split('?')
        .next()
        .expect("uid")
        .to_owned();
    with_password(app, ADA).await;
    (signed_in(app, ADA).await, uid)
}

/// An event type whose bookings wait for the host's confirmation.
fn request() -> serde_json::Value {
    json!({ "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } })
}

/// Posts `form` (with the page's CSRF token) to `/bookings/{uid}/{action}`.
async fn act(
    app: &TestApp,
    client: &reqwest::Client,
    uid: &str,
    action: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = csrf_of(&get(app, client, &format!("/bookings/{uid}")).await.1);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let answer = client
        .post(format!("{}/bookings/{uid}/{action}", app.address))
        .form(&fields)
        .send()
        .await
        .expect("send");
    let status = answer.status();
    let to = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned())
        .unwrap_or_default();
    (status, to, answer.text().await.expect("html"))
}

async fn stored(app: &TestApp, uid: &str) -> BookingRecord {
    bookings::find_by_uid(&app.db, uid)
        .await
        .expect("read")
        .expect("booking")
}

#[tokio::test]
async fn the_host_confirms_a_request_from_its_page_and_a_second_confirm_is_refused() {
    let app = TestApp::spawn().await;
    let (ada, uid) = booked(&app, request()).await;
    let (status, page) = get(&app, &ada, &format!("/bookings/{uid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="confirm-form""#), "{page}");
    assert!(page.contains(r#"data-status="pending""#));
    assert!(page.contains(r#"id="nav-bookings" aria-current="page""#));

    let (status, to, _) = act(&app, &ada, &uid, "confirm", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/bookings/{uid}?notice=confirm"));
    assert_eq!(stored(&app, &uid).await.status, BookingStatus::Accepted);
    let (_, after) = get(&app, &ada, &to).await;
    assert!(
        after.contains(r#"id="notice""#) && !after.contains("confirm-form"),
        "{after}"
    );

    // The page no longer offers it; a stale form is told why, and nothing changes.
    let csrf = csrf_of(&after);
    let again = ada
        .post(format!("{}/bookings/{uid}/confirm", app.address))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.expect("html").contains(r#"id="error""#));
    assert_eq!(stored(&app, &uid).await.status, BookingStatus::Accepted);
}

#[tokio::test]
async fn declining_a_request_keeps_the_reason_and_too_long_a_reason_is_refused() {
    let app = TestApp::spawn().await;
    let (ada, uid) = booked(&app, request()).await;
    let long = "x".repeat(1001);
    let (status, _, page) = act(&app, &ada, &uid, "decline", &[("reason", &long)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Use at most 1000 characters."), "{page}");
    assert_eq!(stored(&app, &uid).await.status, BookingStatus::Pending);

    let (status, _, _) = act(&app, &ada, &uid, "decline", &[("reason", "Fully booked that week")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let b = stored(&app, &uid).await;
    assert_eq!(b.status, BookingStatus::Rejected);
    assert_eq!(b.cancellation_reason.as_deref(), Some("Fully booked that week"));
}

#[tokio::test]
async fn cancelling_from_the_list_goes_back_to_the_list_with_a_notice() {
    let app = TestApp::spawn().await;
    let (ada, uid) = booked(&app, json!({})).await;
    let (_, list) = get(&app, &ada, "/bookings").await;
    assert!(list.contains(&format!(r#"id="cancel-{uid}""#)), "{list}");
    assert!(list.contains(&format!(r#"href="/bookings/{uid}""#)));
    let csrf = csrf_of(&list);
    let answer = ada
        .post(format!("{}/bookings/{uid}/cancel", app.address))
        .form(&[("csrf", csrf.as_str()), ("from", "list")])
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/bookings?notice=cancel");
    let b = stored(&app, &uid).await;
    assert_eq!(b.status, BookingStatus::Cancelled);
    assert_eq!(b.cancelled_by_email.as_deref(), Some(ADA));
    let (_, cancelled) = get(&app, &ada, "/bookings?tab=cancelled").await;
    assert!(cancelled.contains(&uid) && !cancelled.contains(&format!("cancel-{uid}")));
}

#[tokio::test]
async fn another_users_booking_is_not_found_and_their_forms_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, uid) = booked(&app, request()).await;
    app.account("stranger@app.test").await;
    let stranger = signed_in(&app, "stranger@app.test").await;
    let (status, page) = get(&app, &stranger, &format!("/bookings/{uid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Intro call"));
    // Their own session's token, on someone else's booking.
    let csrf = csrf_of(&get(&app, &stranger, "/bookings").await.1);
    for action in [
        "confirm",
        "decline",
        "cancel",
        "guests",
        "location",
        "no-show",
        "request-reschedule",
    ] {
        let answer = stranger
            .post(format!("{}/bookings/{uid}/{action}", app.address))
            .form(&[("csrf", csrf.as_str()), ("email", "x@example.test")])
            .send()
            .await
            .expect("send");
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let b = stored(&app, &uid).await;
    assert_eq!(b.status, BookingStatus::Pending);
    assert_eq!(bookings::attendees(&app.db, &[b.id]).await.expect("attendees").len(), 1);
}

#[tokio::test]
async fn a_form_without_the_sessions_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (ada, uid) = booked(&app, request()).await;
    for form in [vec![], vec![("csrf", "not-the-token")]] {
        let answer = ada
            .post(format!("{}/bookings/{uid}/confirm", app.address))
            .form(&form)
            .send()
            .await
            .expect("send");
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    }
    let cross_site = ada
        .post(format!("{}/bookings/{uid}/cancel", app.address))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf_of(&get(&app, &ada, "/bookings").await.1).as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&app, &uid).await.status, BookingStatus::Pending);
    let anonymous = app
        .client
        .post(format!("{}/bookings/{uid}/cancel", app.address))
        .form(&[("csrf", "x")])
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/auth/login");
}

#[tokio::test]
async fn the_host_adds_a_guest_moves_the_booking_and_marks_absences() {
    let app = TestApp::spawn().await;
    let (ada, uid) = booked(
        &app,
        json!({ "locations": [{ "type": "link", "link": "https://meet.example/a" }] }),
    )
    .await;
    let page = get(&app, &ada, &format!("/bookings/{uid}")).await.1;
    assert!(
        page.contains(r#"id="reschedule""#) && page.contains("/reschedule?token="),
        "{page}"
    );

    let (status, _, page) = act(&app, &ada, &uid, "guests", &[("email", "not an email")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Enter an email address."), "{page}");
    let (status, to, _) = act(&app, &ada, &uid, "guests", &[("email", "bo@example.test")]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, &*format!("/bookings/{uid}?notice=guests"))
    );
    let (status, _, page) = act(&app, &ada, &uid, "guests", &[("email", "bo@example.test")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("This person is already on the booking."), "{page}");

    let (status, _, _) = act(
        &app,
        &ada,
        &uid,
        "location",
        &[("kind", "link"), ("value", "https://meet.example/b")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app, &uid).await.location.as_deref(),
        Some("https://meet.example/b")
    );
    let (status, _, page) = act(&app, &ada, &uid, "location", &[("kind", "phone")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("This event does not offer the place “phone”."), "{page}");

    let (status, _, _) = act(&app, &ada, &uid, "no-show", &[("absent", "zoe@example.test")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let b = stored(&app, &uid).await;
    let people = bookings::attendees(&app.db, &[b.id]).await.expect("attendees");
    let absent = |email: &str| people.iter().find(|a| a.email == email).expect("attendee").absent;
    assert!(absent("zoe@example.test") && !absent("bo@example.test") && !b.absent_host);

    let (status, _, _) = act(&app, &ada, &uid, "request-reschedule", &[("reason", "Travelling")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let b = stored(&app, &uid).await;
    assert_eq!(b.status, BookingStatus::Cancelled);
    assert_eq!(b.cancellation_reason.as_deref(), Some("Travelling"));
}

#[tokio::test]
async fn the_list_filters_by_event_type_and_dates_in_the_users_zone() {
    let app = TestApp::spawn().await;
    let (ada, uid) = booked(&app, json!({})).await;
    let event = stored(&app, &uid).await.event_type_id.expect("event type");
    let cases = [
        (format!("/bookings?et={event}"), true),
        (format!("/bookings?et={}", event.0 + 1000), true),
        ("/bookings?from=2030-01-07&to=2030-01-07".to_owned(), true),
        ("/bookings?from=2030-01-08".to_owned(), false),
        ("/bookings?to=2030-01-06".to_owned(), false),
    ];
    for (path, shown) in cases {
        let (status, html) = get(&app, &ada, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(html.contains(&format!("booking-{uid}")), shown, "{path}");
    }
    let (status, html) = get(&app, &ada, "/bookings?from=next-week").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains(r#"id="error""#));
}
