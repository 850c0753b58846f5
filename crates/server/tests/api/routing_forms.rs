//! Routing forms through the API: a team form routes each response by its answers to the team's event type (with
//! its slots), an external URL or a message; every response is stored, emailed to the owner (its own kind, through
//! the organization's route) and announced by FORM_SUBMITTED; FORM_SUBMITTED_NO_EVENT fires once, 15 minutes on,
//! for the responses no booking followed. Refusals name the field.

use crate::helpers::email::{EmailRig, WAIT, find_received, starttls};
use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, SCHEDULES, weekdays_9_to_5};
use convene_core::{TeamId, UserId, WebhookId};
use convene_server::routing_forms::{NO_EVENT_AFTER_MS, no_event};
use convene_store::outbox::Settlement;
use convene_store::outbox::{self, Filter, Scope};
use convene_store::webhooks::{self, deliveries};
use convene_testkit::FakeSmtp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const KIND: &str = "routing_form_response";

/// acme's team "Sales": its MEMBER hosts a 30-minute event type "Intro" (9–17 UTC on weekdays); the org's OWNER
/// owns the forms.
pub(crate) struct Rig {
    pub(crate) rig: EmailRig,
    pub(crate) org: i64,
    pub(crate) team: i64,
    pub(crate) owner: Person,
    pub(crate) member: Person,
    pub(crate) outsider: Person,
    pub(crate) event: i64,
}

impl Rig {
    pub(crate) async fn start() -> Rig {
        Self::start_with(false).await
    }

    /// With `custom_smtp`, the organizations have the `custom-smtp` feature (their own senders are used).
    pub(crate) async fn start_with(custom_smtp: bool) -> Rig {
        Self::on(EmailRig::start().await, custom_smtp).await
    }

    /// The rig's tenants and team on a server already started (with settings of the caller's choosing).
    pub(crate) async fn on(rig: EmailRig, custom_smtp: bool) -> Rig {
        let t = rig.tenants(custom_smtp).await;
        let app = &rig.app;
        app.post(
            &format!("/v2/organizations/{}/teams/{}/memberships", t.org, t.team),
            &t.owner.key,
            json!({ "userId": t.member.id, "role": "MEMBER", "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
        app.versioned(
            Method::POST,
            "/v2/schedules",
            Some(&t.member.key),
            Some(json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() })),
            Some(SCHEDULES),
        )
        .await
        .expect_success(StatusCode::CREATED);
        let event = app
            .post(
                &format!("/v2/organizations/{}/teams/{}/event-types", t.org, t.team),
                &t.owner.key,
                json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30, "schedulingType": "collective",
                        "hosts": [{ "userId": t.member.id }] }),
            )
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("event type id");
        Rig {
            org: t.org,
            team: t.team,
            owner: t.owner,
            member: t.member,
            outsider: t.outsider,
            event,
            rig,
        }
    }

    pub(crate) fn app(&self) -> &TestApp {
        &self.rig.app
    }

    pub(crate) fn forms(&self) -> String {
        format!("/v2/organizations/{}/teams/{}/routing-forms", self.org, self.team)
    }

    /// Name, company size, topic and tools; sales with 100+ people → "Intro", urgent notes or the Beta tool → an
    /// external page, anything else → a message.
    pub(crate) fn definition(&self) -> Value {
        json!({
            "name": "Contact us",
            "description": "Tell us what you need",
            "fields": [
                {"id": "f-name", "type": "text", "label": "Your name", "identifier": "name", "required": true},
                {"id": "f-email", "type": "email", "label": "Email", "identifier": "email", "required": true},
                {"id": "f-size", "type": "number", "label": "Company size"},
                {"id": "f-topic", "type": "select", "label": "Topic",
                 "options": [{"id": "o-sales", "label": "Sales"}, {"id": "o-support", "label": "Support"}]},
                {"id": "f-tools", "type": "multiselect", "label": "Tools",
                 "options": [{"id": "o-a", "label": "Alpha"}, {"id": "o-b", "label": "Beta"}]},
                {"id": "f-notes", "type": "textarea", "label": "Notes", "identifier": "notes"},
                {"id": "f-phone", "type": "phone", "label": "Phone"}
            ],
            "routes": [
                {"id": "r-sales", "action": {"type": "eventTypeRedirectUrl", "eventTypeId": self.event},
                 "conditions": {"combinator": "all", "rules": [
                    {"field": "f-topic", "operator": "equals", "value": "o-sales"},
                    {"field": "f-size", "operator": "between", "value": {"min": 100}}]}},
                {"id": "r-help", "action": {"type": "externalRedirectUrl", "value": "https://help.example.test/start"},
                 "conditions": {"combinator": "any", "rules": [
                    {"field": "f-notes", "operator": "contains", "value": "urgent"},
                    {"field": "f-tools", "operator": "anyOf", "value": ["o-b"]}]}},
                {"id": "r-thanks", "action": {"type": "customPageMessage", "value": "Thanks, we will write to you."},
                 "isFallback": true}
            ]
        })
    }

    /// Creates the form through convene's own `POST`; returns its id.
    pub(crate) async fn create_form(&self) -> String {
        self.app()
            .post(&self.forms(), &self.owner.key, self.definition())
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_str()
            .expect("form id")
            .to_owned()
    }

    pub(crate) async fn respond(&self, form: &str, answers: Value) -> Value {
        self.app()
            .post(
                &format!("{}/{form}/responses?start=2030-01-07&end=2030-01-07", self.forms()),
                &self.member.key,
                answers,
            )
            .await
            .expect_success(StatusCode::CREATED)
            .clone()
    }
}

