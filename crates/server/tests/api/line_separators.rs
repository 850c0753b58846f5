//! U+2028 and U+2029 are line breaks to many readers: refused in header-bound fields, never raw in calendar
//! files (issue 10, item 6).

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, EVENT_TYPES, book, host_with_event, weekdays_9_to_5};
use convene_core::UserId;
use convene_store::outbox::{self, Filter, Scope};
use reqwest::{Method, StatusCode};
use serde_json::json;

const LS: char = '\u{2028}';
const PS: char = '\u{2029}';

#[tokio::test]
async fn titles_and_names_with_line_separators_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, event) = host_with_event(
        &app,
        "separators@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 }),
    )
    .await;
    let host = app.user("titles@example.test").await;
    app.versioned(
        Method::POST,
        "/v2/event-types",
        Some(&host.key),
        Some(json!({ "title": format!("Intro{LS}BCC: x@y.z"), "slug": "intro", "lengthInMinutes": 30 })),
        Some(EVENT_TYPES),
    )
    .await
    .expect_field_error("title");
    let body = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
        "attendee": { "name": format!("Eve{PS}Mallory"), "email": "eve@example.test", "timeZone": "UTC" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_field_error("attendee.name");
}

#[tokio::test]
async fn sender_credentials_and_webhook_secrets_with_line_separators_are_refused() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("separators").await;
    app.put(
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        &app.admin_key,
        json!({ "enabled": true }),
    )
    .await
    .expect_success(StatusCode::OK);
    let senders = format!("/v2/organizations/{org}/smtp-configurations");
    for field in ["smtpUser", "smtpPassword"] {
        let mut body = json!({ "fromEmail": "mail@separators.test", "fromName": "Separators",
            "smtpHost": "192.0.2.10", "smtpPort": 587, "smtpUser": "user", "smtpPassword": "secret" });
        body[field] = json!(format!("line{LS}RCPT TO:<x@y.z>"));
        app.post(&senders, &owner.key, body).await.expect_field_error(field);
    }
    app.post(
        "/v2/webhooks",
        &owner.key,
        json!({ "subscriberUrl": "https://hooks.example.test/in", "triggers": ["BOOKING_CREATED"],
            "active": true, "secret": format!("s3cret{PS}") }),
    )
    .await
    .expect_field_error("secret");
}

#[tokio::test]
async fn a_description_with_line_separators_never_reaches_a_calendar_file_raw() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        "ics@example.test",
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
            "description": format!("First line{LS}second line{PS}third") }),
    )
    .await;
    let uid = book(&app, event, "2030-01-07T10:00:00Z", "reader@example.test")
        .await
        .expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    let links = app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}/calendar-links"),
            Some(&host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    let ics_link = links
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["label"] == "ICS")
        .and_then(|l| l["link"].as_str())
        .expect("an ICS link")
        .to_owned();
    let ics = percent_encoding::percent_decode_str(ics_link.trim_start_matches("data:text/calendar,"))
        .decode_utf8()
        .expect("utf-8")
        .into_owned();
    assert!(ics.contains("First line\\nsecond line\\nthird"), "{ics}");
    assert!(!ics.contains(LS) && !ics.contains(PS), "{ics}");

    let invites = outbox::list(&app.db, Scope::User { id: UserId(host.id) }, &Filter::default(), 10)
        .await
        .expect("outbox");
    assert!(!invites.is_empty());
    for email in invites {
        let ics = email.ics.unwrap_or_default();
        assert!(!ics.contains(LS) && !ics.contains(PS), "{ics}");
    }
}
