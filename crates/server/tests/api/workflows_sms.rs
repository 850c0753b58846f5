//! Workflow text messages (SMS and WhatsApp) through Twilio, against a local fake of its Messages API: accepted
//! only with an SMS provider configured, planned with the booking as outbox rows of their own kind, sent at their
//! time with the text rendered in the attendee's zone, cancelled with the booking, retried on 429 and 5xx, and
//! failed for good (kept on record) when Twilio refuses the number.

use crate::helpers::email::{EmailRig, WAIT};
use crate::scheduling::BOOKINGS;
use crate::workflows::{Team, ms};
use convene_core::TeamId;
use convene_server::email::sms::SmsSettings;
use convene_store::outbox::{self, EmailRecord, Filter, Scope, Settlement};
use convene_testkit::FakeTwilio;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token";
const FROM: &str = "+14155550100";
const WHATSAPP_FROM: &str = "+14155550199";

/// The team of the workflow tests, on a server whose Twilio account is `twilio` (WhatsApp sender included when
/// `whatsapp`).
async fn team_with_twilio(twilio: &FakeTwilio, whatsapp: bool) -> Team {
    let api_url = twilio.base_url();
    let rig = EmailRig::builder()
        .email(move |s| {
            s.sms = Some(SmsSettings {
                account_sid: SID.to_owned(),
                auth_token: SecretString::from(TOKEN),
                from_number: Some(FROM.to_owned()),
                whatsapp_from: whatsapp.then(|| WHATSAPP_FROM.to_owned()),
                api_url,
            });
        })
        .start()
        .await;
    Team::on(rig, false).await
}

/// A workflow texting the attendee `hours` before each booking of "Intro", on each of `actions`.
fn text_reminder(t: &Team, hours: i64, actions: &[&str]) -> Value {
    let steps: Vec<Value> = actions
        .iter()
        .enumerate()
        .map(|(i, action)| {
            json!({ "action": action, "stepNumber": i + 1, "recipient": "attendee", "template": "reminder",
                    "sender": "Acme",
                    "message": { "subject": "Reminder", "text": "Hi {ATTENDEE}, {EVENT_NAME} at {EVENT_TIME} {TIMEZONE}." } })
        })
        .collect();
    json!({
        "name": "Text the day before",
        "activation": { "isActiveOnAllEventTypes": false, "activeOnEventTypeIds": [t.event] },
        "trigger": { "type": "beforeEvent", "offset": { "value": hours, "unit": "hour" } },
        "steps": steps,
    })
}

/// Books "Intro" at `start` for Ada in Tokyo, reachable at `phone`.
async fn book(t: &Team, start: &str, phone: &str) -> String {
    let body = json!({ "eventTypeId": t.event, "start": start,
        "attendee": { "name": "Ada", "email": "ada@example.test", "phoneNumber": phone, "timeZone": "Asia/Tokyo" } });
    t.app()
        .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned()
}

