//! The host's external calendars: a CalDAV account (Radicale, started here) with two calendars, an ICS feed served
//! here, busy times, selection, destination, check and disconnect.

use super::{BOOKINGS, Journey, booking, uid};
use crate::calendars::radicale::Radicale;
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let server = Radicale::start(&[("conformance", "dav-pass")]).await;
    let work = server
        .make_calendar("conformance", "dav-pass", "work", "Work", &["VEVENT"])
        .await;
    server
        .make_calendar("conformance", "dav-pass", "home", "Home", &["VEVENT"])
        .await;
    let (_feed, feed_url) = crate::calendars::serve_feed(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//c//EN\r\nBEGIN:VEVENT\r\nUID:c@test\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART:20300107T100000Z\r\nDTEND:20300107T110000Z\r\nSUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            .to_owned(),
    )
    .await;

    let feed = j
        .ok(
            Method::POST,
            "/v2/calendars/ics-feed/save",
            &key,
            Some(json!({ "urls": [feed_url], "readOnly": true })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::GET,
        "/v2/calendars/ics-feed/check",
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    let dav = j
        .ok(
            Method::POST,
            "/v2/calendars/caldav/credentials",
            &key,
            Some(json!({ "username": "conformance", "password": "dav-pass", "url": server.url().as_str() })),
            None,
            StatusCode::CREATED,
        )
        .await;
    let listed = j
        .ok(Method::GET, "/v2/calendars", &key, None, None, StatusCode::OK)
        .await;
    let feed_calendar = listed["connectedCalendars"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["credentialId"] == feed["id"]))
        .map(|c| c["calendars"][0]["externalId"].as_str().unwrap_or_default().to_owned())
        .expect("the feed is listed");
    j.ok(
        Method::GET,
        &format!(
            "/v2/calendars/busy-times?loggedInUsersTz=Europe/Berlin&dateFrom=2030-01-07&dateTo=2030-01-08&credentialId={}&externalId={feed_calendar}",
            feed["id"]
        ),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    let query = format!(
        "/v2/selected-calendars?integration=caldav_calendar&externalId={}&credentialId={}",
        form_urlencoded::byte_serialize(work.as_str().as_bytes()).collect::<String>(),
        dav["id"]
    );
    j.ok(Method::DELETE, &query, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::POST,
        "/v2/selected-calendars",
        &key,
        Some(json!({ "integration": "caldav_calendar", "externalId": work.as_str(), "credentialId": dav["id"] })),
        None,
        StatusCode::CREATED,
    )
    .await;
    j.ok(
        Method::PUT,
        "/v2/destination-calendars",
        &key,
        Some(json!({ "integration": "caldav_calendar", "externalId": work.as_str() })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::GET,
        "/v2/calendars/caldav/check",
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    let mut body = booking(j.intro, "2030-01-09T15:00:00Z", "dora@example.test");
    body["bookingFieldsResponses"] = json!({ "topic": "Support" });
    let booked = j
        .rec
        .ok(
            Method::POST,
            "/v2/bookings",
            None,
            Some(body),
            Some(BOOKINGS),
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::GET,
        &format!("/v2/bookings/{}/references", uid(&booked)),
        &key,
        None,
        Some(BOOKINGS),
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::POST,
        "/v2/calendars/caldav/disconnect",
        &key,
        Some(json!({ "id": dav["id"] })),
        None,
        StatusCode::OK,
    )
    .await;
}
