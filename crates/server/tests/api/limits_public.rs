//! Limits for callers without an API key: per client address for the public operations, per attendee email
//! and per event type for bookings, 429 with `Retry-After` in Cal.com's envelope; trusted proxies (issue 10,
//! item 2).

use crate::helpers::{Answer, TestApp, roomy_limits};
use crate::scheduling::{BOOKINGS, SLOTS, host_with_event, weekdays_9_to_5};
use convene_core::rate::Rate;
use convene_server::ServerSettings;
use convene_server::limits::{LimitSettings, TrustedProxies};
use convene_store::outbox;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn rate(raw: &str) -> Rate {
    Rate::parse("rate", raw).expect("rate")
}

/// Settings with the real default limits (the usual test server's are roomy).
fn with_limits(limits: LimitSettings) -> ServerSettings {
    ServerSettings {
        secure_cookies: false,
        limits,
        ..ServerSettings::default()
    }
}

/// Trusts 127.0.0.1 (where the tests connect from) to name the client in `X-Forwarded-For`.
fn behind_local_proxy(limits: LimitSettings) -> LimitSettings {
    LimitSettings {
        trusted_proxies: TrustedProxies::new(vec!["127.0.0.1/32".parse().expect("net")]),
        ..limits
    }
}

/// A request as forwarded by a proxy for `client` (the header means something only from a trusted proxy).
async fn forwarded(
    app: &TestApp,
    client: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    version: &str,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .header("x-forwarded-for", client)
        .header("cal-api-version", version);
    if let Some(body) = body {
        request = request.json(&body);
    }
    TestApp::answer(request.send().await.expect("send")).await
}

fn booking(event: i64, start: &str, email: &str) -> Value {
    json!({ "eventTypeId": event, "start": start, "attendee": { "name": "Pat Booker", "email": email, "timeZone": "UTC" } })
}

fn retry_after(answer: &Answer) -> u64 {
    answer
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a numeric Retry-After in {:?}", answer.headers))
}

/// Asserts a 429 in Cal.com's envelope with a sensible `Retry-After`; returns it.
fn expect_limited(answer: &Answer, at_most_secs: u64) -> u64 {
    answer.expect_error(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.body["error"]["code"], "ThrottlerException", "{}", answer.body);
    let wait = retry_after(answer);
    assert!((1..=at_most_secs).contains(&wait), "Retry-After {wait}");
    assert_eq!(answer.body["error"]["details"]["retryAfterSeconds"], wait);
    wait
}

