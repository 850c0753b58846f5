//! Organization-wide reads and a member's schedules managed by the organization: schedules, the event types of
//! every team, and the organization's, a member's and a team's bookings (those of the booking steps).

use super::{Journey, id};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    schedules(j).await;
    webhooks(j).await;
    let key = j.host_key.clone();
    let org = j.org;
    j.ok(
        Method::GET,
        &format!("/v2/organizations/{org}/teams/event-types"),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    for path in [
        format!("/v2/organizations/{org}/bookings?status=upcoming&sortStart=asc"),
        format!("/v2/organizations/{org}/users/{}/bookings?take=5", j.host_id),
        format!("/v2/organizations/{org}/teams/{}/bookings", j.team),
    ] {
        j.ok(Method::GET, &path, &key, None, None, StatusCode::OK).await;
    }
}

async fn schedules(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let org = j.org;
    let base = format!("/v2/organizations/{org}/users/{}/schedules", j.admin_id);
    let created = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "name": "Support rota",
                "timeZone": "Europe/Dublin",
                "isDefault": true,
                "availability": [{ "days": ["Monday", "Wednesday", "Friday"], "startTime": "08:30", "endTime": "16:30" }],
                "overrides": [{ "date": "2030-01-09", "startTime": "10:00", "endTime": "12:00" }]
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    let spare = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "name": "Spare", "timeZone": "Europe/Dublin", "isDefault": false })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}", id(&created));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "name": "Support rota (winter)" })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::DELETE,
        &format!("{base}/{}", id(&spare)),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::GET,
        &format!("/v2/organizations/{org}/schedules?take=50"),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::GET,
        &format!("/v2/organizations/{org}/teams/{}/schedules", j.team),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::GET,
        &format!(
            "/v2/organizations/{org}/teams/{}/users/{}/schedules",
            j.team, j.admin_id
        ),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
}

async fn webhooks(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/webhooks", j.org);
    let hook = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "subscriberUrl": "https://hooks.example.test/conformance-org",
                "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED", "BOOKING_RESCHEDULED"],
                "active": true,
                "payloadTemplate": "{\"event\": \"{{triggerEvent}}\", \"title\": \"{{title}}\"}",
                "secret": "an-organization-wide-shared-secret"
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
        Some(json!({ "triggers": ["BOOKING_CREATED"], "active": false })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
}
