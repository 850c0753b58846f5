//! Text messages from routing-form workflows: an SMS step texts the number given in the form's phone field at once,
//! through the same Twilio path as booking workflows (a local fake of its Messages API), with the answers rendered
//! in; one on "no booking followed" waits for its time; a response without a number gets no text. WhatsApp is no
//! action of the reference's routing-form steps, and is refused by name.

use crate::helpers::email::{EmailRig, WAIT};
use crate::routing_forms::Rig;
use convene_core::TeamId;
use convene_server::email::sms::SmsSettings;
use convene_store::outbox::{self, EmailRecord, Filter, Scope};
use convene_testkit::FakeTwilio;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token";
const FROM: &str = "+14155550100";
const WHATSAPP_FROM: &str = "+14155550199";

/// A routing-form workflow of the rig's team with one text step.
fn texting(name: &str, trigger: Value, action: &str, text: &str) -> Value {
    json!({
        "name": name,
        "activation": { "isActiveOnAllRoutingForms": true },
        "trigger": trigger,
        "steps": [
            { "action": action, "stepNumber": 1, "recipient": "attendee", "template": "custom", "sender": "Acme",
              "message": { "subject": "Your answers", "text": text } }
        ]
    })
}

/// The organization's outbox rows of `kind`, oldest first.
async fn rows(t: &Rig, kind: &str) -> Vec<EmailRecord> {
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
async fn form_workflows_text_the_number_given_in_the_forms_phone_field() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let api_url = twilio.base_url();
    let rig = EmailRig::builder()
        .email(move |s| {
            s.sms = Some(SmsSettings {
                account_sid: SID.to_owned(),
                auth_token: SecretString::from(TOKEN),
                from_number: Some(FROM.to_owned()),
                whatsapp_from: Some(WHATSAPP_FROM.to_owned()),
                api_url,
            });
        })
        .start()
        .await;
    let t = Rig::on(rig, false).await;
    let form = t.create_form().await;
    let path = format!("/v2/organizations/{}/teams/{}/workflows/routing-form", t.org, t.team);
    for body in [
        texting(
            "Text back",
            json!({ "type": "formSubmitted" }),
            "sms_attendee",
            "Hi {ATTENDEE_NAME}, thanks for asking about {TOPIC}.",
        ),
        texting(
            "Still there",
            json!({ "type": "formSubmittedNoEvent", "offset": { "value": 1, "unit": "hour" } }),
            "sms_attendee",
            "Still there, {ATTENDEE_NAME}?",
        ),
    ] {
        let made = t.app().post(&path, &t.owner.key, body).await;
        let step = &made.expect_success(StatusCode::CREATED)["steps"][0];
        assert_eq!(step["action"], "sms_attendee");
        assert!(
            step["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("{ATTENDEE_NAME}")),
            "{step}"
        );
    }

    t.respond(
        &form,
        json!({"name": "Ada", "email": "ada@example.test", "Topic": "Support", "Phone": "+1 415 555 0123"}),
    )
    .await;
    // No phone answer: nobody to text.
    t.respond(
        &form,
        json!({"name": "Bo", "email": "bo@example.test", "Topic": "Support"}),
    )
    .await;

    let sms = rows(&t, "workflow_sms").await;
    assert_eq!(sms.len(), 2, "one response gave a number: {sms:?}");
    assert!(sms.iter().all(|r| r.to_email == "+14155550123"), "{sms:?}");
    assert_eq!(sms[0].body_text, "Hi Ada, thanks for asking about Support.");
    assert_eq!(sms[1].body_text, "Still there, Ada?");
    let due = sms[1].not_before.as_millisecond();
    // An hour after the response (stored a moment before the row).
    let after = due - sms[1].created_at.as_millisecond();
    assert!((3_590_000..=3_600_000).contains(&after), "{sms:?}");
    assert!(
        sms[0].not_before.as_millisecond() < due,
        "the first goes at once: {sms:?}"
    );

    // The worker sends the first now through Twilio; the second waits for its time.
    t.rig.run().await;
    let got = twilio.wait_for_messages(1, WAIT).await;
    assert_eq!(got[0].to, "+14155550123");
    assert_eq!(got[0].from, FROM);
    assert_eq!(got[0].body, "Hi Ada, thanks for asking about Support.");
    t.rig.run().await;
    assert_eq!(twilio.messages().len(), 1);
    t.rig.run_at(due).await;
    let got = twilio.wait_for_messages(2, WAIT).await;
    assert!(
        got.iter()
            .any(|m| m.to == "+14155550123" && m.body == "Still there, Ada?"),
        "the later text at its time"
    );

    let refused = t
        .app()
        .post(
            &path,
            &t.owner.key,
            texting(
                "WhatsApp",
                json!({ "type": "formSubmitted" }),
                "whatsapp_attendee",
                "Hi",
            ),
        )
        .await;
    refused.expect_field_error("steps[0].action");
}