/// The organization's outbox rows of `kind`, oldest first.
async fn rows(t: &Team, kind: &str) -> Vec<EmailRecord> {
    let filter = Filter {
        kind: Some(kind.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let mut rows = outbox::list(&t.app().db, Scope::Organization(TeamId(t.org)), &filter, 500)
        .await
        .expect("read the outbox");
    rows.reverse();
    rows
}

#[tokio::test]
async fn text_actions_without_an_sms_provider_are_400_naming_the_missing_setting() {
    let t = Team::start(false).await;
    let refused = t
        .app()
        .post(&t.path(), &t.owner.key, text_reminder(&t, 24, &["sms_attendee"]))
        .await;
    refused.expect_field_error("steps[0].action");
    let message = refused.body["error"]["message"].to_string();
    assert!(message.contains("CONVENE_TWILIO_ACCOUNT_SID"), "{message}");

    // An account without a WhatsApp sender takes SMS steps but not WhatsApp ones, and says which setting is missing.
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let t = team_with_twilio(&twilio, false).await;
    let refused = t
        .app()
        .post(
            &t.path(),
            &t.owner.key,
            text_reminder(&t, 24, &["sms_attendee", "whatsapp_attendee"]),
        )
        .await;
    refused.expect_field_error("steps[1].action");
    let message = refused.body["error"]["message"].to_string();
    assert!(message.contains("CONVENE_TWILIO_WHATSAPP_FROM"), "{message}");
    let created = t.create(text_reminder(&t, 24, &["sms_attendee"])).await;
    assert_eq!(created["steps"][0]["action"], "sms_attendee");
    assert_eq!(
        created["steps"][0]["message"]["text"],
        "Hi {ATTENDEE}, {EVENT_NAME} at {EVENT_TIME} {TIMEZONE}."
    );
    assert!(created["steps"][0]["message"].get("html").is_none(), "{created}");
}

#[tokio::test]
async fn sms_and_whatsapp_reminders_are_sent_at_their_time_with_the_rendered_text() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let t = team_with_twilio(&twilio, true).await;
    t.create(text_reminder(&t, 24, &["sms_attendee", "whatsapp_attendee"]))
        .await;

    book(&t, "2030-01-07T10:00:00Z", "+14155550123").await;
    let sms = rows(&t, "workflow_sms").await;
    let whatsapp = rows(&t, "workflow_whatsapp").await;
    assert_eq!((sms.len(), whatsapp.len()), (1, 1), "{sms:?} {whatsapp:?}");
    for row in [&sms[0], &whatsapp[0]] {
        assert_eq!(row.status, "queued");
        assert_eq!(row.not_before.as_millisecond(), ms("2030-01-06T10:00:00Z"));
        assert_eq!(row.to_email, "+14155550123");
        // Rendered in the attendee's zone.
        assert_eq!(row.body_text, "Hi Ada, Intro at 19:00 Asia/Tokyo.");
    }

    // The booking's emails go at once; no text before its time.
    t.rig.run_at(ms("2030-01-06T09:59:59Z")).await;
    assert_eq!(twilio.requests(), 0);
    let due = t.rig.run_at(ms("2030-01-06T10:00:00Z")).await;
    let texts: Vec<_> = due
        .iter()
        .filter(|p| p.kind.as_str().starts_with("workflow_"))
        .collect();
    assert_eq!(texts.len(), 2, "{due:?}");
    assert!(
        texts
            .iter()
            .all(|p| p.settlement == Settlement::Sent { route: "twilio".into() })
    );
    let mut got = twilio.wait_for_messages(2, WAIT).await;
    got.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(got[0].to, "+14155550123");
    assert_eq!(got[0].from, FROM);
    assert_eq!(got[0].body, "Hi Ada, Intro at 19:00 Asia/Tokyo.");
    assert_eq!(got[1].to, "whatsapp:+14155550123");
    assert_eq!(got[1].from, format!("whatsapp:{WHATSAPP_FROM}"));
    // Recorded with Twilio's message id, and never sent twice.
    let attempts = outbox::attempts(&t.app().db, sms[0].id).await.expect("attempts");
    assert!(
        attempts[0].reply.as_deref().is_some_and(|r| r.contains("SM")),
        "{attempts:?}"
    );
    t.rig.run_at(ms("2030-01-07T00:00:00Z")).await;
    assert_eq!(twilio.messages().len(), 2);

    // Cancelled with the booking.
    let other = book(&t, "2030-01-09T10:00:00Z", "+14155550124").await;
    assert_eq!(
        rows(&t, "workflow_sms")
            .await
            .iter()
            .filter(|r| r.status == "queued")
            .count(),
        1
    );
    t.app()
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{other}/cancel"),
            Some(&t.host.key),
            Some(json!({ "cancellationReason": "Ill" })),
            Some(BOOKINGS),
        )
        .await
        .expect_success(StatusCode::OK);
    assert!(rows(&t, "workflow_sms").await.iter().all(|r| r.status != "queued"));
    t.rig.run_at(ms("2030-01-08T10:00:00Z")).await;
    assert_eq!(twilio.messages().len(), 2);
}

