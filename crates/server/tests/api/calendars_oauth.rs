//! Google Calendar and Microsoft 365 over OAuth 2, against the local fakes in `convene_testkit::calendars`: the
//! consent round trip, busy time subtracted by `/v2/slots`, tokens refreshed (before expiry, and once after a 401,
//! Microsoft's rotating refresh tokens stored again), paging, 429s retried, revoked access shown on the connection
//! while the write queue keeps its jobs, and the booking's event written, read and patched.

use crate::helpers::{Person, TestApp, roomy_limits};
use crate::scheduling::{BOOKINGS, book, host_with_event, slots, starts};
use convene_core::UserId;
use convene_server::ServerSettings;
use convene_server::calendars::{CalendarSettings, OAuthProvider};
use convene_server::email::host_guard::HostPolicy;
use convene_testkit::calendars::{FakeGoogle, FakeGraph, Fault};
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use url::{Url, form_urlencoded};

const PUBLIC_URL: &str = "https://convene.test";
const PRIMARY: &str = "host@gmail.test";

pub fn provider(id: &str, authorize: String, token: String, api: String) -> OAuthProvider {
    OAuthProvider {
        client_id: id.to_owned(),
        client_secret: SecretString::from(format!("{id}-secret")),
        authorize_url: Url::parse(&authorize).expect("url"),
        token_url: Url::parse(&token).expect("url"),
        api_base: Url::parse(&api).expect("url"),
    }
}

pub async fn app_with(google: Option<&FakeGoogle>, graph: Option<&FakeGraph>) -> TestApp {
    TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        limits: roomy_limits(),
        calendars: CalendarSettings {
            host_policy: Arc::new(HostPolicy {
                allowed_private: vec!["127.0.0.0/8".parse().expect("net")],
                ..HostPolicy::default()
            }),
            request_timeout: Duration::from_millis(1500),
            refresh_interval: Duration::from_secs(3600),
            horizon_days: 60,
            google: google.map(|g| provider("gid", g.authorize_url(), g.token_url(), g.api_base())),
            microsoft: graph.map(|g| provider("mid", g.authorize_url(), g.token_url(), g.api_base())),
            public_url: PUBLIC_URL.to_owned(),
            ..CalendarSettings::default()
        },
        ..ServerSettings::default()
    })
    .await
}

pub async fn host(app: &TestApp, email: &str) -> (Person, i64) {
    host_with_event(
        app,
        email,
        "UTC",
        json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], "startTime": "06:00", "endTime": "18:00" }]),
        json!({ "title": "Meet", "slug": "meet", "lengthInMinutes": 60, "slotInterval": 30 }),
    )
    .await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The provider's consent page, approved at once: it answers 302 to convene's callback; returns the callback's
/// query (`code` and `state`).
pub async fn provider_consent(auth_url: &str, calendar: &str) -> String {
    let consented = no_redirects().get(auth_url).send().await.expect("consent");
    assert_eq!(consented.status(), StatusCode::FOUND);
    let back = Url::parse(
        consented
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("location"),
    )
    .expect("callback url");
    let expected = format!("{}/v2/calendars/{calendar}/save", back.origin().ascii_serialization());
    assert_eq!(back.as_str().split('?').next(), Some(expected.as_str()));
    back.query().unwrap_or_default().to_owned()
}

/// connect → the provider's consent (302 back with a code) → save. Returns save's answer.
pub async fn consent(app: &TestApp, key: &str, calendar: &str, redir: Option<&str>) -> reqwest::Response {
    let mut path = format!("/v2/calendars/{calendar}/connect?isDryRun=false");
    if let Some(r) = redir {
        path.push_str(&format!(
            "&redir={}",
            form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
        ));
    }
    let answer = app.get(&path, key).await;
    let auth_url = answer.expect_success(StatusCode::OK)["authUrl"]
        .as_str()
        .expect("authUrl")
        .to_owned();
    let query = provider_consent(&auth_url, calendar).await;
    // The browser lands on convene's callback (here: the test server's address for it).
    no_redirects()
        .get(format!("{}/v2/calendars/{calendar}/save?{query}", app.address))
        .send()
        .await
        .expect("save")
}