/// A webhook of `person` for both form triggers; returns its id. Stored directly: this rig keeps the API's refusal
/// of loopback subscribers, and these tests read the queued deliveries rather than receive them.
pub(crate) async fn form_webhook(app: &TestApp, person: &Person) -> i64 {
    let fields = webhooks::WebhookFields {
        subscriber_url: "http://127.0.0.1:9/forms".to_owned(),
        triggers: json!(["FORM_SUBMITTED", "FORM_SUBMITTED_NO_EVENT"]).to_string(),
        active: true,
        payload_template: None,
        version: "2021-10-20".to_owned(),
    };
    webhooks::insert(&app.db, webhooks::WebhookOwner::User(UserId(person.id)), &fields)
        .await
        .expect("a webhook")
        .id
        .0
}

async fn bodies(app: &TestApp, webhook: i64, trigger: &str) -> Vec<Value> {
    deliveries::for_webhook(&app.db, WebhookId(webhook))
        .await
        .expect("deliveries")
        .into_iter()
        .filter(|d| d.trigger_event == trigger)
        .map(|d| serde_json::from_str(&d.body).expect("a JSON body"))
        .collect()
}

#[tokio::test]
async fn responses_route_by_their_answers_to_the_event_type_a_url_or_a_message() {
    let t = Rig::start().await;
    let form = t.create_form().await;

    let sales = t
        .respond(
            &form,
            json!({"name": "Ada", "email": "ada@example.test", "Company size": "250", "Topic": "Sales"}),
        )
        .await;
    assert_eq!(sales["eventTypeId"], json!(t.event));
    let response_id = sales["routing"]["responseId"].as_i64().expect("response id");
    assert_eq!(sales["routing"]["teamMemberIds"], json!([]));
    let monday = sales["slots"]["2030-01-07"].as_array().expect("Monday's slots");
    assert_eq!(monday.len(), 16, "{sales}");
    assert_eq!(monday[0]["start"], "2030-01-07T09:00:00.000+00:00");

    let help = t
        .respond(
            &form,
            json!({"name": "Bo", "email": "bo@example.test", "Topic": "Sales", "Company size": 5, "Tools": ["Alpha", "Beta"]}),
        )
        .await;
    assert_eq!(help["routingExternalRedirectUrl"], "https://help.example.test/start");
    assert!(
        help.get("eventTypeId").is_none() && help.get("slots").is_none(),
        "{help}"
    );

    let thanks = t
        .respond(
            &form,
            json!({"name": "Cy", "email": "cy@example.test", "notes": "whenever"}),
        )
        .await;
    assert_eq!(thanks["routingCustomMessage"], "Thanks, we will write to you.");

    let listed = t
        .app()
        .get(
            &format!("{}/{form}/responses?sortCreatedAt=asc", t.forms()),
            &t.member.key,
        )
        .await;
    let listed = listed
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0]["id"], json!(response_id));
    assert_eq!(listed[0]["formId"], json!(form));
    assert_eq!(listed[0]["routedToBookingUid"], Value::Null);
    assert_eq!(
        listed[0]["response"]["f-topic"],
        json!({"label": "Topic", "value": "o-sales"})
    );
    assert_eq!(listed[0]["response"]["f-size"]["value"], json!(250.0));

    // An update changes the answers (others stay) and keeps the route taken.
    let patched = t
        .app()
        .patch(
            &format!("{}/{form}/responses/{response_id}", t.forms()),
            &t.member.key,
            json!({"response": {"name": "Ada Lovelace"}}),
        )
        .await;
    let patched = patched.expect_success(StatusCode::OK);
    assert_eq!(patched["response"]["f-name"]["value"], "Ada Lovelace");
    assert_eq!(patched["response"]["f-email"]["value"], "ada@example.test");

    // The org's listing has the team's form; calculate-slots routes without storing a response.
    let org_forms = t
        .app()
        .get(&format!("/v2/organizations/{}/routing-forms", t.org), &t.owner.key)
        .await;
    let org_forms = org_forms
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(org_forms.len(), 1);
    assert_eq!(org_forms[0]["teamId"], json!(t.team));
    assert_eq!(org_forms[0]["fields"].as_array().map(Vec::len), Some(7));
    let slots = t
        .app()
        .post(
            &format!("/v2/routing-forms/{form}/calculate-slots?start=2030-01-07&end=2030-01-07&format=range"),
            &t.outsider.key,
            json!({"name": "Di", "email": "di@example.test", "Company size": 100, "Topic": "o-sales"}),
        )
        .await;
    let slots = slots.expect_success(StatusCode::OK);
    assert_eq!(slots["eventTypeId"], json!(t.event));
    assert_eq!(slots["slots"]["2030-01-07"][0]["end"], "2030-01-07T09:30:00.000+00:00");
    assert_eq!(t.app().count_rows("routing_form_responses").await, 3);
}

