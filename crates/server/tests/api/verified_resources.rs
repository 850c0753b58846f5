//! Cal.com's verified resources beyond a user's own emails: a user's phone numbers (codes texted through a fake
//! Twilio), a team's emails (codes through the platform's fake SMTP) and phones, on `/v2/teams/{teamId}/…` and
//! `/v2/organizations/{orgId}/teams/{teamId}/…`, for the team's ADMINs and OWNERs only.

use crate::helpers::email::{EmailRig, WAIT};
use crate::helpers::{Person, TestApp};
use convene_server::email::sms::SmsSettings;
use convene_testkit::FakeTwilio;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

const SID: &str = "AC00000000000000000000000000000042";
const TOKEN: &str = "verify-token";
const FROM: &str = "+14155550100";

/// A server whose Twilio account is `twilio`.
pub(crate) async fn rig_with_twilio(twilio: &FakeTwilio) -> EmailRig {
    let api_url = twilio.base_url();
    EmailRig::builder()
        .email(move |s| {
            s.sms = Some(SmsSettings {
                account_sid: SID.to_owned(),
                auth_token: SecretString::from(TOKEN),
                from_number: Some(FROM.to_owned()),
                whatsapp_from: None,
                api_url,
            });
        })
        .start()
        .await
}

/// The code of the newest text to `to` ("Your verification code: CODE. …").
pub(crate) fn texted_code(twilio: &FakeTwilio, to: &str) -> String {
    let message = twilio
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to == to)
        .unwrap_or_else(|| panic!("no text to {to}"));
    assert_eq!(message.from, FROM);
    message
        .body
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .expect("a code in the text")
        .to_owned()
}

/// A code the texted one is not (same alphabet, so only its value is wrong).
pub(crate) fn other_code(code: &str) -> String {
    if code == "ZZZZZZ" { "YYYYYY" } else { "ZZZZZZ" }.to_owned()
}

