//! Changing the account's email: nothing changes until the new address confirms, and bookings attended are
//! reached only through a verified address (issue 10, item 1).

use crate::helpers::{Person, TestApp, World};
use crate::scheduling::{BOOKINGS, book, host_with_event, weekdays_9_to_5};
use convene_core::UserId;
use convene_store::outbox::{self, EmailRecord, Filter, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A host with an event type and one booking attended by `attendee`; returns the booking's uid.
async fn booking_attended_by(app: &TestApp, host_email: &str, attendee: &str) -> (Person, String) {
    let (host, event) = host_with_event(
        app,
        host_email,
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Consultation", "slug": "consultation", "lengthInMinutes": 30 }),
    )
    .await;
    let uid = book(app, event, "2030-01-07T10:00:00Z", attendee)
        .await
        .expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    (host, uid)
}

/// The emails of `kind` queued for `user`, newest first.
async fn emails(app: &TestApp, user: i64, kind: &str) -> Vec<EmailRecord> {
    let filter = Filter {
        kind: Some(kind.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    outbox::list(&app.db, Scope::User { id: UserId(user) }, &filter, 10)
        .await
        .expect("outbox")
}

/// The code of the newest email-change confirmation (it ends the subject).
async fn change_code(app: &TestApp, user: i64) -> String {
    let mails = emails(app, user, "email_change_confirmation").await;
    let mail = mails.first().expect("a confirmation email");
    mail.subject.rsplit(' ').next().expect("a code").to_owned()
}

async fn my_bookings(app: &TestApp, key: &str) -> Vec<Value> {
    app.versioned(Method::GET, "/v2/bookings", Some(key), None, Some(BOOKINGS))
        .await
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("a list")
        .clone()
}

/// What a caller can do with a booking through its uid: read it, add a guest, get its calendar links.
async fn reach(app: &TestApp, key: &str, uid: &str) -> [StatusCode; 3] {
    let read = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(key),
            None,
            Some(BOOKINGS),
        )
        .await
        .status;
    let guest = app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{uid}/guests"),
            Some(key),
            Some(json!({ "guests": [{ "email": "spy@example.test" }] })),
            Some(BOOKINGS),
        )
        .await
        .status;
    let links = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}/calendar-links"),
            Some(key),
            None,
            Some(BOOKINGS),
        )
        .await
        .status;
    [read, guest, links]
}

#[tokio::test]
async fn an_unconfirmed_email_change_grants_nothing_of_the_addresss_bookings() {
    let app = TestApp::spawn().await;
    let (host, uid) = booking_attended_by(&app, "host@example.test", "victim@example.test").await;
    let attacker = app.verified_user("attacker@example.test").await;

    let answer = app
        .patch("/v2/me", &attacker.key, json!({ "email": "Victim@Example.test" }))
        .await;
    let me = answer.expect_success(StatusCode::OK);
    assert_eq!(
        me["email"], "attacker@example.test",
        "the address stays until confirmed"
    );
    assert_eq!(me["emailChangeWaitingForVerification"], "victim@example.test");
    let me = app.get("/v2/me", &attacker.key).await;
    assert_eq!(me.data()["email"], "attacker@example.test");
    assert_eq!(me.data()["emailChangeWaitingForVerification"], "victim@example.test");

    assert!(my_bookings(&app, &attacker.key).await.is_empty());
    assert_eq!(reach(&app, &attacker.key, &uid).await, [StatusCode::NOT_FOUND; 3]);
    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{uid}/cancel"),
        Some(&attacker.key),
        Some(json!({})),
        Some(BOOKINGS),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);

    // Nothing happened to the booking, and the only email went to the address being claimed.
    let booking = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    let booking = booking.expect_success(StatusCode::OK);
    assert_eq!(booking["status"], "accepted");
    assert_eq!(booking["attendees"].as_array().map(Vec::len), Some(1));
    let sent = emails(&app, attacker.id, "email_change_confirmation").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to_email, "victim@example.test");
    assert!(emails(&app, attacker.id, "email_changed").await.is_empty());
}

