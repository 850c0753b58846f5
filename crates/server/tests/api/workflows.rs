//! Team workflows end to end: a 24-hours-before reminder is an outbox row written with the booking, moved by a
//! reschedule, cancelled with the booking, re-planned when the workflow changes, and sent at its time by the
//! worker (driven with its clock) through the organization's sender or, when that fails, the platform. The API
//! names the field of every refusal.

use crate::helpers::email::{EmailRig, WAIT, closed_port, find_received};
use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, SCHEDULES, weekdays_9_to_5};
use convene_core::TeamId;
use convene_core::email::EmailKind;
use convene_store::outbox::{self, EmailRecord, Filter, Scope, Settlement};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const KIND: &str = "workflow_email";

/// acme's team "Sales" with its MEMBER as the one host of a 30-minute event type "Intro" (works 9–17 UTC).
pub(crate) struct Team {
    pub(crate) rig: EmailRig,
    pub(crate) org: i64,
    pub(crate) team: i64,
    pub(crate) owner: Person,
    admin: Person,
    pub(crate) host: Person,
    outsider: Person,
    pub(crate) event: i64,
}

impl Team {
    pub(crate) async fn start(custom_smtp: bool) -> Team {
        Team::on(EmailRig::start().await, custom_smtp).await
    }

    /// The team on a rig of the test's making (other email or SMS settings).
    pub(crate) async fn on(rig: EmailRig, custom_smtp: bool) -> Team {
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
        Team {
            org: t.org,
            team: t.team,
            owner: t.owner,
            admin: t.admin,
            host: t.member,
            outsider: t.outsider,
            event,
            rig,
        }
    }

    pub(crate) fn app(&self) -> &TestApp {
        &self.rig.app
    }

    pub(crate) fn path(&self) -> String {
        format!("/v2/organizations/{}/teams/{}/workflows", self.org, self.team)
    }

    /// A workflow emailing the attendee and the host `offset` hours before each booking of "Intro".
    pub(crate) fn reminder(&self, hours: i64) -> Value {
        json!({
            "name": "Day before",
            "activation": { "isActiveOnAllEventTypes": false, "activeOnEventTypeIds": [self.event] },
            "trigger": { "type": "beforeEvent", "offset": { "value": hours, "unit": "hour" } },
            "steps": [
                { "action": "email_attendee", "stepNumber": 1, "recipient": "attendee", "template": "reminder",
                  "sender": "Acme", "includeCalendarEvent": false,
                  "message": { "subject": "Reminder: {EVENT_NAME} at {EVENT_TIME} {TIMEZONE}",
                               "html": "<p>Hi {ATTENDEE}, {EVENT_NAME} with {ORGANIZER} is on {EVENT_DATE_ddd D MMM} at {EVENT_TIME}.</p>" } },
                { "action": "email_host", "stepNumber": 2, "recipient": "const", "template": "reminder",
                  "sender": "Acme", "includeCalendarEvent": false,
                  "message": { "subject": "Soon: {EVENT_NAME} with {ATTENDEE} at {EVENT_TIME} {TIMEZONE}",
                               "html": "<p>{ATTENDEE} ({ATTENDEE_EMAIL}) {CANCEL_URL}</p>" } }
            ]
        })
    }

    pub(crate) async fn create(&self, body: Value) -> Value {
        self.app()
            .post(&self.path(), &self.owner.key, body)
            .await
            .expect_success(StatusCode::CREATED)
            .clone()
    }

    /// Books "Intro" at `start` for an attendee in Tokyo; returns the booking uid.
    pub(crate) async fn book(&self, start: &str, email: &str) -> String {
        let body = json!({ "eventTypeId": self.event, "start": start,
            "attendee": { "name": "Ada <Lovelace>", "email": email, "timeZone": "Asia/Tokyo" } });
        self.app()
            .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
            .await
            .expect_success(StatusCode::CREATED)["uid"]
            .as_str()
            .expect("uid")
            .to_owned()
    }

    /// Workflow emails of the organization, oldest first.
    async fn reminders(&self) -> Vec<EmailRecord> {
        let filter = Filter {
            kind: Some(KIND.parse().expect("an outbox kind")),
            ..Filter::default()
        };
        let mut rows = outbox::list(&self.app().db, Scope::Organization(TeamId(self.org)), &filter, 500)
            .await
            .expect("read the outbox");
        rows.reverse();
        rows
    }

