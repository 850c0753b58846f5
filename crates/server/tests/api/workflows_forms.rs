//! Routing-form workflows: `formSubmitted` emails go out with the response, `formSubmittedNoEvent` ones at the offset
//! after it unless a booking followed (the booking cancels them in its transaction), through the organization's
//! route; the API's shapes and refusals. Personal workflows: a user's own over their event types, planned with the
//! booking, in each reader's language and zone, with the calendar event when the step asks for it.

use crate::helpers::email::{EmailRig, WAIT, find_received};
use crate::routing_forms::Rig;
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES, weekdays_9_to_5};
use convene_core::{TeamId, UserId};
use convene_server::email::sms::Channels;
use convene_server::workflows::input::{Context, WorkflowInput};
use convene_server::workflows::manage;
use convene_store::outbox::{self, EmailRecord, Filter, Scope};
use convene_store::workflows::WorkflowOwner;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const KIND: &str = "workflow_email";

fn form_workflow(trigger: Value, subject: &str) -> Value {
    json!({
        "name": "After the form",
        "activation": { "isActiveOnAllRoutingForms": true },
        "trigger": trigger,
        "steps": [
            { "action": "email_attendee", "stepNumber": 1, "recipient": "attendee", "template": "custom",
              "sender": "Acme", "includeCalendarEvent": false,
              "message": { "subject": subject,
                           "html": "<p>{FORM_NAME}: {TOPIC}, {COMPANY_SIZE}, answered {EVENT_DATE}</p>" } }
        ]
    })
}

fn workflows_path(t: &Rig) -> String {
    format!("/v2/organizations/{}/teams/{}/workflows", t.org, t.team)
}

