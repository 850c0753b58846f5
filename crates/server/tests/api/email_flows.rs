//! Which emails each booking flow produces, their recipients, headers, bodies and calendar invites.
//!
//! Every test drives the real API over HTTP, then runs the outbox worker one batch at a time
//! ([`process_due`]) against an in-process SMTP server on a real socket, and reads what arrived with
//! parsers we did not write: `mail-parser` for the MIME message and `icalendar`'s parser for the
//! invite. Each received message is tied to its outbox row by its Message-ID.

use crate::helpers::{Answer, Person, TestApp};
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES};
use convene_core::{EmailAddress, HeaderText};
use convene_server::ServerSettings;
use convene_server::email::worker::process_due;
use convene_server::email::{EmailSettings, Security, SmtpServer, TransportConfig};
use convene_store::now_ms;
use convene_store::outbox::{self, EmailRecord, Filter, Scope, Settlement};
use convene_testkit::{FakeSmtp, FakeSmtpConfig, Received};
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

const FROM_EMAIL: &str = "bookings@convene.test";
const FROM_NAME: &str = "Convene Bookings";
/// The EHLO name, and so the domain of every Message-ID.
const HELLO: &str = "convene.test";
const HOST: &str = "olivia@example.test";
const HOST_NAME: &str = "Olivia Organizer";
const BOOKER: &str = "alex@example.test";
const BOOKER_NAME: &str = "Alex Attendee";
/// A Monday, inside the host's 09:00–17:00 UTC availability.
const MONDAY_10: &str = "2030-01-07T10:00:00Z";

const KIND_SCHEDULED_ATTENDEE: &str = "booking_scheduled_attendee";
const KIND_SCHEDULED_ORGANIZER: &str = "booking_scheduled_organizer";

/// A server whose platform transport is a fake SMTP server (plain, on 127.0.0.1), and a host with one event type.
struct Flow {
    app: TestApp,
    smtp: FakeSmtp,
    host: Person,
    event: i64,
}

/// One email that went out: its outbox row and what the SMTP server received.
struct Mail {
    row: EmailRecord,
    received: Received,
}

/// The calendar object of an email, as the `icalendar` parser reads it.
#[derive(Debug, Clone)]
struct Ics {
    method: String,
    uid: String,
    sequence: i64,
    status: String,
    start: String,
    end: String,
    summary: String,
    description: Option<String>,
    organizer: String,
    attendees: Vec<String>,
    /// The text as sent (folded, CRLF).
    raw: String,
}

/// (kind, recipient, Reply-To, subject) of an email.
type Expected<'a> = (&'a str, &'a str, &'a str, &'a str);