    pub(crate) async fn pending(&self) -> Vec<EmailRecord> {
        let mut rows = self.reminders().await;
        rows.retain(|r| r.status == "queued");
        rows
    }
}

pub(crate) fn ms(instant: &str) -> i64 {
    instant.parse::<jiff::Timestamp>().expect("an instant").as_millisecond()
}

#[tokio::test]
async fn a_day_before_reminder_is_queued_moved_cancelled_and_sent_at_its_time() {
    let t = Team::start(false).await;
    t.create(t.reminder(24)).await;

    let uid = t.book("2030-01-07T10:00:00Z", "ada@example.test").await;
    let rows = t.pending().await;
    assert_eq!(rows.len(), 2, "one to the attendee, one to the host: {rows:?}");
    for row in &rows {
        assert_eq!(row.not_before.as_millisecond(), ms("2030-01-06T10:00:00Z"), "{row:?}");
    }
    let to_attendee = rows
        .iter()
        .find(|r| r.to_email == "ada@example.test")
        .expect("the attendee's");
    // Times in each reader's zone; the attendee's name escaped in HTML, plain in text.
    assert_eq!(to_attendee.subject, "Reminder: Intro at 19:00 Asia/Tokyo");
    assert!(
        to_attendee.body_html.contains("Hi Ada &lt;Lovelace&gt;, Intro with"),
        "{}",
        to_attendee.body_html
    );
    assert!(
        to_attendee.body_text.contains("is on Mon 7 Jan at 19:00."),
        "{}",
        to_attendee.body_text
    );
    let to_host = rows
        .iter()
        .find(|r| r.to_email == "member@acme.test")
        .expect("the host's");
    assert_eq!(
        to_host.subject,
        "Soon: Intro with Ada <Lovelace> at 10:00 Europe/London"
    );
    // The booking's sealed manage link, as booking emails carry it.
    assert!(
        to_host.body_text.contains(&format!("/booking/{uid}/cancel?token=")),
        "{}",
        to_host.body_text
    );

    // The booking's own emails go now; the reminders wait for their time.
    let now = t.rig.run().await;
    assert!(!now.is_empty() && now.iter().all(|p| p.kind != KIND), "{now:?}");

    // Moved: the old reminders are cancelled, new ones planned for the new time.
    t.app()
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{uid}/reschedule"),
            None,
            Some(json!({ "start": "2030-01-08T14:00:00Z" })),
            Some(BOOKINGS),
        )
        .await
        .expect_success(StatusCode::CREATED);
    let all = t.reminders().await;
    assert_eq!(all.iter().filter(|r| r.status == "cancelled").count(), 2, "{all:?}");
    let pending = t.pending().await;
    assert_eq!(pending.len(), 2);
    assert!(
        pending
            .iter()
            .all(|r| r.not_before.as_millisecond() == ms("2030-01-07T14:00:00Z"))
    );
    assert!(
        pending
            .iter()
            .any(|r| r.subject == "Reminder: Intro at 23:00 Asia/Tokyo")
    );

    // Not a moment early.
    let early = t.rig.run_at(ms("2030-01-07T13:59:59Z")).await;
    assert!(early.iter().all(|p| p.kind != KIND), "{early:?}");
    let due = t.rig.run_at(ms("2030-01-07T14:00:00Z")).await;
    let sent: Vec<_> = due.iter().filter(|p| p.kind == KIND).collect();
    assert_eq!(sent.len(), 2, "{due:?}");
    assert!(sent.iter().all(|p| p.settlement
        == Settlement::Sent {
            route: "platform".into()
        }));
    let arrived = t.rig.platform.wait_for_messages(1, WAIT).await;
    let first = pending
        .iter()
        .find(|r| r.to_email == "ada@example.test")
        .expect("attendee's");
    assert_eq!(find_received(&arrived, &first.message_id).rcpt_to, ["ada@example.test"]);
    assert!(
        t.rig
            .run_at(ms("2030-01-09T00:00:00Z"))
            .await
            .iter()
            .all(|p| p.kind != KIND)
    );

    // Cancelled: the pending reminders go with the booking.
    let other = t.book("2030-01-09T10:00:00Z", "bo@example.test").await;
    assert_eq!(t.pending().await.len(), 2);
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
    assert!(t.pending().await.is_empty());
    let later = t.rig.run_at(ms("2030-01-09T10:00:00Z")).await;
    assert!(later.iter().all(|p| p.kind != KIND), "{later:?}");
}