pub fn day_ahead(days: i64) -> Date {
    jiff::Zoned::now()
        .date()
        .checked_add(Span::new().days(days))
        .expect("date")
}

fn at(day: Date, hhmm: &str) -> Timestamp {
    format!("{day}T{hhmm}:00Z").parse().expect("timestamp")
}

async fn day_starts(app: &TestApp, event: i64, day: Date) -> Vec<String> {
    starts(&slots(app, &format!("eventTypeId={event}&start={day}&end={day}&timeZone=UTC")).await)
}

fn offers(list: &[String], day: Date, hhmm: &str) -> bool {
    list.iter().any(|s| s.starts_with(&format!("{day}T{hhmm}")))
}

async fn connection(app: &TestApp, key: &str, integration: &str) -> Value {
    let all = app.get("/v2/calendars", key).await;
    all.expect_success(StatusCode::OK)["connectedCalendars"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["integration"]["type"] == integration).cloned())
        .expect("the connection is listed")
}

async fn sealed_secret(app: &TestApp, kind: &str) -> String {
    let all = convene_store::calendars::all_connections(&app.db)
        .await
        .expect("connections");
    all.into_iter()
        .find(|c| c.kind == kind)
        .expect("connection")
        .sealed_secret
}

#[tokio::test]
async fn google_connects_through_consent_lists_paged_calendars_and_its_busy_time_leaves_slots() {
    let google = FakeGoogle::start("gid", "gid-secret", PRIMARY).await;
    google.set_page_size(2);
    google.add_calendar("team@group.calendar.google.com", "Team", "writer");
    google.add_calendar("holidays@group.v.calendar.google.com", "Holidays", "reader");
    google.add_calendar("shared#x/y@group.calendar.google.com", "Shared", "freeBusyReader");
    let app = app_with(Some(&google), None).await;
    let (host, event) = host(&app, "g-host@example.test").await;

    // Nobody else's state: a missing, forged or other-provider state is refused naming the field.
    let forged = app
        .get("/v2/calendars/google/save?code=code-1&state=v1.x.AAAA", &host.key)
        .await;
    assert!(forged.expect_error(StatusCode::BAD_REQUEST).contains("state"));
    let no_auth = app
        .request(Method::GET, "/v2/calendars/google/connect?isDryRun=false", None, None)
        .await;
    assert_eq!(no_auth.status, StatusCode::UNAUTHORIZED);
    let wrong = app.get("/v2/calendars/apple/connect?isDryRun=false", &host.key).await;
    assert!(wrong.expect_error(StatusCode::BAD_REQUEST).contains("calendar"));

    let saved = consent(&app, &host.key, "google", Some("https://app.example/calendars?done=1")).await;
    assert_eq!(saved.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        saved.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("https://app.example/calendars?done=1")
    );
    assert_eq!(google.oauth().code_grants(), 1);
    let connect = app.get("/v2/calendars/google/connect?isDryRun=false", &host.key).await;
    let auth_url = connect.expect_success(StatusCode::OK)["authUrl"]
        .as_str()
        .expect("authUrl")
        .to_owned();
    assert!(auth_url.starts_with(&google.authorize_url()), "{auth_url}");
    assert!(
        auth_url.contains(&format!(
            "redirect_uri={}",
            form_urlencoded::byte_serialize(format!("{PUBLIC_URL}/v2/calendars/google/save").as_bytes())
                .collect::<String>()
        )),
        "{auth_url}"
    );

    let listed = connection(&app, &host.key, "google_calendar").await;
    let calendars = listed["calendars"].as_array().expect("calendars");
    assert_eq!(calendars.len(), 4, "every page of the calendar list: {listed}");
    assert_eq!(listed["primary"]["externalId"], PRIMARY);
    assert_eq!(listed["primary"]["isSelected"], true);
    let shared = calendars.iter().find(|c| c["name"] == "Shared").expect("shared");
    assert_eq!(shared["readOnly"], true);
    assert_eq!(shared["isSelected"], false);
    // The tokens are sealed: nothing readable in the database.
    let sealed = sealed_secret(&app, "google").await;
    assert!(!sealed.contains("access-") && !sealed.contains("refresh-"), "{sealed}");

    let day = day_ahead(9);
    assert!(offers(&day_starts(&app, event, day).await, day, "10:00"));
    google.add_event(PRIMARY, "Dentist", at(day, "10:00"), at(day, "11:00"));
    app.state.calendars.refresh_all().await;
    let list = day_starts(&app, event, day).await;
    assert!(
        !offers(&list, day, "10:00") && !offers(&list, day, "09:30") && !offers(&list, day, "10:30"),
        "{list:?}"
    );
    assert!(offers(&list, day, "09:00") && offers(&list, day, "11:00"), "{list:?}");

    // A 401 (the access token died early): refreshed once, retried, and the new token sealed and stored.
    google.oauth().expire_access_tokens();
    google.oauth().set_expires_in(30);
    google.add_event(PRIMARY, "Lunch", at(day, "14:00"), at(day, "15:00"));
    app.state.calendars.refresh_all().await;
    assert_eq!(google.oauth().refresh_grants(), 1);
    assert!(!offers(&day_starts(&app, event, day).await, day, "14:00"));
    assert_ne!(
        sealed_secret(&app, "google").await,
        sealed,
        "the refreshed token is stored"
    );
    // That token expires within the safety margin: the next read refreshes first, without waiting for a 401.
    app.state.calendars.refresh_all().await;
    assert_eq!(google.oauth().refresh_grants(), 2);
    assert_eq!(
        connection(&app, &host.key, "google_calendar").await["lastError"],
        Value::Null
    );

    // A short 429 is waited out inside the read; the busy time still arrives.
    google.oauth().fail_next(Fault {
        path: "/freeBusy".into(),
        status: 429,
        retry_after: Some(1),
    });
    google.add_event(PRIMARY, "Call", at(day, "16:00"), at(day, "17:00"));
    app.state.calendars.refresh_all().await;
    assert!(!offers(&day_starts(&app, event, day).await, day, "16:00"));
    assert_eq!(
        connection(&app, &host.key, "google_calendar").await["lastError"],
        Value::Null
    );
}

