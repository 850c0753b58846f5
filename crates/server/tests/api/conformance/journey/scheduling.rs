//! Event types (with their webhooks), slots and slot reservations.

use super::{EVENT_TYPES, Journey, MONDAY, SLOTS, id};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    event_types(j).await;
    event_type_webhooks(j).await;
    private_links(j).await;
    slots(j).await;
    reservations(j).await;
}

async fn event_types(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let v = Some(EVENT_TYPES);
    let intro = j
        .ok(
            Method::POST,
            "/v2/event-types",
            &key,
            Some(json!({
                "title": "Intro call",
                "slug": "intro",
                "lengthInMinutes": 30,
                "description": "A first conversation about your project.",
                "locations": [
                    { "type": "address", "address": "1 Market Street, London", "public": true },
                    { "type": "link", "link": "https://meet.example.test/hanna", "public": false }
                ],
                "bookingFields": [
                    { "type": "select", "slug": "topic", "label": "Topic", "required": true,
                      "options": ["Sales", "Support", "Partnership"] },
                    { "type": "text", "slug": "company", "label": "Company", "required": false,
                      "placeholder": "Acme Ltd" }
                ],
                "beforeEventBuffer": 5,
                "afterEventBuffer": 5,
                "slotInterval": 30,
                "minimumBookingNotice": 60,
                "metadata": { "crmCampaign": "spring" }
            })),
            v,
            StatusCode::CREATED,
        )
        .await;
    j.intro = id(&intro);
    let review = j
        .ok(
            Method::POST,
            "/v2/event-types",
            &key,
            Some(json!({
                "title": "Contract review",
                "slug": "review",
                "lengthInMinutes": 60,
                "lengthInMinutesOptions": [30, 60],
                "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": false },
                "bookingLimitsCount": { "day": 3 }
            })),
            v,
            StatusCode::CREATED,
        )
        .await;
    j.review = id(&review);
    let scratch = j
        .ok(
            Method::POST,
            "/v2/event-types",
            &key,
            Some(json!({ "title": "Scratch", "slug": "scratch", "lengthInMinutes": 15, "hidden": true })),
            v,
            StatusCode::CREATED,
        )
        .await;

    j.ok(Method::GET, "/v2/event-types", &key, None, v, StatusCode::OK)
        .await;
    let by_owner = format!("/v2/event-types?username={}&eventSlug=intro", j.host_username);
    j.rec.send(Method::GET, &by_owner, None, None, v).await;
    let intro_path = format!("/v2/event-types/{}", j.intro);
    j.ok(Method::GET, &intro_path, &key, None, v, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &intro_path,
        &key,
        Some(json!({ "description": "A first 30-minute conversation.", "afterEventBuffer": 10 })),
        v,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::DELETE,
        &format!("/v2/event-types/{}", id(&scratch)),
        &key,
        None,
        v,
        StatusCode::OK,
    )
    .await;

    // Requests the reference allows and Cal.com accepts (issue 12); recorded whatever they answer.
    j.rec
        .send(
            Method::POST,
            "/v2/event-types",
            Some(&key),
            Some(json!({
                "title": "Defaults by slug",
                "slug": "defaults-by-slug",
                "lengthInMinutes": 20,
                "bookingFields": [
                    { "slug": "title", "required": true },
                    { "slug": "notes", "hidden": false },
                    { "slug": "guests", "hidden": true },
                    { "slug": "location" },
                    { "slug": "rescheduleReason", "required": false }
                ]
            })),
            v,
        )
        .await;
    let review_path = format!("/v2/event-types/{}", j.review);
    j.rec
        .send(
            Method::PATCH,
            &review_path,
            Some(&key),
            Some(json!({ "bookingFields": [
                { "type": "email", "label": "Work email", "placeholder": "you@company.example" }
            ] })),
            v,
        )
        .await;
}

async fn private_links(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/event-types/{}/private-links", j.intro);
    let uses = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({ "maxUsageCount": 3 })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::POST,
        &base,
        &key,
        Some(json!({ "expiresAt": "2031-12-31T23:59:59.000Z" })),
        None,
        StatusCode::CREATED,
    )
    .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}", uses["linkId"].as_str().unwrap_or_default());
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({ "maxUsageCount": 5 })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
}

async fn event_type_webhooks(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/event-types/{}/webhooks", j.intro);
    let created = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "subscriberUrl": "https://hooks.example.test/intro",
                "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"],
                "active": true,
                "secret": "a-long-shared-secret"
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::POST,
        &base,
        &key,
        Some(json!({
            "subscriberUrl": "https://hooks.example.test/intro-templated",
            "triggers": ["BOOKING_RESCHEDULED"],
            "active": true,
            "payloadTemplate": "{\"title\": \"{{title}}\"}"
        })),
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
        Some(json!({ "active": false, "triggers": ["BOOKING_CREATED"] })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
    j.ok(Method::DELETE, &base, &key, None, None, StatusCode::OK).await;
}

async fn slots(j: &mut Journey<'_>) {
    let v = Some(SLOTS);
    let by_id = format!(
        "/v2/slots?eventTypeId={}&start={MONDAY}&end=2030-01-08&timeZone=Europe/Rome",
        j.intro
    );
    j.rec.ok(Method::GET, &by_id, None, None, v, StatusCode::OK).await;
    let ranges = format!(
        "/v2/slots?eventTypeSlug=intro&username={}&start={MONDAY}&end={MONDAY}&format=range",
        j.host_username
    );
    j.rec.ok(Method::GET, &ranges, None, None, v, StatusCode::OK).await;
}

async fn reservations(j: &mut Journey<'_>) {
    let v = Some(SLOTS);
    let reserved = j
        .rec
        .ok(
            Method::POST,
            "/v2/slots/reservations",
            None,
            Some(json!({ "eventTypeId": j.intro, "slotStart": format!("{MONDAY}T15:00:00Z") })),
            v,
            StatusCode::CREATED,
        )
        .await;
    let uid = reserved["reservationUid"]
        .as_str()
        .expect("a reservation uid")
        .to_owned();
    let path = format!("/v2/slots/reservations/{uid}");
    j.rec.ok(Method::GET, &path, None, None, v, StatusCode::OK).await;
    j.rec
        .ok(
            Method::PATCH,
            &path,
            None,
            Some(json!({ "eventTypeId": j.intro, "slotStart": format!("{MONDAY}T15:30:00Z") })),
            v,
            StatusCode::OK,
        )
        .await;
    j.rec.ok(Method::DELETE, &path, None, None, v, StatusCode::OK).await;
}