impl Flow {
    /// A host named [`HOST_NAME`] (profile zone Europe/London) available 09:00–17:00 UTC on weekdays, with
    /// `event` as their event type.
    async fn start(event: Value) -> Flow {
        let smtp = FakeSmtp::start(FakeSmtpConfig::default()).await;
        let app = TestApp::spawn_with(ServerSettings {
            secure_cookies: false,
            email: EmailSettings {
                transport: TransportConfig::Smtp(SmtpServer {
                    host: "127.0.0.1".to_owned(),
                    port: smtp.port(),
                    security: Security::Plain,
                    credentials: None,
                }),
                from_email: EmailAddress::parse("from_email", FROM_EMAIL).expect("a valid From"),
                from_name: HeaderText::parse("from_name", FROM_NAME).expect("a valid From name"),
                hello_name: HELLO.to_owned(),
                ..EmailSettings::default()
            },
            ..ServerSettings::default()
        })
        .await;
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
    async fn event_type(&self, event: Value) -> i64 {
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
    async fn try_book(&self, event: i64, start: &str, attendee: (&str, &str, &str), guests: &[&str]) -> Answer {
        let (name, email, zone) = attendee;
        let body = json!({ "eventTypeId": event, "start": start,
            "attendee": { "name": name, "email": email, "timeZone": zone }, "guests": guests });
        self.app
            .versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
            .await
    }

    /// Books the flow's event as [`BOOKER`] (in Europe/Paris); returns the booking.
    async fn book(&self, start: &str, guests: &[&str]) -> Value {
        self.try_book(self.event, start, (BOOKER_NAME, BOOKER, "Europe/Paris"), guests)
            .await
            .expect_success(StatusCode::CREATED)
            .clone()
    }

    /// `POST /v2/bookings/{uid}/{action}` as the host.
    async fn act(&self, uid: &str, action: &str, body: Value) -> Answer {
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
    async fn send(&self) -> Vec<Mail> {
        let before = self.smtp.messages().len();
        let processed = process_due(&self.app.state, now_ms()).await.expect("a worker batch");
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
            self.smtp
                .wait_for_messages(before + processed.len(), Duration::from_secs(5))
                .await
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
            process_due(&self.app.state, now_ms())
                .await
                .expect("a second batch")
                .is_empty(),
            "nothing else was due"
        );
        mails
    }

    /// Every email row of the host's bookings, whatever its status.
    async fn outbox_rows(&self) -> Vec<EmailRecord> {
        outbox::list(&self.app.db, Scope::User { id: self.host.id }, &Filter::default(), 1000)
            .await
            .expect("list the outbox")
    }
}

fn uid_of(booking: &Value) -> String {
    booking["uid"].as_str().expect("booking uid").to_owned()
}

/// "20300107T100000Z" for an API instant like "2030-01-07T10:00:00.000Z".
fn ics_time(api: &Value) -> String {
    let at: jiff::Timestamp = api.as_str().expect("an instant").parse().expect("an RFC 3339 instant");
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn parse(mail: &Mail) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(&mail.received.data)
        .expect("mail-parser reads the message")
}

/// The MIME tree, one part a line, indented by depth: `type/subtype`, the calendar method, and attachments'
/// file names.
fn tree(message: &mail_parser::Message<'_>) -> Vec<String> {
    fn walk(message: &mail_parser::Message<'_>, id: u32, depth: usize, out: &mut Vec<String>) {
        let part = message.part(id).expect("a part");
        let ct = part.content_type().expect("every part has a Content-Type");
        let mut line = format!(
            "{}{}/{}",
            "  ".repeat(depth),
            ct.ctype(),
            ct.subtype().unwrap_or_default()
        );
        if let Some(method) = ct.attribute("method") {
            line.push_str(&format!("; method={method}"));
        }
        if let Some(disposition) = part.content_disposition() {
            line.push_str(&format!(
                " [{} {}]",
                disposition.ctype(),
                disposition.attribute("filename").unwrap_or_default()
            ));
        }
        out.push(line);
        for child in part.sub_parts().unwrap_or_default() {
            walk(message, *child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(message, 0, 0, &mut out);
    out
}

fn tree_with_invite(method: &str) -> Vec<String> {
    vec![
        "multipart/mixed".to_owned(),
        "  multipart/alternative".to_owned(),
        "    text/plain".to_owned(),
        "    text/html".to_owned(),
        format!("    text/calendar; method={method}"),
        "  application/ics [attachment invite.ics]".to_owned(),
    ]
}

fn tree_without_invite() -> Vec<String> {
    vec![
        "multipart/alternative".to_owned(),
        "  text/plain".to_owned(),
        "  text/html".to_owned(),
    ]
}

/// Parts of `message` whose type is `ctype/subtype`.
fn parts_of<'m>(
    message: &'m mail_parser::Message<'m>,
    ctype: &str,
    subtype: &str,
) -> Vec<&'m mail_parser::MessagePart<'m>> {
    message
        .parts
        .iter()
        .filter(|p| p.is_content_type(ctype, subtype))
        .collect()
}

/// The one `ctype/subtype` part's text. Text bodies travel with CRLF line ends (RFC 5322); they are compared with
/// the stored `\n` form, the calendar keeps its own CRLF.
fn only_text(message: &mail_parser::Message<'_>, ctype: &str, subtype: &str) -> String {
    let parts = parts_of(message, ctype, subtype);
    assert_eq!(parts.len(), 1, "one {ctype}/{subtype} part");
    let text = parts[0].text_contents().expect("text");
    if subtype == "calendar" {
        text.to_owned()
    } else {
        text.replace("\r\n", "\n")
    }
}

/// Parts sent with `Content-Disposition: attachment` (mail-parser also counts the inline calendar among its
/// "attachments", being neither the text nor the HTML body).
fn attached<'m>(message: &'m mail_parser::Message<'m>) -> Vec<&'m mail_parser::MessagePart<'m>> {
    message
        .parts
        .iter()
        .filter(|p| p.content_disposition().is_some_and(|d| d.ctype() == "attachment"))
        .collect()
}

/// What every email must satisfy: envelope and To name the row's recipient, From is the platform's, Reply-To and
/// Subject are the row's, the Message-ID is the row's, the MIME tree holds text and HTML alternatives and — for
/// invites — the calendar object inline (with its method) and as `invite.ics`, both exactly the row's, and that
/// calendar object parses.
fn check_mail(mail: &Mail) {
    let row = &mail.row;
    let what = format!("{} to {}", row.kind, row.to_email);
    assert_eq!(mail.received.mail_from, FROM_EMAIL, "{what}: envelope sender");
    assert_eq!(
        mail.received.rcpt_to,
        std::slice::from_ref(&row.to_email),
        "{what}: envelope recipients"
    );
    assert_eq!(
        mail.received.header("Message-ID").as_deref(),
        Some(row.message_id.as_str()),
        "{what}"
    );
    assert!(
        row.message_id.starts_with('<') && row.message_id.ends_with(&format!("@{HELLO}>")),
        "{what}: {}",
        row.message_id
    );

    let message = parse(mail);
    let first = |a: Option<&mail_parser::Address<'_>>| {
        let list: Vec<(Option<String>, Option<String>)> = a
            .map(|a| {
                a.iter()
                    .map(|m| (m.name().map(str::to_owned), m.address().map(str::to_owned)))
                    .collect()
            })
            .unwrap_or_default();
        assert!(list.len() <= 1, "{what}: at most one mailbox: {list:?}");
        list.into_iter().next()
    };
    assert_eq!(
        first(message.from()),
        Some((Some(FROM_NAME.to_owned()), Some(FROM_EMAIL.to_owned()))),
        "{what}: From"
    );
    assert_eq!(
        first(message.to()),
        Some((row.to_name.clone(), Some(row.to_email.clone()))),
        "{what}: To"
    );
    assert_eq!(
        first(message.reply_to()),
        row.reply_to_email
            .as_ref()
            .map(|e| (row.reply_to_name.clone(), Some(e.clone()))),
        "{what}: Reply-To"
    );
    assert_eq!(message.subject(), Some(row.subject.as_str()), "{what}: Subject");
    assert_eq!(
        message.message_id().map(|id| format!("<{id}>")).as_deref(),
        Some(row.message_id.as_str()),
        "{what}"
    );
    assert!(message.date().is_some(), "{what}: a Date header");

    match (&row.ics, &row.ics_method) {
        (Some(ics), Some(method)) => {
            assert_eq!(tree(&message), tree_with_invite(method), "{what}: MIME structure");
            assert_eq!(only_text(&message, "text", "calendar"), *ics, "{what}: inline calendar");
            let attachments = attached(&message);
            assert_eq!(attachments.len(), 1, "{what}: one attachment");
            assert_eq!(attachments[0].attachment_name(), Some("invite.ics"));
            assert_eq!(
                std::str::from_utf8(attachments[0].contents()).expect("UTF-8 attachment"),
                ics,
                "{what}: attached calendar"
            );
            let parsed = parse_ics(ics);
            assert_eq!(&parsed.method, method, "{what}: METHOD");
        }
        (None, None) => assert_eq!(tree(&message), tree_without_invite(), "{what}: MIME structure"),
        other => panic!("{what}: a calendar without a method or the reverse: {other:?}"),
    }
    assert_eq!(only_text(&message, "text", "plain"), row.body_text, "{what}: text body");
    assert_eq!(only_text(&message, "text", "html"), row.body_html, "{what}: HTML body");
}

impl Mail {
    fn kind(&self) -> &str {
        &self.row.kind
    }

    fn text(&self) -> String {
        only_text(&parse(self), "text", "plain")
    }

    fn html(&self) -> String {
        only_text(&parse(self), "text", "html")
    }

    /// The attached invite, parsed.
    fn ics(&self) -> Ics {
        let message = parse(self);
        let attachment = *attached(&message).first().expect("an invite attached");
        parse_ics(std::str::from_utf8(attachment.contents()).expect("UTF-8"))
    }

    fn has_ics(&self) -> bool {
        self.row.ics.is_some()
    }
}

/// Reads a calendar with `icalendar`'s parser: one VCALENDAR holding one VEVENT.
fn parse_ics(raw: &str) -> Ics {
    let unfolded = icalendar::parser::unfold(raw);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{raw}"));
    let calendar_prop = |name: &str| {
        calendar
            .properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.as_str().to_owned())
    };
    assert_eq!(calendar_prop("VERSION").as_deref(), Some("2.0"));
    let events: Vec<_> = calendar.components.iter().filter(|c| c.name == "VEVENT").collect();
    assert_eq!(events.len(), 1, "one VEVENT:\n{raw}");
    assert_eq!(calendar.components.len(), 1, "nothing but the VEVENT:\n{raw}");
    let event = events[0];
    let prop = |name: &str| event.find_prop(name).map(|p| p.val.as_str().to_owned());
    let required = |name: &str| prop(name).unwrap_or_else(|| panic!("no {name}:\n{raw}"));
    for timed in ["DTSTART", "DTEND", "DTSTAMP"] {
        let p = event.find_prop(timed).expect("a time");
        assert!(p.params.is_empty(), "{timed} is UTC, without TZID: {:?}", p.params);
        assert!(p.val.as_str().ends_with('Z'), "{timed} in UTC: {}", p.val.as_str());
    }
    let mailto = |value: &str| {
        value
            .strip_prefix("mailto:")
            .unwrap_or_else(|| panic!("a mailto: address: {value}"))
            .to_owned()
    };
    Ics {
        method: calendar_prop("METHOD").expect("a METHOD"),
        uid: required("UID"),
        sequence: required("SEQUENCE").parse().expect("a numeric SEQUENCE"),
        status: required("STATUS"),
        start: required("DTSTART"),
        end: required("DTEND"),
        summary: required("SUMMARY"),
        description: prop("DESCRIPTION"),
        organizer: mailto(&required("ORGANIZER")),
        attendees: event
            .properties
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .map(|p| mailto(p.val.as_str()))
            .collect(),
        raw: raw.to_owned(),
    }
}

/// (kind, recipient, Reply-To, subject) of each email, sorted.
fn summary(mails: &[Mail]) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = mails
        .iter()
        .map(|m| {
            (
                m.row.kind.clone(),
                m.received.rcpt_to.join(","),
                m.row.reply_to_email.clone().unwrap_or_default(),
                m.row.subject.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

fn assert_emails(mails: &[Mail], expected: &[Expected<'_>]) {
    let mut expected: Vec<_> = expected
        .iter()
        .map(|(k, to, reply, subject)| {
            (
                (*k).to_owned(),
                (*to).to_owned(),
                (*reply).to_owned(),
                (*subject).to_owned(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(summary(mails), expected);
}

/// "Intro between Olivia Organizer and Alex Attendee", the title a booking of "Intro" gets.
fn title(event: &str) -> String {
    format!("{event} between {HOST_NAME} and {BOOKER_NAME}")
}

fn intro() -> Value {
    json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 })
}

#[tokio::test]
async fn a_booking_emails_every_attendee_and_the_organizer_an_invitation() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "locations": [{ "type": "link", "link": "https://meet.example.com/intro", "public": true }] }))
    .await;
    let booking = flow.book(MONDAY_10, &["gus@example.test"]).await;
    assert_eq!(booking["status"], "accepted");
    let t = title("Intro");
    let to_attendee = format!("Confirmed: {t} with {HOST_NAME}");
    let to_organizer = format!("New booking: {t} with {BOOKER_NAME}");

    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (KIND_SCHEDULED_ATTENDEE, BOOKER, HOST, &to_attendee),
            (KIND_SCHEDULED_ATTENDEE, "gus@example.test", HOST, &to_attendee),
            (KIND_SCHEDULED_ORGANIZER, HOST, BOOKER, &to_organizer),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!(ics.method, "REQUEST");
        assert_eq!(ics.uid, booking["icsUid"].as_str().expect("icsUid"));
        assert_eq!(ics.sequence, 0);
        assert_eq!(ics.status, "CONFIRMED");
        assert_eq!(ics.start, ics_time(&booking["start"]));
        assert_eq!(ics.end, ics_time(&booking["end"]));
        assert_eq!(
            (ics.start.as_str(), ics.end.as_str()),
            ("20300107T100000Z", "20300107T103000Z")
        );
        assert_eq!(ics.summary, t);
        assert_eq!(ics.organizer, HOST);
        assert_eq!(ics.attendees, [BOOKER, "gus@example.test"]);

        let text = mail.text();
        assert!(text.contains(&format!("What: {t}")), "{text}");
        assert!(text.contains("Where: https://meet.example.com/intro"), "{text}");
        assert!(
            text.contains(&format!("Booking reference: {}", uid_of(&booking))),
            "{text}"
        );
        // Plain text is not HTML-escaped; the HTML alternative is.
        assert!(text.contains(&format!("{HOST_NAME} <{HOST}> (organizer)")), "{text}");
        let html = mail.html();
        assert!(
            html.contains(&format!("{HOST_NAME} &#60;{HOST}&#62; (organizer)"))
                || html.contains(&format!("{HOST_NAME} &lt;{HOST}&gt; (organizer)")),
            "{html}"
        );
        assert!(!html.contains(&format!("<{HOST}>")), "{html}");
    }
    let text = mails
        .iter()
        .find(|m| m.kind() == KIND_SCHEDULED_ATTENDEE)
        .expect("attendee email")
        .text();
    assert!(text.starts_with("Your booking is confirmed"), "{text}");
}

#[tokio::test]
async fn a_request_asks_the_host_to_approve_and_confirming_sends_the_invitations() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    assert_eq!(booking["status"], "pending");
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_requested_attendee",
                BOOKER,
                HOST,
                &format!("Request sent: {t} with {HOST_NAME}"),
            ),
            (
                "booking_awaiting_approval_organizer",
                HOST,
                BOOKER,
                &format!("Action needed: {BOOKER_NAME} requested {t}"),
            ),
        ],
    );
    assert!(
        mails.iter().all(|m| !m.has_ics()),
        "nothing goes into calendars before the host decides"
    );

    let uid = uid_of(&booking);
    flow.act(&uid, "confirm", json!({}))
        .await
        .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                KIND_SCHEDULED_ATTENDEE,
                BOOKER,
                HOST,
                &format!("Confirmed: {t} with {HOST_NAME}"),
            ),
            (
                KIND_SCHEDULED_ORGANIZER,
                HOST,
                BOOKER,
                &format!("New booking: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("REQUEST", "CONFIRMED"));
        assert_eq!(ics.uid, booking["icsUid"].as_str().expect("icsUid"));
        assert_eq!(ics.start, ics_time(&booking["start"]));
    }
}

