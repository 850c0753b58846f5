//! Text steps on the routing-form workflow pages: with Twilio configured a team admin makes an SMS step on the
//! page, the API lists it as `sms_attendee` and a response with a phone number is texted; WhatsApp, which the API
//! takes for no routing-form workflow, is refused beside the step. Without an SMS provider the page says so and
//! a text step is refused beside it, naming the missing setting, with what was typed kept.

use crate::helpers::email::EmailRig;
use crate::routing_forms::Rig;
use crate::web_app_bookings::{csrf_of, get, post, signed_in};
use convene_server::email::sms::SmsSettings;
use convene_store::outbox::{self, Filter, Scope};
use convene_testkit::FakeTwilio;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token";

fn pages(t: &Rig) -> String {
    format!(
        "/settings/organizations/{}/teams/{}/workflows/routing-form",
        t.org, t.team
    )
}

fn api(t: &Rig) -> String {
    format!("/v2/organizations/{}/teams/{}/workflows/routing-form", t.org, t.team)
}

#[tokio::test]
async fn a_form_workflow_made_on_the_page_texts_the_number_given_in_the_form() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let api_url = twilio.base_url();
    let rig = EmailRig::builder()
        .email(move |s| {
            s.sms = Some(SmsSettings {
                account_sid: SID.to_owned(),
                auth_token: SecretString::from(TOKEN),
                from_number: Some("+14155550100".to_owned()),
                whatsapp_from: None,
                api_url,
            });
        })
        .start()
        .await;
    let t = Rig::on(rig, false).await;
    let app = t.app();
    let form = t.create_form().await;
    let owner = signed_in(app, "owner@acme.test").await;
    let (status, editor) = get(app, &owner, &format!("{}/new", pages(&t))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(editor.contains(r#"<option value="sms_attendee">"#), "{editor}");
    assert!(!editor.contains("whatsapp_attendee"), "no WhatsApp for forms: {editor}");
    assert!(
        !editor.contains(r#"id="step0-texts""#),
        "texts can be sent here: {editor}"
    );
    let csrf = csrf_of(&editor);
    let mut made = vec![
        ("csrf", csrf.as_str()),
        ("stepCount", "1"),
        ("name", "Text back"),
        ("trigger", "formSubmitted"),
        ("unit", "hour"),
        ("all", "1"),
        ("step0-action", "whatsapp_attendee"),
        ("step0-template", "custom"),
        ("step0-subject", "Your answers"),
        ("step0-body", "Hi {ATTENDEE_NAME}, about {TOPIC}: we will call you."),
    ];
    let (status, page) = post(app, &owner, &pages(&t), &made).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"id="step0-error""#), "{page}");
    made[6] = ("step0-action", "sms_attendee");
    let (status, to) = post(app, &owner, &pages(&t), &made).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let listed = app.get(&api(&t), &t.owner.key).await;
    let step: Value = listed.expect_success(StatusCode::OK)[0]["steps"][0].clone();
    assert_eq!(step["action"], "sms_attendee", "{step}");
    assert_eq!(
        step["message"]["text"], "Hi {ATTENDEE_NAME}, about {TOPIC}: we will call you.",
        "{step}"
    );
    let (_, editor) = get(app, &owner, &to).await;
    assert!(editor.contains(r#"<option value="sms_attendee" selected>"#), "{editor}");

    t.respond(
        &form,
        json!({"name": "Ada", "email": "ada@example.test", "Topic": "Support", "Phone": "+1 415 555 0123"}),
    )
    .await;
    let filter = Filter {
        kind: Some("workflow_sms".parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let texts = outbox::list(&app.db, Scope::Organization(convene_core::TeamId(t.org)), &filter, 10)
        .await
        .expect("outbox");
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_eq!(texts[0].to_email, "+14155550123");
    assert_eq!(texts[0].body_text, "Hi Ada, about Support: we will call you.");
}

#[tokio::test]
async fn without_an_sms_provider_a_text_step_is_refused_beside_it() {
    let t = Rig::start().await;
    let app = t.app();
    t.create_form().await;
    let owner = signed_in(app, "owner@acme.test").await;
    let (_, editor) = get(app, &owner, &format!("{}/new", pages(&t))).await;
    assert!(
        editor.contains(r#"<option value="sms_attendee">"#) && editor.contains(r#"id="step0-texts""#),
        "offered, with the missing provider said: {editor}"
    );
    // Event-type workflows offer the attendee's text actions too.
    let events = format!("/settings/organizations/{}/teams/{}/workflows/new", t.org, t.team);
    let (_, editor) = get(app, &owner, &events).await;
    assert!(
        editor.contains(r#"<option value="sms_attendee">"#) && editor.contains(r#"<option value="whatsapp_attendee">"#),
        "{editor}"
    );

    let csrf = csrf_of(&editor);
    let made = [
        ("csrf", csrf.as_str()),
        ("stepCount", "1"),
        ("name", "Text back"),
        ("trigger", "formSubmitted"),
        ("unit", "hour"),
        ("all", "1"),
        ("step0-action", "sms_attendee"),
        ("step0-template", "custom"),
        ("step0-subject", "Your answers"),
        ("step0-body", "Thanks, {ATTENDEE_NAME}"),
    ];
    let (status, page) = post(app, &owner, &pages(&t), &made).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = page
        .split(r#"<p class="field-error" id="step0-error">"#)
        .nth(1)
        .and_then(|e| e.split("</p>").next())
        .unwrap_or_else(|| panic!("the step's refusal: {page}"));
    assert!(
        error.contains("needs an SMS provider") && error.contains("twilio_account_sid"),
        "{error}"
    );
    assert!(
        page.contains(r#"value="Your answers""#) && page.contains(r#"<option value="sms_attendee" selected>"#),
        "{page}"
    );
    let listed = app.get(&api(&t), &t.owner.key).await;
    assert_eq!(listed.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(0));
}
