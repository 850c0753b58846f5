//! External calendars through the API: ICS feeds served here on 127.0.0.1 and a real CalDAV server (Radicale)
//! started by the tests; their busy time blocks `/v2/slots` and bookings, failures are shown and bounded.

#[path = "../../../calendar/tests/calendar/radicale.rs"]
pub mod radicale;

use crate::helpers::{Person, TestApp, roomy_limits};
use crate::scheduling::{book, host_with_event, slots, starts};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode as AxumStatus;
use axum::response::IntoResponse;
use axum::routing::get;
use convene_core::{ConnectionKind, UserId};
use convene_server::ServerSettings;
use convene_server::calendars::CalendarSettings;
use convene_server::email::host_guard::HostPolicy;
use jiff::civil::{Date, Weekday};
use radicale::Radicale;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the test feed answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serve,
    Fail,
    Slow,
}

pub struct Feed {
    ics: Mutex<String>,
    mode: Mutex<Mode>,
    hits: AtomicUsize,
}

/// The feed's one route.
async fn answer(State(feed): State<Arc<Feed>>) -> axum::response::Response {
    feed.hits.fetch_add(1, Ordering::SeqCst);
    let mode = *feed.mode.lock().expect("mode");
    match mode {
        Mode::Serve => {
            let body = feed.ics.lock().expect("ics").clone();
            ([("content-type", "text/calendar")], body).into_response()
        }
        Mode::Fail => AxumStatus::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            AxumStatus::OK.into_response()
        }
    }
}