#[tokio::test]
async fn declining_a_request_tells_only_the_attendee_why() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    assert_eq!(flow.send().await.len(), 2);
    flow.act(
        &uid_of(&booking),
        "decline",
        json!({ "reason": "Fully booked that week" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[(
            "booking_declined_attendee",
            BOOKER,
            HOST,
            &format!("Declined: {} with {HOST_NAME}", title("Intro")),
        )],
    );
    assert!(
        !mails[0].has_ics(),
        "a request never reached a calendar, so there is nothing to cancel"
    );
    let text = mails[0].text();
    assert!(text.contains("Reason: Fully booked that week"), "{text}");
}

#[tokio::test]
async fn cancelling_sends_both_sides_a_cancel_of_the_same_invite() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    flow.act(&uid_of(&booking), "cancel", json!({ "cancellationReason": "Sick" }))
        .await
        .expect_success(StatusCode::OK);
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_cancelled_attendee",
                BOOKER,
                HOST,
                &format!("Cancelled: {t} with {HOST_NAME}"),
            ),
            (
                "booking_cancelled_organizer",
                HOST,
                BOOKER,
                &format!("Cancelled: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("CANCEL", "CANCELLED"));
        assert_eq!(ics.uid, original.uid, "the cancel names the invite it removes");
        assert!(
            ics.sequence > original.sequence,
            "{} > {}",
            ics.sequence,
            original.sequence
        );
        assert_eq!(
            (ics.start.as_str(), ics.end.as_str()),
            (original.start.as_str(), original.end.as_str())
        );
        assert_eq!(ics.organizer, HOST);
        assert_eq!(ics.attendees, [BOOKER]);
        let text = mail.text();
        assert!(text.contains("Reason: Sick"), "{text}");
        assert!(text.starts_with("This event has been cancelled"), "{text}");
    }
}

