//! The CalDAV client against a real Radicale.

use std::time::Duration;

use convene_calendar::caldav::{BusyMethod, CalDavClient, CalDavCredentials, ETag, event_url};
use convene_calendar::{BookingEvent, BusyKind, CalendarError, Http, IcsLimits};
use convene_core::ics::Party;
use secrecy::SecretString;
use url::Url;

use crate::fixtures::*;
use crate::radicale::Radicale;

const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery";

fn client_with(http: Http, password: &str) -> CalDavClient {
    CalDavClient::new(
        http,
        CalDavCredentials {
            username: USER.into(),
            password: SecretString::from(password.to_owned()),
        },
    )
}

fn client() -> CalDavClient {
    client_with(http(), PASSWORD)
}

async fn server() -> Radicale {
    Radicale::start(&[(USER, PASSWORD), ("bob", "bobs password")]).await
}

fn booking(uid: &str, start: &str, end: &str) -> BookingEvent {
    BookingEvent {
        uid: uid.into(),
        sequence: 0,
        start: ts(start),
        end: ts(end),
        summary: "Intro call with Eve".into(),
        description: "Booked through convene".into(),
        location: Some("https://meet.example/abc".into()),
        organizer: Party {
            name: "Alice".into(),
            email: "alice@example.com".into(),
        },
        attendees: vec![Party {
            name: "Eve".into(),
            email: "eve@example.com".into(),
        }],
        time_zone: "America/New_York".into(),
    }
}

#[tokio::test]
async fn discovery_from_the_bare_host_follows_the_well_known_redirect_to_the_users_home() {
    let radicale = server().await;
    let account = client().discover(&radicale.url()).await.expect("discover");
    assert_eq!(account.principal.path(), "/alice/");
    assert_eq!(
        account.calendar_homes.iter().map(Url::path).collect::<Vec<_>>(),
        vec!["/alice/"]
    );

    // Starting from the principal's own address finds the same account.
    let direct = client()
        .discover(&radicale.url().join("/alice/").expect("url"))
        .await
        .expect("discover");
    assert_eq!(direct.calendar_homes, account.calendar_homes);
}

#[tokio::test]
async fn calendars_are_listed_with_name_colour_components_and_change_markers() {
    let radicale = server().await;
    radicale
        .make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    radicale
        .make_calendar(USER, PASSWORD, "tasks", "Tasks", &["VTODO"])
        .await;
    let client = client();
    let account = client.discover(&radicale.url()).await.expect("discover");
    let mut calendars = client.list_calendars(&account.calendar_homes).await.expect("list");
    calendars.sort_by(|a, b| a.display_name.cmp(&b.display_name));

    assert_eq!(calendars.len(), 2, "{calendars:#?}");
    let (tasks, work) = (&calendars[0], &calendars[1]);
    assert_eq!(work.display_name.as_deref(), Some("Work"));
    assert_eq!(work.url.path(), "/alice/work/");
    assert_eq!(work.color.as_deref(), Some("#FF8800FF"));
    assert_eq!(work.components, vec!["VEVENT"]);
    assert!(work.holds_events() && !tasks.holds_events());
    assert!(!work.read_only && !work.free_busy_only);
    assert!(
        work.version.ctag.is_some() && work.version.sync_token.is_some(),
        "{:?}",
        work.version
    );
    assert!(work.supports_free_busy_query && work.supports_sync);
    assert_eq!(work.busy_method(), BusyMethod::Events);
}

