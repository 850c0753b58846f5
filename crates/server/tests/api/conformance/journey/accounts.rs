//! The host's own account: profile, schedules, verified emails, API key refresh.

use super::{Journey, SCHEDULES, id};
use convene_core::UserId;
use convene_store::outbox::{self, Filter, Scope};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    j.ok(Method::GET, "/v2/me", &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        "/v2/me",
        &key,
        Some(json!({ "name": "Hanna Host", "timeZone": "Europe/London", "weekStart": "Monday", "timeFormat": 24 })),
        None,
        StatusCode::OK,
    )
    .await;

    schedules(j, &key).await;
    verified_emails(j).await;
    refresh_key(j).await;
}

async fn schedules(j: &mut Journey<'_>, key: &str) {
    let v = Some(SCHEDULES);
    j.ok(
        Method::POST,
        "/v2/schedules",
        key,
        Some(json!({
            "name": "Working hours",
            "timeZone": "Europe/London",
            "isDefault": true,
            "availability": [
                { "days": ["Monday", "Tuesday", "Wednesday", "Thursday"], "startTime": "09:00", "endTime": "17:00" },
                { "days": ["Friday"], "startTime": "09:00", "endTime": "13:00" }
            ],
            "overrides": [{ "date": "2030-01-10", "startTime": "12:00", "endTime": "15:00" }]
        })),
        v,
        StatusCode::CREATED,
    )
    .await;
    let evenings = j
        .ok(
            Method::POST,
            "/v2/schedules",
            key,
            Some(json!({
                "name": "Evenings",
                "timeZone": "America/New_York",
                "isDefault": false,
                "availability": [{ "days": ["Tuesday", "Thursday"], "startTime": "18:00", "endTime": "21:00" }]
            })),
            v,
            StatusCode::CREATED,
        )
        .await;
    let evenings = id(&evenings);
    j.ok(Method::GET, "/v2/schedules", key, None, v, StatusCode::OK).await;
    j.ok(Method::GET, "/v2/schedules/default", key, None, v, StatusCode::OK)
        .await;
    let one = format!("/v2/schedules/{evenings}");
    j.ok(Method::GET, &one, key, None, v, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &one,
        key,
        Some(json!({ "name": "Late evenings", "overrides": [{ "date": "2030-01-08", "startTime": "00:00", "endTime": "00:00" }] })),
        v,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, key, None, v, StatusCode::OK).await;
}

/// Requests a code for a second address, reads it from the outbox, verifies, then lists and reads it.
async fn verified_emails(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let address = "hanna.work@example.test";
    j.ok(
        Method::POST,
        "/v2/verified-resources/emails/verification-code/request",
        &key,
        Some(json!({ "email": address })),
        None,
        StatusCode::OK,
    )
    .await;
    let filter = Filter {
        kind: Some("email_verification_code".parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let sent = outbox::list(&j.rec.app.db, Scope::User { id: UserId(j.host_id) }, &filter, 10)
        .await
        .expect("read the outbox");
    let code = sent
        .first()
        .and_then(|email| email.subject.rsplit(' ').next())
        .expect("a verification email whose subject ends with the code")
        .to_owned();
    let verified = j
        .ok(
            Method::POST,
            "/v2/verified-resources/emails/verification-code/verify",
            &key,
            Some(json!({ "email": address, "code": code })),
            None,
            StatusCode::OK,
        )
        .await;
    j.ok(
        Method::GET,
        "/v2/verified-resources/emails",
        &key,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    let path = format!("/v2/verified-resources/emails/{}", id(&verified));
    j.ok(Method::GET, &path, &key, None, None, StatusCode::OK).await;
}

/// Refreshes the key of a user of its own, so the other steps keep theirs.
async fn refresh_key(j: &mut Journey<'_>) {
    let person = j.rec.app.user("rotator@conformance.test").await;
    j.ok(
        Method::POST,
        "/v2/api-keys/refresh",
        &person.key,
        Some(json!({ "apiKeyDaysValid": 90 })),
        None,
        StatusCode::OK,
    )
    .await;
}