#[tokio::test]
async fn rescheduling_updates_the_same_invite_with_a_higher_sequence_each_time() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    assert_eq!(original.sequence, 0);

    // The booker moves it (anonymously, with the booking's uid), from 10:00 to 11:00 UTC.
    let moved = flow
        .app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{}/reschedule", uid_of(&booking)),
            None,
            Some(json!({ "start": "2030-01-07T11:00:00Z" })),
            Some(BOOKINGS),
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_rescheduled_attendee",
                BOOKER,
                HOST,
                &format!("Rescheduled: {t} with {HOST_NAME}"),
            ),
            (
                "booking_rescheduled_organizer",
                HOST,
                BOOKER,
                &format!("Rescheduled: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    let mut first_move = None;
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("REQUEST", "CONFIRMED"));
        assert_eq!(ics.uid, original.uid, "calendars update the event rather than add one");
        assert!(
            ics.sequence > original.sequence,
            "{} > {}",
            ics.sequence,
            original.sequence
        );
        assert_eq!(ics.start, ics_time(&moved["start"]));
        assert_eq!(
            (ics.start.as_str(), ics.end.as_str()),
            ("20300107T110000Z", "20300107T113000Z")
        );
        first_move = Some(ics.sequence);
        // Each reader sees the new and the old time in their own zone: the booker Paris, the host London.
        let text = mail.text();
        let (now, before) = if mail.row.to_email == BOOKER {
            (
                "When: Monday, 7 January 2030, 12:00 – 12:30 (Europe/Paris)",
                "Previously: Monday, 7 January 2030, 11:00 – 11:30 (Europe/Paris)",
            )
        } else {
            (
                "When: Monday, 7 January 2030, 11:00 – 11:30 (Europe/London)",
                "Previously: Monday, 7 January 2030, 10:00 – 10:30 (Europe/London)",
            )
        };
        assert!(text.contains(now) && text.contains(before), "{text}");
    }
    let first_move = first_move.expect("invites");

    // Moving it again raises the sequence again.
    flow.act(
        &uid_of(&moved),
        "reschedule",
        json!({ "start": "2030-01-08T09:00:00Z" }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!(ics.uid, original.uid);
        assert!(ics.sequence > first_move, "{} > {first_move}", ics.sequence);
        assert_eq!(ics.start, "20300108T090000Z");
    }
}

