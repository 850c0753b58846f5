//! The workflow editor offers the owner's verified addresses and numbers: a team's owner makes a workflow on the
//! page that emails one of their verified addresses and texts one of the team's verified numbers, the API reads
//! the choices back and a booking queues the email to that address; another user's address typed by hand is
//! refused beside its choice with nothing stored; a workflow made through the API opens with its choices selected
//! and saving the page keeps them. A personal workflow chooses among the host's own items (the booking's email
//! queued to the address); a personal editor without verified items says so and links where to prove one.

use crate::helpers::TestApp;
use crate::helpers::email::EmailRig;
use crate::scheduling::BOOKINGS;
use crate::web_app_bookings::{csrf_of, get, post, signed_in};
use crate::workflows::Team;
use crate::workflows_pages::host_with_intro;
use convene_core::{TeamId, UserId};
use convene_server::email::sms::SmsSettings;
use convene_store::outbox::{self, Filter, Scope};
use convene_store::{users, verified_emails, verified_phones};
use convene_testkit::FakeTwilio;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const OWNER: &str = "owner@acme.test";

/// The workflow test team on a server that can send SMS through `twilio`.
async fn team_with_texts(twilio: &FakeTwilio) -> Team {
    Team::on(rig_with_texts(twilio).await, false).await
}

/// A server that can send SMS through `twilio`.
async fn rig_with_texts(twilio: &FakeTwilio) -> EmailRig {
    let api_url = twilio.base_url();
    EmailRig::builder()
        .email(move |s| {
            s.sms = Some(SmsSettings {
                account_sid: SID.to_owned(),
                auth_token: SecretString::from("twilio-auth-token"),
                from_number: Some("+14155550100".to_owned()),
                whatsapp_from: None,
                api_url,
            });
        })
        .start()
        .await
}

/// The editor's form for a workflow on "Intro" with an `email_address` step choosing `email` and an `sms_number`
/// step choosing `phone` (step ids given when saving an existing workflow).
fn form<'a>(
    csrf: &'a str,
    event: &'a str,
    email: &'a str,
    phone: &'a str,
    ids: [&'a str; 2],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("stepCount", "2"),
        ("name", "Tell the desk"),
        ("trigger", "beforeEvent"),
        ("offset", "24"),
        ("unit", "hour"),
        ("eventTypes", event),
        ("step0-action", "email_address"),
        ("step0-template", "reminder"),
        ("step0-subject", "Soon: {EVENT_NAME}"),
        ("step0-body", "<p>{ATTENDEE} at {EVENT_TIME}</p>"),
        ("step0-verifiedEmail", email),
        ("step0-verifiedPhone", ""),
        ("step1-action", "sms_number"),
        ("step1-template", "reminder"),
        ("step1-subject", "Text"),
        ("step1-body", "{ATTENDEE} at {EVENT_TIME}"),
        ("step1-verifiedEmail", ""),
        ("step1-verifiedPhone", phone),
    ];
    if !ids[0].is_empty() {
        form.push(("step0-id", ids[0]));
        form.push(("step1-id", ids[1]));
    }
    form
}

