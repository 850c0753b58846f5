//! Settings → Verified contacts: a host proves an address (code read from the delivered email) or a number (code
//! texted through a fake Twilio) on the page, and the API lists what the page added; refusals are said beside the
//! field in the page's language with what was typed kept; the page and the API share one budget of codes.

use crate::helpers::{TestApp, roomy_limits};
use crate::verified_resources::{mailed_code, other_code, rig_with_twilio, texted_code};
use crate::web_app_bookings::{csrf_of, get, post, signed_in};
use convene_core::UserId;
use convene_core::rate::Rate;
use convene_server::ServerSettings;
use convene_server::limits::LimitSettings;
use convene_store::users::{self, UserPatch};
use convene_testkit::FakeTwilio;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADA: &str = "ada@verified.test";
const BO: &str = "bo@verified.test";
const PAGE: &str = "/settings/verified";

/// The data of an API list of the caller's verified resources (`emails` or `phones`).
async fn listed(app: &TestApp, key: &str, what: &str) -> Value {
    app.get(&format!("/v2/verified-resources/{what}"), key)
        .await
        .expect_success(StatusCode::OK)
        .clone()
}

#[tokio::test]
async fn an_address_proved_on_the_page_is_listed_there_and_by_the_api_and_not_to_anyone_else() {
    let rig = crate::helpers::email::EmailRig::start().await;
    let app = &rig.app;
    let ada = app.account(ADA).await;
    let bo = app.account(BO).await;
    let client = signed_in(app, ADA).await;
    let (status, page) = get(app, &client, PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"id="settings-tab-verified" aria-current="page""#),
        "{page}"
    );
    assert!(page.contains(r#"id="no-verified-emails""#), "{page}");
    let csrf = csrf_of(&page);

    let (status, page) = post(
        app,
        &client,
        "/settings/verified/email",
        &[("csrf", &csrf), ("email", " Ada.Work@Example.test ")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(r#"id="email-code-sent" role="status">We sent a code to ada.work@example.test."#),
        "{page}"
    );
    assert!(page.contains(r#"name="email" value="ada.work@example.test""#), "{page}");
    assert!(page.contains(r#"<label for="email-code">"#), "{page}");
    let code = mailed_code(&rig, "ada.work@example.test").await;

    // Someone else can't use Ada's code, even on their own page.
    let bo_client = signed_in(app, BO).await;
    let bo_csrf = csrf_of(&get(app, &bo_client, PAGE).await.1);
    let (status, _) = post(
        app,
        &bo_client,
        "/settings/verified/email/verify",
        &[("csrf", &bo_csrf), ("email", "ada.work@example.test"), ("code", &code)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, to) = post(
        app,
        &client,
        "/settings/verified/email/verify",
        &[
            ("csrf", &csrf),
            ("email", "ada.work@example.test"),
            ("code", &code.to_lowercase()),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/verified?notice=email-added")
    );
    let (_, page) = get(app, &client, &to).await;
    assert!(
        page.contains(r#"id="notice" role="status">Email address verified."#),
        "{page}"
    );
    let api = listed(app, &ada.key, "emails").await;
    assert_eq!(api.as_array().map(Vec::len), Some(1), "{api}");
    assert_eq!(api[0]["email"], "ada.work@example.test");
    let id = api[0]["id"].as_i64().expect("id");
    assert!(
        page.contains(&format!(r#"<li id="verified-email-{id}">ada.work@example.test</li>"#)),
        "{page}"
    );

    // Bo sees only his own (none), on the page and through the API.
    let (_, theirs) = get(app, &bo_client, PAGE).await;
    assert!(!theirs.contains("ada.work@example.test"), "{theirs}");
    assert!(theirs.contains(r#"id="no-verified-emails""#), "{theirs}");
    assert_eq!(listed(app, &bo.key, "emails").await, json!([]));
    let (_, later) = get(app, &bo_client, &format!("{PAGE}?page=2")).await;
    assert!(!later.contains("ada.work@example.test"), "{later}");
}

#[tokio::test]
async fn a_wrong_code_is_refused_beside_its_field_with_the_address_kept_and_nothing_added() {
    let rig = crate::helpers::email::EmailRig::start().await;
    let app = &rig.app;
    let ada = app.account(ADA).await;
    let client = signed_in(app, ADA).await;
    let csrf = csrf_of(&get(app, &client, PAGE).await.1);

    let (status, page) = post(
        app,
        &client,
        "/settings/verified/email",
        &[("csrf", &csrf), ("email", "not an address")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"id="email-error""#), "{page}");
    assert!(page.contains(r#"value="not an address""#), "{page}");

    post(
        app,
        &client,
        "/settings/verified/email",
        &[("csrf", &csrf), ("email", "ada.work@example.test")],
    )
    .await;
    let code = mailed_code(&rig, "ada.work@example.test").await;
    let wrong = other_code(&code);
    let (status, page) = post(
        app,
        &client,
        "/settings/verified/email/verify",
        &[("csrf", &csrf), ("email", "ada.work@example.test"), ("code", &wrong)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"<p class="field-error" id="email-code-error">That code is wrong or has expired."#),
        "{page}"
    );
    assert!(
        page.contains(r#"aria-invalid="true" aria-describedby="email-code-error""#),
        "{page}"
    );
    assert!(page.contains(r#"name="email" value="ada.work@example.test""#), "{page}");
    assert!(page.contains(&format!(r#"name="code" value="{wrong}""#)), "{page}");
    assert_eq!(listed(app, &ada.key, "emails").await, json!([]));

    // An empty code is refused too, and the right one still works after both.
    let (status, page) = post(
        app,
        &client,
        "/settings/verified/email/verify",
        &[("csrf", &csrf), ("email", "ada.work@example.test"), ("code", "")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Enter the code we sent."), "{page}");
    let (status, _) = post(
        app,
        &client,
        "/settings/verified/email/verify",
        &[("csrf", &csrf), ("email", "ada.work@example.test"), ("code", &code)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        listed(app, &ada.key, "emails").await[0]["email"],
        "ada.work@example.test"
    );
}

#[tokio::test]
async fn a_number_proved_on_the_page_with_the_texted_code_is_listed() {
    let twilio = FakeTwilio::start("AC00000000000000000000000000000042", "verify-token").await;
    let rig = rig_with_twilio(&twilio).await;
    let app = &rig.app;
    let ada = app.account(ADA).await;
    let client = signed_in(app, ADA).await;
    let csrf = csrf_of(&get(app, &client, PAGE).await.1);

    let (status, page) = post(
        app,
        &client,
        "/settings/verified/phone",
        &[("csrf", &csrf), ("phone", "5555 6666")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"id="phone-error">Enter the number in international format"#),
        "{page}"
    );
    assert!(page.contains(r#"value="5555 6666""#), "{page}");
    assert_eq!(twilio.requests(), 0);

    let (status, page) = post(
        app,
        &client,
        "/settings/verified/phone",
        &[("csrf", &csrf), ("phone", "+372 5555 6666")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("We sent a code to +37255556666."), "{page}");
    let code = texted_code(&twilio, "+37255556666");

    let (status, page) = post(
        app,
        &client,
        "/settings/verified/phone/verify",
        &[("csrf", &csrf), ("phone", "+37255556666"), ("code", &other_code(&code))],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"id="phone-code-error">That code is wrong"#), "{page}");
    assert!(page.contains(r#"name="phone" value="+37255556666""#), "{page}");
    assert_eq!(listed(app, &ada.key, "phones").await, json!([]));

    let (status, to) = post(
        app,
        &client,
        "/settings/verified/phone/verify",
        &[("csrf", &csrf), ("phone", "+37255556666"), ("code", &code)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/settings/verified?notice=phone-added")
    );
    let api = listed(app, &ada.key, "phones").await;
    assert_eq!(api[0]["phoneNumber"], "+37255556666", "{api}");
    let id = api[0]["id"].as_i64().expect("id");
    let (_, page) = get(app, &client, &to).await;
    assert!(
        page.contains(&format!(r#"<li id="verified-phone-{id}">+37255556666</li>"#)),
        "{page}"
    );
}

#[tokio::test]
async fn without_an_sms_provider_the_page_says_so_beside_the_number_and_sends_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.account(ADA).await;
    let client = signed_in(&app, ADA).await;
    let csrf = csrf_of(&get(&app, &client, PAGE).await.1);

    let (status, page) = post(
        &app,
        &client,
        "/settings/verified/phone",
        &[("csrf", &csrf), ("phone", "+372 5555 6666")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"id="phone-error">This server cannot send text messages"#),
        "{page}"
    );
    assert!(page.contains(r#"value="+372 5555 6666""#), "{page}");
    assert!(
        !page.contains("twilio_account_sid"),
        "the setting's name is for admins: {page}"
    );
    assert_eq!(app.count_rows("one_time_codes").await, 0);
    assert_eq!(listed(&app, &ada.key, "phones").await, json!([]));
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.account(ADA).await;
    let client = signed_in(&app, ADA).await;
    let csrf = csrf_of(&get(&app, &client, PAGE).await.1);

    for (path, field, value) in [
        ("/settings/verified/email", "email", "ada.work@example.test"),
        ("/settings/verified/phone", "phone", "+37255556666"),
    ] {
        let answer = client
            .post(format!("{}{path}", app.address))
            .header("origin", "https://evil.example")
            .form(&[("csrf", csrf.as_str()), (field, value)])
            .send()
            .await
            .expect("send");
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{path}");
        // Without the session's token, from this site, too.
        let (status, _) = post(&app, &client, path, &[(field, value)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.count_rows("one_time_codes").await, 0);
    assert_eq!(app.count_rows("email_outbox").await, 0);
}

#[tokio::test]
async fn the_page_speaks_german_to_a_german_browser_refusals_included() {
    let app = TestApp::spawn().await;
    let ada = app.account(ADA).await;
    // A language we don't speak in the profile: the browser's decides.
    let patch = UserPatch {
        locale: Some("pt".to_owned()),
        ..UserPatch::default()
    };
    users::update(&app.db, UserId(ada.id), &patch)
        .await
        .expect("update")
        .expect("user");
    let client = signed_in(&app, ADA).await;
    let page = client
        .get(format!("{}{PAGE}", app.address))
        .header("accept-language", "de")
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(page.contains(r#"<html lang="de">"#), "{page}");
    assert!(page.contains("Bestätigte Kontakte"), "{page}");
    assert!(page.contains("Code senden"), "{page}");
    for english in [
        "Verified contacts",
        "Send code",
        "Add an email address",
        "Add a phone number",
        "No verified",
    ] {
        assert!(!page.contains(english), "{english} in {page}");
    }
    let refused = client
        .post(format!("{}/settings/verified/phone", app.address))
        .header("accept-language", "de")
        .form(&[("csrf", csrf_of(&page).as_str()), ("phone", "+37255556666")])
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = refused.text().await.expect("html");
    assert!(refused.contains("Dieser Server kann keine SMS senden"), "{refused}");
    assert!(!refused.contains("cannot send text messages"), "{refused}");
}

#[tokio::test]
async fn codes_asked_through_the_api_count_against_the_page_for_the_same_address() {
    let app = TestApp::spawn_with(ServerSettings {
        limits: LimitSettings {
            verification_codes_per_email: Rate::new(1, 3600).expect("rate"),
            ..roomy_limits()
        },
        ..TestApp::settings()
    })
    .await;
    let ada = app.account(ADA).await;
    app.post(
        "/v2/verified-resources/emails/verification-code/request",
        &ada.key,
        json!({ "email": "ada.work@example.test" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let client = signed_in(&app, ADA).await;
    let csrf = csrf_of(&get(&app, &client, PAGE).await.1);
    let answer = client
        .post(format!("{}/settings/verified/email", app.address))
        .form(&[("csrf", csrf.as_str()), ("email", "ada.work@example.test")])
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.headers().contains_key("retry-after"));
    let page = answer.text().await.expect("html");
    assert!(
        page.contains(r#"id="email-error">Too many verification codes. Please try again in"#),
        "{page}"
    );
    assert!(page.contains(r#"value="ada.work@example.test""#), "{page}");
    // And the other way: another address, asked on the page first, is then refused by the API.
    let (status, _) = post(
        &app,
        &client,
        "/settings/verified/email",
        &[("csrf", &csrf), ("email", "ada.home@example.test")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.post(
        "/v2/verified-resources/emails/verification-code/request",
        &ada.key,
        json!({ "email": "ada.home@example.test" }),
    )
    .await
    .expect_error(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn twilio_refusing_the_number_or_failing_for_now_is_said_beside_it_with_the_number_kept() {
    let twilio = FakeTwilio::start("AC00000000000000000000000000000042", "verify-token").await;
    let rig = rig_with_twilio(&twilio).await;
    let app = &rig.app;
    let ada = app.account(ADA).await;
    let client = signed_in(app, ADA).await;
    let csrf = csrf_of(&get(app, &client, PAGE).await.1);

    for (fault, status, said) in [
        (
            (400, 21211),
            StatusCode::BAD_REQUEST,
            "Text messages cannot reach this number.",
        ),
        (
            (500, 20500),
            StatusCode::SERVICE_UNAVAILABLE,
            "The text message could not be sent just now.",
        ),
    ] {
        twilio.fail_next(fault.0, fault.1);
        let (answered, page) = post(
            app,
            &client,
            "/settings/verified/phone",
            &[("csrf", &csrf), ("phone", "+1 415 555 0123")],
        )
        .await;
        assert_eq!(answered, status, "{page}");
        assert!(page.contains(&format!(r#"id="phone-error">{said}"#)), "{page}");
        assert!(page.contains(r#"value="+1 415 555 0123""#), "{page}");
    }
    assert_eq!(listed(app, &ada.key, "phones").await, json!([]));
}