#[tokio::test]
async fn each_response_is_emailed_to_the_owner_and_announced_by_form_submitted() {
    let t = Rig::start().await;
    let hook = form_webhook(t.app(), &t.owner).await;
    let form = t.create_form().await;
    t.respond(
        &form,
        json!({"name": "Ada", "email": "ada@example.test", "Topic": "Support", "Tools": ["Beta"]}),
    )
    .await;

    let submitted = bodies(t.app(), hook, "FORM_SUBMITTED").await;
    assert_eq!(submitted.len(), 1);
    let payload = &submitted[0]["payload"];
    assert_eq!(submitted[0]["triggerEvent"], "FORM_SUBMITTED");
    assert_eq!(payload["formId"], json!(form));
    assert_eq!(payload["formName"], "Contact us");
    assert_eq!(payload["teamId"], json!(t.team));
    assert_eq!(
        payload["responses"]["Topic"],
        json!({"value": "o-support", "response": "Support"})
    );
    assert_eq!(
        payload["responses"]["Tools"],
        json!({"value": ["o-b"], "response": "Beta"})
    );

    let filter = Filter {
        kind: Some(KIND.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let rows = outbox::list(&t.app().db, Scope::Organization(TeamId(t.org)), &filter, 10)
        .await
        .expect("outbox");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].to_email, "owner@acme.test");
    assert_eq!(rows[0].team_id, Some(TeamId(t.team)));
    assert_eq!(rows[0].reply_to_email.as_deref(), Some("ada@example.test"));

    let processed = t.rig.run().await;
    assert!(processed.iter().any(|p| p.kind == KIND), "{processed:?}");
    let arrived = t.rig.platform.wait_for_messages(1, WAIT).await;
    let mail = find_received(&arrived, &rows[0].message_id);
    assert_eq!(mail.rcpt_to, ["owner@acme.test"]);
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a message");
    assert_eq!(parsed.subject(), Some("New response to Contact us"));
    let text = parsed.body_text(0).expect("a text part").to_string();
    assert!(text.contains("Support") && !text.contains("Alpha"), "{text}");
    assert!(text.contains("https://help.example.test/start"), "{text}");
}