#[tokio::test]
async fn rescheduled_emails_carry_the_reason() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "reschedule",
        json!({ "start": "2030-01-07T11:00:00Z", "reschedulingReason": "Train delayed" }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let text = mail.text();
        assert!(text.contains("Reason: Train delayed"), "{}: {text}", mail.kind());
    }
}

#[tokio::test]
async fn requesting_a_reschedule_cancels_the_invite_on_both_sides() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    flow.act(&uid_of(&booking), "request-reschedule", json!({}))
        .await
        .expect_success(StatusCode::OK);
    let t = title("Intro");
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[
            (
                "booking_reschedule_requested_attendee",
                BOOKER,
                HOST,
                &format!("Please pick a new time: {t} with {HOST_NAME}"),
            ),
            (
                "booking_reschedule_requested_organizer",
                HOST,
                BOOKER,
                &format!("Reschedule requested: {t} with {BOOKER_NAME}"),
            ),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("CANCEL", "CANCELLED"));
        assert_eq!(ics.uid, original.uid);
        assert!(ics.sequence > original.sequence);
    }
    let to_booker = mails.iter().find(|m| m.row.to_email == BOOKER).expect("to the booker");
    let text = to_booker.text();
    assert!(text.contains(&format!("Please book again with {HOST_NAME}")), "{text}");
}

#[tokio::test]
async fn reschedule_requests_carry_the_hosts_reason() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "request-reschedule",
        json!({ "reschedulingReason": "Conflict came up" }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let text = mail.text();
        assert!(text.contains("Reason: Conflict came up"), "{}: {text}", mail.kind());
    }
}

