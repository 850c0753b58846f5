//! Bookings: created by an anonymous attendee, read, listed, extended with guests, moved to another place,
//! rescheduled, cancelled, confirmed and declined by the host.

use super::{BOOKINGS, Journey, MONDAY, booking, uid};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    let v = Some(BOOKINGS);
    let key = j.host_key.clone();

    let mut first = booking(j.intro, &format!("{MONDAY}T10:00:00Z"), "ada@example.test");
    first["bookingFieldsResponses"] = json!({ "topic": "Sales", "company": "Acme Ltd" });
    first["guests"] = json!(["grace@example.test"]);
    first["location"] = json!({ "type": "address" });
    first["metadata"] = json!({ "source": "website" });
    let first = j
        .rec
        .ok(Method::POST, "/v2/bookings", None, Some(first), v, StatusCode::CREATED)
        .await;
    let first = uid(&first);
    let one = format!("/v2/bookings/{first}");
    j.ok(Method::GET, &one, &key, None, v, StatusCode::OK).await;
    // Cal.com answers this without a key: the uid is the capability (issue 12).
    j.rec.send(Method::GET, &one, None, None, v).await;
    j.ok(
        Method::GET,
        "/v2/bookings?status=upcoming&take=10",
        &key,
        None,
        v,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::GET,
        &format!("{one}/calendar-links"),
        &key,
        None,
        v,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::POST,
        &format!("{one}/guests"),
        &key,
        Some(json!({ "guests": [{ "email": "linus@example.test", "name": "Linus Guest" }] })),
        v,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::PATCH,
        &format!("{one}/location"),
        &key,
        Some(json!({ "location": { "type": "link", "link": "https://meet.example.test/hanna" } })),
        v,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::POST,
        &format!("{one}/mark-absent"),
        &key,
        Some(json!({ "attendees": [{ "email": "ada@example.test", "absent": true }] })),
        v,
        StatusCode::OK,
    )
    .await;

    let mut second = booking(j.intro, &format!("{MONDAY}T11:00:00Z"), "ben@example.test");
    second["bookingFieldsResponses"] = json!({ "topic": "Support" });
    let second = j
        .rec
        .ok(Method::POST, "/v2/bookings", None, Some(second), v, StatusCode::CREATED)
        .await;
    let moved = j
        .rec
        .ok(
            Method::POST,
            &format!("/v2/bookings/{}/reschedule", uid(&second)),
            None,
            Some(json!({ "start": format!("{MONDAY}T13:00:00Z"), "reschedulingReason": "A clash came up" })),
            v,
            StatusCode::CREATED,
        )
        .await;
    j.rec
        .ok(
            Method::POST,
            &format!("/v2/bookings/{}/cancel", uid(&moved)),
            None,
            Some(json!({ "cancellationReason": "No longer needed" })),
            v,
            StatusCode::OK,
        )
        .await;

    // An event type without locations that needs the host's confirmation.
    let pending = j
        .rec
        .ok(
            Method::POST,
            "/v2/bookings",
            None,
            Some(booking(j.review, "2030-01-08T09:00:00Z", "cora@example.test")),
            v,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::POST,
        &format!("/v2/bookings/{}/confirm", uid(&pending)),
        &key,
        None,
        v,
        StatusCode::OK,
    )
    .await;
    let declined = j
        .rec
        .ok(
            Method::POST,
            "/v2/bookings",
            None,
            Some(booking(j.review, "2030-01-08T11:00:00Z", "dan@example.test")),
            v,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::POST,
        &format!("/v2/bookings/{}/decline", uid(&declined)),
        &key,
        Some(json!({ "reason": "Outside my practice area" })),
        v,
        StatusCode::OK,
    )
    .await;

    // An attendee reachable by phone only: the reference makes `email` optional when `phoneNumber` is given.
    let mut phone_only = booking(j.intro, "2030-01-09T14:00:00Z", "unused@example.test");
    phone_only["attendee"] =
        json!({ "name": "Pia Phone", "phoneNumber": "+442079460000", "timeZone": "Europe/London" });
    phone_only["bookingFieldsResponses"] = json!({ "topic": "Partnership" });
    j.rec
        .send(Method::POST, "/v2/bookings", None, Some(phone_only), v)
        .await;
}
