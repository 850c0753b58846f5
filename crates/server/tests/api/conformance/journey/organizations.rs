//! The organization: its users, memberships, teams with their memberships and event types, and
//! out-of-office entries.

use super::{BOOKINGS, EVENT_TYPES, Journey, booking, id, uid};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    users(j).await;
    teams(j).await;
    memberships(j).await;
    team_memberships(j).await;
    team_event_types(j).await;
    out_of_office(j).await;
}

async fn users(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/users", j.org);
    let hired = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "email": "nora.new@conformance.test",
                "name": "Nora New",
                "timeZone": "America/Chicago",
                "weekday": "Monday",
                "locale": "en",
                "timeFormat": 12,
                "organizationRole": "MEMBER",
                "autoAccept": true
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}", id(&hired));
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "name": "Nora Newton", "timeZone": "America/Denver" })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
    // `defaultScheduleId` belongs to `CreateOrganizationUserInput` (issue 12).
    j.rec
        .send(
            Method::POST,
            &base,
            Some(&key),
            Some(json!({ "email": "sam.sched@conformance.test", "defaultScheduleId": 1 })),
            None,
        )
        .await;
}

async fn teams(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/teams", j.org);
    let team = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "name": "Sales", "slug": "sales", "bio": "Our sales team", "brandColor": "#123456" })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.team = id(&team);
    let plain = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "name": "Support" })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    j.ok(Method::GET, &format!("{base}/me"), &key, None, None, StatusCode::OK)
        .await;
    let sales = format!("{base}/{}", j.team);
    j.ok(Method::GET, &sales, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &sales,
        &key,
        Some(json!({ "bio": "Sales, EMEA", "theme": "light", "hideBookATeamMember": true })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::DELETE,
        &format!("{base}/{}", id(&plain)),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
}

async fn memberships(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/memberships", j.org);
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let joiner = j.rec.app.user("jo.joiner@conformance.test").await;
    let created = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "userId": joiner.id, "role": "MEMBER", "accepted": true })),
            None,
            StatusCode::CREATED,
        )
        .await;
    let one = format!("{base}/{}", id(&created));
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
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
}

async fn team_memberships(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/teams/{}/memberships", j.org, j.team);
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
    let temp = j
        .rec
        .app
        .member(j.org, "tim.temp@conformance.test", convene_core::Role::Member)
        .await;
    let temporary = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "userId": temp.id, "accepted": true })),
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

async fn team_event_types(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/teams/{}/event-types", j.org, j.team);
    let demo = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "title": "Product demo",
                "slug": "demo",
                "lengthInMinutes": 45,
                "description": "See the product with a specialist.",
                "schedulingType": "roundRobin",
                "hosts": [{ "userId": j.admin_id, "mandatory": false, "priority": "high" }],
                "locations": [{ "type": "link", "link": "https://meet.example.test/sales" }]
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    let scratch = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "title": "All hands",
                "slug": "all-hands",
                "lengthInMinutes": 30,
                "schedulingType": "collective",
                "assignAllTeamMembers": true
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}", id(&demo));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "description": "A 45-minute product demo." })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::DELETE,
        &format!("{base}/{}", id(&scratch)),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    reassign(j, &one, id(&demo)).await;
    // Cal.com returns a team event type here too (issue 12).
    let by_id = format!("/v2/event-types/{}", id(&demo));
    j.rec
        .send(Method::GET, &by_id, Some(&key), None, Some(EVENT_TYPES))
        .await;
    let links = format!("{one}/private-links");
    let link = j
        .ok(
            Method::POST,
            &links,
            &key,
            Some(json!({ "expiresAt": "2031-06-30T00:00:00.000Z" })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &links, &key, None, None, StatusCode::OK).await;
    let link = format!("{links}/{}", link["linkId"].as_str().unwrap_or_default());
    j.ok(
        Method::PATCH,
        &link,
        &key,
        Some(json!({ "maxUsageCount": 10 })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &link, &key, None, None, StatusCode::OK).await;
}

async fn out_of_office(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/users/{}/ooo", j.org, j.admin_id);
    let created = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "start": "2030-02-04T00:00:00.000Z",
                "end": "2030-02-08T23:59:59.999Z",
                "reason": "vacation",
                "notes": "Skiing",
                "toUserId": j.host_id
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::GET,
        &format!("/v2/organizations/{}/ooo", j.org),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    let one = format!("{base}/{}", id(&created));
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "reason": "travel" })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
}

/// The round-robin demo, hosted by the admin and the owner, booked and handed from one host to the other: to a
/// chosen host, then automatically back.
async fn reassign(j: &mut Journey<'_>, event_type: &str, event_type_id: i64) {
    let key = j.host_key.clone();
    j.ok(
        Method::PATCH,
        event_type,
        &key,
        Some(json!({ "hosts": [{ "userId": j.admin_id }, { "userId": j.host_id }] })),
        None,
        StatusCode::OK,
    )
    .await;
    let made = j
        .rec
        .ok(
            Method::POST,
            "/v2/bookings",
            None,
            Some(booking(event_type_id, "2030-01-16T10:30:00Z", "rita@example.test")),
            Some(BOOKINGS),
            StatusCode::CREATED,
        )
        .await;
    let first = made["hosts"][0]["id"].as_i64().unwrap_or_default();
    let other = if first == j.admin_id { j.host_id } else { j.admin_id };
    let path = format!("/v2/bookings/{}/reassign", uid(&made));
    j.ok(
        Method::POST,
        &format!("{path}/{other}"),
        &key,
        Some(json!({ "reason": "Host has to take another call" })),
        Some(BOOKINGS),
        StatusCode::OK,
    )
    .await;
    j.ok(Method::POST, &path, &key, None, Some(BOOKINGS), StatusCode::OK)
        .await;
}
