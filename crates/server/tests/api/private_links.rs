//! Private links: the API (create with an expiry or a use limit, list, update, delete) and the booking page
//! they open, which books a hidden event type while the link lives.

use crate::helpers::TestApp;
use crate::scheduling::{EVENT_TYPES, SCHEDULES, weekdays_9_to_5};
use crate::web_booking::{get, post};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A host with a hidden event type; returns (host key, event type id).
async fn hidden_event(app: &TestApp) -> (String, i64) {
    let host = app.user("priv@example.test").await;
    app.versioned(
        Method::POST,
        "/v2/schedules",
        Some(&host.key),
        Some(json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() })),
        Some(SCHEDULES),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let event = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(json!({ "title": "Secret", "slug": "secret", "lengthInMinutes": 30, "hidden": true })),
            Some(EVENT_TYPES),
        )
        .await;
    let id = event.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    (host.key, id)
}

/// Holds `start` through the link's booker and returns the booking form's fields, or the hold's status.
async fn form_via(app: &TestApp, event: i64, link: &str, start: &str) -> Result<Vec<(String, String)>, StatusCode> {
    let id = event.to_string();
    let held = post(
        app,
        "/booking/hold",
        &[
            ("event", &id),
            ("start", start),
            ("tz", "UTC"),
            ("privateLink", link),
            ("back", "/"),
        ],
    )
    .await;
    if held.status != StatusCode::SEE_OTHER || !held.location().starts_with("/booking/form") {
        return Err(held.status);
    }
    let form_path = held.location();
    let query = form_path.split_once('?').map(|(_, q)| q).unwrap_or_default();
    Ok(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
}

async fn submit(app: &TestApp, mut fields: Vec<(String, String)>, email: &str) -> StatusCode {
    fields.push(("name".into(), "Pat".into()));
    fields.push(("email".into(), email.into()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(app, "/booking/form", &pairs).await.status
}

async fn book_via(app: &TestApp, event: i64, link: &str, start: &str, email: &str) -> StatusCode {
    let id = event.to_string();
    let held = post(
        app,
        "/booking/hold",
        &[
            ("event", &id),
            ("start", start),
            ("tz", "UTC"),
            ("privateLink", link),
            ("back", "/"),
        ],
    )
    .await;
    if held.status != StatusCode::SEE_OTHER || !held.location().starts_with("/booking/form") {
        return held.status;
    }
    let form_path = held.location();
    let query = form_path.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let mut fields: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    fields.push(("name".into(), "Pat".into()));
    fields.push(("email".into(), email.into()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(app, "/booking/form", &pairs).await.status
}

#[tokio::test]
async fn a_one_use_link_books_a_hidden_event_type_once_and_then_explains_itself() {
    let app = TestApp::spawn().await;
    let (key, event) = hidden_event(&app).await;
    let path = format!("/v2/event-types/{event}/private-links");
    let created = app.post(&path, &key, json!({})).await;
    let link = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(link["maxUsageCount"], 1, "one use by default");
    assert_eq!(link["usageCount"], 0);
    assert_eq!(link["isExpired"], false);
    let link_id = link["linkId"].as_str().expect("linkId").to_owned();
    assert!(
        link["bookingUrl"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/d/{link_id}/secret")))
    );

    assert_eq!(
        get(&app, "/priv-example-test/secret").await.status,
        StatusCode::NOT_FOUND
    );
    let page = get(&app, &format!("/d/{link_id}/secret?month=2030-01&date=2030-01-07")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("data-start=\"2030-01-07T10:00:00.000Z\""));
    assert_eq!(
        book_via(&app, event, "nope", "2030-01-07T10:00:00.000Z", "x@example.test").await,
        StatusCode::NOT_FOUND,
        "a hidden event type needs a live link"
    );
    assert_eq!(
        book_via(&app, event, &link_id, "2030-01-07T10:00:00.000Z", "pat@example.test").await,
        StatusCode::SEE_OTHER
    );
    let used = app.get(&path, &key).await;
    assert_eq!(used.expect_success(StatusCode::OK)[0]["usageCount"], 1);
    assert_eq!(used.data()[0]["isExpired"], true);
    let gone = get(&app, &format!("/d/{link_id}/secret")).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.html.contains("expired or has been used up"));
    assert_eq!(
        book_via(&app, event, &link_id, "2030-01-07T11:00:00.000Z", "again@example.test").await,
        StatusCode::GONE,
        "a used-up link explains itself at every step"
    );
}

#[tokio::test]
async fn links_expire_by_date_can_be_updated_and_deleted_and_belong_to_their_owner() {
    let app = TestApp::spawn().await;
    let (key, event) = hidden_event(&app).await;
    let path = format!("/v2/event-types/{event}/private-links");
    let past = app
        .post(&path, &key, json!({ "expiresAt": "2020-01-01T00:00:00Z" }))
        .await;
    let past = past.expect_success(StatusCode::CREATED).clone();
    assert_eq!(past["isExpired"], true);
    assert_eq!(past["expiresAt"], "2020-01-01T00:00:00.000Z");
    assert!(past.get("usageCount").is_none(), "a time-based link");
    let id = past["linkId"].as_str().expect("id");
    assert_eq!(get(&app, &format!("/d/{id}/secret")).await.status, StatusCode::GONE);

    let renewed = app
        .patch(
            &format!("{path}/{id}"),
            &key,
            json!({ "expiresAt": "2040-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(renewed.expect_success(StatusCode::OK)["isExpired"], false);
    assert_eq!(get(&app, &format!("/d/{id}/secret")).await.status, StatusCode::OK);
    app.post(&path, &key, json!({ "maxUsageCount": 0 }))
        .await
        .expect_field_error("maxUsageCount");

    let stranger = app.user("stranger@example.test").await;
    app.get(&path, &stranger.key).await.expect_error(StatusCode::NOT_FOUND);
    app.delete(&format!("{path}/{id}"), &key)
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(
        get(&app, &format!("/d/{id}/secret")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&path, &key).await.expect_success(StatusCode::OK),
        &json!([]),
        "deleted links are gone"
    );
}

#[tokio::test]
async fn a_links_use_is_taken_only_by_a_booking_that_is_made() {
    let app = TestApp::spawn().await;
    let (key, event) = hidden_event(&app).await;
    let path = format!("/v2/event-types/{event}/private-links");
    let created = app.post(&path, &key, json!({ "maxUsageCount": 2 })).await;
    let link_id = created.expect_success(StatusCode::CREATED)["linkId"]
        .as_str()
        .expect("linkId")
        .to_owned();
    let at_ten = form_via(&app, event, &link_id, "2030-01-07T10:00:00.000Z")
        .await
        .expect("form");
    // Someone else takes 10:00 after the hold lapsed: the booking fails, and the link keeps its use.
    crate::web_booking::sqlx_delete_holds(&app).await;
    app.versioned(
        Method::POST,
        "/v2/bookings",
        None,
        Some(json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
                     "attendee": { "name": "Other", "email": "other@example.test", "timeZone": "UTC" } })),
        Some(crate::scheduling::BOOKINGS),
    )
    .await
    .expect_success(StatusCode::CREATED);
    assert_eq!(submit(&app, at_ten, "pat@example.test").await, StatusCode::CONFLICT);
    assert_eq!(
        app.get(&path, &key).await.expect_success(StatusCode::OK)[0]["usageCount"],
        0
    );

    // Two invitees racing for the link's last use: exactly one booking, and the other is told the link is spent.
    app.patch(&format!("{path}/{link_id}"), &key, json!({ "maxUsageCount": 1 }))
        .await
        .expect_success(StatusCode::OK);
    let first = form_via(&app, event, &link_id, "2030-01-07T11:00:00.000Z")
        .await
        .expect("form");
    let second = form_via(&app, event, &link_id, "2030-01-07T13:00:00.000Z")
        .await
        .expect("form");
    let (a, b) = tokio::join!(
        submit(&app, first, "a@example.test"),
        submit(&app, second, "b@example.test")
    );
    let mut outcomes = [a, b];
    outcomes.sort();
    assert_eq!(
        outcomes,
        [StatusCode::SEE_OTHER, StatusCode::GONE],
        "one booked, one refused"
    );
    assert_eq!(
        app.get(&path, &key).await.expect_success(StatusCode::OK)[0]["usageCount"],
        1
    );
    assert_eq!(
        app.count_rows("bookings").await,
        2,
        "the other's booking and one through the link"
    );
}

#[tokio::test]
async fn team_managers_link_their_teams_event_types_and_nobody_else_does() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("acme").await;
    let member = app.member(org, "m@acme.test", convene_core::Role::Member).await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Sales" }),
        )
        .await;
    let team = team.expect_success(StatusCode::CREATED)["id"].as_i64().expect("team");
    let event = app
        .post(
            &format!("/v2/organizations/{org}/teams/{team}/event-types"),
            &owner.key,
            json!({ "title": "Quiet demo", "slug": "quiet", "lengthInMinutes": 30, "hidden": true,
                    "schedulingType": "collective", "assignAllTeamMembers": true }),
        )
        .await;
    let event = event.expect_success(StatusCode::CREATED)["id"].as_i64().expect("event");
    let links = format!("/v2/organizations/{org}/teams/{team}/event-types/{event}/private-links");
    app.post(&links, &member.key, json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    let (_, stranger) = app.organization("globex").await;
    let refused = app.post(&links, &stranger.key, json!({})).await;
    assert!(
        matches!(refused.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "another organization's owner: {}",
        refused.status
    );
    // Nor through the personal path: a team event type is not the caller's own.
    app.post(&format!("/v2/event-types/{event}/private-links"), &owner.key, json!({}))
        .await
        .expect_error(StatusCode::NOT_FOUND);

    let created = app.post(&links, &owner.key, json!({ "maxUsageCount": 2 })).await;
    let link = created.expect_success(StatusCode::CREATED).clone();
    let link_id = link["linkId"].as_str().expect("linkId").to_owned();
    assert_eq!(link["eventTypeId"], event);
    assert!(
        link["bookingUrl"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/d/{link_id}/quiet")))
    );
    assert_eq!(
        app.get(&links, &owner.key).await.expect_success(StatusCode::OK)[0]["linkId"],
        link_id.as_str()
    );
    assert_eq!(app.get(&links, &member.key).await.status, StatusCode::FORBIDDEN);
    // The hidden team event type opens through the link only.
    assert_eq!(get(&app, &format!("/d/{link_id}/quiet")).await.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/org/acme/team/sales/quiet").await.status,
        StatusCode::NOT_FOUND
    );
    let one = format!("{links}/{link_id}");
    let updated = app
        .patch(&one, &owner.key, json!({ "expiresAt": "2031-01-01T00:00:00Z" }))
        .await;
    assert_eq!(
        updated.expect_success(StatusCode::OK)["expiresAt"],
        "2031-01-01T00:00:00.000Z"
    );
    app.delete(&one, &member.key).await.expect_error(StatusCode::FORBIDDEN);
    app.delete(&one, &owner.key).await.expect_success(StatusCode::OK);
    assert_eq!(
        get(&app, &format!("/d/{link_id}/quiet")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn in_chromium_a_live_link_books_the_hidden_event_type_and_a_used_up_one_explains_itself() {
    use crate::web_browser::Browser;
    use fantoccini::Locator;

    let app = TestApp::spawn().await;
    let (key, event) = hidden_event(&app).await;
    let path = format!("/v2/event-types/{event}/private-links");
    let created = app.post(&path, &key, json!({ "maxUsageCount": 1 })).await;
    let link_id = created.expect_success(StatusCode::CREATED)["linkId"]
        .as_str()
        .expect("linkId")
        .to_owned();
    let browser = Browser::launch().await;
    let c = &browser.client;
    let booker = format!("{}/d/{link_id}/secret?month=2030-01&tz=UTC", app.address);
    c.goto(&booker).await.expect("open the link");
    let find = |css: &'static str| async move {
        c.wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    };
    find("a[data-day='7']").await.click().await.expect("day");
    // The script swaps the day in place; wait for the time it brings.
    find("button[data-start='2030-01-07T10:00:00.000Z']")
        .await
        .click()
        .await
        .expect("time");
    find("#name").await.send_keys("Pat Link").await.expect("name");
    find("#email").await.send_keys("pat@example.test").await.expect("email");
    find("#submit").await.click().await.expect("book");
    let result = find("[data-booking-uid]").await;
    assert_eq!(
        result.attr("data-status").await.expect("status").as_deref(),
        Some("accepted")
    );

    c.goto(&booker).await.expect("open the link again");
    let body = find("main").await.text().await.expect("text");
    assert!(body.contains("expired or has been used up"), "{body}");
    assert!(
        c.find(Locator::Css("a[data-day]")).await.is_err(),
        "a used-up link offers no times"
    );
    browser.client.clone().close().await.expect("close");
}