#[tokio::test]
async fn busy_time_expands_recurrences_across_dst_with_exdate_overrides_and_host_zone_all_day_events() {
    let radicale = server().await;
    let work = radicale
        .make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    let client = client();
    for (uid, ics) in [
        ("weekly@test", weekly_meeting()),
        ("offsite@test", all_day_offsite()),
        ("focus@test", transparent_focus()),
        ("lunch@test", cancelled_lunch()),
        (
            "later@test",
            single(
                "later@test",
                "Later",
                "",
                "DTSTART:20250601T100000Z",
                "DTEND:20250601T110000Z",
            ),
        ),
    ] {
        client.create_event(&work, uid, &ics).await.expect("create fixture");
    }

    let w = window("2025-03-01T00:00:00Z", "2025-04-10T00:00:00Z", "America/New_York");
    let report = client
        .busy(&work, "Work", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect("busy");
    assert_eq!(spans(&report), expected_new_york_busy());
    assert!(report.busy.iter().all(|b| b.source.calendar == "Work"));
    assert_eq!(report.busy[2].source.kind, BusyKind::AllDay);
    assert_eq!(report.busy[0].source.uid.as_deref(), Some("weekly@test"));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[tokio::test]
async fn the_servers_free_busy_report_agrees_on_timed_events_and_skips_transparent_and_cancelled_ones() {
    let radicale = server().await;
    let work = radicale
        .make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    let client = client();
    for (uid, ics) in [
        ("weekly@test", weekly_meeting()),
        ("focus@test", transparent_focus()),
        ("lunch@test", cancelled_lunch()),
    ] {
        client.create_event(&work, uid, &ics).await.expect("create fixture");
    }
    let w = window("2025-03-01T00:00:00Z", "2025-04-10T00:00:00Z", "America/New_York");
    let report = client
        .busy(&work, "Work", &w, BusyMethod::FreeBusyReport, &IcsLimits::default())
        .await
        .expect("free-busy");
    let times: Vec<_> = spans(&report).into_iter().map(|(s, e, _)| (s, e)).collect();
    let expected: Vec<_> = expected_new_york_busy()
        .into_iter()
        .filter(|(_, _, summary)| summary.as_deref() != Some("Offsite"))
        .map(|(s, e, _)| (s, e))
        .collect();
    assert_eq!(times, expected);
    assert!(
        report
            .busy
            .iter()
            .all(|b| b.source.kind == BusyKind::FreeBusy && b.source.uid.is_none())
    );
}

#[tokio::test]
async fn a_booking_is_written_read_back_moved_and_deleted() {
    let radicale = server().await;
    let work = radicale
        .make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    let client = client();
    let w = window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", "America/New_York");
    let stamp = ts("2025-02-01T00:00:00Z");

    // Book.
    let event = booking("bk_1@convene", "2025-03-12T15:00:00Z", "2025-03-12T15:30:00Z");
    let stored = client
        .create_event(&work, &event.uid, &event.to_ics(stamp))
        .await
        .expect("create");
    assert_eq!(stored.href, event_url(&work, "bk_1@convene").expect("url"));
    let read = client.get_event(&stored.href).await.expect("read back");
    assert!(read.data.contains("UID:bk_1@convene") && read.data.contains("SUMMARY:Intro call with Eve"));
    let busy = client
        .busy(&work, "Work", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect("busy");
    assert_eq!(
        spans(&busy),
        vec![span(
            "2025-03-12T15:00:00Z",
            "2025-03-12T15:30:00Z",
            Some("Intro call with Eve")
        )]
    );

    // A retried create does not make a second event.
    let again = client.create_event(&work, &event.uid, &event.to_ics(stamp)).await;
    assert_eq!(again, Err(CalendarError::AlreadyExists));

    // Reschedule: the same event moves.
    let moved = BookingEvent {
        sequence: 1,
        ..booking("bk_1@convene", "2025-03-14T18:00:00Z", "2025-03-14T19:00:00Z")
    };
    let etag = read.etag.clone().or(stored.etag.clone()).expect("an etag");
    let updated = client
        .update_event(&stored.href, &moved.to_ics(stamp), Some(&etag))
        .await
        .expect("update");
    let busy = client
        .busy(&work, "Work", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect("busy");
    assert_eq!(
        spans(&busy),
        vec![span(
            "2025-03-14T18:00:00Z",
            "2025-03-14T19:00:00Z",
            Some("Intro call with Eve")
        )]
    );

    // Cancel: the event is gone.
    client
        .delete_event(&stored.href, updated.etag.as_ref())
        .await
        .expect("delete");
    assert_eq!(client.get_event(&stored.href).await, Err(CalendarError::NotFound));
    let busy = client
        .busy(&work, "Work", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect("busy");
    assert!(busy.busy.is_empty(), "{busy:?}");
    assert_eq!(
        client.delete_event(&stored.href, None).await,
        Err(CalendarError::NotFound)
    );
}

#[tokio::test]
async fn a_write_with_a_stale_etag_is_refused_and_changes_nothing() {
    let radicale = server().await;
    let work = radicale
        .make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    let client = client();
    let stamp = ts("2025-02-01T00:00:00Z");
    let first = booking("bk_2@convene", "2025-03-12T15:00:00Z", "2025-03-12T15:30:00Z");
    let stored = client
        .create_event(&work, &first.uid, &first.to_ics(stamp))
        .await
        .expect("create");
    let original = client.get_event(&stored.href).await.expect("read");
    let stale = original.etag.clone().expect("etag");

    // Someone else edits the event in their calendar app.
    let theirs = BookingEvent {
        summary: "Edited elsewhere".into(),
        ..first.clone()
    };
    client
        .update_event(&stored.href, &theirs.to_ics(stamp), Some(&stale))
        .await
        .expect("their edit");

    let ours = BookingEvent {
        summary: "Our stale edit".into(),
        ..first.clone()
    };
    let refused = client
        .update_event(&stored.href, &ours.to_ics(stamp), Some(&stale))
        .await;
    assert_eq!(refused, Err(CalendarError::PreconditionFailed));
    assert_eq!(
        client.delete_event(&stored.href, Some(&stale)).await,
        Err(CalendarError::PreconditionFailed)
    );
    assert_eq!(
        client
            .update_event(&stored.href, &ours.to_ics(stamp), Some(&ETag::new("\"bogus\"")))
            .await,
        Err(CalendarError::PreconditionFailed)
    );

    let now = client.get_event(&stored.href).await.expect("read again");
    assert!(now.data.contains("SUMMARY:Edited elsewhere"), "{}", now.data);
}

#[tokio::test]
async fn change_detection_sees_writes_through_ctag_sync_tokens_and_etags() {
    let radicale = server().await;
    let work = radicale
        .make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    let client = client();
    let stamp = ts("2025-02-01T00:00:00Z");

    let v0 = client.collection_version(&work).await.expect("version");
    assert!(
        client
            .collection_version(&work)
            .await
            .expect("version")
            .unchanged_since(&v0)
    );
    let initial = client.sync_changes(&work, None).await.expect("initial sync");
    assert!(initial.changed.is_empty() && initial.removed.is_empty());
    let token = initial.sync_token.expect("token");

    let event = booking("bk_3@convene", "2025-03-12T15:00:00Z", "2025-03-12T15:30:00Z");
    let stored = client
        .create_event(&work, &event.uid, &event.to_ics(stamp))
        .await
        .expect("create");
    let v1 = client.collection_version(&work).await.expect("version");
    assert!(!v1.unchanged_since(&v0), "{v0:?} → {v1:?}");

    let changes = client.sync_changes(&work, Some(&token)).await.expect("sync");
    assert_eq!(
        changes.changed.iter().map(|(u, _)| u.clone()).collect::<Vec<_>>(),
        vec![stored.href.clone()]
    );
    let etags = client.object_etags(&work).await.expect("etags");
    assert_eq!(etags.len(), 1);
    assert_eq!(etags[0].0, stored.href);
    assert_eq!(etags[0].1, changes.changed[0].1);
    let fetched = client
        .fetch_objects(&work, std::slice::from_ref(&stored.href))
        .await
        .expect("multiget");
    assert!(fetched[0].data.contains("UID:bk_3@convene"));

    client.delete_event(&stored.href, None).await.expect("delete");
    let after = client
        .sync_changes(&work, changes.sync_token.as_deref())
        .await
        .expect("sync");
    assert_eq!(after.removed, vec![stored.href.clone()]);
    assert!(after.changed.is_empty());

    let bogus = client
        .sync_changes(&work, Some("http://radicale.org/ns/sync/nonsense"))
        .await;
    assert_eq!(bogus, Err(CalendarError::SyncTokenInvalid));
}

#[tokio::test]
async fn a_second_calendar_names_itself_in_its_busy_time() {
    let radicale = server().await;
    let personal = radicale
        .make_calendar(USER, PASSWORD, "personal", "Personal", &["VEVENT"])
        .await;
    let client = client();
    let dentist = single(
        "dentist@test",
        "Dentist",
        "",
        "DTSTART:20250312T130000Z",
        "DTEND:20250312T140000Z",
    );
    client
        .create_event(&personal, "dentist@test", &dentist)
        .await
        .expect("create");
    let w = window("2025-03-12T00:00:00Z", "2025-03-13T00:00:00Z", "UTC");
    let report = client
        .busy(&personal, "Personal", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect("busy");
    let hour = convene_core::schedule::Interval {
        start: ts("2025-03-12T13:00:00Z"),
        end: ts("2025-03-12T13:30:00Z"),
    };
    let blocking: Vec<_> = report
        .blocking(hour)
        .map(|b| (b.source.calendar.as_str(), b.source.summary.as_deref()))
        .collect();
    assert_eq!(blocking, vec![("Personal", Some("Dentist"))]);
}

#[tokio::test]
async fn a_wrong_password_is_unauthorized_and_never_shows_up_in_the_error() {
    let radicale = server().await;
    let work = radicale
        .make_calendar(USER, PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    let wrong = "not-the-password-123";
    let client = client_with(http(), wrong);
    let err = client.discover(&radicale.url()).await.expect_err("refused");
    assert_eq!(err, CalendarError::Unauthorized);
    assert!(err.needs_reconnect());
    let w = window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", "UTC");
    let err = client
        .busy(&work, "Work", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect_err("refused");
    assert_eq!(err, CalendarError::Unauthorized);
    assert!(!format!("{err} {err:?} {client:?}").contains(wrong));
}

#[tokio::test]
async fn another_users_calendar_is_forbidden() {
    let radicale = server().await;
    let bobs = radicale
        .make_calendar("bob", "bobs password", "private", "Private", &["VEVENT"])
        .await;
    let w = window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", "UTC");
    let err = client()
        .busy(&bobs, "Bob", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect_err("refused");
    assert_eq!(err, CalendarError::Forbidden);
}

#[tokio::test]
async fn a_server_that_is_down_is_unreachable() {
    // A port that was just free and has nothing listening: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url");
    let err = client().discover(&url).await.expect_err("down");
    assert!(matches!(err, CalendarError::Unreachable { .. }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_a_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let client = client_with(
        Http::new(crate::fixtures::client(), Duration::from_millis(300)),
        PASSWORD,
    );
    let w = window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z", "UTC");
    let err = client
        .busy(&url, "Slow", &w, BusyMethod::Events, &IcsLimits::default())
        .await
        .expect_err("slow");
    assert_eq!(err, CalendarError::Timeout);
    let err = client.discover(&url).await.expect_err("slow");
    assert_eq!(err, CalendarError::Timeout);
    held.abort();
}

#[tokio::test]
async fn the_url_policy_is_asked_before_any_request() {
    let radicale = server().await;
    let http = http().with_url_policy(|u| match u.host_str() {
        Some("127.0.0.1") => Err("private addresses are not allowed".into()),
        _ => Ok(()),
    });
    let err = client_with(http, PASSWORD)
        .discover(&radicale.url())
        .await
        .expect_err("refused");
    assert_eq!(
        err,
        CalendarError::UrlRejected("private addresses are not allowed".into())
    );
}
