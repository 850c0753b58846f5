//! The event type page's private links and destination calendar over plain HTTP: a link made on the page is
//! listed with its address and uses, works on its booking page, is refused with a bad count (kept beside its box),
//! can't be deleted by anyone else and stops working once deleted; a destination chosen on the page is what
//! `GET /v2/event-types/{id}` answers, a read-only calendar is refused, and "the default" clears it. Enter in a
//! text box saves the form (its first submit button is the save one).

use crate::helpers::TestApp;
use crate::scheduling::{EVENT_TYPES, host_with_event, weekdays_9_to_5};
use crate::web_app_bookings::{get, signed_in, with_password};
use crate::web_app_calendars::{csrf_of, post};
use convene_core::{ConnectionKind, EventTypeId, UserId};
use convene_store::calendars::{self, ListedCalendar, NewConnection};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const HOST: &str = "links@et-page.test";
const OTHER: &str = "other@et-page.test";

async fn api_links(app: &TestApp, key: &str, event: i64) -> Vec<Value> {
    app.versioned(
        Method::GET,
        &format!("/v2/event-types/{event}/private-links"),
        Some(key),
        None,
        Some(EVENT_TYPES),
    )
    .await
    .expect_success(StatusCode::OK)
    .as_array()
    .expect("links")
    .clone()
}