#[tokio::test]
async fn the_response_email_leaves_through_the_organizations_own_sender() {
    let t = Rig::start_with(true).await;
    let org_smtp = FakeSmtp::start(starttls(&t.rig.ca)).await;
    let sender = t
        .app()
        .post(
            &format!("/v2/organizations/{}/smtp-configurations", t.org),
            &t.owner.key,
            json!({ "fromEmail": "forms@acme.example", "fromName": "Acme Forms", "smtpHost": "127.0.0.1",
                    "smtpPort": org_smtp.port(), "smtpSecure": false }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("sender id");
    let form = t.create_form().await;
    t.respond(&form, json!({"name": "Ada", "email": "ada@example.test"}))
        .await;

    let batch = t.rig.run().await;
    let mail = batch.iter().find(|p| p.kind == KIND).expect("the response email");
    assert_eq!(
        mail.settlement,
        Settlement::Sent {
            route: format!("sender:{sender}")
        },
        "{mail:?}"
    );
    let arrived = org_smtp.wait_for_messages(1, WAIT).await;
    assert_eq!(arrived[0].rcpt_to, ["owner@acme.test"]);
    assert!(arrived[0].tls, "STARTTLS, as the sender asks");
}

#[tokio::test]
async fn no_event_fires_once_fifteen_minutes_on_for_responses_no_booking_followed() {
    let t = Rig::start().await;
    let hook = form_webhook(t.app(), &t.owner).await;
    let form = t.create_form().await;
    let answers = json!({"name": "Ada", "email": "ada@example.test", "Topic": "Sales", "Company size": 500});
    let booked = t.respond(&form, answers.clone()).await["routing"]["responseId"]
        .as_i64()
        .expect("id");
    t.respond(&form, answers).await;

    // A booking made from the first response records itself there, which calls its notice off; a second booking
    // naming the same response does not replace the first.
    let book = |start: &str, email: &str| {
        json!({ "eventTypeId": t.event, "start": start, "routing": { "responseId": booked, "teamMemberIds": [] },
                "attendee": { "name": "Ada", "email": email, "timeZone": "UTC" } })
    };
    let first = t
        .app()
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(book("2030-01-07T10:00:00Z", "ada@example.test")),
            Some(BOOKINGS),
        )
        .await;
    let uid = first.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    t.app()
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(book("2030-01-07T11:00:00Z", "bo@example.test")),
            Some(BOOKINGS),
        )
        .await
        .expect_success(StatusCode::CREATED);
    let db = &t.app().db;

    let now = jiff::Timestamp::now().as_millisecond();
    assert_eq!(
        no_event::sweep(db, crate::helpers::instant(now + NO_EVENT_AFTER_MS - 60_000))
            .await
            .expect("sweep"),
        0
    );
    assert!(bodies(t.app(), hook, "FORM_SUBMITTED_NO_EVENT").await.is_empty());
    // Two sweeps racing for the one due response: exactly one of them fires it.
    let due = now + NO_EVENT_AFTER_MS + 1_000;
    let due = crate::helpers::instant(due);
    let (a, b) = tokio::join!(no_event::sweep(db, due), no_event::sweep(db, due));
    assert_eq!(a.expect("sweep") + b.expect("sweep"), 1);
    assert_eq!(
        no_event::sweep(db, crate::helpers::instant(now + 2 * NO_EVENT_AFTER_MS))
            .await
            .expect("sweep"),
        0,
        "once only"
    );
    let fired = bodies(t.app(), hook, "FORM_SUBMITTED_NO_EVENT").await;
    assert_eq!(fired.len(), 1);
    assert_ne!(fired[0]["payload"]["responseId"], json!(booked));
    assert_eq!(fired[0]["payload"]["responses"]["Your name"]["value"], "Ada");

    let listed = t
        .app()
        .get(
            &format!("{}/{form}/responses?routedToBookingUid={uid}", t.forms()),
            &t.member.key,
        )
        .await;
    let listed = listed.expect_success(StatusCode::OK).as_array().expect("list").clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], json!(booked));
    assert_eq!(listed[0]["routedToBookingUid"], json!(uid));
    let forms = t
        .app()
        .get(&format!("{}?routedToBookingUid={uid}", t.forms()), &t.member.key)
        .await;
    assert_eq!(forms.expect_success(StatusCode::OK)[0]["id"], json!(form));
}