async fn connect_google(app: &TestApp, key: &str) {
    let saved = consent(app, key, "google", None).await;
    assert_eq!(saved.status(), StatusCode::OK);
}

pub async fn references(app: &TestApp, key: &str, uid: &str) -> Value {
    app.versioned(
        Method::GET,
        &format!("/v2/bookings/{uid}/references"),
        Some(key),
        None,
        Some(BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK)
    .clone()
}

#[tokio::test]
async fn google_receives_the_booking_event_which_reads_and_patches_and_a_revoked_grant_keeps_the_queue() {
    let google = FakeGoogle::start("gid", "gid-secret", PRIMARY).await;
    let app = app_with(Some(&google), None).await;
    let (host, event) = host(&app, "g-writer@example.test").await;
    connect_google(&app, &host.key).await;
    let day = day_ahead(11);

    let booked = book(&app, event, &format!("{day}T10:00:00Z"), "guest@example.test").await;
    let uid = booked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.done, 1, "{pass:?}");
    let written = google.events(PRIMARY);
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0]["start"]["dateTime"], format!("{day}T10:00:00Z"));
    let refs = references(&app, &host.key, &uid).await;
    assert_eq!(refs[0]["type"], "google_calendar");
    let event_id = refs[0]["eventUid"].as_str().expect("event id").to_owned();
    assert_eq!(written[0]["id"], event_id.as_str());

    // Meeting details, and a change to them.
    let details = app
        .get(&format!("/v2/calendars/google/event/{event_id}"), &host.key)
        .await;
    let data = details.expect_success(StatusCode::OK);
    assert_eq!(data["id"], event_id.as_str());
    assert_eq!(data["source"], "google");
    assert_eq!(data["start"]["time"], format!("{day}T10:00:00.000Z"));
    assert_eq!(data["status"], "accepted");
    assert_eq!(data["attendees"][0]["email"], "guest@example.test");
    let patched = app
        .patch(
            &format!("/v2/calendars/google/events/{event_id}"),
            &host.key,
            json!({ "title": "Renamed", "description": null, "end": { "time": format!("{day}T10:45:00Z"), "timeZone": "UTC" } }),
        )
        .await;
    let data = patched.expect_success(StatusCode::OK);
    assert_eq!(data["title"], "Renamed");
    assert_eq!(data["end"]["time"], format!("{day}T10:45:00.000Z"));
    assert_eq!(google.events(PRIMARY)[0]["summary"], "Renamed");
    let bad = app
        .patch(
            &format!("/v2/calendars/google/events/{event_id}"),
            &host.key,
            json!({ "status": "maybe" }),
        )
        .await;
    assert!(bad.expect_error(StatusCode::BAD_REQUEST).contains("status"));
    let missing = app.get("/v2/calendars/google/event/nope", &host.key).await;
    missing.expect_error(StatusCode::NOT_FOUND);
    let (other, _) = host_with_event(
        &app,
        "g-other@example.test",
        "UTC",
        json!([]),
        json!({ "title": "Other", "slug": "other", "lengthInMinutes": 30 }),
    )
    .await;
    let theirs = app
        .get(&format!("/v2/calendars/google/event/{event_id}"), &other.key)
        .await;
    theirs.expect_error(StatusCode::NOT_FOUND);

    // Reschedule moves the same event; cancel deletes it.
    let moved = app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{uid}/reschedule"),
            None,
            Some(json!({ "start": format!("{day}T12:00:00Z") })),
            Some(BOOKINGS),
        )
        .await;
    let moved_uid = moved.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    app.state.calendars.process_due_writes().await;
    let written = google.events(PRIMARY);
    assert_eq!(written.len(), 1, "moved, not copied: {written:?}");
    assert_eq!(written[0]["start"]["dateTime"], format!("{day}T12:00:00Z"));
    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{moved_uid}/cancel"),
        None,
        Some(json!({ "cancellationReason": "No longer needed" })),
        Some(BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK);
    app.state.calendars.process_due_writes().await;
    assert!(google.events(PRIMARY).is_empty(), "cancel deletes the event");

    // A long 429 is not slept through: the job waits at least as long as asked.
    google.oauth().fail_next(Fault {
        path: "/events".into(),
        status: 429,
        retry_after: Some(600),
    });
    book(&app, event, &format!("{day}T14:00:00Z"), "later@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    let before = Timestamp::now().as_millisecond();
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.retrying, 1, "{pass:?}");
    let waiting = app
        .state
        .calendars
        .unfinished_writes(UserId(host.id), 1, 20)
        .await
        .expect("jobs");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].status, "retrying");
    assert!(
        waiting[0].not_before.as_millisecond() >= before + 600_000,
        "Retry-After honoured"
    );
    assert!(
        waiting[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("retry after")),
        "{waiting:?}"
    );

    // The user revokes convene's access: reads fail, the connection says so and since when, the queue keeps
    // its jobs (retrying, then failed — never gone).
    google.oauth().revoke();
    app.state.calendars.refresh_all().await;
    let listed = connection(&app, &host.key, "google_calendar").await;
    assert!(listed["lastError"].as_str().is_some_and(|e| !e.is_empty()), "{listed}");
    assert!(listed["failingSince"].is_string(), "{listed}");
    book(&app, event, &format!("{day}T16:00:00Z"), "revoked@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.retrying + pass.failed, 1, "{pass:?}");
    let kept = app
        .state
        .calendars
        .unfinished_writes(UserId(host.id), 1, 20)
        .await
        .expect("jobs");
    assert_eq!(kept.len(), 2, "both writes are kept: {kept:?}");
    assert!(kept.iter().all(|j| j.last_error.is_some()));
    let checked = app.get("/v2/calendars/google/check", &host.key).await;
    assert_eq!(checked.expect_success(StatusCode::OK)[0]["invalid"], true);
}