#[tokio::test]
async fn the_code_from_the_new_address_moves_the_account_and_the_old_address_is_told() {
    let app = TestApp::spawn().await;
    let (_, uid) = booking_attended_by(&app, "host@example.test", "new@example.test").await;
    let person = app.verified_user("old@example.test").await;
    app.patch("/v2/me", &person.key, json!({ "email": "new@example.test" }))
        .await
        .expect_success(StatusCode::OK);
    let code = change_code(&app, person.id).await;
    let confirmation = &emails(&app, person.id, "email_change_confirmation").await[0];
    assert!(confirmation.body_text.contains(&code) && confirmation.body_html.contains(&code));
    assert!(confirmation.body_text.contains("/auth/confirm-email?token="));

    let confirm = |code: String| {
        let app = &app;
        let key = person.key.clone();
        async move { app.post("/v2/me/email/confirm", &key, json!({ "code": code })).await }
    };
    confirm("ZZZZZZ".into()).await.expect_field_error("code");
    confirm(String::new()).await.expect_field_error("code");
    assert_eq!(app.get("/v2/me", &person.key).await.data()["email"], "old@example.test");

    let done = confirm(code.to_lowercase()).await;
    let me = done.expect_success(StatusCode::OK);
    assert_eq!(me["email"], "new@example.test");
    assert!(me["emailVerified"].is_string(), "{me}");
    assert!(me.get("emailChangeWaitingForVerification").is_none(), "{me}");
    let me = app.get("/v2/me", &person.key).await;
    assert_eq!(me.data()["email"], "new@example.test");

    let told = emails(&app, person.id, "email_changed").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].to_email, "old@example.test");
    assert!(told[0].body_text.contains("new@example.test"));

    // The confirmed address is verified, so its bookings are the account's now.
    let mine = my_bookings(&app, &person.key).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["uid"], uid.as_str());
    confirm(code).await.expect_field_error("code");
}

#[tokio::test]
async fn after_five_wrong_codes_even_the_right_one_is_refused() {
    let app = TestApp::spawn().await;
    let person = app.verified_user("guessed@example.test").await;
    app.patch("/v2/me", &person.key, json!({ "email": "elsewhere@example.test" }))
        .await
        .expect_success(StatusCode::OK);
    let code = change_code(&app, person.id).await;
    for _ in 0..5 {
        app.post("/v2/me/email/confirm", &person.key, json!({ "code": "ZZZZZZ" }))
            .await
            .expect_field_error("code");
    }
    app.post("/v2/me/email/confirm", &person.key, json!({ "code": code }))
        .await
        .expect_field_error("code");
    assert_eq!(
        app.get("/v2/me", &person.key).await.data()["email"],
        "guessed@example.test"
    );
}

