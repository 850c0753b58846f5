//! Verified resources beyond the host's own emails ([`super::accounts`]): the host's phone numbers, and the
//! emails and phones of a team outside organizations and of the organization's team. Phone codes are read from
//! the fake Twilio, email codes from the outbox.

use super::{Journey, id};
use convene_core::UserId;
use convene_store::outbox::{self, Filter, Scope};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    phones(j, "/v2/verified-resources", "+37255556666").await;
    let key = j.host_key.clone();
    let team = j
        .ok(
            Method::POST,
            "/v2/teams",
            &key,
            Some(json!({ "name": "Front Desk" })),
            None,
            StatusCode::CREATED,
        )
        .await;
    let standalone = format!("/v2/teams/{}/verified-resources", id(&team));
    emails(j, &standalone, "desk@frontdesk.test").await;
    phones(j, &standalone, "+14155550142").await;
    let in_org = format!("/v2/organizations/{}/teams/{}/verified-resources", j.org, j.team);
    emails(j, &in_org, "team@conformance.test").await;
    phones(j, &in_org, "+442079460958").await;
}

/// Requests a code for `phone` under `base`, verifies it with the texted code, then lists and reads it.
async fn phones(j: &mut Journey<'_>, base: &str, phone: &str) {
    let key = j.host_key.clone();
    j.ok(
        Method::POST,
        &format!("{base}/phones/verification-code/request"),
        &key,
        Some(json!({ "phone": phone })),
        None,
        StatusCode::OK,
    )
    .await;
    let code = j
        .twilio
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to == phone)
        .and_then(|m| Some(m.body.split(": ").nth(1)?.split('.').next()?.to_owned()))
        .expect("a texted code");
    let verified = j
        .ok(
            Method::POST,
            &format!("{base}/phones/verification-code/verify"),
            &key,
            Some(json!({ "phone": phone, "code": code })),
            None,
            StatusCode::OK,
        )
        .await;
    j.ok(Method::GET, &format!("{base}/phones"), &key, None, None, StatusCode::OK)
        .await;
    let one = format!("{base}/phones/{}", id(&verified));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
}

/// Requests a code for `address` under `base` (a team's), verifies it with the mailed code, lists and reads it.
async fn emails(j: &mut Journey<'_>, base: &str, address: &str) {
    let key = j.host_key.clone();
    j.ok(
        Method::POST,
        &format!("{base}/emails/verification-code/request"),
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
    let sent = outbox::list(&j.rec.app.db, Scope::User { id: UserId(j.host_id) }, &filter, 50)
        .await
        .expect("read the outbox");
    let code = sent
        .iter()
        .find(|email| email.to_email == address)
        .and_then(|email| email.subject.rsplit(' ').next())
        .expect("a verification email whose subject ends with the code")
        .to_owned();
    let verified = j
        .ok(
            Method::POST,
            &format!("{base}/emails/verification-code/verify"),
            &key,
            Some(json!({ "email": address, "code": code })),
            None,
            StatusCode::OK,
        )
        .await;
    j.ok(Method::GET, &format!("{base}/emails"), &key, None, None, StatusCode::OK)
        .await;
    let one = format!("{base}/emails/{}", id(&verified));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
}