#[tokio::test]
async fn microsoft_connects_reads_paged_calendar_views_rotates_refresh_tokens_and_writes_events() {
    let graph = FakeGraph::start("mid", "mid-secret", "AAMkDefault").await;
    graph.set_page_size(2);
    graph.add_calendar("AAMkBirthdays", "Birthdays");
    graph.add_calendar("AAMkWork", "Work");
    let app = app_with(None, Some(&graph)).await;
    let (host, event) = host(&app, "ms-host@example.test").await;
    let saved = consent(&app, &host.key, "office365", None).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let listed = connection(&app, &host.key, "office365_calendar").await;
    assert_eq!(listed["calendars"].as_array().map(Vec::len), Some(3), "{listed}");
    assert_eq!(listed["primary"]["externalId"], "AAMkDefault");

    let day = day_ahead(8);
    // Five events, three pages of calendarView; a free one does not block.
    graph.add_event("AAMkDefault", "Standup", at(day, "07:00"), at(day, "07:30"), "busy");
    graph.add_event("AAMkDefault", "Focus", at(day, "08:00"), at(day, "09:00"), "free");
    graph.add_event("AAMkDefault", "Maybe", at(day, "12:00"), at(day, "13:00"), "tentative");
    graph.add_event("AAMkDefault", "Review", at(day, "15:00"), at(day, "16:00"), "busy");
    graph.add_event("AAMkDefault", "Away", at(day, "17:00"), at(day, "18:00"), "oof");
    app.state.calendars.refresh_all().await;
    let list = day_starts(&app, event, day).await;
    assert!(!offers(&list, day, "07:00"), "{list:?}");
    assert!(offers(&list, day, "08:00"), "free time stays free: {list:?}");
    assert!(
        !offers(&list, day, "12:00") && !offers(&list, day, "15:00") && !offers(&list, day, "17:00"),
        "{list:?}"
    );

    // Refresh tokens rotate: each refresh must use the one stored by the last, or Microsoft refuses it.
    for round in 1..=2 {
        graph.oauth().expire_access_tokens();
        app.state.calendars.refresh_all().await;
        assert_eq!(graph.oauth().refresh_grants(), round);
        assert_eq!(
            connection(&app, &host.key, "office365_calendar").await["lastError"],
            Value::Null,
            "round {round}"
        );
    }

    let booked = book(&app, event, &format!("{day}T10:00:00Z"), "guest@example.test").await;
    let uid = booked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    assert_eq!(app.state.calendars.process_due_writes().await.done, 1);
    let written: Vec<Value> = graph
        .events("AAMkDefault")
        .into_iter()
        .filter(|e| e["subject"] != "Standup")
        .collect();
    let ours = written
        .iter()
        .find(|e| e["transactionId"].is_string())
        .expect("the booking's event");
    assert_eq!(ours["start"]["dateTime"], format!("{day}T10:00:00"));
    assert!(ours.get("attendees").is_none(), "Graph would invite attendees itself");
    let refs = references(&app, &host.key, &uid).await;
    assert_eq!(refs[0]["type"], "office365_calendar");
    assert_eq!(refs[0]["eventUid"], ours["id"]);
    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{uid}/cancel"),
        None,
        Some(json!({ "cancellationReason": "No longer needed" })),
        Some(BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK);
    app.state.calendars.process_due_writes().await;
    assert!(
        graph
            .events("AAMkDefault")
            .iter()
            .all(|e| !e["transactionId"].is_string()),
        "cancel deletes it"
    );
}

