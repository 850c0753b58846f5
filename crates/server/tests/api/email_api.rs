//! The delivery log, password reset and email verification APIs.

use crate::helpers::{Person, TestApp, World};
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES, weekdays_9_to_5};
use convene_core::{SenderId, TeamId, UserId};
use convene_server::email::worker::process_due;
use convene_store::outbox::{self, Filter, Scope};
use convene_store::users;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Gives `host` a schedule and an event type; returns the event type id.
async fn event_for(app: &TestApp, host: &Person) -> i64 {
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

async fn book(app: &TestApp, event: i64, start: &str, email: &str) -> String {
    let body = json!({ "eventTypeId": event, "start": start,
        "attendee": { "name": "Bea Booker", "email": email, "timeZone": "Europe/Paris" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned()
}

fn kinds(list: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind").to_owned())
        .collect();
    kinds.sort();
    kinds
}

#[tokio::test]
async fn organization_admins_see_their_organizations_emails_and_nobody_else_does() {
    let w = World::new().await;
    let event = event_for(&w.app, &w.member).await;
    book(&w.app, event, "2030-01-07T10:00:00Z", "bea@example.test").await;
    let path = format!("/v2/organizations/{}/email-deliveries", w.org);

    for admin in [&w.owner, &w.admin] {
        let page = w.app.get(&path, &admin.key).await;
        page.expect_success(StatusCode::OK);
        assert_eq!(
            kinds(&page.body["data"]),
            ["booking_scheduled_attendee", "booking_scheduled_organizer"]
        );
        assert_eq!(page.body["pagination"]["hasMore"], false);
        for email in page.body["data"].as_array().expect("list") {
            assert!(email.get("bodyText").is_none() && email.get("bodyHtml").is_none());
            assert_eq!(email["status"], "queued");
            assert_eq!(email["organizationId"], w.org);
        }
    }
    for (who, status) in [
        (&w.member, StatusCode::FORBIDDEN),
        (&w.other_admin, StatusCode::FORBIDDEN),
        (&w.outsider, StatusCode::FORBIDDEN),
    ] {
        let answer = w.app.get(&path, &who.key).await;
        answer.expect_error(status);
        assert!(answer.body.get("data").is_none(), "no data for {}", who.id);
    }
    w.app
        .request(Method::GET, &path, None, None)
        .await
        .expect_error(StatusCode::UNAUTHORIZED);

    // The host sees the emails of their own booking; someone else sees none.
    let mine = w.app.get("/v2/email-deliveries", &w.member.key).await;
    assert_eq!(kinds(&mine.body["data"]).len(), 2);
    let theirs = w.app.get("/v2/email-deliveries", &w.outsider.key).await;
    assert_eq!(kinds(&theirs.body["data"]).len(), 0);

    // After the worker ran, one email shows its route and the transport's reply.
    let processed = process_due(&w.app.state, convene_store::now())
        .await
        .expect("worker batch");
    assert_eq!(processed.len(), 2);
    let id = mine.body["data"][0]["id"].as_i64().expect("id");
    let one = w.app.get(&format!("/v2/email-deliveries/{id}"), &w.admin.key).await;
    let data = one.expect_success(StatusCode::OK);
    assert_eq!(data["status"], "sent");
    assert_eq!(data["sentRoute"], "platform");
    let attempts = data["deliveryAttempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["route"], "platform");
    assert_eq!(attempts[0]["outcome"], "sent");
    assert_eq!(attempts[0]["smtpCode"], 250);
    assert_eq!(
        w.app
            .get(&format!("/v2/email-deliveries/{id}"), &w.member.key)
            .await
            .status,
        StatusCode::OK
    );
    for stranger in [&w.other_admin, &w.outsider] {
        let answer = w.app.get(&format!("/v2/email-deliveries/{id}"), &stranger.key).await;
        answer.expect_error(StatusCode::NOT_FOUND);
        assert!(answer.body.get("data").is_none());
    }
}

#[tokio::test]
async fn the_log_filters_and_pages_with_a_cursor() {
    let w = World::new().await;
    let event = event_for(&w.app, &w.member).await;
    let first = book(&w.app, event, "2030-01-07T10:00:00Z", "one@example.test").await;
    book(&w.app, event, "2030-01-07T11:00:00Z", "two@example.test").await;
    book(&w.app, event, "2030-01-07T12:00:00Z", "three@example.test").await;
    let path = format!("/v2/organizations/{}/email-deliveries", w.org);
    let get = |query: String| {
        let app = &w.app;
        let key = w.admin.key.clone();
        let path = path.clone();
        async move { app.get(&format!("{path}?{query}"), &key).await }
    };

    assert_eq!(get(String::new()).await.body["data"].as_array().expect("list").len(), 6);
    let for_two = get("recipient=TWO@example.test".into()).await;
    assert_eq!(kinds(&for_two.body["data"]), ["booking_scheduled_attendee"]);
    let organizer = get("kind=booking_scheduled_organizer".into()).await;
    assert_eq!(organizer.body["data"].as_array().expect("list").len(), 3);
    let of_first = get(format!("bookingUid={first}")).await;
    assert_eq!(of_first.body["data"].as_array().expect("list").len(), 2);
    assert_eq!(get("bookingUid=unknown".into()).await.body["data"], json!([]));
    assert_eq!(get("status=sent".into()).await.body["data"], json!([]));
    assert_eq!(
        get("afterCreatedAt=2000-01-01T00:00:00Z&beforeCreatedAt=2001-01-01T00:00:00Z".into())
            .await
            .body["data"],
        json!([])
    );

    // Two at a time, newest first, until the end; every email exactly once.
    let mut seen = Vec::new();
    let mut query = "take=2".to_owned();
    loop {
        let page = get(query.clone()).await;
        let data = page.expect_success(StatusCode::OK).clone();
        seen.extend(
            data.as_array()
                .expect("list")
                .iter()
                .map(|e| e["id"].as_i64().expect("id")),
        );
        match page.body["pagination"]["nextCursor"].as_str() {
            Some(cursor) => query = format!("take=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert!(seen.windows(2).all(|p| p[0] > p[1]), "newest first: {seen:?}");

    for (query, field) in [
        ("status=lost", "status"),
        ("kind=nope", "kind"),
        ("recipient=not-an-address", "recipient"),
        ("cursor=abc", "cursor"),
        ("take=0", "take"),
        ("afterCreatedAt=yesterday", "afterCreatedAt"),
    ] {
        get(query.into()).await.expect_field_error(field);
    }
}

/// The only email queued to `to` of `kind`, with its bodies (the store, not the API, shows those).
async fn only_email(app: &TestApp, user: i64, kind: &str) -> outbox::EmailRecord {
    let filter = Filter {
        kind: Some(kind.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let mut found = outbox::list(&app.db, Scope::User { id: UserId(user) }, &filter, 10)
        .await
        .expect("outbox");
    assert_eq!(found.len(), 1, "one {kind} email");
    found.remove(0)
}

#[tokio::test]
async fn a_password_reset_email_carries_a_one_time_token() {
    let app = TestApp::spawn().await;
    let person = app.user("forgetful@example.test").await;

    // Unknown addresses answer the same, and queue nothing.
    let unknown = app
        .request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": "nobody@example.test" })),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.body, json!({ "status": "success" }));
    assert_eq!(
        outbox::count_by_status(&app.db, convene_core::EmailStatus::Queued)
            .await
            .expect("count"),
        0
    );
    app.request(
        Method::POST,
        "/v2/auth/password-reset",
        None,
        Some(json!({ "email": "no" })),
    )
    .await
    .expect_field_error("email");

    let asked = app
        .request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": "Forgetful@Example.test" })),
        )
        .await;
    assert_eq!(asked.body, json!({ "status": "success" }));
    let email = only_email(&app, person.id, "password_reset").await;
    assert_eq!(email.to_email, "forgetful@example.test");
    assert!(email.organization_id.is_none() && email.booking_id.is_none());
    let token = email
        .body_text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("a token line in the email")
        .to_owned();
    assert!(email.body_html.contains(&format!("reset-password?token={token}")));

    let confirm = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/v2/auth/password-reset/confirm",
                None,
                Some(json!({ "token": token, "password": password })),
            )
            .await
        }
    };
    confirm("f".repeat(64), "a new password")
        .await
        .expect_field_error("token");
    confirm(token.clone(), "short").await.expect_field_error("password");
    assert_eq!(confirm(token.clone(), "a new password").await.status, StatusCode::OK);
    confirm(token, "another password").await.expect_field_error("token");

    let user = users::find(&app.db, UserId(person.id))
        .await
        .expect("db")
        .expect("user");
    assert!(convene_server::credentials::verify_password(
        "a new password",
        user.password_hash.as_deref().expect("a password")
    ));
}

#[tokio::test]
async fn an_address_is_verified_with_the_code_sent_to_it() {
    let app = TestApp::spawn().await;
    let person = app.user("verifier@example.test").await;
    let other = app.user("other@example.test").await;
    let request = |key: String, email: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/v2/verified-resources/emails/verification-code/request",
                &key,
                json!({ "email": email }),
            )
            .await
        }
    };
    let verify = |key: String, email: &'static str, code: String| {
        let app = &app;
        async move {
            app.post(
                "/v2/verified-resources/emails/verification-code/verify",
                &key,
                json!({ "email": email, "code": code }),
            )
            .await
        }
    };

    let asked = request(person.key.clone(), "work@example.test").await;
    assert_eq!(asked.status, StatusCode::OK);
    assert_eq!(asked.body, json!({ "status": "success" }));
    let email = only_email(&app, person.id, "email_verification_code").await;
    assert_eq!(email.to_email, "work@example.test");
    let code = email
        .subject
        .rsplit(' ')
        .next()
        .expect("the code ends the subject")
        .to_owned();
    assert_eq!(code.len(), 6);
    assert!(email.body_text.contains(&code) && email.body_html.contains(&code));

    verify(person.key.clone(), "work@example.test", "ZZZZZZ".into())
        .await
        .expect_field_error("code");
    // Another user can't use my code for the same address.
    verify(other.key.clone(), "work@example.test", code.clone())
        .await
        .expect_field_error("code");
    let verified = verify(person.key.clone(), "work@example.test", code.to_lowercase()).await;
    let data = verified.expect_success(StatusCode::OK).clone();
    assert_eq!(data["email"], "work@example.test");
    assert_eq!(data["userId"], person.id);
    verify(person.key.clone(), "work@example.test", code)
        .await
        .expect_field_error("code");

    let list = app.get("/v2/verified-resources/emails", &person.key).await;
    assert_eq!(list.expect_success(StatusCode::OK)[0]["email"], "work@example.test");
    let id = data["id"].as_i64().expect("id");
    app.get(&format!("/v2/verified-resources/emails/{id}"), &person.key)
        .await
        .expect_success(StatusCode::OK);
    app.get(&format!("/v2/verified-resources/emails/{id}"), &other.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_verification_code_stops_working_after_five_wrong_guesses() {
    let app = TestApp::spawn().await;
    let person = app.user("guesser@example.test").await;
    app.post(
        "/v2/verified-resources/emails/verification-code/request",
        &person.key,
        json!({ "email": "mine@example.test" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let code = only_email(&app, person.id, "email_verification_code")
        .await
        .subject
        .rsplit(' ')
        .next()
        .expect("code")
        .to_owned();
    for _ in 0..5 {
        app.post(
            "/v2/verified-resources/emails/verification-code/verify",
            &person.key,
            json!({ "email": "mine@example.test", "code": "WRONG1" }),
        )
        .await
        .expect_field_error("code");
    }
    app.post(
        "/v2/verified-resources/emails/verification-code/verify",
        &person.key,
        json!({ "email": "mine@example.test", "code": code }),
    )
    .await
    .expect_field_error("code");
    app.request(
        Method::POST,
        "/v2/verified-resources/emails/verification-code/request",
        None,
        Some(json!({ "email": "mine@example.test" })),
    )
    .await
    .expect_error(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn notification_preferences_decide_whether_booking_emails_are_queued() {
    let w = World::new().await;
    let event = event_for(&w.app, &w.member).await;
    let org_path = format!("/v2/organizations/{}/notification-preferences", w.org);
    let queued = |uid: String| {
        let app = &w.app;
        let key = w.admin.key.clone();
        let org = w.org;
        async move {
            app.get(
                &format!("/v2/organizations/{org}/email-deliveries?bookingUid={uid}"),
                &key,
            )
            .await
            .body["data"]
                .as_array()
                .expect("list")
                .len()
        }
    };

    let defaults = w.app.get(&org_path, &w.admin.key).await;
    assert_eq!(
        defaults.expect_success(StatusCode::OK)["bookingConfirmed"]["email"],
        true
    );

    // The organization turns booking confirmation emails off: none are queued.
    let off = w
        .app
        .patch(
            &org_path,
            &w.admin.key,
            json!({ "bookingConfirmed": { "email": false } }),
        )
        .await;
    assert_eq!(off.expect_success(StatusCode::OK)["bookingConfirmed"]["email"], false);
    let silent = book(&w.app, event, "2030-01-07T10:00:00Z", "a@example.test").await;
    assert_eq!(queued(silent.clone()).await, 0);
    // Cancellations are a different event and still go out.
    w.app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{silent}/cancel"),
            Some(&w.member.key),
            Some(json!({})),
            Some(BOOKINGS),
        )
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(queued(silent).await, 2);

    // The host overrides the organization's choice for themselves.
    let mine = w
        .app
        .patch(
            "/v2/me/notification-preferences",
            &w.member.key,
            json!({ "bookingConfirmed": { "email": true } }),
        )
        .await;
    assert_eq!(mine.expect_success(StatusCode::OK)["bookingConfirmed"]["email"], true);
    let loud = book(&w.app, event, "2030-01-07T11:00:00Z", "b@example.test").await;
    assert_eq!(queued(loud).await, 2);
    // Back to inheriting the organization's "off".
    let inherit = w
        .app
        .patch(
            "/v2/me/notification-preferences",
            &w.member.key,
            json!({ "bookingConfirmed": { "email": null } }),
        )
        .await;
    assert_eq!(
        inherit.expect_success(StatusCode::OK)["bookingConfirmed"]["email"],
        false
    );

    // Cal.com's documented form on the organization itself.
    let org = w
        .app
        .patch(
            &format!("/v2/organizations/{}", w.org),
            &w.owner.key,
            json!({ "notificationPreferences": { "bookingConfirmed": { "email": true, "sms": false } } }),
        )
        .await;
    let data = org.expect_success(StatusCode::OK);
    assert_eq!(data["notificationPreferences"]["bookingConfirmed"]["email"], true);
    assert_eq!(data["notificationPreferences"]["bookingConfirmed"]["sms"], false);

    w.app
        .patch(
            &org_path,
            &w.member.key,
            json!({ "bookingConfirmed": { "email": true } }),
        )
        .await
        .expect_error(StatusCode::FORBIDDEN);
    w.app
        .patch(&org_path, &w.other_admin.key, json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    for (body, field) in [
        (json!({ "bookingLost": { "email": true } }), "body.bookingLost"),
        (
            json!({ "bookingConfirmed": { "fax": true } }),
            "body.bookingConfirmed.fax",
        ),
        (
            json!({ "bookingConfirmed": { "email": "yes" } }),
            "body.bookingConfirmed.email",
        ),
        (json!([]), "body"),
    ] {
        w.app
            .patch(&org_path, &w.admin.key, body)
            .await
            .expect_field_error(field);
    }
    w.app
        .patch(
            &format!("/v2/organizations/{}", w.org),
            &w.owner.key,
            json!({ "name": "x" }),
        )
        .await
        .expect_field_error("name");
}

#[tokio::test]
async fn keys_rotate_reseals_sender_secrets_under_the_new_key() {
    use convene_keyring::{Keyring, NamedKey};
    use convene_server::email::senders::{binding, open_secret, owner_of};
    use convene_store::smtp_senders::{self, Secret, SenderFields};
    use secrecy::ExposeSecret;

    let w = World::new().await;
    let old = NamedKey::generate().to_config_entry();
    let new = NamedKey::generate().to_config_entry();
    let old_ring = Keyring::from_config(&[old.expose_secret()]).expect("old keyring");
    let fields = SenderFields {
        from_email: "mail@acme.test".into(),
        from_name: "Acme".into(),
        provider: "SMTP".into(),
        smtp_host: Some("mail.acme.test".into()),
        smtp_port: Some(587),
        smtp_secure: false,
        ip_pool: None,
    };
    let mut tx = w.app.db.begin().await.expect("tx");
    let id = smtp_senders::insert(&mut tx, TeamId(w.org), &fields, true, jiff::Timestamp::now())
        .await
        .expect("insert");
    let owner = owner_of(TeamId(w.org), id);
    let sealed = old_ring
        .seal(binding(&owner, Secret::SmtpPassword), "pw-123")
        .expect("seal");
    smtp_senders::set_secret(&mut tx, id, Secret::SmtpPassword, Some(&sealed))
        .await
        .expect("store");
    tx.commit().await.expect("commit");

    let both = Keyring::from_config(&[new.expose_secret(), old.expose_secret()]).expect("both");
    let first = convene_server::rotation::rotate(&w.app.db, &both)
        .await
        .expect("rotate");
    assert_eq!((first.resealed, first.current), (1, 0));
    let again = convene_server::rotation::rotate(&w.app.db, &both)
        .await
        .expect("rotate again");
    assert_eq!((again.resealed, again.current), (0, 1));

    let stored = smtp_senders::find(&w.app.db, TeamId(w.org), id)
        .await
        .expect("db")
        .expect("sender")
        .smtp_password_sealed
        .expect("sealed");
    assert_ne!(stored, sealed);
    let only_new = Keyring::from_config(&[new.expose_secret()]).expect("new keyring");
    let opened = open_secret(&only_new, TeamId(w.org), id, Secret::SmtpPassword, Some(&stored))
        .expect("opens with the new key alone")
        .expect("present");
    assert_eq!(opened.expose_secret(), "pw-123");
    assert!(
        open_secret(&old_ring, TeamId(w.org), id, Secret::SmtpPassword, Some(&stored)).is_err(),
        "the old key alone no longer opens it"
    );
    // Bound to its row: the same sealed value does not open as another sender's.
    assert!(
        open_secret(
            &only_new,
            TeamId(w.org),
            SenderId(id.0 + 1),
            Secret::SmtpPassword,
            Some(&stored)
        )
        .is_err()
    );
}