/// An ICS feed on 127.0.0.1; returns its shared state and URL.
pub async fn serve_feed(ics: String) -> (Arc<Feed>, String) {
    let feed = Arc::new(Feed {
        ics: Mutex::new(ics),
        mode: Mutex::new(Mode::Serve),
        hits: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/secret-token/feed.ics", get(answer))
        .with_state(feed.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (feed, format!("http://{addr}/secret-token/feed.ics"))
}

/// The server, allowed to reach 127.0.0.1 (the instance allowlist), with short timeouts.
pub async fn app_with(apple_server: Option<String>) -> TestApp {
    TestApp::spawn_with(ServerSettings {
        secure_cookies: false,
        limits: roomy_limits(),
        calendars: CalendarSettings {
            host_policy: Arc::new(HostPolicy {
                allowed_private: vec!["127.0.0.0/8".parse().expect("net")],
                ..HostPolicy::default()
            }),
            request_timeout: Duration::from_millis(800),
            refresh_interval: Duration::from_millis(100),
            horizon_days: 400,
            apple_server: apple_server.unwrap_or_else(|| "https://caldav.icloud.com/".to_owned()),
            ..CalendarSettings::default()
        },
        ..ServerSettings::default()
    })
    .await
}

/// The next spring-forward Sunday in Europe (last Sunday of March) at least a week away.
fn next_eu_dst() -> Date {
    let today = jiff::Zoned::now().date();
    for year in [today.year(), today.year() + 1] {
        let end = Date::new(year, 3, 31).expect("date");
        let mut d = end;
        while d.weekday() != Weekday::Sunday {
            d = d.yesterday().expect("date");
        }
        if d > today.checked_add(jiff::Span::new().days(8)).expect("date") {
            return d;
        }
    }
    unreachable!("a last Sunday of March lies within two years")
}

pub fn ymd(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

/// Weekly 10:00–11:00 Berlin on Mondays (from two weeks before the DST change), an all-day event, a three-day
/// event, a transparent and a cancelled one.
fn rich_feed(dst: Date) -> String {
    let monday_before = dst.checked_sub(jiff::Span::new().days(6)).expect("date");
    let first = monday_before.checked_sub(jiff::Span::new().days(7)).expect("date");
    let tuesday = dst.checked_add(jiff::Span::new().days(2)).expect("date");
    let wednesday = dst.checked_add(jiff::Span::new().days(3)).expect("date");
    let friday = dst.checked_add(jiff::Span::new().days(5)).expect("date");
    let next_monday = dst.checked_add(jiff::Span::new().days(8)).expect("date");
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Weekly sync\r\n\
DTSTART;TZID=Europe/Berlin:{first}T100000\r\nDTEND;TZID=Europe/Berlin:{first}T110000\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:allday@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Holiday\r\n\
DTSTART;VALUE=DATE:{tue}\r\nDTEND;VALUE=DATE:{wed}\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:multi@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Conference\r\n\
DTSTART:{wed}T150000Z\r\nDTEND:{fri}T100000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:free@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Focus (free)\r\nTRANSP:TRANSPARENT\r\n\
DTSTART:{nm}T120000Z\r\nDTEND:{nm}T130000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:cancelled@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Called off\r\nSTATUS:CANCELLED\r\n\
DTSTART:{nm}T140000Z\r\nDTEND:{nm}T150000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n",
        first = ymd(first),
        tue = ymd(tuesday),
        wed = ymd(wednesday),
        fri = ymd(friday),
        nm = ymd(next_monday),
    )
}

/// A host in UTC available 06:00–18:00 every day, with a 60-minute event type starting every half hour.
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

pub async fn day_starts(app: &TestApp, event: i64, day: Date) -> Vec<String> {
    let d = day.to_string();
    starts(&slots(app, &format!("eventTypeId={event}&start={d}&end={d}&timeZone=UTC")).await)
}

pub fn offers(list: &[String], day: Date, hhmm: &str) -> bool {
    let prefix = format!("{day}T{hhmm}");
    list.iter().any(|s| s.starts_with(&prefix))
}

pub async fn calendars(app: &TestApp, key: &str) -> Value {
    app.get("/v2/calendars", key)
        .await
        .expect_success(StatusCode::OK)
        .clone()
}

#[tokio::test]
async fn ics_feed_busy_time_blocks_slots_across_dst_all_day_and_multi_day_but_not_free_or_cancelled() {
    let app = app_with(None).await;
    let dst = next_eu_dst();
    let (feed, url) = serve_feed(rich_feed(dst)).await;
    let (host, event) = host(&app, "feed@example.test").await;

    let saved = app
        .post("/v2/calendars/ics-feed/save", &host.key, json!({ "urls": [url] }))
        .await;
    let data = saved.expect_success(StatusCode::CREATED);
    assert_eq!(data["type"], "ics-feed_calendar");
    assert_eq!(data["appId"], "ics-feed");
    assert_eq!(data["invalid"], false);

    let listed = calendars(&app, &host.key).await;
    assert!(
        !listed.to_string().contains("secret-token"),
        "the feed address is a secret: {listed}"
    );
    let cal = &listed["connectedCalendars"][0]["calendars"][0];
    assert_eq!(cal["isSelected"], true, "{listed}");

    // Weekly 10:00 Berlin: 09:00Z before the change, 08:00Z after.
    let before = dst.checked_sub(jiff::Span::new().days(6)).expect("date");
    let after = dst.checked_add(jiff::Span::new().days(1)).expect("date");
    let list = day_starts(&app, event, before).await;
    assert!(
        !offers(&list, before, "09:00") && offers(&list, before, "08:00"),
        "{list:?}"
    );
    let list = day_starts(&app, event, after).await;
    assert!(
        !offers(&list, after, "08:00") && offers(&list, after, "09:00"),
        "{list:?}"
    );
    // All day (Tuesday after the change): nothing.
    let tuesday = dst.checked_add(jiff::Span::new().days(2)).expect("date");
    assert!(day_starts(&app, event, tuesday).await.is_empty());
    // Wednesday 15:00Z to Friday 10:00Z: Thursday has nothing, Friday opens at 10:00.
    let thursday = dst.checked_add(jiff::Span::new().days(4)).expect("date");
    assert!(day_starts(&app, event, thursday).await.is_empty());
    let friday = dst.checked_add(jiff::Span::new().days(5)).expect("date");
    let list = day_starts(&app, event, friday).await;
    assert!(
        !offers(&list, friday, "09:00") && offers(&list, friday, "10:00"),
        "{list:?}"
    );
    // Transparent and cancelled events leave their hours free.
    let next_monday = dst.checked_add(jiff::Span::new().days(8)).expect("date");
    let list = day_starts(&app, event, next_monday).await;
    assert!(
        offers(&list, next_monday, "12:00") && offers(&list, next_monday, "14:00"),
        "{list:?}"
    );

    // Busy times name the event and calendar.
    let busy = app
        .get(
            &format!(
                "/v2/calendars/busy-times?loggedInUsersTz=UTC&dateFrom={before}&dateTo={after}&credentialId={}&externalId={}",
                data["id"],
                cal["externalId"].as_str().expect("external id")
            ),
            &host.key,
        )
        .await;
    let busy = busy.expect_success(StatusCode::OK);
    assert!(busy.to_string().contains("Weekly sync"), "{busy}");

    // Warm slots make no remote call.
    let hits = feed.hits.load(Ordering::SeqCst);
    day_starts(&app, event, before).await;
    day_starts(&app, event, after).await;
    assert_eq!(feed.hits.load(Ordering::SeqCst), hits);

    // Booking an hour the feed holds is refused like any conflict.
    let taken = format!("{before}T09:00:00Z");
    book(&app, event, &taken, "guest@example.test")
        .await
        .expect_error(StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_failing_feed_is_shown_failing_and_its_last_busy_time_keeps_blocking() {
    let app = app_with(None).await;
    let dst = next_eu_dst();
    let (feed, url) = serve_feed(rich_feed(dst)).await;
    let (host, event) = host(&app, "down@example.test").await;
    app.post("/v2/calendars/ics-feed/save", &host.key, json!({ "urls": [url] }))
        .await
        .expect_success(StatusCode::CREATED);

    *feed.mode.lock().expect("mode") = Mode::Fail;
    let checked = app.get("/v2/calendars/ics-feed/check", &host.key).await;
    let checked = checked.expect_success(StatusCode::OK);
    assert_eq!(checked[0]["invalid"], true, "{checked}");
    assert!(checked[0]["failingSince"].is_string(), "{checked}");
    let listed = calendars(&app, &host.key).await;
    let cal = &listed["connectedCalendars"][0]["calendars"][0];
    assert!(cal["lastError"].as_str().is_some_and(|e| e.contains("500")), "{listed}");

    let before = dst.checked_sub(jiff::Span::new().days(6)).expect("date");
    let list = day_starts(&app, event, before).await;
    assert!(
        !offers(&list, before, "09:00"),
        "stale busy time still blocks: {list:?}"
    );

    // Slow beyond the timeout: the check returns within the bound and names the timeout.
    *feed.mode.lock().expect("mode") = Mode::Slow;
    let started = Instant::now();
    let checked = app.get("/v2/calendars/ics-feed/check", &host.key).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let checked = checked.expect_success(StatusCode::OK);
    assert!(
        checked[0]["lastError"].as_str().is_some_and(|e| e.contains("in time")),
        "{checked}"
    );
}

#[tokio::test]
async fn feeds_that_cannot_be_read_or_are_private_are_refused_naming_the_field() {
    let app = app_with(None).await;
    let host = app.user("bad-feed@example.test").await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let answer = app
        .post(
            "/v2/calendars/ics-feed/save",
            &host.key,
            json!({ "urls": [format!("http://{closed}/feed.ics")] }),
        )
        .await;
    answer.expect_field_error("urls[0]");
    app.post("/v2/calendars/ics-feed/save", &host.key, json!({ "urls": [] }))
        .await
        .expect_field_error("urls");
    app.post(
        "/v2/calendars/ics-feed/save",
        &host.key,
        json!({ "urls": ["file:///etc/passwd"] }),
    )
    .await
    .expect_field_error("urls[0]");

    // Without the allowlist, a private address is refused before any request.
    let strict = TestApp::spawn_with(ServerSettings {
        limits: roomy_limits(),
        ..ServerSettings::default()
    })
    .await;
    let (feed, url) = serve_feed("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_owned()).await;
    let someone = strict.user("strict@example.test").await;
    let refused = strict
        .post("/v2/calendars/ics-feed/save", &someone.key, json!({ "urls": [url] }))
        .await;
    refused.expect_field_error("urls[0]");
    assert_eq!(feed.hits.load(Ordering::SeqCst), 0);
}

pub const USER: &str = "host";
pub const PASSWORD: &str = "radicale-pass";

pub async fn put_event(calendar: &url::Url, uid: &str, start: &str, end: &str, summary: &str) {
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
SUMMARY:{summary}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let response = reqwest::Client::new()
        .put(calendar.join(&format!("{uid}.ics")).expect("url"))
        .basic_auth(USER, Some(PASSWORD))
        .header("content-type", "text/calendar")
        .body(ics)
        .send()
        .await
        .expect("put event");
    assert!(response.status().is_success(), "PUT {}", response.status());
}

#[tokio::test]
async fn apple_credentials_discover_caldav_calendars_whose_events_block_slots_and_new_ones_within_the_interval() {
    let server = Radicale::start(&[(USER, PASSWORD)]).await;
    let work = server.make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"]).await;
    let home = server.make_calendar(USER, PASSWORD, "home", "Home", &["VEVENT"]).await;
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(10))
        .expect("date");
    let d = ymd(day);
    put_event(
        &work,
        "standup",
        &format!("{d}T090000Z"),
        &format!("{d}T100000Z"),
        "Standup",
    )
    .await;
    put_event(
        &home,
        "dentist",
        &format!("{d}T130000Z"),
        &format!("{d}T140000Z"),
        "Dentist",
    )
    .await;

    let app = app_with(Some(server.url().to_string())).await;
    let (host, event) = host(&app, "apple@example.test").await;
    let wrong = app
        .post(
            "/v2/calendars/apple/credentials",
            &host.key,
            json!({ "username": USER, "password": "wrong" }),
        )
        .await;
    wrong.expect_field_error("password");
    let saved = app
        .post(
            "/v2/calendars/apple/credentials",
            &host.key,
            json!({ "username": USER, "password": PASSWORD }),
        )
        .await;
    let saved = saved.expect_success(StatusCode::CREATED).clone();
    assert_eq!(saved["type"], "apple_calendar");
    assert!(!saved.to_string().contains(PASSWORD));

    let listed = calendars(&app, &host.key).await;
    let names: Vec<&str> = listed["connectedCalendars"][0]["calendars"]
        .as_array()
        .expect("calendars")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"Work") && names.contains(&"Home"), "{listed}");

    // Events in both selected calendars block.
    let list = day_starts(&app, event, day).await;
    assert!(!offers(&list, day, "09:00") && !offers(&list, day, "13:00"), "{list:?}");
    assert!(offers(&list, day, "11:00"), "{list:?}");

    // Unselecting Home frees 13:00.
    let unselect = format!(
        "/v2/selected-calendars?integration=apple_calendar&externalId={}&credentialId={}",
        percent(home.as_str()),
        saved["id"]
    );
    app.delete(&unselect, &host.key).await.expect_success(StatusCode::OK);
    assert!(offers(&day_starts(&app, event, day).await, day, "13:00"));

    // Destination: a writable calendar.
    let dest = app
        .put(
            "/v2/destination-calendars",
            &host.key,
            json!({ "integration": "apple_calendar", "externalId": work.as_str() }),
        )
        .await;
    assert_eq!(dest.expect_success(StatusCode::OK)["externalId"], work.as_str());

    // An event added remotely becomes busy through the background refresher, without any manual re-sync.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let refresher = convene_server::calendars::refresh::spawn_refresher(app.state.calendars.clone(), stopping);
    put_event(
        &work,
        "late",
        &format!("{d}T150000Z"),
        &format!("{d}T160000Z"),
        "Late call",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if !offers(&day_starts(&app, event, day).await, day, "15:00") {
            break;
        }
        assert!(Instant::now() < deadline, "the new event never blocked 15:00");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    refresher.await.expect("refresher stops");

    // Disconnect removes calendars and their busy time.
    app.post(
        "/v2/calendars/apple/disconnect",
        &host.key,
        json!({ "id": saved["id"] }),
    )
    .await
    .expect_success(StatusCode::OK);
    assert!(offers(&day_starts(&app, event, day).await, day, "09:00"));
    assert_eq!(calendars(&app, &host.key).await["connectedCalendars"], json!([]));
}

fn percent(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

#[tokio::test]
async fn calendar_endpoints_refuse_bad_input_and_other_peoples_calendars() {
    let app = app_with(None).await;
    let host = app.user("input@example.test").await;
    app.get("/v2/calendars/nope/check", &host.key)
        .await
        .expect_field_error("calendar");
    app.get("/v2/calendars/apple/check", &host.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.post("/v2/calendars/apple/disconnect", &host.key, json!({ "id": 1 }))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.post(
        "/v2/selected-calendars",
        &host.key,
        json!({ "integration": "x", "externalId": "y", "credentialId": 1 }),
    )
    .await
    .expect_field_error("integration");
    app.get("/v2/calendars/busy-times?credentialId=1&externalId=x", &host.key)
        .await
        .expect_field_error("loggedInUsersTz");
    app.post("/v2/calendars/apple/credentials", &host.key, json!({ "username": "u" }))
        .await
        .expect_field_error("password");
    let _ = app.request(Method::GET, "/v2/calendars", None, None).await;
}

#[tokio::test]
async fn keys_rotate_reseals_calendar_credentials_under_the_new_key() {
    use convene_keyring::{Keyring, NamedKey};
    use convene_server::calendars::secret;
    use convene_store::calendars::{self as store, NewConnection};
    use secrecy::ExposeSecret;

    let app = app_with(None).await;
    let host = app.user("rotate-cal@example.test").await;
    let old = NamedKey::generate().to_config_entry();
    let new = NamedKey::generate().to_config_entry();
    let old_ring = Keyring::from_config(&[old.expose_secret()]).expect("old keyring");
    let id = store::insert_connection(
        &app.db,
        &NewConnection {
            user_id: UserId(host.id),
            kind: ConnectionKind::Apple,
            label: "host",
            username: Some("host"),
            server_url: Some("https://caldav.example.test/"),
        },
    )
    .await
    .expect("insert");
    let sealed = secret::seal(&old_ring, id.0, "app-pass").expect("seal");
    store::set_connection_secret(&app.db, id, &sealed).await.expect("store");

    let both = Keyring::from_config(&[new.expose_secret(), old.expose_secret()]).expect("both");
    let first = convene_server::rotation::rotate(&app.db, &both).await.expect("rotate");
    assert_eq!((first.resealed, first.current), (1, 0));
    let stored = store::find_connection(&app.db, UserId(host.id), id)
        .await
        .expect("db")
        .expect("connection")
        .sealed_secret;
    assert_ne!(stored, sealed);
    let only_new = Keyring::from_config(&[new.expose_secret()]).expect("new keyring");
    let opened = secret::open(&only_new, id.0, &stored).expect("opens with the new key alone");
    assert_eq!(opened.expose_secret(), "app-pass");
}

/// The event `uid` in `calendar` as Radicale holds it, or `None` when it is gone.
pub async fn remote_event(calendar: &url::Url, uid: &str) -> Option<String> {
    let href = convene_calendar::caldav::event_url(calendar, uid).expect("event url");
    let response = reqwest::Client::new()
        .get(href)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .expect("get event");
    if response.status() == StatusCode::NOT_FOUND {
        return None;
    }
    assert!(response.status().is_success(), "GET event: {}", response.status());
    Some(response.text().await.expect("event body"))
}

async fn references(app: &TestApp, key: &str, uid: &str) -> Value {
    app.versioned(
        Method::GET,
        &format!("/v2/bookings/{uid}/references"),
        Some(key),
        None,
        Some(crate::scheduling::BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK)
    .clone()
}

#[tokio::test]
async fn bookings_are_written_to_the_destination_calendar_moved_on_reschedule_removed_on_cancel_and_kept_when_down() {
    let server = Radicale::start(&[(USER, PASSWORD)]).await;
    let work = server.make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"]).await;
    let app = app_with(Some(server.url().to_string())).await;
    let (host, event) = host(&app, "writes@example.test").await;
    app.post(
        "/v2/calendars/apple/credentials",
        &host.key,
        json!({ "username": USER, "password": PASSWORD }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    app.put(
        "/v2/destination-calendars",
        &host.key,
        json!({ "integration": "apple_calendar", "externalId": work.as_str() }),
    )
    .await
    .expect_success(StatusCode::OK);
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(12))
        .expect("date");
    let d = ymd(day);

    let booked = book(&app, event, &format!("{day}T10:00:00Z"), "guest@example.test").await;
    let first_uid = booked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.done, 1, "{pass:?}");
    let refs = references(&app, &host.key, &first_uid).await;
    assert_eq!(refs.as_array().map(Vec::len), Some(1), "{refs}");
    assert_eq!(refs[0]["type"], "apple_calendar");
    assert_eq!(refs[0]["destinationCalendarId"], work.as_str());
    let ical_uid = refs[0]["eventUid"].as_str().expect("event uid").to_owned();
    let written = remote_event(&work, &ical_uid).await.expect("the event was written");
    assert!(written.contains(&format!("DTSTART:{d}T100000Z")), "{written}");

    // Its own copy, read back as busy time, does not block moving the booking by half an hour.
    app.state.calendars.refresh_all().await;
    let moved = app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{first_uid}/reschedule"),
            None,
            Some(json!({ "start": format!("{day}T10:30:00Z") })),
            Some(crate::scheduling::BOOKINGS),
        )
        .await;
    let moved_uid = moved.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    app.state.calendars.process_due_writes().await;
    let written = remote_event(&work, &ical_uid).await.expect("the event is still there");
    assert!(written.contains(&format!("DTSTART:{d}T103000Z")), "moved: {written}");
    assert_eq!(references(&app, &host.key, &first_uid).await, json!([]));
    assert_eq!(references(&app, &host.key, &moved_uid).await[0]["eventUid"], ical_uid);

    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{moved_uid}/cancel"),
        None,
        Some(json!({ "cancellationReason": "No longer needed" })),
        Some(crate::scheduling::BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK);
    app.state.calendars.process_due_writes().await;
    assert_eq!(remote_event(&work, &ical_uid).await, None, "cancel deletes the event");

    // Asking the attendee to pick a new time cancels the booking, and its event goes too; a changed place follows.
    let asked = book(&app, event, &format!("{day}T12:00:00Z"), "asked@example.test").await;
    let asked_uid = asked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    app.versioned(
        Method::PATCH,
        &format!("/v2/bookings/{asked_uid}/location"),
        Some(&host.key),
        Some(json!({ "location": { "type": "address", "address": "Room 4" } })),
        Some(crate::scheduling::BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK);
    app.state.calendars.process_due_writes().await;
    let asked_event = references(&app, &host.key, &asked_uid).await[0]["eventUid"]
        .as_str()
        .expect("event uid")
        .to_owned();
    let written = remote_event(&work, &asked_event).await.expect("written");
    assert!(written.contains("LOCATION:Room 4"), "the new place: {written}");
    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{asked_uid}/request-reschedule"),
        Some(&host.key),
        Some(json!({ "reschedulingReason": "Conflict came up" })),
        Some(crate::scheduling::BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK);
    app.state.calendars.process_due_writes().await;
    assert_eq!(
        remote_event(&work, &asked_event).await,
        None,
        "a requested reschedule removes the event"
    );

    // The server down: the write is kept for a retry, with its error, not lost.
    drop(server);
    book(&app, event, &format!("{day}T14:00:00Z"), "later@example.test")
        .await
        .expect_success(StatusCode::CREATED);
    let pass = app.state.calendars.process_due_writes().await;
    assert_eq!(pass.retrying, 1, "{pass:?}");
    assert_eq!(
        app.count_rows("calendar_jobs WHERE status = 'retrying' AND last_error IS NOT NULL")
            .await,
        1
    );
}
