//! CORS: the public operations answer any origin (anonymously); nothing else does.

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, SLOTS};
use crate::web_booking::host;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_website_may_read_slots_and_book_from_the_browser_but_not_send_keys() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, format!("{}/v2/bookings", app.address))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, cal-api-version")
        .send()
        .await
        .expect("send");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .expect("text");
    assert!(!allowed.contains("authorization"), "keys never travel cross-site");
    assert!(!preflight.headers().contains_key("access-control-allow-credentials"));

    let slots = app
        .client
        .get(format!(
            "{}/v2/slots?eventTypeId={event}&start=2030-01-07&end=2030-01-07",
            app.address
        ))
        .header("origin", "https://shop.example")
        .header("cal-api-version", SLOTS)
        .send()
        .await
        .expect("send");
    assert_eq!(slots.status(), StatusCode::OK);
    assert_eq!(slots.headers()["access-control-allow-origin"], "*");

    let booked = app
        .client
        .post(format!("{}/v2/bookings", app.address))
        .header("origin", "https://shop.example")
        .header("cal-api-version", BOOKINGS)
        .json(&json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
            "attendee": { "name": "Web", "email": "web@example.test", "timeZone": "UTC" },
            "bookingFieldsResponses": { "company": "Shop" } }))
        .send()
        .await
        .expect("send");
    assert_eq!(booked.status(), StatusCode::CREATED);
    assert_eq!(booked.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn private_api_routes_and_pages_answer_no_other_origin() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        ("GET", "/v2/me"),
        ("POST", "/v2/bookings/x/cancel"),
        ("POST", "/auth/login"),
    ] {
        let preflight = app
            .client
            .request(Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", method)
            .send()
            .await
            .expect("send");
        assert!(
            !preflight.headers().contains_key("access-control-allow-origin"),
            "{path} answered a preflight"
        );
    }
    let me = app
        .client
        .get(format!("{}/v2/me", app.address))
        .bearer_auth(&app.admin_key)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("send");
    assert!(!me.headers().contains_key("access-control-allow-origin"));
}