#[tokio::test]
async fn bad_forms_answers_and_callers_are_refused() {
    let t = Rig::start().await;
    let form = t.create_form().await;
    let app = t.app();

    let mut broken = t.definition();
    broken["routes"][1]["action"]["value"] = json!("javascript:alert(1)");
    app.post(&t.forms(), &t.owner.key, broken)
        .await
        .expect_field_error("routes[1].action.value");
    let mut foreign = t.definition();
    foreign["routes"][0]["action"]["eventTypeId"] = json!(999_999);
    app.post(&t.forms(), &t.owner.key, foreign)
        .await
        .expect_field_error("routes[0].action.eventTypeId");
    app.post(&t.forms(), &t.member.key, t.definition())
        .await
        .expect_error(StatusCode::FORBIDDEN);

    let responses = format!("{}/{form}/responses?start=2030-01-07&end=2030-01-07", t.forms());
    app.post(&responses, &t.member.key, json!({"email": "ada@example.test"}))
        .await
        .expect_field_error("name");
    app.post(
        &responses,
        &t.member.key,
        json!({"name": "Ada", "email": "not an address"}),
    )
    .await
    .expect_field_error("email");
    app.post(
        &responses,
        &t.member.key,
        json!({"name": "Ada", "email": "a@example.test", "Company size": "many"}),
    )
    .await
    .expect_field_error("Company size");
    app.post(
        &format!("{}/{form}/responses", t.forms()),
        &t.member.key,
        json!({"name": "Ada", "email": "a@example.test"}),
    )
    .await
    .expect_field_error("start");
    app.post(
        &responses,
        &t.outsider.key,
        json!({"name": "Ada", "email": "a@example.test"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN);
    app.get(&format!("{}/nope/responses", t.forms()), &t.member.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    app.post(
        &format!("/v2/routing-forms/{form}/calculate-slots?start=2030-01-07&end=2030-01-07"),
        &t.member.key,
        json!({"name": "Ada", "email": "a@example.test"}),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST);
    assert_eq!(app.count_rows("routing_form_responses").await, 0);

    // A disabled form takes no responses.
    app.patch(
        &format!("{}/{form}", t.forms()),
        &t.owner.key,
        json!({"disabled": true}),
    )
    .await
    .expect_success(StatusCode::OK);
    app.post(
        &responses,
        &t.member.key,
        json!({"name": "Ada", "email": "a@example.test"}),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn no_body_makes_the_routing_form_endpoints_fail() {
    let t = Rig::start().await;
    let form = t.create_form().await;
    let window = "start=2030-01-07&end=2030-01-07";
    let targets = [
        (Method::POST, t.forms()),
        (Method::PATCH, format!("{}/{form}", t.forms())),
        (Method::POST, format!("{}/{form}/responses?{window}", t.forms())),
        (Method::PATCH, format!("{}/{form}/responses/1", t.forms())),
        (
            Method::POST,
            format!("/v2/routing-forms/{form}/calculate-slots?{window}"),
        ),
    ];
    let bodies = [
        Value::Null,
        json!([]),
        json!("text"),
        json!(123),
        json!({"fields": {}, "routes": "x", "settings": []}),
        json!({"fields": [{"id": 1, "type": "text", "label": []}]}),
        json!({"routes": [{"id": "r", "action": {"type": "nowhere"}}]}),
        json!({"fields": [{"id": "a", "type": "number", "label": "A"}],
               "routes": [{"id": "r", "action": {"type": "customPageMessage", "value": "m"},
                           "conditions": {"rules": [{"field": "a", "operator": "between", "value": {"min": "x"}}]}}]}),
        json!({"name": "\u{0}", "email": "\u{0}@x.test"}),
        json!({"name": "Ada", "email": "a@example.test", "Company size": 1e308, "Tools": [[], {}], "Topic": {"a": 1}}),
        json!({"name": "x".repeat(100_000), "email": "a@example.test", "response": {"f-size": "NaN"}}),
        json!({"name": "Ada", "email": "a@example.test", "Company size": "-inf", "Phone": "+1 (555) 010-9999 ext"}),
    ];
    for (method, path) in &targets {
        for body in &bodies {
            let answer = t
                .app()
                .request(method.clone(), path, Some(&t.owner.key), Some(body.clone()))
                .await;
            assert!(
                answer.status.is_success() || answer.status.is_client_error(),
                "{method} {path} with {body}: {} {}",
                answer.status,
                answer.body
            );
        }
    }
}
