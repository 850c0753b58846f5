//! The bookings list over plain HTTP: the host's own bookings by tab, the attendee search, and nobody else's.

use crate::helpers::{PASSWORD, TestApp};
use crate::web_booking::{book_through_pages, host};
use convene_store::users::{self, UserPatch};
use reqwest::StatusCode;
use serde_json::json;

pub const ADA: &str = "ada@example.test";

pub async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let html = get(app, &client, "/auth/login").await.1;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_owned();
    let answer = client
        .post(format!("{}/auth/login", app.address))
        .form(&[("email", email), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    client
}

pub async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let answer = client.get(format!("{}{path}", app.address)).send().await.expect("send");
    (answer.status(), answer.text().await.expect("html"))
}

/// Posts a form; answers the status and where it redirects, or the page when it does not.
pub async fn post(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let answer = client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    let status = answer.status();
    let to = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    (status, to.unwrap_or(answer.text().await.expect("html")))
}

/// The session's CSRF token on a page's form.
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form with the session's token")
        .to_owned()
}

/// Lets the booking pages' host sign in with [`PASSWORD`].
pub async fn with_password(app: &TestApp, email: &str) {
    let user = users::find_by_email(&app.db, email).await.expect("find").expect("user");
    let patch = UserPatch {
        password_hash: Some(convene_server::credentials::hash_password(PASSWORD).expect("hash")),
        ..UserPatch::default()
    };
    users::update(&app.db, user.user_id(), &patch).await.expect("update");
}

#[tokio::test]
async fn the_host_sees_an_upcoming_booking_by_tab_and_attendee_and_others_do_not() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    let result = book_through_pages(&app, event).await;
    let uid = result
        .trim_start_matches("/booking/")
        .split('?')
        .next()
        .expect("uid")
        .to_owned();
    with_password(&app, ADA).await;
    let ada = signed_in(&app, ADA).await;

    let (status, upcoming) = get(&app, &ada, "/bookings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(upcoming.contains(&format!(r#"id="booking-{uid}""#)), "{upcoming}");
    assert!(upcoming.contains(r#"id="tab-upcoming" aria-current="page""#));
    assert!(upcoming.contains(r#"id="nav-bookings" aria-current="page""#));
    let (_, cancelled) = get(&app, &ada, "/bookings?tab=cancelled").await;
    assert!(cancelled.contains("no-bookings"), "{cancelled}");
    let (_, by_email) = get(&app, &ada, "/bookings?q=zoe%40example.test").await;
    assert!(by_email.contains(&uid), "search by attendee email: {by_email}");
    let (_, someone_else) = get(&app, &ada, "/bookings?q=nobody%40example.test").await;
    assert!(!someone_else.contains(&uid));

    app.account("stranger@app.test").await;
    let stranger = signed_in(&app, "stranger@app.test").await;
    let (_, theirs) = get(&app, &stranger, "/bookings").await;
    assert!(!theirs.contains(&uid), "another user's list: {theirs}");
}
