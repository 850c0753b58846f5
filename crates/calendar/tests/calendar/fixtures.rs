//! Shared test data and helpers.

#![allow(dead_code)] // each test module uses a different subset

use std::time::Duration;

use convene_calendar::{BusyReport, BusyWindow, Http};
use jiff::Timestamp;
use jiff::tz::TimeZone;

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

pub fn window(from: &str, to: &str, zone: &str) -> BusyWindow {
    BusyWindow::new(ts(from), ts(to), TimeZone::get(zone).expect("zone")).expect("window")
}

/// A client like the server's: no redirects followed by reqwest itself (the crate follows and checks them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// An `Http` with a short timeout (the server passes its SSRF-safe client).
pub fn http() -> Http {
    Http::new(client(), Duration::from_secs(5))
}

/// `(start, end, summary)` of each busy interval, times in UTC.
pub fn spans(report: &BusyReport) -> Vec<(String, String, Option<String>)> {
    report
        .busy
        .iter()
        .map(|b| {
            (
                b.interval.start.to_string(),
                b.interval.end.to_string(),
                b.source.summary.clone(),
            )
        })
        .collect()
}

pub fn span(start: &str, end: &str, summary: Option<&str>) -> (String, String, Option<String>) {
    (start.to_owned(), end.to_owned(), summary.map(str::to_owned))
}

/// America/New_York as Apple Calendar writes it.
pub const NEW_YORK_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nDTSTART:20070311T020000\r\n\
TZNAME:EDT\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nDTSTART:20071104T020000\r\n\
TZNAME:EST\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

pub fn vcalendar(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//convene tests//EN\r\n{body}END:VCALENDAR\r\n")
}

/// A weekly 10:00 New York meeting from 3 March 2025 (six weeks, across the 9 March DST change), the 17 March one
/// excluded, the 24 March one moved to 25 March 15:00.
pub fn weekly_meeting() -> String {
    vcalendar(&format!(
        "{NEW_YORK_VTIMEZONE}BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Team sync\r\n\
         DTSTART;TZID=America/New_York:20250303T100000\r\nDTEND;TZID=America/New_York:20250303T103000\r\n\
         RRULE:FREQ=WEEKLY;COUNT=6\r\nEXDATE;TZID=America/New_York:20250317T100000\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Team sync (moved)\r\n\
         RECURRENCE-ID;TZID=America/New_York:20250324T100000\r\n\
         DTSTART;TZID=America/New_York:20250325T150000\r\nDTEND;TZID=America/New_York:20250325T153000\r\n\
         END:VEVENT\r\n"
    ))
}

pub fn single(uid: &str, summary: &str, extra: &str, start: &str, end: &str) -> String {
    vcalendar(&format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:{summary}\r\n{start}\r\n{end}\r\n{extra}END:VEVENT\r\n"
    ))
}

pub fn all_day_offsite() -> String {
    single(
        "offsite@test",
        "Offsite",
        "",
        "DTSTART;VALUE=DATE:20250312",
        "DTEND;VALUE=DATE:20250313",
    )
}

pub fn transparent_focus() -> String {
    single(
        "focus@test",
        "Focus time",
        "TRANSP:TRANSPARENT\r\n",
        "DTSTART:20250311T150000Z",
        "DTEND:20250311T160000Z",
    )
}

pub fn cancelled_lunch() -> String {
    single(
        "lunch@test",
        "Lunch",
        "STATUS:CANCELLED\r\n",
        "DTSTART:20250311T170000Z",
        "DTEND:20250311T180000Z",
    )
}

/// What the fixtures above block between 1 March and 10 April 2025 for a host in New York.
pub fn expected_new_york_busy() -> Vec<(String, String, Option<String>)> {
    vec![
        span("2025-03-03T15:00:00Z", "2025-03-03T15:30:00Z", Some("Team sync")),
        span("2025-03-10T14:00:00Z", "2025-03-10T14:30:00Z", Some("Team sync")),
        span("2025-03-12T04:00:00Z", "2025-03-13T04:00:00Z", Some("Offsite")),
        span(
            "2025-03-25T19:00:00Z",
            "2025-03-25T19:30:00Z",
            Some("Team sync (moved)"),
        ),
        span("2025-03-31T14:00:00Z", "2025-03-31T14:30:00Z", Some("Team sync")),
        span("2025-04-07T14:00:00Z", "2025-04-07T14:30:00Z", Some("Team sync")),
    ]
}

/// Serves `router` on 127.0.0.1 at a free port until the test ends; returns its base URL.
pub async fn serve(router: axum::Router) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url::Url::parse(&format!("http://{addr}/")).expect("url")
}

/// The events of a `VCALENDAR` text (without its wrapper), to build one feed out of several fixtures.
pub fn inner(vcalendar: &str) -> String {
    vcalendar
        .split_inclusive("\r\n")
        .filter(|l| {
            !matches!(l.trim_end(), "BEGIN:VCALENDAR" | "END:VCALENDAR" | "VERSION:2.0") && !l.starts_with("PRODID")
        })
        .collect()
}