#[tokio::test]
async fn anonymous_bookings_beyond_the_default_allowance_per_address_get_429() {
    let app = TestApp::spawn_with(with_limits(LimitSettings::default())).await;
    let (host, event) = host_with_event(
        &app,
        "flooded@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    // The default is 30 an hour per address; requests for a taken slot count too.
    for i in 0..30 {
        let answer = app
            .versioned(
                Method::POST,
                "/v2/bookings",
                None,
                Some(booking(event, "2030-01-07T10:00:00Z", &format!("p{i}@example.test"))),
                Some(BOOKINGS),
            )
            .await;
        assert!(
            matches!(answer.status, StatusCode::CREATED | StatusCode::CONFLICT),
            "request {i}: {}",
            answer.body
        );
    }
    let refused = app
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(booking(event, "2030-01-08T10:00:00Z", "late@example.test")),
            Some(BOOKINGS),
        )
        .await;
    // One request comes back every two minutes.
    expect_limited(&refused, 120);
    // The refused request booked nothing and queued no email: one booking, two emails.
    assert_eq!(
        outbox::count_by_status(&app.db, convene_core::EmailStatus::Queued)
            .await
            .expect("count"),
        2
    );

    // A caller with an API key is held to the key's limit instead.
    let booked = app
        .versioned(
            Method::POST,
            "/v2/bookings",
            Some(&host.key),
            Some(booking(event, "2030-01-08T10:00:00Z", "keyholder@example.test")),
            Some(BOOKINGS),
        )
        .await;
    booked.expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn one_address_is_emailed_by_at_most_ten_anonymous_bookings_an_hour_as_attendee_or_guest() {
    let app = TestApp::spawn_with(with_limits(behind_local_proxy(LimitSettings::default()))).await;
    let (_, event) = host_with_event(
        &app,
        "host@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    // Ten different client addresses, one victim address.
    for i in 0..10 {
        let start = format!("2030-01-{:02}T10:00:00Z", 7 + i);
        let answer = forwarded(
            &app,
            &format!("198.51.100.{i}"),
            Method::POST,
            "/v2/bookings",
            Some(booking(event, &start, "victim@example.test")),
            BOOKINGS,
        )
        .await;
        assert!(
            matches!(answer.status, StatusCode::CREATED | StatusCode::CONFLICT),
            "request {i}: {}",
            answer.body
        );
    }
    let mut as_guest = booking(event, "2030-02-04T10:00:00Z", "someone@example.test");
    as_guest["guests"] = json!(["Victim@Example.test"]);
    let refused = forwarded(
        &app,
        "203.0.113.50",
        Method::POST,
        "/v2/bookings",
        Some(as_guest),
        BOOKINGS,
    )
    .await;
    expect_limited(&refused, 6 * 60);
    // Another attendee from that address is fine.
    let other = forwarded(
        &app,
        "203.0.113.50",
        Method::POST,
        "/v2/bookings",
        Some(booking(event, "2030-02-05T10:00:00Z", "someone@example.test")),
        BOOKINGS,
    )
    .await;
    other.expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn one_event_type_takes_a_bounded_number_of_anonymous_bookings() {
    let limits = LimitSettings {
        bookings_per_event_type: rate("3/hour"),
        ..behind_local_proxy(roomy_limits())
    };
    let app = TestApp::spawn_with(with_limits(limits)).await;
    let (_, event) = host_with_event(
        &app,
        "busy@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let (_, other_event) = host_with_event(
        &app,
        "calm@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    for i in 0..3 {
        let start = format!("2030-01-{:02}T10:00:00Z", 7 + i);
        forwarded(
            &app,
            &format!("198.51.100.{i}"),
            Method::POST,
            "/v2/bookings",
            Some(booking(event, &start, &format!("a{i}@example.test"))),
            BOOKINGS,
        )
        .await
        .expect_success(StatusCode::CREATED);
    }
    let refused = forwarded(
        &app,
        "198.51.100.9",
        Method::POST,
        "/v2/bookings",
        Some(booking(event, "2030-01-14T10:00:00Z", "a9@example.test")),
        BOOKINGS,
    )
    .await;
    expect_limited(&refused, 20 * 60);
    forwarded(
        &app,
        "198.51.100.9",
        Method::POST,
        "/v2/bookings",
        Some(booking(other_event, "2030-01-14T10:00:00Z", "a9@example.test")),
        BOOKINGS,
    )
    .await
    .expect_success(StatusCode::CREATED);
}

#[tokio::test]
async fn slots_and_reservations_each_have_their_own_allowance_per_address() {
    let limits = LimitSettings {
        slots_per_address: rate("3/minute"),
        reservations_per_address: rate("2/hour"),
        ..roomy_limits()
    };
    let app = TestApp::spawn_with(with_limits(limits)).await;
    let (_, event) = host_with_event(
        &app,
        "slots@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "T", "slug": "t", "lengthInMinutes": 30 }),
    )
    .await;
    let query = format!("/v2/slots?eventTypeId={event}&start=2030-01-07&end=2030-01-08");
    for _ in 0..3 {
        app.versioned(Method::GET, &query, None, None, Some(SLOTS))
            .await
            .expect_success(StatusCode::OK);
    }
    expect_limited(&app.versioned(Method::GET, &query, None, None, Some(SLOTS)).await, 20);

    let hold = |start: &'static str| {
        let app = &app;
        async move {
            app.versioned(
                Method::POST,
                "/v2/slots/reservations",
                None,
                Some(json!({ "eventTypeId": event, "slotStart": start })),
                Some(SLOTS),
            )
            .await
        }
    };
    hold("2030-01-07T10:00:00Z").await.expect_success(StatusCode::CREATED);
    hold("2030-01-07T11:00:00Z").await.expect_success(StatusCode::CREATED);
    expect_limited(&hold("2030-01-07T12:00:00Z").await, 30 * 60);
}

#[tokio::test]
async fn x_forwarded_for_names_the_client_only_when_a_trusted_proxy_sent_it() {
    let limits = LimitSettings {
        slots_per_address: rate("2/hour"),
        ..roomy_limits()
    };
    let query = "/v2/slots?eventTypeId=1&start=2030-01-07&end=2030-01-08";

    // Nobody trusted: a client can't buy a fresh allowance by writing the header.
    let app = TestApp::spawn_with(with_limits(limits.clone())).await;
    for (i, claimed) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        let answer = forwarded(&app, claimed, Method::GET, query, None, SLOTS).await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "request {i}");
    }
    expect_limited(
        &forwarded(&app, "203.0.113.3", Method::GET, query, None, SLOTS).await,
        3600,
    );

    // Behind a trusted proxy each client has its own allowance, and the rightmost untrusted hop is the client.
    let app = TestApp::spawn_with(with_limits(behind_local_proxy(limits))).await;
    for _ in 0..2 {
        let answer = forwarded(&app, "203.0.113.1", Method::GET, query, None, SLOTS).await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    }
    expect_limited(
        &forwarded(&app, "203.0.113.1", Method::GET, query, None, SLOTS).await,
        3600,
    );
    expect_limited(
        &forwarded(&app, "198.51.100.77, 203.0.113.1", Method::GET, query, None, SLOTS).await,
        3600,
    );
    let fresh = forwarded(&app, "203.0.113.2", Method::GET, query, None, SLOTS).await;
    assert_ne!(fresh.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn password_resets_and_verification_codes_are_limited_per_address() {
    let limits = LimitSettings {
        password_resets_per_address: rate("3/hour"),
        verification_codes_per_address: rate("2/hour"),
        ..roomy_limits()
    };
    let app = TestApp::spawn_with(with_limits(limits)).await;
    for i in 0..3 {
        let answer = app
            .request(
                Method::POST,
                "/v2/auth/password-reset",
                None,
                Some(json!({ "email": format!("someone{i}@example.test") })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let refused = app
        .request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": "someone-else@example.test" })),
        )
        .await;
    expect_limited(&refused, 20 * 60);

    // Codes go to addresses the caller picks: two users at one address share its allowance.
    let first = app.user("first@example.test").await;
    let second = app.user("second@example.test").await;
    for (who, to) in [(&first, "a@example.test"), (&second, "b@example.test")] {
        let answer = app
            .post(
                "/v2/verified-resources/emails/verification-code/request",
                &who.key,
                json!({ "email": to }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    let refused = app
        .post(
            "/v2/verified-resources/emails/verification-code/request",
            &second.key,
            json!({ "email": "c@example.test" }),
        )
        .await;
    expect_limited(&refused, 30 * 60);
}

#[tokio::test]
async fn booking_pages_count_against_the_slots_allowance_of_their_address() {
    let limits = LimitSettings {
        slots_per_address: rate("2/hour"),
        ..roomy_limits()
    };
    let app = TestApp::spawn_with(with_limits(limits)).await;
    let page = crate::web_booking::BOOKER;
    crate::web_booking::host(&app, json!({})).await;
    for i in 0..2 {
        let shown = crate::web_booking::get(&app, page).await;
        assert_eq!(shown.status, StatusCode::OK, "page {i}");
    }
    let refused = crate::web_booking::get(&app, &format!("{page}?lang=de")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("numeric Retry-After");
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    assert!(
        refused.html.contains("lang=\"de\""),
        "the refusal speaks the page's language"
    );
    assert!(
        refused.html.contains("Zu viele Anfragen"),
        "and says what happened: {}",
        refused.html
    );
    // The page and `/v2/slots` list the same slots: one allowance for both.
    expect_limited(
        &app.versioned(
            Method::GET,
            "/v2/slots?eventTypeId=1&start=2030-01-07&end=2030-01-08",
            None,
            None,
            Some(SLOTS),
        )
        .await,
        3600,
    );
}