/// The (email, phone) each step of the workflow at `path` sends to, as the API reads it.
async fn targets(t: &Team, path: &str) -> Vec<(Value, Value)> {
    let read = t.app().get(path, &t.owner.key).await;
    let w = read.expect_success(StatusCode::OK);
    w["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| (s["email"].clone(), s["phone"].clone()))
        .collect()
}

#[tokio::test]
async fn a_teams_workflow_sends_to_the_verified_items_chosen_on_the_page() {
    let twilio = FakeTwilio::start(SID, "twilio-auth-token").await;
    let t = team_with_texts(&twilio).await;
    let db = &t.app().db;
    let now = jiff::Timestamp::now();
    let desk = verified_emails::add(db, UserId(t.owner.id), "desk@acme.test", now)
        .await
        .expect("verified email");
    let line = verified_phones::add_for_team(db, TeamId(t.team), UserId(t.owner.id), "+14155550177", now)
        .await
        .expect("verified phone");
    let theirs = verified_emails::add(db, UserId(t.host.id), "host@elsewhere.test", now)
        .await
        .expect("someone else's email");
    let (desk, line, theirs) = (desk.id.to_string(), line.id.to_string(), theirs.id.to_string());
    let event = t.event.to_string();
    let base = format!("/settings/organizations/{}/teams/{}/workflows", t.org, t.team);

    let owner = signed_in(t.app(), OWNER).await;
    let (status, blank) = get(t.app(), &owner, &format!("{base}/new")).await;
    assert_eq!(status, StatusCode::OK, "{blank}");
    assert!(
        blank.contains("<option value=\"email_address\">")
            && blank.contains(&format!("<option value=\"{desk}\">desk@acme.test</option>"))
            && blank.contains(&format!("<option value=\"{line}\">+14155550177</option>"))
            && !blank.contains("host@elsewhere.test"),
        "{blank}"
    );
    let csrf = csrf_of(&blank);

    // Another user's address, its id typed by hand: refused beside the choice, the typed subject kept.
    let (status, page) = post(t.app(), &owner, &base, &form(&csrf, &event, &theirs, &line, ["", ""])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(
        page.contains("id=\"step0-verifiedEmail-error\"") && page.contains("value=\"Soon: {EVENT_NAME}\""),
        "{page}"
    );
    // No choice at all is refused the same way.
    let (status, page) = post(t.app(), &owner, &base, &form(&csrf, &event, &desk, "", ["", ""])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("id=\"step1-verifiedPhone-error\""), "{page}");
    let listed = t.app().get(&t.path(), &t.owner.key).await;
    assert_eq!(listed.expect_success(StatusCode::OK), &json!([]));

    let (status, to) = post(t.app(), &owner, &base, &form(&csrf, &event, &desk, &line, ["", ""])).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let id = to
        .trim_start_matches(&format!("{base}/"))
        .trim_end_matches("?notice=saved")
        .to_owned();
    let api = format!("{}/{id}", t.path());
    assert_eq!(
        targets(&t, &api).await,
        [
            (json!("desk@acme.test"), Value::Null),
            (Value::Null, json!("+14155550177"))
        ]
    );
    t.book("2030-01-07T10:00:00Z", "ada@example.test").await;
    let queued = t.pending().await;
    assert!(queued.iter().any(|r| r.to_email == "desk@acme.test"), "{queued:?}");
}

#[tokio::test]
async fn a_workflow_made_through_the_api_keeps_its_verified_items_when_saved_on_the_page() {
    let twilio = FakeTwilio::start(SID, "twilio-auth-token").await;
    let t = team_with_texts(&twilio).await;
    let db = &t.app().db;
    let now = jiff::Timestamp::now();
    let desk = verified_emails::add(db, UserId(t.owner.id), "desk@acme.test", now)
        .await
        .expect("verified email");
    let line = verified_phones::add_for_team(db, TeamId(t.team), UserId(t.owner.id), "+14155550177", now)
        .await
        .expect("verified phone");
    let made = t
        .create(json!({
            "name": "Tell the desk",
            "activation": { "isActiveOnAllEventTypes": false, "activeOnEventTypeIds": [t.event] },
            "trigger": { "type": "beforeEvent", "offset": { "value": 24, "unit": "hour" } },
            "steps": [
                { "action": "email_address", "stepNumber": 1, "template": "reminder", "sender": "Acme",
                  "verifiedEmailId": desk.id.0,
                  "message": { "subject": "Soon: {EVENT_NAME}", "html": "<p>{ATTENDEE} at {EVENT_TIME}</p>" } },
                { "action": "sms_number", "stepNumber": 2, "template": "reminder", "sender": "Acme",
                  "verifiedPhoneId": line.id.0,
                  "message": { "subject": "Text", "text": "{ATTENDEE} at {EVENT_TIME}" } }
            ]
        }))
        .await;
    let id = made["id"].as_i64().expect("id");
    let steps: Vec<String> = made["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["id"].as_i64().expect("step id").to_string())
        .collect();
    let (desk, line) = (desk.id.to_string(), line.id.to_string());

    let owner = signed_in(t.app(), OWNER).await;
    let page_path = format!("/settings/organizations/{}/teams/{}/workflows/{id}", t.org, t.team);
    let (status, page) = get(t.app(), &owner, &page_path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<option value=\"email_address\" selected>")
            && page.contains("<option value=\"sms_number\" selected>")
            && page.contains(&format!("<option value=\"{desk}\" selected>desk@acme.test</option>"))
            && page.contains(&format!("<option value=\"{line}\" selected>+14155550177</option>")),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let event = t.event.to_string();
    // The first step ticked for removal and the second's number cleared: the service numbers the steps it is sent,
    // so its refusal of "step 1" belongs beside the second step's number, and the tick stays.
    let mut removing = form(&csrf, &event, &desk, "", [&steps[0], &steps[1]]);
    removing.push(("step0-remove", "1"));
    let (status, page) = post(t.app(), &owner, &page_path, &removing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(
        page.contains("id=\"step1-verifiedPhone-error\"")
            && !page.contains("id=\"step0-verifiedPhone-error\"")
            && page.contains("id=\"step0-remove\" checked>"),
        "{page}"
    );
    assert_eq!(
        targets(&t, &format!("{}/{id}", t.path())).await.len(),
        2,
        "nothing removed by a refused save"
    );
    let (status, to) = post(
        t.app(),
        &owner,
        &page_path,
        &form(&csrf, &event, &desk, &line, [&steps[0], &steps[1]]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(
        targets(&t, &format!("{}/{id}", t.path())).await,
        [
            (json!("desk@acme.test"), Value::Null),
            (Value::Null, json!("+14155550177"))
        ]
    );
}

#[tokio::test]
async fn a_personal_workflow_chooses_the_hosts_own_verified_items_and_emails_the_address() {
    let twilio = FakeTwilio::start(SID, "twilio-auth-token").await;
    let rig = rig_with_texts(&twilio).await;
    let app = &rig.app;
    let event = host_with_intro(app, "solo@verified.test").await.to_string();
    let solo = users::find_by_email(&app.db, "solo@verified.test")
        .await
        .expect("read")
        .expect("the host")
        .id;
    let now = jiff::Timestamp::now();
    let desk = verified_emails::add(&app.db, solo, "solo.desk@verified.test", now)
        .await
        .expect("verified email");
    let line = verified_phones::add_for_user(&app.db, solo, "+14155550188", now)
        .await
        .expect("verified phone");
    let (desk, line) = (desk.id.to_string(), line.id.to_string());
    let client = signed_in(app, "solo@verified.test").await;
    let csrf = csrf_of(&get(app, &client, "/workflows/new").await.1);
    let (status, to) = post(app, &client, "/workflows", &form(&csrf, &event, &desk, &line, ["", ""])).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (status, page) = get(app, &client, &to).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!(
            "<option value=\"{desk}\" selected>solo.desk@verified.test</option>"
        )) && page.contains(&format!("<option value=\"{line}\" selected>+14155550188</option>")),
        "{page}"
    );
    let body = json!({ "eventTypeId": event.parse::<i64>().expect("id"), "start": "2030-01-07T10:00:00Z",
        "attendee": { "name": "Ada", "email": "ada@example.test", "timeZone": "UTC" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED);
    let filter = Filter {
        recipient: Some("solo.desk@verified.test".into()),
        ..Filter::default()
    };
    let queued = outbox::list(&app.db, Scope::User { id: solo }, &filter, 50)
        .await
        .expect("the outbox");
    assert!(queued.iter().any(|r| r.subject.starts_with("Soon: ")), "{queued:?}");
}

#[tokio::test]
async fn a_personal_editor_without_verified_items_says_where_to_prove_one() {
    let app = TestApp::spawn().await;
    host_with_intro(&app, "solo@verified.test").await;
    let solo = signed_in(&app, "solo@verified.test").await;
    let (status, page) = get(&app, &solo, "/workflows/new").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("id=\"step0-no-emails\"")
            && page.contains("id=\"step0-no-phones\"")
            && page.contains("<a href=\"/settings/verified\">")
            && !page.contains("id=\"step0-verifiedEmail\""),
        "{page}"
    );
}
