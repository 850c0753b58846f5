//! The host's external calendars: a CalDAV account (Radicale, started here) with two calendars, an ICS feed served
//! here, busy times, selection, destination, check and disconnect.

use super::{BOOKINGS, Journey, booking, uid};
use crate::calendars::radicale::Radicale;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The fake Google account's primary calendar.
pub const GOOGLE_PRIMARY: &str = "conformance@gmail.test";

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
    google(j).await;
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

/// Google over OAuth: connect URL, the provider's callback, bookings written there, one event read and patched.
async fn google(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let connect = j
        .ok(
            Method::GET,
            "/v2/calendars/google/connect?isDryRun=false",
            &key,
            None,
            None,
            StatusCode::OK,
        )
        .await;
    // The consent itself is the provider's page; `save` is reached by the browser coming back from it.
    let auth_url = connect["authUrl"].as_str().expect("authUrl");
    let callback = crate::calendars_oauth::provider_consent(auth_url, "google").await;
    j.rec
        .ok(
            Method::GET,
            &format!("/v2/calendars/google/save?{callback}"),
            None,
            None,
            None,
            StatusCode::OK,
        )
        .await;
    j.ok(
        Method::PUT,
        "/v2/destination-calendars",
        &key,
        Some(json!({ "integration": "google_calendar", "externalId": GOOGLE_PRIMARY })),
        None,
        StatusCode::OK,
    )
    .await;
    let mut google_booking = booking(j.intro, "2030-01-16T15:00:00Z", "gabe@example.test");
    google_booking["bookingFieldsResponses"] = json!({ "topic": "Support" });
    let booked = j
        .rec
        .ok(
            Method::POST,
            "/v2/bookings",
            None,
            Some(google_booking),
            Some(BOOKINGS),
            StatusCode::CREATED,
        )
        .await;
    j.rec.app.state.calendars.process_due_writes().await;
    let references = j
        .ok(
            Method::GET,
            &format!("/v2/bookings/{}/references", uid(&booked)),
            &key,
            None,
            Some(BOOKINGS),
            StatusCode::OK,
        )
        .await;
    let event_id = references[0]["eventUid"]
        .as_str()
        .expect("the Google event id")
        .to_owned();
    j.ok(
        Method::GET,
        &format!("/v2/calendars/google/event/{event_id}"),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::PATCH,
        &format!("/v2/calendars/google/events/{event_id}"),
        &key,
        Some(json!({
            "title": "Support call (moved)",
            "start": { "time": "2030-01-16T16:00:00Z", "timeZone": "Europe/Berlin" },
            "end": { "time": "2030-01-16T16:30:00Z", "timeZone": "Europe/Berlin" },
            "attendees": [{ "email": "gabe@example.test", "name": "Gabe", "responseStatus": "accepted" }],
        })),
        None,
        StatusCode::OK,
    )
    .await;
}
