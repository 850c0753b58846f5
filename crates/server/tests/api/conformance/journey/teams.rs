//! Teams outside organizations (`/v2/teams`): the team, its memberships, event types with webhooks, and its
//! members' schedules.

use super::{EVENT_TYPES, Journey, id};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let team = j
        .ok(
            Method::POST,
            "/v2/teams",
            &key,
            Some(json!({
                "name": "Book Club",
                "slug": "book-club",
                "bio": "Monthly reading circle",
                "brandColor": "#335577",
                "timeZone": "Europe/Lisbon",
                "weekStart": "Monday"
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    let base = format!("/v2/teams/{}", id(&team));
    j.ok(Method::GET, "/v2/teams", &key, None, None, StatusCode::OK).await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &base,
        &key,
        Some(json!({ "bio": "Reading circle, first Tuesday", "theme": "dark", "timeFormat": 24 })),
        None,
        StatusCode::OK,
    )
    .await;
    memberships(j, &base).await;
    event_types(j, &base).await;
    j.ok(
        Method::GET,
        &format!("{base}/schedules"),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    let scratch = j
        .ok(
            Method::POST,
            "/v2/teams",
            &key,
            Some(json!({ "name": "Short-lived" })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::DELETE,
        &format!("/v2/teams/{}", id(&scratch)),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
}

async fn memberships(j: &mut Journey<'_>, team: &str) {
    let key = j.host_key.clone();
    let base = format!("{team}/memberships");
    let admin = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "userId": j.admin_id, "role": "MEMBER", "accepted": true })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}", id(&admin));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "role": "ADMIN" })),
        None,
        StatusCode::OK,
    )
    .await;
    let reader = j.rec.app.user("rita.reader@conformance.test").await;
    let temporary = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "userId": reader.id, "accepted": true })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::DELETE,
        &format!("{base}/{}", id(&temporary)),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
}

async fn event_types(j: &mut Journey<'_>, team: &str) {
    let key = j.host_key.clone();
    let base = format!("{team}/event-types");
    let meeting = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "title": "Book discussion",
                "slug": "discussion",
                "lengthInMinutes": 60,
                "description": "This month's book, chapter by chapter.",
                "schedulingType": "collective",
                "assignAllTeamMembers": true,
                "locations": [{ "type": "link", "link": "https://meet.example.test/book-club" }]
            })),
            Some(EVENT_TYPES),
            StatusCode::CREATED,
        )
        .await;
    let scratch = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "title": "Author Q&A",
                "slug": "author-qa",
                "lengthInMinutes": 30,
                "schedulingType": "roundRobin",
                "hosts": [{ "userId": j.admin_id }]
            })),
            Some(EVENT_TYPES),
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, Some(EVENT_TYPES), StatusCode::OK)
        .await;
    let one = format!("{base}/{}", id(&meeting));
    j.ok(Method::GET, &one, &key, None, Some(EVENT_TYPES), StatusCode::OK)
        .await;
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "description": "One book a month, discussed together." })),
        Some(EVENT_TYPES),
        StatusCode::OK,
    )
    .await;
    webhooks(j, &one).await;
    j.ok(
        Method::DELETE,
        &format!("{base}/{}", id(&scratch)),
        &key,
        None,
        Some(EVENT_TYPES),
        StatusCode::OK,
    )
    .await;
}

async fn webhooks(j: &mut Journey<'_>, event_type: &str) {
    let key = j.host_key.clone();
    let base = format!("{event_type}/webhooks");
    let hook = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "subscriberUrl": "https://hooks.example.test/book-club",
                "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"],
                "active": true,
                "secret": "a-long-shared-secret-for-the-club"
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}", id(&hook));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "active": false })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::POST,
        &base,
        &key,
        Some(json!({
            "subscriberUrl": "https://hooks.example.test/book-club-2",
            "triggers": ["BOOKING_RESCHEDULED"],
            "active": true
        })),
        None,
        StatusCode::CREATED,
    )
    .await;
    j.ok(Method::DELETE, &base, &key, None, None, StatusCode::OK).await;
}
