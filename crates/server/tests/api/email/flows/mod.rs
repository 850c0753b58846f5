//! Which emails each booking flow produces, their recipients, headers, bodies and calendar invites — and what each
//! kind of email looks like, HTML included, in snapshots.
//!
//! Every test drives the real API over HTTP, then runs the outbox worker one batch at a time
//! ([`process_due`]) against an in-process SMTP server on a real socket, and reads what arrived with
//! parsers we did not write: `mail-parser` for the MIME message and `icalendar`'s parser for the
//! invite. Each received message is tied to its outbox row by its Message-ID.

mod booking;
mod changes;
mod guests;
pub(super) mod mime;
mod rendering;
mod settings;

use crate::helpers::email::{EmailRig, WAIT};
use crate::helpers::{Answer, Person, TestApp};
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES};
use convene_core::UserId;
use convene_server::email::worker::process_due;
use convene_store::outbox::{self, EmailRecord, Filter, Scope, Settlement};
use convene_testkit::FakeSmtp;
use mime::{Mail, check_mail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

pub(super) const HOST: &str = "olivia@example.test";

pub(super) const HOST_NAME: &str = "Olivia Organizer";

pub(super) const BOOKER: &str = "alex@example.test";

pub(super) const BOOKER_NAME: &str = "Alex Attendee";

/// A Monday, inside the host's 09:00–17:00 UTC availability.
pub(super) const MONDAY_10: &str = "2030-01-07T10:00:00Z";

pub(super) const KIND_SCHEDULED_ATTENDEE: &str = "booking_scheduled_attendee";

pub(super) const KIND_SCHEDULED_ORGANIZER: &str = "booking_scheduled_organizer";

/// A server whose platform transport is a fake SMTP server (plain, on 127.0.0.1), and a host with one event type.
pub(super) struct Flow {
    pub(super) app: TestApp,
    pub(super) smtp: FakeSmtp,
    pub(super) host: Person,
    pub(super) event: i64,
}

/// (kind, recipient, Reply-To, subject) of an email.
pub(super) type Expected<'a> = (&'a str, &'a str, &'a str, &'a str);

impl Flow {
    /// A host named [`HOST_NAME`] (profile zone Europe/London) available 09:00–17:00 UTC on weekdays, with
    /// `event` as their event type.
    pub async fn start(event: Value) -> Flow {
        let EmailRig {
            app, platform: smtp, ..
        } = EmailRig::start().await;
        let host = app.user(HOST).await;
        app.patch("/v2/me", &host.key, json!({ "name": HOST_NAME }))
            .await
            .expect_success(StatusCode::OK);
        app.versioned(
            Method::POST,
            "/v2/schedules",
            Some(&host.key),
            Some(json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": [
                { "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "startTime": "09:00", "endTime": "17:00" }
            ] })),
            Some(SCHEDULES),
        )
        .await
        .expect_success(StatusCode::CREATED);
        let mut flow = Flow {
            app,
            smtp,
            host,
            event: 0,
        };
        flow.event = flow.event_type(event).await;
        flow
    }

    /// Another event type of the host.
    pub async fn event_type(&self, event: Value) -> i64 {
        self.app
            .versioned(
                Method::POST,
                "/v2/event-types",
                Some(&self.host.key),
                Some(event),
                Some(EVENT_TYPES),
            )
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("event type id")
    }

    /// Books `event` at `start` as `name <email>` in `zone`, with `guests`; returns the answer.
    pub async fn try_book(&self, event: i64, start: &str, attendee: (&str, &str, &str), guests: &[&str]) -> Answer {
        let (name, email, zone) = attendee;
        let body = json!({ "eventTypeId": event, "start": start,
            "attendee": { "name": name, "email": email, "timeZone": zone }, "guests": guests });
        self.app
            .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
            .await
    }

    /// Books the flow's event as [`BOOKER`] (in Europe/Paris); returns the booking.
    pub async fn book(&self, start: &str, guests: &[&str]) -> Value {
        self.try_book(self.event, start, (BOOKER_NAME, BOOKER, "Europe/Paris"), guests)
            .await
            .expect_success(StatusCode::CREATED)
            .clone()
    }

    /// `POST /v2/bookings/{uid}/{action}` as the host.
    pub async fn act(&self, uid: &str, action: &str, body: Value) -> Answer {
        self.app
            .versioned(
                Method::POST,
                &format!("/v2/bookings/{uid}/{action}"),
                Some(&self.host.key),
                Some(body),
                Some(BOOKINGS),
            )
            .await
    }

    /// Runs the worker once over everything due, and returns each email it sent with what the SMTP server got,
    /// in outbox order — after checking what every email must satisfy (see [`check_mail`]) and that the batch
    /// left nothing behind.
    pub async fn send(&self) -> Vec<Mail> {
        let before = self.smtp.messages().len();
        let processed = process_due(&self.app.state, convene_store::now())
            .await
            .expect("a worker batch");
        for p in &processed {
            assert!(
                matches!(p.settlement, Settlement::Sent { .. }),
                "email {} ({}) was not sent: {:?} {:?}",
                p.id,
                p.kind,
                p.settlement,
                p.routes
            );
        }
        let arrived = if processed.is_empty() {
            self.smtp.messages()
        } else {
            self.smtp.wait_for_messages(before + processed.len(), WAIT).await
        };
        let arrived = &arrived[before..];
        assert_eq!(arrived.len(), processed.len(), "one message per email sent");
        let mut rows = Vec::new();
        for p in &processed {
            rows.push(
                outbox::find(&self.app.db, p.id)
                    .await
                    .expect("read the outbox")
                    .expect("the row exists"),
            );
        }
        let mut mails = Vec::new();
        let mut ids = HashSet::new();
        for received in arrived {
            let header = received.header("Message-ID").expect("a Message-ID header");
            assert!(ids.insert(header.clone()), "Message-ID {header} sent twice");
            let position = rows
                .iter()
                .position(|r| r.message_id == header)
                .unwrap_or_else(|| panic!("{header} is no outbox row's Message-ID"));
            let row = rows.swap_remove(position);
            assert_eq!(row.status, "sent", "row {} settled as sent", row.id);
            mails.push(Mail {
                row,
                received: received.clone(),
            });
        }
        mails.sort_by_key(|m| m.row.id);
        for mail in &mails {
            check_mail(mail);
        }
        assert!(
            process_due(&self.app.state, convene_store::now())
                .await
                .expect("a second batch")
                .is_empty(),
            "nothing else was due"
        );
        mails
    }

    /// Every email row of the host's bookings, whatever its status.
    pub async fn outbox_rows(&self) -> Vec<EmailRecord> {
        outbox::list(
            &self.app.db,
            Scope::User {
                id: UserId(self.host.id),
            },
            &Filter::default(),
            1000,
        )
        .await
        .expect("list the outbox")
    }
}

pub(super) fn uid_of(booking: &Value) -> String {
    booking["uid"].as_str().expect("booking uid").to_owned()
}

/// "20300107T100000Z" for an API instant like "2030-01-07T10:00:00.000Z".
pub(super) fn ics_time(api: &Value) -> String {
    let at: jiff::Timestamp = api.as_str().expect("an instant").parse().expect("an RFC 3339 instant");
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// "Intro between Olivia Organizer and Alex Attendee", the title a booking of "Intro" gets.
pub(super) fn title(event: &str) -> String {
    format!("{event} between {HOST_NAME} and {BOOKER_NAME}")
}

pub(super) fn intro() -> Value {
    json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 })
}

pub(super) fn needs_approval() -> Value {
    json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } })
}