#[tokio::test]
async fn adding_guests_invites_them_and_tells_everyone_else() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let original = flow.send().await[0].ics();
    flow.act(
        &uid_of(&booking),
        "guests",
        json!({ "guests": [{ "email": "gee@example.test", "name": "Gee One", "timeZone": "Asia/Tokyo" }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let t = title("Intro");
    let mails = flow.send().await;
    let added = "Guests added: ".to_owned() + &t;
    assert_emails(
        &mails,
        &[
            (
                "booking_guest_invited",
                "gee@example.test",
                HOST,
                &format!("Invitation: {t} with {HOST_NAME}"),
            ),
            ("booking_guests_added", BOOKER, HOST, &added),
            ("booking_guests_added", HOST, BOOKER, &added),
        ],
    );
    for mail in &mails {
        let ics = mail.ics();
        assert_eq!((ics.method.as_str(), ics.status.as_str()), ("REQUEST", "CONFIRMED"));
        assert_eq!(ics.uid, original.uid);
        assert!(
            ics.sequence > original.sequence,
            "the updated invite supersedes the first"
        );
        assert_eq!(ics.attendees, [BOOKER, "gee@example.test"]);
        if mail.kind() == "booking_guests_added" {
            let text = mail.text();
            assert!(text.contains("Added: Gee One."), "{text}");
        }
    }
    let guest = mails
        .iter()
        .find(|m| m.kind() == "booking_guest_invited")
        .expect("the invitation");
    assert_eq!(guest.row.to_name.as_deref(), Some("Gee One"));
    let text = guest.text();
    assert!(
        text.contains("When: Monday, 7 January 2030, 19:00 – 19:30 (Asia/Tokyo)"),
        "the guest reads their own zone: {text}"
    );
}

fn needs_approval() -> Value {
    json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } })
}