#[tokio::test]
async fn a_user_proves_a_phone_number_with_the_code_texted_to_it() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let rig = rig_with_twilio(&twilio).await;
    let app = &rig.app;
    let me = app.user("phone.owner@example.test").await;
    let other = app.user("someone.else@example.test").await;

    // Not a number: 400 naming the field, and nothing is sent.
    for bad in [json!({}), json!({ "phone": "5555 6666" }), json!({ "phone": "+12" })] {
        app.post("/v2/verified-resources/phones/verification-code/request", &me.key, bad)
            .await
            .expect_field_error("phone");
    }
    assert_eq!(twilio.requests(), 0);

    let asked = app
        .post(
            "/v2/verified-resources/phones/verification-code/request",
            &me.key,
            json!({ "phone": "+372 5555 6666" }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(asked.body, json!({ "status": "success" }));
    let code = texted_code(&twilio, "+37255556666");
    assert_eq!(code.len(), 6, "{code}");

    let verify = |who: &Person, phone: &str, code: String| {
        let (key, phone) = (who.key.clone(), phone.to_owned());
        async move {
            app.post(
                "/v2/verified-resources/phones/verification-code/verify",
                &key,
                json!({ "phone": phone, "code": code }),
            )
            .await
        }
    };
    verify(&me, "+37255556666", other_code(&code))
        .await
        .expect_field_error("code");
    verify(&me, "+37255556666", String::new())
        .await
        .expect_field_error("code");
    // The code is the caller's: someone else can't use it.
    verify(&other, "+37255556666", code.clone())
        .await
        .expect_field_error("code");
    let verified = verify(&me, "+372 5555-6666", code.to_lowercase()).await;
    let data = verified.expect_success(StatusCode::OK).clone();
    assert_eq!(data["phoneNumber"], "+37255556666");
    assert_eq!(data["userId"], me.id);
    let id = data["id"].as_i64().expect("id");
    // Used up.
    verify(&me, "+37255556666", code).await.expect_field_error("code");

    let list = app.get("/v2/verified-resources/phones", &me.key).await;
    assert_eq!(list.expect_success(StatusCode::OK), &json!([data]));
    let one = app.get(&format!("/v2/verified-resources/phones/{id}"), &me.key).await;
    assert_eq!(one.expect_success(StatusCode::OK), &data);
    app.get(&format!("/v2/verified-resources/phones/{id}"), &other.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    let theirs = app.get("/v2/verified-resources/phones", &other.key).await;
    assert_eq!(theirs.expect_success(StatusCode::OK), &json!([]));
}

#[tokio::test]
async fn a_phone_code_stops_working_after_five_wrong_guesses() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let rig = rig_with_twilio(&twilio).await;
    let app = &rig.app;
    let me = app.user("guesser@example.test").await;
    app.post(
        "/v2/verified-resources/phones/verification-code/request",
        &me.key,
        json!({ "phone": "+14155550123" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let code = texted_code(&twilio, "+14155550123");
    for _ in 0..5 {
        app.post(
            "/v2/verified-resources/phones/verification-code/verify",
            &me.key,
            json!({ "phone": "+14155550123", "code": other_code(&code) }),
        )
        .await
        .expect_field_error("code");
    }
    app.post(
        "/v2/verified-resources/phones/verification-code/verify",
        &me.key,
        json!({ "phone": "+14155550123", "code": code }),
    )
    .await
    .expect_field_error("code");
    assert_eq!(app.count_rows("verified_phones").await, 0);
}

#[tokio::test]
async fn the_texted_code_is_in_the_users_language_and_still_proves_the_number() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let rig = rig_with_twilio(&twilio).await;
    let app = &rig.app;
    for (locale, phone, opening) in [
        ("de", "+4915112345678", "Ihr Bestätigungscode: "),
        ("fr", "+33612345678", "Votre code de vérification : "),
        ("es", "+34612345678", "Tu código de verificación: "),
        // A language convene does not speak falls back to English.
        ("pt-BR", "+5511912345678", "Your verification code: "),
    ] {
        let me = app.user(&format!("speaker.{locale}@example.test")).await;
        app.patch("/v2/me", &me.key, json!({ "locale": locale }))
            .await
            .expect_success(StatusCode::OK);
        let asked = app
            .post(
                "/v2/verified-resources/phones/verification-code/request",
                &me.key,
                json!({ "phone": phone }),
            )
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let body = twilio
            .messages()
            .into_iter()
            .rev()
            .find(|m| m.to == phone)
            .expect("a text")
            .body;
        assert!(body.starts_with(opening), "{locale}: {body}");
        let code = texted_code(&twilio, phone);
        assert!(
            body.contains(&format!("{code}. ")) && body.contains("10"),
            "{locale}: {body}"
        );
        let verified = app
            .post(
                "/v2/verified-resources/phones/verification-code/verify",
                &me.key,
                json!({ "phone": phone, "code": code }),
            )
            .await;
        assert_eq!(verified.expect_success(StatusCode::OK)["phoneNumber"], phone);
    }
}

#[tokio::test]
async fn twilio_refusing_the_number_is_400_on_phone() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let rig = rig_with_twilio(&twilio).await;
    let me = rig.app.user("unreachable@example.test").await;
    twilio.fail_next(400, 21211);
    rig.app
        .post(
            "/v2/verified-resources/phones/verification-code/request",
            &me.key,
            json!({ "phone": "+14155550124" }),
        )
        .await
        .expect_field_error("phone");
}

#[tokio::test]
async fn without_twilio_phone_codes_are_400_naming_the_missing_setting() {
    let app = TestApp::spawn().await;
    let me = app.user("no.sms@example.test").await;
    let refused = app
        .post(
            "/v2/verified-resources/phones/verification-code/request",
            &me.key,
            json!({ "phone": "+37255556666" }),
        )
        .await;
    let message = refused.expect_error(StatusCode::BAD_REQUEST);
    assert!(message.contains("twilio_account_sid"), "{message}");
}

/// A team outside organizations made by `owner`, with `admin` (ADMIN) and `member` (MEMBER) in it.
async fn band(app: &TestApp, owner: &Person, admin: &Person, member: &Person) -> i64 {
    let team = app
        .post("/v2/teams", &owner.key, json!({ "name": "Band" }))
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    for (who, role) in [(admin, "ADMIN"), (member, "MEMBER")] {
        app.post(
            &format!("/v2/teams/{team}/memberships"),
            &owner.key,
            json!({ "userId": who.id, "role": role, "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
    }
    team
}

/// The code in the subject of the newest email the platform delivered to `to`.
pub(crate) async fn mailed_code(rig: &EmailRig, to: &str) -> String {
    rig.run().await;
    let received = rig.platform.wait_for_messages(1, WAIT).await;
    let mail = received
        .iter()
        .rev()
        .find(|m| m.rcpt_to.iter().any(|r| r == to))
        .unwrap_or_else(|| panic!("no email to {to}"));
    let subject = mail.header("Subject").expect("a subject");
    subject.rsplit(' ').next().expect("a code").to_owned()
}

#[tokio::test]
async fn a_team_admin_verifies_the_team_s_emails_and_phones_and_plain_members_cannot() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let rig = rig_with_twilio(&twilio).await;
    let app = &rig.app;
    let owner = app.user("band.owner@example.test").await;
    let admin = app.user("band.admin@example.test").await;
    let member = app.user("band.member@example.test").await;
    let stranger = app.user("band.stranger@example.test").await;
    let team = band(app, &owner, &admin, &member).await;
    let base = format!("/v2/teams/{team}/verified-resources");

    // Members and strangers are turned away from every operation, before anything is sent.
    for who in [&member, &stranger] {
        app.post(
            &format!("{base}/emails/verification-code/request"),
            &who.key,
            json!({ "email": "desk@band.test" }),
        )
        .await
        .expect_error(StatusCode::FORBIDDEN);
        app.post(
            &format!("{base}/phones/verification-code/request"),
            &who.key,
            json!({ "phone": "+14155550111" }),
        )
        .await
        .expect_error(StatusCode::FORBIDDEN);
        app.get(&format!("{base}/emails"), &who.key)
            .await
            .expect_error(StatusCode::FORBIDDEN);
        app.get(&format!("{base}/phones"), &who.key)
            .await
            .expect_error(StatusCode::FORBIDDEN);
    }
    assert_eq!(twilio.requests(), 0);

    // Email: the code goes through the platform's transport.
    let asked = app
        .post(
            &format!("{base}/emails/verification-code/request"),
            &admin.key,
            json!({ "email": "desk@band.test" }),
        )
        .await;
    assert_eq!(asked.body, json!({ "status": "success" }));
    let code = mailed_code(&rig, "desk@band.test").await;
    // A code asked for the team proves nothing for the admin themselves.
    app.post(
        "/v2/verified-resources/emails/verification-code/verify",
        &admin.key,
        json!({ "email": "desk@band.test", "code": code }),
    )
    .await
    .expect_field_error("code");
    app.post(
        &format!("{base}/emails/verification-code/verify"),
        &admin.key,
        json!({ "email": "desk@band.test", "code": other_code(&code) }),
    )
    .await
    .expect_field_error("code");
    let email = app
        .post(
            &format!("{base}/emails/verification-code/verify"),
            &admin.key,
            json!({ "email": "desk@band.test", "code": code }),
        )
        .await
        .expect_success(StatusCode::OK)
        .clone();
    assert_eq!(
        (&email["email"], &email["teamId"], &email["userId"]),
        (&json!("desk@band.test"), &json!(team), &json!(admin.id))
    );

    // Phone.
    app.post(
        &format!("{base}/phones/verification-code/request"),
        &admin.key,
        json!({ "phone": "+44 20 7946 0958" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let code = texted_code(&twilio, "+442079460958");
    let phone = app
        .post(
            &format!("{base}/phones/verification-code/verify"),
            &admin.key,
            json!({ "phone": "+442079460958", "code": code }),
        )
        .await
        .expect_success(StatusCode::OK)
        .clone();
    assert_eq!(
        (&phone["phoneNumber"], &phone["teamId"], &phone["userId"]),
        (&json!("+442079460958"), &json!(team), &json!(admin.id))
    );
    // The team's number is not the admin's own.
    let own = app.get("/v2/verified-resources/phones", &admin.key).await;
    assert_eq!(own.expect_success(StatusCode::OK), &json!([]));

    // The owner reads them; members still can't.
    let emails = app.get(&format!("{base}/emails"), &owner.key).await;
    assert_eq!(emails.expect_success(StatusCode::OK), &json!([email]));
    let phones = app.get(&format!("{base}/phones?take=1"), &owner.key).await;
    assert_eq!(phones.expect_success(StatusCode::OK), &json!([phone]));
    let one = app.get(&format!("{base}/emails/{}", email["id"]), &owner.key).await;
    assert_eq!(one.expect_success(StatusCode::OK), &email);
    let one = app.get(&format!("{base}/phones/{}", phone["id"]), &owner.key).await;
    assert_eq!(one.expect_success(StatusCode::OK), &phone);
    app.get(&format!("{base}/phones/{}", phone["id"]), &member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    app.get(&format!("{base}/emails/{}", i64::MAX), &owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);

    // Another team's admin reads nothing of this team through their own team.
    let other_team = app
        .post("/v2/teams", &stranger.key, json!({ "name": "Choir" }))
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    app.get(
        &format!("/v2/teams/{other_team}/verified-resources/phones/{}", phone["id"]),
        &stranger.key,
    )
    .await
    .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_organization_admin_verifies_for_the_organization_s_team() {
    let twilio = FakeTwilio::start(SID, TOKEN).await;
    let rig = rig_with_twilio(&twilio).await;
    let app = &rig.app;
    let t = rig.tenants(false).await;
    let base = format!("/v2/organizations/{}/teams/{}/verified-resources", t.org, t.team);

    // An organization member outside the team, and another organization's admin, are refused.
    for who in [&t.member, &t.other_admin] {
        let answer = app.get(&format!("{base}/phones"), &who.key).await;
        assert!(
            matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}: {}",
            answer.status,
            answer.body
        );
    }
    // The team is not reachable on the path for teams outside organizations.
    app.get(&format!("/v2/teams/{}/verified-resources/phones", t.team), &t.admin.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);

    app.post(
        &format!("{base}/phones/verification-code/request"),
        &t.admin.key,
        json!({ "phone": "+33 1 23 45 67 89" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let code = texted_code(&twilio, "+33123456789");
    let phone = app
        .post(
            &format!("{base}/phones/verification-code/verify"),
            &t.admin.key,
            json!({ "phone": "+33123456789", "code": code }),
        )
        .await
        .expect_success(StatusCode::OK)
        .clone();
    assert_eq!(phone["teamId"], t.team);

    app.post(
        &format!("{base}/emails/verification-code/request"),
        &t.owner.key,
        json!({ "email": "sales@acme.test" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let code = mailed_code(&rig, "sales@acme.test").await;
    let email = app
        .post(
            &format!("{base}/emails/verification-code/verify"),
            &t.owner.key,
            json!({ "email": "sales@acme.test", "code": code }),
        )
        .await
        .expect_success(StatusCode::OK)
        .clone();

    let phones: Value = app
        .get(&format!("{base}/phones"), &t.owner.key)
        .await
        .expect_success(StatusCode::OK)
        .clone();
    assert_eq!(phones, json!([phone]));
    let emails = app.get(&format!("{base}/emails"), &t.admin.key).await;
    assert_eq!(emails.expect_success(StatusCode::OK), &json!([email]));
    let one = app.get(&format!("{base}/emails/{}", email["id"]), &t.admin.key).await;
    assert_eq!(one.expect_success(StatusCode::OK), &email);
    let one = app.get(&format!("{base}/phones/{}", phone["id"]), &t.admin.key).await;
    assert_eq!(one.expect_success(StatusCode::OK), &phone);
}