#[tokio::test]
async fn editing_a_workflow_plans_its_reminders_again_and_deleting_cancels_them() {
    let t = Team::start(false).await;
    // Bookings made before the workflow exists get its reminders too.
    t.book("2030-01-07T10:00:00Z", "ada@example.test").await;
    let created = t.create(t.reminder(24)).await;
    let id = created["id"].as_i64().expect("id");
    assert_eq!(t.pending().await.len(), 2);

    let path = format!("{}/{id}", t.path());
    let updated = t
        .app()
        .patch(
            &path,
            &t.admin.key,
            json!({ "trigger": { "type": "beforeEvent", "offset": { "value": 90, "unit": "minute" } } }),
        )
        .await;
    let updated = updated.expect_success(StatusCode::OK);
    assert_eq!(updated["trigger"]["offset"], json!({ "value": 90, "unit": "minute" }));
    assert_eq!(updated["steps"].as_array().map(Vec::len), Some(2), "steps kept");
    let pending = t.pending().await;
    assert_eq!(pending.len(), 2);
    assert!(
        pending
            .iter()
            .all(|r| r.not_before.as_millisecond() == ms("2030-01-07T08:30:00Z")),
        "{pending:?}"
    );
    assert_eq!(
        t.reminders().await.iter().filter(|r| r.status == "cancelled").count(),
        2
    );

    // A reminder whose time has already passed when the booking is made is not planned (nor sent late).
    let far = t.create(t.reminder(8000)).await;
    let before = t.reminders().await.len();
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let soon = (2..9)
        .map(|d| today.checked_add(jiff::Span::new().days(d)).expect("a date"))
        .find(|d| {
            !matches!(
                d.weekday(),
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            )
        })
        .expect("a weekday");
    t.book(&format!("{soon}T10:00:00Z"), "soon@example.test").await;
    let after = t.reminders().await;
    assert_eq!(after.len(), before + 2, "only the 90-minute workflow's two: {after:?}");
    t.app()
        .delete(&format!("{}/{}", t.path(), far["id"]), &t.owner.key)
        .await
        .expect_success(StatusCode::OK);

    t.app().delete(&path, &t.owner.key).await.expect_success(StatusCode::OK);
    assert!(t.pending().await.is_empty());
    t.app()
        .get(&path, &t.owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_a_team_cancels_its_workflows_pending_reminders() {
    let t = Team::start(false).await;
    t.create(t.reminder(24)).await;
    t.book("2030-01-07T10:00:00Z", "ada@example.test").await;
    assert_eq!(t.pending().await.len(), 2);

    t.app()
        .delete(&format!("/v2/organizations/{}/teams/{}", t.org, t.team), &t.owner.key)
        .await
        .expect_success(StatusCode::OK);
    assert!(t.pending().await.is_empty(), "{:?}", t.pending().await);
    let due = t.rig.run_at(ms("2030-01-06T10:00:00Z")).await;
    assert!(due.iter().all(|p| p.kind != KIND), "{due:?}");
}

#[tokio::test]
async fn reminders_due_when_a_worker_died_holding_them_are_sent_once() {
    let t = Team::start(false).await;
    t.create(t.reminder(24)).await;
    for (i, day) in ["07", "08", "09", "10", "11"].iter().enumerate() {
        t.book(&format!("2030-01-{day}T10:00:00Z"), &format!("p{i}@example.test"))
            .await;
    }
    let _ = t.rig.run().await;
    let reminders = t.pending().await;
    assert_eq!(reminders.len(), 10);
    // A worker claims every due reminder and dies without settling any.
    let at = ms("2030-01-11T10:00:00Z");
    let held = outbox::claim_due_by(&t.app().db, "crashed", crate::helpers::instant(at), 30_000, 100)
        .await
        .expect("claim");
    assert_eq!(held.len(), 10);
    // Within its lease nobody else sends them; after it, each goes exactly once.
    assert!(t.rig.run_at(at + 1_000).await.is_empty());
    let batch = t.rig.run_at(at + 31_000).await;
    assert_eq!(batch.len(), 10);
    assert!(t.rig.run_at(at + 3_600_000).await.is_empty());
    let arrived = t.rig.platform.wait_for_messages(10 + 10, WAIT).await;
    for r in &reminders {
        let copies = arrived
            .iter()
            .filter(|m| String::from_utf8_lossy(&m.data).contains(&r.message_id))
            .count();
        assert_eq!(copies, 1, "{} arrived {copies} times", r.message_id);
    }
}

#[tokio::test]
async fn a_failing_organization_sender_still_delivers_reminders_through_the_platform() {
    let t = Team::start(true).await;
    let sender = t
        .app()
        .post(
            &format!("/v2/organizations/{}/smtp-configurations", t.org),
            &t.owner.key,
            json!({ "fromEmail": "bookings@acme.example", "fromName": "Acme Bookings", "smtpHost": "127.0.0.1",
                    "smtpPort": closed_port(), "smtpSecure": false }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("sender id");
    t.create(t.reminder(24)).await;
    t.book("2030-01-07T10:00:00Z", "ada@example.test").await;
    let _ = t.rig.run().await;
    let batch = t.rig.run_at(ms("2030-01-06T10:00:00Z")).await;
    let sent: Vec<_> = batch.iter().filter(|p| p.kind == KIND).collect();
    assert_eq!(sent.len(), 2, "{batch:?}");
    for p in sent {
        assert_eq!(
            p.settlement,
            Settlement::Sent {
                route: "platform".into()
            },
            "{p:?}"
        );
        assert_eq!(
            p.routes[0].route,
            format!("sender:{sender}"),
            "the organization's sender was tried first"
        );
        // Failed, or skipped once the booking emails' failures opened its circuit.
        assert!(matches!(p.routes[0].outcome.as_str(), "failed" | "skipped"), "{p:?}");
    }
}

#[tokio::test]
async fn the_api_names_the_field_of_every_refusal() {
    let t = Team::start(false).await;
    let base = t.reminder(24);
    let with = |pointer: &str, value: Value| {
        let mut body = base.clone();
        *body.pointer_mut(pointer).expect("a field of the body") = value;
        body
    };
    let cases = [
        (with("/name", json!("")), "name"),
        (with("/trigger/type", json!("bookingPaid")), "trigger.type"),
        (with("/trigger/offset/unit", json!("week")), "trigger.offset.unit"),
        (with("/trigger/offset/value", json!(-1)), "trigger.offset.value"),
        (
            with("/activation/activeOnEventTypeIds", json!([999_999])),
            "activation.activeOnEventTypeIds[0]",
        ),
        (with("/steps/0/action", json!("sms_attendee")), "steps[0].action"),
        (with("/steps/1/action", json!("whatsapp_number")), "steps[1].action"),
        (with("/steps/0/template", json!("poem")), "steps[0].template"),
        (with("/steps/0/message/subject", json!("")), "steps[0].message.subject"),
        (with("/steps/0/sender", json!("A\r\nBcc: x@y.z")), "steps[0].sender"),
        (
            with("/steps/0/action", json!("email_address")),
            "steps[0].verifiedEmailId",
        ),
    ];
    for (body, field) in cases {
        t.app()
            .post(&t.path(), &t.owner.key, body)
            .await
            .expect_field_error(field);
    }
    let sms = t
        .app()
        .post(&t.path(), &t.owner.key, with("/steps/0/action", json!("sms_attendee")))
        .await
        .expect_error(StatusCode::BAD_REQUEST);
    assert!(sms.contains("SMS provider") && sms.contains("Twilio"), "{sms}");
    let mut no_trigger = base.clone();
    no_trigger.as_object_mut().expect("object").remove("trigger");
    t.app()
        .post(&t.path(), &t.owner.key, no_trigger)
        .await
        .expect_field_error("trigger");
}

#[tokio::test]
async fn only_the_teams_admins_change_workflows_and_only_its_members_read_them() {
    let t = Team::start(false).await;
    let created = t.create(t.reminder(24)).await;
    let one = format!("{}/{}", t.path(), created["id"]);
    // The host is a MEMBER of the team: reads, can't change.
    t.app().get(&one, &t.host.key).await.expect_success(StatusCode::OK);
    t.app()
        .post(&t.path(), &t.host.key, t.reminder(1))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    t.app()
        .patch(&one, &t.host.key, json!({ "name": "Mine" }))
        .await
        .expect_error(StatusCode::FORBIDDEN);
    t.app()
        .delete(&one, &t.host.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
    // Someone outside the organization sees nothing.
    let outside = t.app().get(&t.path(), &t.outsider.key).await;
    assert!(outside.status.is_client_error() && outside.status != StatusCode::OK);
    let list = t.app().get(&t.path(), &t.admin.key).await;
    let list = list.expect_success(StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["type"], "event-type");
    assert_eq!(list[0]["activation"]["activeOnEventTypeIds"], json!([t.event]));
}

/// An attendee known only by phone gets no workflow email (there is no address to send it to), and the host's copy
/// answers to the organizer rather than to an empty address.
#[tokio::test]
async fn an_attendee_known_only_by_phone_gets_no_workflow_email() {
    let t = Team::start(false).await;
    t.create(t.reminder(24)).await;
    let body = json!({ "eventTypeId": t.event, "start": "2030-01-07T10:00:00Z",
        "attendee": { "name": "Pat Phone", "phoneNumber": "+14155550123", "timeZone": "UTC" } });
    t.app()
        .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED);
    let rows = t.pending().await;
    assert_eq!(rows.len(), 1, "only the host's copy: {rows:?}");
    assert_eq!(rows[0].to_email, "member@acme.test");
    assert_eq!(
        rows[0].reply_to_email.as_deref(),
        Some("member@acme.test"),
        "{:?}",
        rows[0]
    );
}

/// A step's `sender` is the From display name of its emails (the address stays the route's); a name that would
/// break the header is refused by the API, and one stored by other means is cleaned when the header is written.
#[tokio::test]
async fn a_steps_sender_name_is_the_from_display_name_and_cannot_inject_headers() {
    let t = Team::start(false).await;
    let mut body = t.reminder(24);
    body["steps"][0]["sender"] = json!("Acme Reminders");
    t.create(body).await;
    t.book("2030-01-07T10:00:00Z", "ada@example.test").await;
    t.rig.run().await;
    let before = t.rig.platform.wait_for_messages(1, WAIT).await.len();
    let due = t.rig.run_at(ms("2030-01-06T10:00:00Z")).await;
    assert_eq!(due.iter().filter(|p| p.kind == KIND).count(), 2, "{due:?}");
    let arrived = t.rig.platform.wait_for_messages(before + 2, WAIT).await;
    let rows = t.reminders().await;
    let to_attendee = rows
        .iter()
        .find(|r| r.to_email == "ada@example.test")
        .expect("the attendee's");
    let data = String::from_utf8_lossy(&find_received(&arrived, &to_attendee.message_id).data).into_owned();
    assert!(
        data.contains("From: \"Acme Reminders\" <notifications@convene.test>"),
        "{data}"
    );

    // Written around the API (an older version, another tool): the line break is not a header break.
    let row = outbox::NewEmail {
        message_id: "<hostile-sender@convene.test>".to_owned(),
        from_name: Some("Eve\r\nBcc: mallory@example.test".to_owned()),
        to_email: "ada@example.test".to_owned(),
        subject: "Hello".to_owned(),
        body_text: "Hello".to_owned(),
        body_html: "<p>Hello</p>".to_owned(),
        ..outbox::NewEmail::of(EmailKind::WorkflowEmail)
    };
    outbox::enqueue(&t.app().db, &row, jiff::Timestamp::now())
        .await
        .expect("enqueue");
    t.rig.run().await;
    let arrived = t.rig.platform.wait_for_messages(before + 3, WAIT).await;
    let hostile = find_received(&arrived, "<hostile-sender@convene.test>");
    let data = String::from_utf8_lossy(&hostile.data).into_owned();
    assert_eq!(hostile.rcpt_to, ["ada@example.test"]);
    assert!(!data.contains("\r\nBcc:"), "{data}");
    let from = data.lines().find(|l| l.starts_with("From:")).expect("a From header");
    assert!(from.ends_with("<notifications@convene.test>"), "{data}");
    assert!(!data.lines().any(|l| l.starts_with("Bcc:")), "{data}");
}