#[tokio::test]
async fn guests_of_an_unconfirmed_booking_get_no_confirmed_invite() {
    let flow = Flow::start(needs_approval()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    assert_eq!(booking["status"], "pending");
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "guests",
        json!({ "guests": [{ "email": "gee@example.test" }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 3);
    let confirmed: Vec<String> = mails
        .iter()
        .filter(|m| m.has_ics() && m.ics().status == "CONFIRMED")
        .map(|m| format!("{} to {}", m.kind(), m.row.to_email))
        .collect();
    assert!(
        confirmed.is_empty(),
        "confirmed invites before the host approved: {confirmed:?}"
    );
}

#[tokio::test]
async fn rescheduling_a_request_asks_the_host_to_approve_again() {
    let flow = Flow::start(needs_approval()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    // The booker moves their request (anonymously, with the booking's uid).
    let moved = flow
        .app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{}/reschedule", uid_of(&booking)),
            None,
            Some(json!({ "start": "2030-01-07T11:00:00Z" })),
            Some(BOOKINGS),
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    assert_eq!(moved["status"], "pending");
    let mails = flow.send().await;
    let kinds: Vec<&str> = mails.iter().map(Mail::kind).collect();
    assert!(
        kinds.contains(&"booking_awaiting_approval_organizer"),
        "the host must approve the new time: {kinds:?}"
    );
    assert!(
        mails.iter().all(|m| !m.has_ics() || m.ics().status != "CONFIRMED"),
        "no confirmed invite for a pending booking: {kinds:?}"
    );
}

#[tokio::test]
async fn marking_an_absence_tells_the_organizer() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    flow.send().await;
    flow.act(
        &uid_of(&booking),
        "mark-absent",
        json!({ "attendees": [{ "email": BOOKER, "absent": true }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    assert_emails(
        &mails,
        &[(
            "booking_no_show_marked_organizer",
            HOST,
            BOOKER,
            &format!("Attendance updated: {} with {BOOKER_NAME}", title("Intro")),
        )],
    );
    assert!(!mails[0].has_ics(), "attendance changes nothing in calendars");
    let text = mails[0].text();
    assert!(text.contains(&format!("Marked as absent: {BOOKER_NAME}.")), "{text}");
}

#[tokio::test]
async fn event_email_settings_silence_attendees_or_hosts() {
    let flow = Flow::start(
        json!({ "title": "Quiet attendees", "slug": "quiet-attendees", "lengthInMinutes": 30,
        "emailSettings": { "disableEmailsToAttendees": true } }),
    )
    .await;
    let quiet_hosts = flow
        .event_type(
            json!({ "title": "Quiet hosts", "slug": "quiet-hosts", "lengthInMinutes": 30,
            "emailSettings": { "disableEmailsToHosts": true } }),
        )
        .await;
    let first = flow
        .try_book(flow.event, MONDAY_10, ("Ann", "ann@example.test", "UTC"), &[])
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    let second = flow
        .try_book(
            quiet_hosts,
            "2030-01-07T11:00:00Z",
            ("Ben", "ben@example.test", "UTC"),
            &[],
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    let kinds_and_recipients = |mails: &[Mail]| {
        let mut out: Vec<(String, String)> = mails
            .iter()
            .map(|m| (m.row.kind.clone(), m.row.to_email.clone()))
            .collect();
        out.sort();
        out
    };
    let mails = flow.send().await;
    assert_eq!(
        kinds_and_recipients(&mails),
        [
            (KIND_SCHEDULED_ATTENDEE.to_owned(), "ben@example.test".to_owned()),
            (KIND_SCHEDULED_ORGANIZER.to_owned(), HOST.to_owned()),
        ]
    );
    let to_host = mails.iter().find(|m| m.row.to_email == HOST).expect("to the host");
    assert_eq!(to_host.row.reply_to_email.as_deref(), Some("ann@example.test"));

    for booking in [&first, &second] {
        flow.act(&uid_of(booking), "cancel", json!({}))
            .await
            .expect_success(StatusCode::OK);
    }
    let mails = flow.send().await;
    assert_eq!(
        kinds_and_recipients(&mails),
        [
            ("booking_cancelled_attendee".to_owned(), "ben@example.test".to_owned()),
            ("booking_cancelled_organizer".to_owned(), HOST.to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_change_that_fails_queues_no_email() {
    let flow = Flow::start(intro()).await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let uid = uid_of(&booking);
    assert_eq!(flow.send().await.len(), 2);
    let before = flow.outbox_rows().await.len();
    assert_eq!(before, 2);

    // The slot is taken.
    flow.try_book(flow.event, MONDAY_10, ("Late", "late@example.test", "UTC"), &[])
        .await
        .expect_error(StatusCode::CONFLICT);
    // Only pending bookings can be confirmed or declined.
    flow.act(&uid, "confirm", json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);
    flow.act(&uid, "decline", json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);
    // A guest already on the booking.
    flow.act(&uid, "guests", json!({ "guests": [{ "email": BOOKER }] }))
        .await
        .expect_field_error("guests[0].email");
    // Marking absences fails after the first update ran inside the transaction: both must roll back.
    flow.act(
        &uid,
        "mark-absent",
        json!({ "attendees": [{ "email": BOOKER, "absent": true }, { "email": "stranger@example.test", "absent": true }] }),
    )
    .await
    .expect_field_error("attendees");
    let now = flow
        .app
        .versioned(
            Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&flow.host.key),
            None,
            Some(BOOKINGS),
        )
        .await;
    assert_eq!(
        now.expect_success(StatusCode::OK)["attendees"][0]["absent"],
        false,
        "the failed request left no trace"
    );

    assert_eq!(flow.outbox_rows().await.len(), before, "no email was queued");
    assert!(flow.send().await.is_empty());
    assert_eq!(flow.smtp.messages().len(), 2);

    // A cancellation of a cancelled booking fails too, after the successful one queued its pair.
    flow.act(&uid, "cancel", json!({})).await.expect_success(StatusCode::OK);
    flow.act(&uid, "cancel", json!({}))
        .await
        .expect_error(StatusCode::CONFLICT);
    assert_eq!(flow.send().await.len(), 2);
    assert_eq!(flow.outbox_rows().await.len(), before + 2);
}

/// Headers (unfolded, in order), the MIME tree, the decoded text body and the invite of `mail`, for a snapshot.
fn rendered(mail: &Mail) -> String {
    let raw = mail.received.data_text();
    let head = raw.split("\r\n\r\n").next().expect("a header section");
    let headers = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let message = parse(mail);
    let mut out = format!(
        "--- headers ---\n{}\n--- structure ---\n{}\n--- text/plain ---\n{}",
        headers.replace("\r\n", "\n"),
        tree(&message).join("\n"),
        mail.text()
    );
    if let Some(ics) = &mail.row.ics {
        out.push_str("\n--- invite.ics ---\n");
        out.push_str(&ics.replace("\r\n", "\n"));
    }
    out
}

#[tokio::test]
async fn rendered_emails_match_their_snapshots() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "description": "Bring your questions.",
        "locations": [{ "type": "link", "link": "https://meet.example.com/intro", "public": true }] }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let uid = uid_of(&booking);
    let scheduled = flow.send().await;
    flow.act(&uid, "cancel", json!({ "cancellationReason": "Sick" }))
        .await
        .expect_success(StatusCode::OK);
    let cancelled = flow.send().await;
    let pick = |mails: &[Mail], kind: &str| {
        rendered(
            mails
                .iter()
                .find(|m| m.kind() == kind)
                .unwrap_or_else(|| panic!("a {kind} email")),
        )
    };

    let uid_filter = uid.clone();
    insta::with_settings!({
        filters => vec![
            (uid_filter.as_str(), "[booking-uid]"),
            (r"(?m)^Message-ID: <[A-Za-z0-9_-]+@convene\.test>$", "Message-ID: <[message-id]@convene.test>"),
            (r"(?m)^Date: .*$", "Date: [date]"),
            (r#"boundary="[^"]+""#, r#"boundary="[boundary]""#),
            (r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:[dtstamp]"),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        ],
    }, {
        insta::assert_snapshot!("scheduled_attendee", pick(&scheduled, KIND_SCHEDULED_ATTENDEE));
        insta::assert_snapshot!("cancelled_organizer", pick(&cancelled, "booking_cancelled_organizer"));
    });
}

#[tokio::test]
async fn long_unicode_text_folds_within_75_octets_and_survives_an_independent_parser() {
    let description = "Agenda 🗓️: 会議の議題と資料の確認、次のステップ; budget, timeline \\ risks.\n\
                       Second line — ünïcødé ✅ 👩‍👩‍👧‍👦 漢字かなカナ한국어 العربية. "
        .repeat(6);
    let description = description.trim_end().to_owned();
    let flow = Flow::start(json!({ "title": "Kickoff 🚀 キックオフ, part 1; v2", "slug": "kickoff",
        "lengthInMinutes": 30, "description": description }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let t = title("Kickoff 🚀 キックオフ, part 1; v2");
    assert_eq!(booking["title"], t.as_str());
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let message = parse(mail);
        let attachment = *attached(&message).first().expect("invite.ics");
        let bytes = attachment.contents();
        assert!(bytes.ends_with(b"END:VCALENDAR\r\n"));
        let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        assert_eq!(lines.pop(), Some(&b""[..]), "ends with a line break");
        for line in lines {
            let line = line.strip_suffix(b"\r").expect("every line ends with CRLF");
            assert!(
                line.len() <= 75,
                "{} octets: {}",
                line.len(),
                String::from_utf8_lossy(line)
            );
            std::str::from_utf8(line).expect("folding never splits a character");
        }
        let ics = mail.ics();
        assert!(
            ics.raw.lines().any(|l| l.starts_with(' ')),
            "the long description was folded"
        );
        assert_eq!(
            ics.description.as_deref(),
            Some(description.as_str()),
            "DESCRIPTION round-trips"
        );
        assert_eq!(ics.summary, t, "SUMMARY round-trips");
        // The subject goes through RFC 2047 encoding and comes back the same.
        assert_eq!(message.subject(), Some(mail.row.subject.as_str()));
        assert!(mail.row.subject.contains("🚀 キックオフ"), "{}", mail.row.subject);
        let text = mail.text();
        assert!(text.contains(&format!("Additional notes: {description}")), "{text}");
    }
}

#[tokio::test]
async fn dates_are_shown_in_each_readers_time_zone() {
    let flow = Flow::start(intro()).await;
    flow.app
        .patch(
            "/v2/me",
            &flow.host.key,
            json!({ "timeZone": "Asia/Tokyo", "timeFormat": 12 }),
        )
        .await
        .expect_success(StatusCode::OK);
    // 15:00 UTC in winter: 10:00 in New York (UTC−5), 00:00 the next day in Tokyo.
    let winter = flow
        .try_book(
            flow.event,
            "2030-01-07T15:00:00Z",
            (BOOKER_NAME, BOOKER, "America/New_York"),
            &[],
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    // 15:00 UTC in summer: 11:00 in New York (daylight saving, UTC−4).
    flow.try_book(
        flow.event,
        "2030-07-01T15:00:00Z",
        (BOOKER_NAME, BOOKER, "America/New_York"),
        &[],
    )
    .await
    .expect_success(StatusCode::CREATED);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 4);
    let text_of = |kind: &str, start: &str| {
        let mail = mails
            .iter()
            .find(|m| m.kind() == kind && m.ics().start == start)
            .unwrap_or_else(|| panic!("{kind} at {start}"));
        mail.text()
    };
    let expect = |text: String, when: &str| {
        assert!(text.contains(&format!("When: {when}\n")), "wanted {when:?} in:\n{text}");
    };
    expect(
        text_of(KIND_SCHEDULED_ATTENDEE, "20300107T150000Z"),
        "Monday, 7 January 2030, 10:00 – 10:30 (America/New_York)",
    );
    expect(
        text_of(KIND_SCHEDULED_ORGANIZER, "20300107T150000Z"),
        "Tuesday, 8 January 2030, 12:00 AM – 12:30 AM (Asia/Tokyo)",
    );
    expect(
        text_of(KIND_SCHEDULED_ATTENDEE, "20300701T150000Z"),
        "Monday, 1 July 2030, 11:00 – 11:30 (America/New_York)",
    );
    expect(
        text_of(KIND_SCHEDULED_ORGANIZER, "20300701T150000Z"),
        "Tuesday, 2 July 2030, 12:00 AM – 12:30 AM (Asia/Tokyo)",
    );

    // A guest added later reads the time in the zone given for them.
    flow.act(
        &uid_of(&winter),
        "guests",
        json!({ "guests": [{ "email": "kavya@example.test", "name": "Kavya", "timeZone": "Asia/Kolkata" }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    let invited = mails
        .iter()
        .find(|m| m.kind() == "booking_guest_invited")
        .expect("an invitation");
    expect(invited.text(), "Monday, 7 January 2030, 20:30 – 21:00 (Asia/Kolkata)");
    // The invite itself stays in UTC for everyone.
    for mail in &mails {
        assert_eq!(mail.ics().start, "20300107T150000Z");
    }
}