#[tokio::test]
async fn without_an_oauth_client_configured_connect_says_so() {
    let app = app_with(None, None).await;
    let (host, _) = host(&app, "no-oauth@example.test").await;
    let answer = app.get("/v2/calendars/google/connect?isDryRun=true", &host.key).await;
    assert!(answer.expect_error(StatusCode::BAD_REQUEST).contains("not set up"));
}

#[tokio::test]
async fn an_event_types_destination_calendar_is_stored_returned_and_receives_its_bookings() {
    const TEAM: &str = "team@group.calendar.google.com";
    let google = FakeGoogle::start("gid", "gid-secret", PRIMARY).await;
    google.add_calendar(TEAM, "Team", "writer");
    google.add_calendar("holidays@group.v.calendar.google.com", "Holidays", "reader");
    let app = app_with(Some(&google), None).await;
    let (host, event) = host(&app, "g-dest@example.test").await;
    connect_google(&app, &host.key).await;
    let path = format!("/v2/event-types/{event}");
    let patch = |body: Value| app.versioned(Method::PATCH, &path, Some(&host.key), Some(body), Some("2024-06-14"));

    let refused =
        patch(json!({ "destinationCalendar": { "integration": "google_calendar", "externalId": "nope" } })).await;
    assert!(
        refused
            .expect_error(StatusCode::BAD_REQUEST)
            .contains("destinationCalendar.externalId")
    );
    let read_only = patch(json!({ "destinationCalendar": { "integration": "google_calendar", "externalId": "holidays@group.v.calendar.google.com" } })).await;
    assert!(read_only.expect_error(StatusCode::BAD_REQUEST).contains("read-only"));
    let bad_kind = patch(json!({ "destinationCalendar": { "integration": "fax", "externalId": TEAM } })).await;
    assert!(
        bad_kind
            .expect_error(StatusCode::BAD_REQUEST)
            .contains("destinationCalendar.integration")
    );

    let set = patch(json!({ "destinationCalendar": { "integration": "google_calendar", "externalId": TEAM } })).await;
    assert_eq!(
        set.expect_success(StatusCode::OK)["destinationCalendar"],
        json!({ "integration": "google_calendar", "externalId": TEAM })
    );
    let read = app
        .versioned(Method::GET, &path, Some(&host.key), None, Some("2024-06-14"))
        .await;
    assert_eq!(
        read.expect_success(StatusCode::OK)["destinationCalendar"]["externalId"],
        TEAM
    );

    let day = day_ahead(10);
    book(&app, event, &format!("{day}T10:00:00Z"), "guest@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    assert_eq!(app.state.calendars.process_due_writes().await.done, 1);
    assert_eq!(
        google.events(TEAM).len(),
        1,
        "the event type's calendar gets the booking"
    );
    assert!(google.events(PRIMARY).is_empty(), "not the user's default");

    // null: back to the user's default destination.
    let cleared = patch(json!({ "destinationCalendar": null })).await;
    assert!(
        cleared
            .expect_success(StatusCode::OK)
            .get("destinationCalendar")
            .is_none()
    );
    book(&app, event, &format!("{day}T13:00:00Z"), "second@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    assert_eq!(app.state.calendars.process_due_writes().await.done, 1);
    assert_eq!(google.events(PRIMARY).len(), 1);

    // Created with one.
    let created = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(
                json!({ "title": "Team sync", "slug": "team-sync", "lengthInMinutes": 30,
                "destinationCalendar": { "integration": "google_calendar", "externalId": TEAM } }),
            ),
            Some("2024-06-14"),
        )
        .await;
    assert_eq!(
        created.expect_success(StatusCode::CREATED)["destinationCalendar"]["externalId"],
        TEAM
    );
}
