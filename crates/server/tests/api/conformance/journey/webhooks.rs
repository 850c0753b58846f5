//! The host's own webhooks.

use super::{Journey, id};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let plain = j
        .ok(
            Method::POST,
            "/v2/webhooks",
            &key,
            Some(json!({
                "subscriberUrl": "https://hooks.example.test/all-bookings",
                "triggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"],
                "active": true
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    let templated = j
        .ok(
            Method::POST,
            "/v2/webhooks",
            &key,
            Some(json!({
                "subscriberUrl": "https://hooks.example.test/meetings",
                "triggers": ["MEETING_ENDED"],
                "active": true,
                "payloadTemplate": "{\"ended\": \"{{endTime}}\"}",
                "secret": "another-long-shared-secret"
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, "/v2/webhooks", &key, None, None, StatusCode::OK)
        .await;
    let one = format!("/v2/webhooks/{}", id(&plain));
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
    j.ok(
        Method::GET,
        &format!("/v2/webhooks/{}", id(&templated)),
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
}