#[tokio::test]
async fn private_links_are_made_listed_and_deleted_on_the_event_type_page() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        HOST,
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Meet", "slug": "meet", "lengthInMinutes": 30, "hidden": true }),
    )
    .await;
    with_password(&app, HOST).await;
    let client = signed_in(&app, HOST).await;
    let page_path = format!("/event-types/{event}");
    let (status, page) = get(&app, &client, &page_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"private-links\"") && page.contains("id=\"no-links\""),
        "{page}"
    );
    let form = &page[page.find("id=\"event-type-form\"").expect("form")..];
    let first_submit = &form[form.find("type=\"submit\"").expect("a submit button")..];
    assert!(
        first_submit.starts_with("type=\"submit\" class=\"visually-hidden\" id=\"default-save\""),
        "Enter must save, not add a question: {first_submit}"
    );
    let csrf = csrf_of(&page);
    let create = format!("/event-types/{event}/private-links");

    let (status, _) = post(&app, &client, &create, &[("maxUsageCount", "3")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, page) = post(&app, &client, &create, &[("csrf", &csrf), ("maxUsageCount", "lots")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"maxUsageCount-error\""), "{page}");
    assert!(page.contains("value=\"lots\""), "what was typed is kept: {page}");
    let (status, page) = post(&app, &client, &create, &[("csrf", &csrf), ("maxUsageCount", "0")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the service's own range check: {page}");
    assert!(page.contains("id=\"maxUsageCount-error\""), "{page}");
    assert!(api_links(&app, &host.key, event).await.is_empty());

    let (status, to) = post(&app, &client, &create, &[("csrf", &csrf), ("maxUsageCount", "3")]).await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("/event-types/{event}?notice=link-created#private-links").as_str()
        )
    );
    let (status, _) = post(&app, &client, &create, &[("csrf", &csrf), ("expiresAt", "2040-01-31")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let links = api_links(&app, &host.key, event).await;
    assert_eq!(links.len(), 2, "{links:?}");
    let by_uses = links
        .iter()
        .find(|l| l["maxUsageCount"] == 3)
        .expect("the counted link");
    let dated = links
        .iter()
        .find(|l| l.get("expiresAt").is_some())
        .expect("the dated link");
    assert_eq!(
        dated["expiresAt"], "2040-02-01T00:00:00.000Z",
        "through the chosen day, in the host's zone"
    );
    let url = by_uses["bookingUrl"].as_str().expect("url");
    let link_id = by_uses["linkId"].as_str().expect("id");

    let (_, page) = get(&app, &client, &page_path).await;
    assert!(page.contains(&format!(">{url}</code>")), "the full address: {page}");
    assert!(page.contains("3 of 3 uses left"), "{page}");
    assert!(page.contains("Works until 2040-02-01 00:00"), "{page}");
    let booker = format!("/d/{link_id}/meet");
    assert_eq!(crate::web_booking::get(&app, &booker).await.status, StatusCode::OK);

    // Nobody else can delete it; the owner can, and the link stops working.
    let delete = format!("/event-types/{event}/private-links/{link_id}/delete");
    app.account(OTHER).await;
    let other = signed_in(&app, OTHER).await;
    let other_csrf = csrf_of(&get(&app, &other, "/event-types").await.1);
    let (status, _) = post(&app, &other, &delete, &[("csrf", &other_csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(&app, &client, &delete, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, to) = post(&app, &client, &delete, &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("/event-types/{event}?notice=link-deleted#private-links").as_str()
        )
    );
    assert_eq!(api_links(&app, &host.key, event).await.len(), 1);
    let (_, page) = get(&app, &client, &page_path).await;
    assert!(!page.contains(link_id), "{page}");
    assert_eq!(
        crate::web_booking::get(&app, &booker).await.status,
        StatusCode::NOT_FOUND
    );

    // A long list comes a page at a time.
    for n in 0..25 {
        let link = convene_store::private_links::PrivateLinkRecord {
            link_id: format!("paged-link-{n:02}"),
            event_type_id: EventTypeId(event),
            expires_at: None,
            max_usage_count: Some(1),
            usage_count: 0,
        };
        convene_store::private_links::insert(&app.db, &link)
            .await
            .expect("link");
    }
    let (_, first) = get(&app, &client, &page_path).await;
    assert!(
        first.contains("id=\"links-next\"") && !first.contains("id=\"links-prev\""),
        "{first}"
    );
    assert!(!first.contains("paged-link-24"), "{first}");
    let (status, second) = get(&app, &client, &format!("{page_path}?links=2")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        second.contains("id=\"links-prev\"") && !second.contains("id=\"links-next\""),
        "{second}"
    );
    assert!(
        second.contains("paged-link-24") && !second.contains("paged-link-00"),
        "{second}"
    );
}

/// Posts the event type form with its required boxes and `destination`.
async fn save(
    app: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    path: &str,
    destination: &str,
) -> (StatusCode, String) {
    let form = [
        ("csrf", csrf),
        ("title", "Meet"),
        ("slug", "meet"),
        ("lengthInMinutes", "30"),
        ("destinationCalendar", destination),
    ];
    post(app, client, path, &form).await
}

/// `destinationCalendar` as `GET /v2/event-types/{id}` answers it.
async fn destination_of(app: &TestApp, key: &str, event: i64) -> Option<Value> {
    app.versioned(
        Method::GET,
        &format!("/v2/event-types/{event}"),
        Some(key),
        None,
        Some(EVENT_TYPES),
    )
    .await
    .expect_success(StatusCode::OK)
    .get("destinationCalendar")
    .cloned()
}

#[tokio::test]
async fn the_destination_calendar_chosen_on_the_page_is_the_apis() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        HOST,
        "UTC",
        weekdays_9_to_5(),
        json!({ "title": "Meet", "slug": "meet", "lengthInMinutes": 30 }),
    )
    .await;
    let connection = calendars::insert_connection(
        &app.db,
        &NewConnection {
            user_id: UserId(host.id),
            kind: ConnectionKind::CalDav,
            label: "Work server",
            username: Some("links"),
            server_url: Some("https://dav.invalid/"),
        },
    )
    .await
    .expect("connection");
    for (external_id, name, read_only) in [("work", "Work", false), ("holidays", "Holidays", true)] {
        let listed = ListedCalendar {
            external_id,
            name,
            read_only,
            is_primary: false,
        };
        calendars::upsert_calendar(&app.db, connection, UserId(host.id), &listed)
            .await
            .expect("calendar");
    }
    with_password(&app, HOST).await;
    let client = signed_in(&app, HOST).await;
    let page_path = format!("/event-types/{event}");
    let (_, page) = get(&app, &client, &page_path).await;
    assert!(
        page.contains("<option value=\"caldav_calendar:work\">Work (CalDav Server)</option>"),
        "{page}"
    );
    assert!(
        !page.contains("caldav_calendar:holidays"),
        "read-only calendars are not offered: {page}"
    );
    let csrf = csrf_of(&page);
    let (status, page) = save(&app, &client, &csrf, &page_path, "caldav_calendar:holidays").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"destinationCalendar-error\""), "{page}");
    assert_eq!(destination_of(&app, &host.key, event).await, None);

    let (status, _) = save(&app, &client, &csrf, &page_path, "caldav_calendar:work").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        destination_of(&app, &host.key, event).await,
        Some(json!({ "integration": "caldav_calendar", "externalId": "work" }))
    );
    let (_, page) = get(&app, &client, &page_path).await;
    assert!(
        page.contains("<option value=\"caldav_calendar:work\" selected>"),
        "{page}"
    );

    let (status, _) = save(&app, &client, &csrf, &page_path, "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        destination_of(&app, &host.key, event).await,
        None,
        "back to the default"
    );
}