#[tokio::test]
async fn the_emailed_link_confirms_the_change_in_a_browser() {
    let app = TestApp::spawn().await;
    let person = app.verified_user("linked@example.test").await;
    app.patch("/v2/me", &person.key, json!({ "email": "clicked@example.test" }))
        .await
        .expect_success(StatusCode::OK);
    let mail = &emails(&app, person.id, "email_change_confirmation").await[0];
    let link = mail
        .body_text
        .lines()
        .map(str::trim)
        .find(|l| l.contains("/auth/confirm-email?token="))
        .expect("a link")
        .to_owned();
    let path = &link[link.find("/auth/").expect("path")..];
    let token = path.rsplit('=').next().expect("token").to_owned();

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // Opening the link changes nothing by itself (mail scanners open links too).
    let page = browser
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert_eq!(
        app.get("/v2/me", &person.key).await.data()["email"],
        "linked@example.test"
    );
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_owned();

    let forged = browser
        .post(format!("{}/auth/confirm-email", app.address))
        .form(&[("token", token.as_str()), ("csrf", "forged")])
        .send()
        .await
        .expect("send");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = browser
        .post(format!("{}/auth/confirm-email", app.address))
        .form(&[("token", "f".repeat(64).as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let done = browser
        .post(format!("{}/auth/confirm-email", app.address))
        .form(&[("token", token.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.expect("html").contains("clicked@example.test"));
    assert_eq!(
        app.get("/v2/me", &person.key).await.data()["email"],
        "clicked@example.test"
    );
    assert_eq!(
        emails(&app, person.id, "email_changed").await[0].to_email,
        "linked@example.test"
    );
}

#[tokio::test]
async fn an_address_set_by_an_organization_admin_grants_nothing_until_its_owner_proves_it() {
    let w = World::new().await;
    let (_, uid) = booking_attended_by(&w.app, "outside-host@example.test", "target@example.test").await;
    let path = format!("/v2/organizations/{}/users/{}", w.org, w.member.id);
    let changed = w
        .app
        .patch(&path, &w.admin.key, json!({ "email": "target@example.test" }))
        .await;
    assert_eq!(changed.expect_success(StatusCode::OK)["email"], "target@example.test");
    assert_eq!(changed.data()["emailVerified"], Value::Null);

    assert!(my_bookings(&w.app, &w.member.key).await.is_empty());
    assert_eq!(reach(&w.app, &w.member.key, &uid).await, [StatusCode::NOT_FOUND; 3]);

    // The member proves the address with a code sent to it: now its bookings are theirs.
    w.app
        .post(
            "/v2/verified-resources/emails/verification-code/request",
            &w.member.key,
            json!({ "email": "target@example.test" }),
        )
        .await;
    let mail = &emails(&w.app, w.member.id, "email_verification_code").await[0];
    let code = mail.subject.rsplit(' ').next().expect("code").to_owned();
    w.app
        .post(
            "/v2/verified-resources/emails/verification-code/verify",
            &w.member.key,
            json!({ "email": "target@example.test", "code": code }),
        )
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(my_bookings(&w.app, &w.member.key).await.len(), 1);
    let read = w
        .app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&w.member.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    read.expect_success(StatusCode::OK);
}

#[tokio::test]
async fn an_address_already_verified_through_a_code_becomes_the_account_s_at_once() {
    let app = TestApp::spawn().await;
    let person = app.verified_user("first@example.test").await;
    app.post(
        "/v2/verified-resources/emails/verification-code/request",
        &person.key,
        json!({ "email": "second@example.test" }),
    )
    .await;
    let mail = &emails(&app, person.id, "email_verification_code").await[0];
    let code = mail.subject.rsplit(' ').next().expect("code").to_owned();
    app.post(
        "/v2/verified-resources/emails/verification-code/verify",
        &person.key,
        json!({ "email": "second@example.test", "code": code }),
    )
    .await
    .expect_success(StatusCode::OK);

    let answer = app
        .patch("/v2/me", &person.key, json!({ "email": "second@example.test" }))
        .await;
    let me = answer.expect_success(StatusCode::OK);
    assert_eq!(me["email"], "second@example.test");
    assert!(me["emailVerified"].is_string());
    assert!(emails(&app, person.id, "email_change_confirmation").await.is_empty());
    assert_eq!(
        emails(&app, person.id, "email_changed").await[0].to_email,
        "first@example.test"
    );
}

#[tokio::test]
async fn a_password_reset_proves_the_address_it_was_mailed_to() {
    let app = TestApp::spawn().await;
    let (_, _) = booking_attended_by(&app, "host@example.test", "resetter@example.test").await;
    let person = app.user("resetter@example.test").await;
    assert!(my_bookings(&app, &person.key).await.is_empty(), "unproved address");

    app.request(
        Method::POST,
        "/v2/auth/password-reset",
        None,
        Some(json!({ "email": "resetter@example.test" })),
    )
    .await;
    let mail = &emails(&app, person.id, "password_reset").await[0];
    let token = mail
        .body_text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("token")
        .to_owned();
    let done = app
        .request(
            Method::POST,
            "/v2/auth/password-reset/confirm",
            None,
            Some(json!({ "token": token, "password": "a fresh password" })),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(my_bookings(&app, &person.key).await.len(), 1);
}

#[tokio::test]
async fn a_reset_link_mailed_to_the_old_address_stops_working_after_the_change() {
    let app = TestApp::spawn().await;
    let person = app.verified_user("before@example.test").await;
    app.request(
        Method::POST,
        "/v2/auth/password-reset",
        None,
        Some(json!({ "email": "before@example.test" })),
    )
    .await;
    let mail = &emails(&app, person.id, "password_reset").await[0];
    let token = mail
        .body_text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("token")
        .to_owned();
    app.patch("/v2/me", &person.key, json!({ "email": "after@example.test" }))
        .await
        .expect_success(StatusCode::OK);
    let code = change_code(&app, person.id).await;
    app.post("/v2/me/email/confirm", &person.key, json!({ "code": code }))
        .await
        .expect_success(StatusCode::OK);
    app.request(
        Method::POST,
        "/v2/auth/password-reset/confirm",
        None,
        Some(json!({ "token": token, "password": "a fresh password" })),
    )
    .await
    .expect_field_error("token");
}