async fn workflow_rows(t: &Rig) -> Vec<EmailRecord> {
    let filter = Filter {
        kind: Some(KIND.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let mut rows = outbox::list(&t.app().db, Scope::Organization(TeamId(t.org)), &filter, 100)
        .await
        .expect("outbox");
    rows.reverse();
    rows
}

#[tokio::test]
async fn form_workflows_email_at_once_and_later_unless_a_booking_followed() {
    let t = Rig::start().await;
    let form = t.create_form().await;
    let path = format!("{}/routing-form", workflows_path(&t));
    for body in [
        form_workflow(json!({ "type": "formSubmitted" }), "Thanks {ATTENDEE_NAME}"),
        form_workflow(
            json!({ "type": "formSubmittedNoEvent", "offset": { "value": 1, "unit": "hour" } }),
            "Still want to talk, {ATTENDEE_NAME}?",
        ),
    ] {
        t.app()
            .post(&path, &t.owner.key, body)
            .await
            .expect_success(StatusCode::CREATED);
    }

    let booked = t
        .respond(
            &form,
            json!({"name": "Ada", "email": "ada@example.test", "Company size": 250, "Topic": "Sales"}),
        )
        .await;
    t.respond(
        &form,
        json!({"name": "Bo", "email": "bo@example.test", "Topic": "Support"}),
    )
    .await;
    let response_id = booked["routing"]["responseId"].as_i64().expect("response id");
    let rows = workflow_rows(&t).await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    let later: Vec<&EmailRecord> = rows.iter().filter(|r| r.subject.starts_with("Still")).collect();
    assert_eq!(later.len(), 2);
    for row in &rows {
        assert_eq!(row.organization_id, Some(TeamId(t.org)));
        assert_eq!(row.team_id, Some(TeamId(t.team)));
    }

    // A booking made from Ada's response calls off her "no event" email, in the booking's transaction.
    let body = json!({ "eventTypeId": t.event, "start": "2030-01-07T09:00:00Z",
        "attendee": { "name": "Ada", "email": "ada@example.test", "timeZone": "UTC" },
        "routing": { "responseId": response_id } });
    t.app()
        .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED);
    let rows = workflow_rows(&t).await;
    let ada_later = rows
        .iter()
        .find(|r| r.subject == "Still want to talk, Ada?")
        .expect("Ada's later email");
    assert_eq!(ada_later.status, "cancelled");
    let bo_later = rows
        .iter()
        .find(|r| r.subject == "Still want to talk, Bo?")
        .expect("Bo's later email");
    assert_eq!(bo_later.status, "queued");

    // Now: the two at-once emails; an hour on: Bo's reminder, and nothing for Ada.
    let now = jiff::Timestamp::now().as_millisecond();
    let sent = t.rig.run_at(now).await;
    let thanks: Vec<_> = sent.iter().filter(|p| p.kind == KIND).collect();
    assert_eq!(thanks.len(), 2, "{sent:?}");
    let sent = t.rig.run_at(now + 3_600_000 + 60_000).await;
    let later: Vec<_> = sent.iter().filter(|p| p.kind == KIND).collect();
    assert_eq!(later.len(), 1, "{sent:?}");
    let arrived = t.rig.platform.wait_for_messages(1, WAIT).await;
    let mail = find_received(&arrived, &bo_later.message_id);
    assert_eq!(mail.rcpt_to, ["bo@example.test"]);
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a message");
    let text = parsed.body_text(0).expect("a text part").to_string();
    assert!(text.contains("Contact us: Support, ,"), "{text}");
}

#[tokio::test]
async fn form_workflows_answer_the_reference_shapes_and_name_refused_fields() {
    let t = Rig::start().await;
    let form = t.create_form().await;
    let base = workflows_path(&t);
    let created = t
        .app()
        .post(
            &format!("{base}/routing-form"),
            &t.owner.key,
            json!({
                "name": "Only this form",
                "activation": { "isActiveOnAllRoutingForms": false, "activeOnRoutingFormIds": [form] },
                "trigger": { "type": "formSubmittedNoEvent", "offset": { "value": 30, "unit": "minute" } },
                "steps": [{ "action": "email_attendee", "stepNumber": 1, "recipient": "attendee",
                            "template": "reminder", "sender": "Acme", "includeCalendarEvent": false,
                            "message": { "subject": "Hello", "html": "" } }]
            }),
        )
        .await;
    let created = created.expect_success(StatusCode::CREATED).clone();
    assert_eq!(created["type"], "routing-form");
    assert_eq!(created["teamId"], json!(t.team));
    assert_eq!(created["activation"]["activeOnRoutingFormIds"], json!([form]));
    assert_eq!(
        created["trigger"],
        json!({ "type": "formSubmittedNoEvent", "offset": { "value": 30, "unit": "minute" } })
    );
    let id = created["id"].as_i64().expect("id");
    let one = format!("{base}/{id}/routing-form");

    // Members read; the event-type family does not know it.
    let got = t.app().get(&one, &t.member.key).await;
    assert_eq!(got.expect_success(StatusCode::OK)["name"], "Only this form");
    let listed = t.app().get(&format!("{base}/routing-form"), &t.member.key).await;
    assert_eq!(listed.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(1));
    let event_types = t.app().get(&base, &t.member.key).await;
    assert_eq!(event_types.expect_success(StatusCode::OK), &json!([]));
    t.app()
        .get(&format!("{base}/{id}"), &t.owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    t.app()
        .patch(&one, &t.member.key, json!({ "name": "Mine" }))
        .await
        .expect_error(StatusCode::FORBIDDEN);

    let patched = t
        .app()
        .patch(
            &one,
            &t.owner.key,
            json!({ "name": "Renamed", "trigger": { "type": "formSubmitted" } }),
        )
        .await;
    let patched = patched.expect_success(StatusCode::OK);
    assert_eq!(patched["name"], "Renamed");
    assert_eq!(patched["trigger"], json!({ "type": "formSubmitted" }));
    assert_eq!(patched["steps"][0]["id"], created["steps"][0]["id"]);

    let cases = [
        (json!({ "trigger": { "type": "beforeEvent" } }), "trigger.type"),
        (
            json!({ "trigger": { "type": "formSubmittedNoEvent" } }),
            "trigger.offset",
        ),
        (
            json!({ "activation": { "isActiveOnAllRoutingForms": false, "activeOnRoutingFormIds": ["not-ours"] } }),
            "activation.activeOnRoutingFormIds[0]",
        ),
        (
            json!({ "steps": [{ "action": "email_host", "template": "custom", "sender": "A",
                                "message": { "subject": "s", "html": "h" } }] }),
            "steps[0].action",
        ),
        (
            json!({ "steps": [{ "action": "sms_attendee", "template": "custom", "sender": "A",
                                "message": { "subject": "s", "text": "h" } }] }),
            "steps[0].action",
        ),
    ];
    for (body, field) in cases {
        t.app().patch(&one, &t.owner.key, body).await.expect_field_error(field);
    }

    let deleted = t.app().delete(&one, &t.owner.key).await;
    assert_eq!(deleted.expect_success(StatusCode::OK)["id"], json!(id));
    t.app()
        .get(&one, &t.owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

/// A user outside any organization with a personal event type "Intro" (Europe/Berlin host, German profile).
async fn personal_host(rig: &EmailRig) -> (crate::helpers::Person, i64) {
    let app = &rig.app;
    let host = app.account("solo@example.test").await;
    app.patch(
        "/v2/me",
        &host.key,
        json!({ "timeZone": "Europe/Berlin", "locale": "de" }),
    )
    .await
    .expect_success(StatusCode::OK);
    app.versioned(
        Method::POST,
        "/v2/schedules",
        Some(&host.key),
        Some(json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() })),
        Some(SCHEDULES),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let event = app
        .versioned(
            Method::POST,
            "/v2/event-types",
            Some(&host.key),
            Some(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 })),
            Some(EVENT_TYPES),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("event type id");
    (host, event)
}

fn personal_reminder(event: i64) -> WorkflowInput {
    serde_json::from_value(json!({
        "name": "Day before",
        "activation": { "isActiveOnAllEventTypes": false, "activeOnEventTypeIds": [event] },
        "trigger": { "type": "beforeEvent", "offset": { "value": 24, "unit": "hour" } },
        "steps": [
            { "action": "email_attendee", "template": "reminder", "sender": "Solo", "includeCalendarEvent": true,
              "message": { "subject": "{EVENT_DATE} {EVENT_TIME} {TIMEZONE}", "html": "<p>{EVENT_DATE_dddd D MMMM}</p>" } },
            { "action": "email_host", "template": "reminder", "sender": "Solo",
              "message": { "subject": "{EVENT_DATE} {EVENT_TIME} {TIMEZONE}", "html": "<p>{ATTENDEE}</p>" } }
        ]
    }))
    .expect("a workflow input")
}

#[tokio::test]
async fn personal_workflows_remind_in_each_readers_language_and_zone() {
    let rig = EmailRig::start().await;
    let (host, event) = personal_host(&rig).await;
    let app = &rig.app;
    let ctx = Context {
        owner: WorkflowOwner::User(UserId(host.id)),
        caller_id: UserId(host.id),
        texts: Channels::of(None),
    };
    let created = manage::create(&app.db, &app.state.mailer, &ctx, &personal_reminder(event))
        .await
        .expect("a personal workflow");
    assert_eq!(created.record.user_id, Some(UserId(host.id)));
    assert_eq!(created.record.team_id, None);

    let body = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
        "attendee": { "name": "Ana", "email": "ana@example.test", "timeZone": "America/Mexico_City",
                      "language": "es" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED);
    let filter = Filter {
        kind: Some(KIND.parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let rows = outbox::list(&app.db, Scope::User { id: UserId(host.id) }, &filter, 10)
        .await
        .expect("outbox");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let attendee = rows
        .iter()
        .find(|r| r.to_email == "ana@example.test")
        .expect("the attendee's");
    let own = rows
        .iter()
        .find(|r| r.to_email == "solo@example.test")
        .expect("the host's");
    assert_eq!(attendee.subject, "lunes, 7 de enero de 2030 04:00 America/Mexico_City");
    assert!(attendee.body_text.contains("lunes 7 enero"), "{}", attendee.body_text);
    assert_eq!(own.subject, "Montag, 7. Januar 2030 11:00 Europe/Berlin");
    assert_eq!(
        attendee.not_before.as_millisecond(),
        crate::workflows::ms("2030-01-06T10:00:00Z")
    );
    assert!(attendee.ics.as_deref().is_some_and(|ics| ics.contains("BEGIN:VEVENT")));
    assert!(own.ics.is_none());
    assert_eq!((attendee.organization_id, attendee.team_id), (None, None));

    // Someone else's event type is not theirs to attach.
    let other = manage::create(
        &app.db,
        &app.state.mailer,
        &Context {
            owner: WorkflowOwner::User(UserId(host.id + 1_000)),
            caller_id: UserId(host.id + 1_000),
            texts: Channels::of(None),
        },
        &personal_reminder(event),
    )
    .await
    .expect_err("not their event type");
    assert!(
        other.to_string().contains("activation.activeOnEventTypeIds[0]"),
        "{other}"
    );
}