#[tokio::test]
async fn twilio_429_and_500_are_retried_and_an_invalid_number_fails_and_is_kept() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let t = team_with_twilio(&twilio, false).await;
    t.create(text_reminder(&t, 24, &["sms_attendee"])).await;
    book(&t, "2030-01-07T10:00:00Z", "+14155550123").await;

    twilio.fail_next(429, 20429);
    twilio.fail_next(500, 20500);
    let mut at = ms("2030-01-06T10:00:00Z");
    for expected in ["HTTP 429", "HTTP 500"] {
        let done = t.rig.run_at(at).await;
        let text = done
            .iter()
            .find(|p| p.kind == "workflow_sms")
            .expect("the text was tried");
        let Settlement::Retry { next_attempt_at } = text.settlement else {
            panic!("{expected} should be retried: {text:?}");
        };
        assert!(
            text.routes[0].reply.as_deref().is_some_and(|r| r.contains(expected)),
            "{text:?}"
        );
        at = next_attempt_at.as_millisecond();
    }
    let done = t.rig.run_at(at).await;
    assert!(
        done.iter()
            .any(|p| p.kind == "workflow_sms" && p.settlement == Settlement::Sent { route: "twilio".into() })
    );
    assert_eq!(twilio.wait_for_messages(1, WAIT).await.len(), 1);

    // Twilio's documented invalid test number: refused for good, the row kept with the reason.
    book(&t, "2030-01-08T10:00:00Z", "+15005550001").await;
    let done = t.rig.run_at(ms("2030-01-07T10:00:00Z")).await;
    let text = done
        .iter()
        .find(|p| p.kind == "workflow_sms")
        .expect("the text was tried");
    assert_eq!(text.settlement, Settlement::Failed, "{text:?}");
    let row = outbox::find(&t.app().db, text.id).await.expect("read").expect("kept");
    assert_eq!(row.status, "failed");
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("21211")),
        "{row:?}"
    );
    t.rig.run_at(ms("2030-01-07T12:00:00Z")).await;
    assert_eq!(twilio.messages().len(), 1, "a failed text is not tried again");
}

/// Proves `phone` at `base` (a verified-resources path) as `key` with the code the fake Twilio received; the id.
async fn verified_phone(t: &Team, twilio: &FakeTwilio, base: &str, key: &str, phone: &str) -> i64 {
    t.app()
        .post(
            &format!("{base}/phones/verification-code/request"),
            key,
            json!({ "phone": phone }),
        )
        .await
        .expect_success(StatusCode::OK);
    let text = twilio
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to == phone)
        .expect("a code texted");
    let code = text
        .body
        .split(": ")
        .nth(1)
        .and_then(|r| r.split('.').next())
        .expect("a code");
    t.app()
        .post(
            &format!("{base}/phones/verification-code/verify"),
            key,
            json!({ "phone": phone, "code": code }),
        )
        .await
        .expect_success(StatusCode::OK)["id"]
        .as_i64()
        .expect("id")
}

#[tokio::test]
async fn number_steps_need_a_verified_number_of_the_team_and_text_it() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let t = team_with_twilio(&twilio, false).await;
    let mut body = text_reminder(&t, 24, &["sms_number"]);
    t.app()
        .post(&t.path(), &t.owner.key, body.clone())
        .await
        .expect_field_error("steps[0].verifiedPhoneId");

    // The owner's own number is not the team's.
    let own = verified_phone(&t, &twilio, "/v2/verified-resources", &t.owner.key, "+14155550166").await;
    body["steps"][0]["verifiedPhoneId"] = json!(own);
    let refused = t.app().post(&t.path(), &t.owner.key, body.clone()).await;
    refused.expect_field_error("steps[0].verifiedPhoneId");

    let team_base = t.path().replace("/workflows", "/verified-resources");
    let desk = verified_phone(&t, &twilio, &team_base, &t.owner.key, "+14155550177").await;
    body["steps"][0]["verifiedPhoneId"] = json!(desk);
    let created = t.create(body).await;
    assert_eq!(created["steps"][0]["action"], "sms_number");
    assert_eq!(created["steps"][0]["phone"], "+14155550177");

    // The booking's attendee gave a number too; the step texts the verified number alone.
    book(&t, "2030-01-07T10:00:00Z", "+14155550123").await;
    let sms = rows(&t, "workflow_sms").await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0].to_email, "+14155550177");
    assert!(
        sms[0].body_text.starts_with("Hi Ada, Intro at "),
        "{}",
        sms[0].body_text
    );
    assert_eq!(sms[0].not_before.as_millisecond(), ms("2030-01-06T10:00:00Z"));
}
