//! The troubleshooter in real headless Chromium: for a day with a booking (after-buffer 30 minutes) and an event in a
//! connected ICS feed served here, it names the booked hour, the hours its buffer closes, and the calendar event by
//! its calendar and summary, and shows free hours as bookable — the same answer `/v2/slots` gives. axe-core finds no
//! serious or critical violation.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::scheduling::{book, host_with_event, slots, starts};
use crate::web_a11y::violations;
use crate::web_app_bookings::with_password;
use crate::web_app_calendars::feed;
use crate::web_browser::Browser;
use crate::web_browser::by_id::text_of;
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;

const HOST: &str = "trouble@chrome.test";

#[tokio::test]
async fn the_troubleshooter_names_a_booking_its_buffer_and_a_calendar_event() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        HOST,
        "UTC",
        json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], "startTime": "09:00", "endTime": "17:00" }]),
        json!({ "title": "Consult", "slug": "consult", "lengthInMinutes": 60, "afterEventBuffer": 30 }),
    )
    .await;
    with_password(&app, HOST).await;
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(10))
        .expect("date");
    let ymd = day.strftime("%Y%m%d").to_string();
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:dentist@test\r\n\
DTSTAMP:20260101T000000Z\r\nSUMMARY:Dentist appointment\r\nDTSTART:{ymd}T150000Z\r\nDTEND:{ymd}T160000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n"
    );
    let (_, url) = feed(ics).await;
    app.post("/v2/calendars/ics-feed/save", &host.key, json!({ "urls": [url] }))
        .await
        .expect_success(StatusCode::CREATED);
    let booked = book(&app, event, &format!("{day}T12:00:00Z"), "guest@example.test").await;
    let uid = booked.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();

    // What /v2/slots offers that day: the troubleshooter must agree hour by hour.
    let d = day.to_string();
    let offered = starts(&slots(&app, &format!("eventTypeId={event}&start={d}&end={d}&timeZone=UTC")).await);

    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    c.goto(&format!(
        "{base}/availability/troubleshoot?date={day}&eventType={event}"
    ))
    .await
    .expect("open");
    c.wait().for_element(Locator::Id("login-form")).await.expect("login");
    c.find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys(HOST)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    c.find(Locator::Id("sign-in"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    c.wait().for_element(Locator::Id("hours")).await.expect("the hours");

    let booked_hour = text_of(c, "hour-1200").await;
    assert!(booked_hour.contains("Booked:"), "{booked_hour}");
    let link = c
        .find(Locator::Css("#hour-1200 a"))
        .await
        .expect("a link to the booking")
        .attr("href")
        .await
        .expect("href");
    assert_eq!(link.as_deref(), Some(format!("/bookings/{uid}").as_str()));
    for buffered in ["hour-1100", "hour-1300"] {
        let text = text_of(c, buffered).await;
        assert!(text.contains("Buffer around the booking"), "{buffered}: {text}");
    }
    let dentist = text_of(c, "hour-1500").await;
    assert!(
        dentist.contains("Dentist appointment") && dentist.contains("127.0.0.1 feed"),
        "{dentist}"
    );
    assert!(text_of(c, "hour-0700").await.contains("Outside your working hours"));
    assert!(text_of(c, "hour-0900").await.contains("Bookable at 09:00"));
    // Hour by hour, bookable exactly where /v2/slots offers a start.
    for hour in 0..24 {
        let id = format!("hour-{hour:02}00");
        let row = c.find(Locator::Id(&id)).await.expect("row");
        let bookable = row.attr("data-bookable").await.expect("attr") == Some("true".to_owned());
        let prefix = format!("{day}T{hour:02}:");
        assert_eq!(
            bookable,
            offered.iter().any(|s| s.starts_with(&prefix)),
            "{id} against {offered:?}"
        );
    }
    let found = violations(c, &axe).await;
    assert!(found.is_empty(), "accessibility: {found:#?}");
}
