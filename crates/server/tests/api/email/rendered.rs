//! What every kind of email looks like — headers, MIME structure, plain text, HTML and invite — as reviewed
//! snapshots (`snapshots/api__email__rendered__<kind>.snap`). Every email is produced the way it is in use: booking
//! emails by the booking flows over the API, account emails by their API routes, the sender-failing alert by a
//! failing sender, the test email by the senders API; each is read back from what the SMTP server received.
//!
//! Volatile values are redacted: Message-IDs, dates, MIME boundaries, booking uids, ports, the reset token and the
//! verification code. The booking emails are read in two time zones (the booker in Europe/Paris, the host in
//! Europe/London, a guest in Asia/Tokyo), so a wrong zone shows.

use super::flows::mime::{attached, only_text, parse_received, tree};
use super::flows::{BOOKER, Flow, MONDAY_10, uid_of};
use super::routing::RoutingRig;
use crate::helpers::email::{WAIT, closed_port, starttls};
use convene_core::TeamId;
use convene_core::email::EmailKind;
use convene_testkit::Received;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeMap;

/// The guest added to the first booking (in Asia/Tokyo).
const GUEST: &str = "gee@example.test";

/// Headers (unfolded, in order), the MIME tree, the text and HTML bodies and the invite of a received message.
fn rendered(received: &Received) -> String {
    let raw = received.data_text();
    let head = raw.split("\r\n\r\n").next().expect("a header section");
    let headers = head.replace("\r\n ", " ").replace("\r\n\t", " ").replace("\r\n", "\n");
    let message = parse_received(received);
    let mut out = format!(
        "--- headers ---\n{headers}\n--- structure ---\n{}\n--- text/plain ---\n{}\n--- text/html ---\n{}",
        tree(&message).join("\n"),
        only_text(&message, "text", "plain"),
        only_text(&message, "text", "html"),
    );
    if let Some(invite) = attached(&message).first() {
        let ics = std::str::from_utf8(invite.contents()).expect("a UTF-8 invite");
        out.push_str("\n--- invite.ics ---\n");
        out.push_str(&ics.replace("\r\n", "\n"));
    }
    out
}

/// Regexes for what changes from run to run, plus `literals` (uids, tokens) replaced by their label.
fn redactions(literals: &[(String, &'static str)]) -> Vec<(String, String)> {
    let mut filters: Vec<(String, String)> = literals
        .iter()
        .map(|(value, label)| (regex_escape(value), (*label).to_owned()))
        .collect();
    for (pattern, label) in [
        (r"(?m)^Message-ID: <[A-Za-z0-9_.-]+@", "Message-ID: <[message-id]@"),
        (r"(?m)^Date: .*$", "Date: [date]"),
        (r#"boundary="[^"]+""#, r#"boundary="[boundary]""#),
        (r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:[dtstamp]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"token=v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", "token=[token]"),
    ] {
        filters.push((pattern.to_owned(), label.to_owned()));
    }
    filters
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// Snapshots every email in `mails` (kind → message), each under its kind's name.
fn assert_snapshots(mails: &BTreeMap<String, Received>, literals: &[(String, &'static str)]) {
    let mut settings = insta::Settings::clone_current();
    for (pattern, label) in redactions(literals) {
        settings.add_filter(&pattern, label);
    }
    settings.set_prepend_module_to_snapshot(true);
    settings.bind(|| {
        for (kind, received) in mails {
            insta::assert_snapshot!(kind.as_str(), rendered(received));
        }
    });
}

/// Every booking email kind, from one host's bookings: a booking, a guest added, a move (with a reason), an
/// absence, a cancellation, a request to reschedule, a request the host declines, and a round-robin reassignment.
#[tokio::test]
async fn booking_emails_match_their_snapshots() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "description": "Bring your questions.",
        "locations": [{ "type": "link", "link": "https://meet.example.com/intro", "public": true }] }))
    .await;
    let mut mails = BTreeMap::new();
    let mut uids = Vec::new();
    // Each kind as the booker or the host gets it (the first sent), and as the added guest gets it.
    let mut keep = |sent: Vec<super::flows::mime::Mail>| {
        for mail in sent {
            let kind = mail.row.kind.to_string();
            if mail.row.to_email == GUEST && kind != EmailKind::BookingGuestInvited.as_str() {
                mails.insert(format!("{kind}_to_the_guest"), mail.received);
            } else {
                mails.entry(kind).or_insert(mail.received);
            }
        }
    };

    let first = flow.book(MONDAY_10, &[]).await;
    uids.push(uid_of(&first));
    keep(flow.send().await);
    let answer = flow
        .act(
            &uid_of(&first),
            "guests",
            json!({ "guests": [{ "email": GUEST, "name": "Gee One", "timeZone": "Asia/Tokyo" }] }),
        )
        .await;
    answer.expect_success(StatusCode::OK);
    keep(flow.send().await);
    let moved = flow
        .app
        .versioned(
            Method::POST,
            &format!("/v2/bookings/{}/reschedule", uid_of(&first)),
            None,
            Some(json!({ "start": "2030-01-07T11:00:00Z", "reschedulingReason": "Train delayed" })),
            Some(crate::scheduling::BOOKINGS),
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    uids.push(uid_of(&moved));
    keep(flow.send().await);
    flow.act(
        &uid_of(&moved),
        "mark-absent",
        json!({ "attendees": [{ "email": BOOKER, "absent": true }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    keep(flow.send().await);

    let cancelled = flow.book("2030-01-07T13:00:00Z", &[]).await;
    uids.push(uid_of(&cancelled));
    flow.send().await;
    flow.act(&uid_of(&cancelled), "cancel", json!({ "cancellationReason": "Sick" }))
        .await
        .expect_success(StatusCode::OK);
    keep(flow.send().await);

    let asked = flow.book("2030-01-07T14:00:00Z", &[]).await;
    uids.push(uid_of(&asked));
    flow.send().await;
    flow.act(
        &uid_of(&asked),
        "request-reschedule",
        json!({ "reschedulingReason": "Conflict came up" }),
    )
    .await
    .expect_success(StatusCode::OK);
    keep(flow.send().await);

    let consult = flow
        .event_type(json!({ "title": "Consult", "slug": "consult", "lengthInMinutes": 45,
            "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } }))
        .await;
    let request = flow
        .try_book(
            consult,
            "2030-01-08T09:00:00Z",
            ("Alex Attendee", BOOKER, "Europe/Paris"),
            &[],
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    uids.push(uid_of(&request));
    keep(flow.send().await);
    flow.act(
        &uid_of(&request),
        "decline",
        json!({ "reason": "Fully booked that week" }),
    )
    .await
    .expect_success(StatusCode::OK);
    keep(flow.send().await);

    // A round-robin booking of a team the host shares with a second host, handed to the second host.
    let second = flow.app.user("sam@example.test").await;
    flow.app
        .patch("/v2/me", &second.key, json!({ "name": "Sam Second" }))
        .await
        .expect_success(StatusCode::OK);
    flow.app
        .versioned(
            Method::POST,
            "/v2/schedules",
            Some(&second.key),
            Some(json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": [
                { "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "startTime": "09:00", "endTime": "17:00" }
            ] })),
            Some(crate::scheduling::SCHEDULES),
        )
        .await
        .expect_success(StatusCode::CREATED);
    let team = flow
        .app
        .post("/v2/teams", &flow.host.key, json!({ "name": "Desk" }))
        .await;
    let team = team.expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    flow.app
        .post(
            &format!("/v2/teams/{team}/memberships"),
            &flow.host.key,
            json!({ "userId": second.id, "role": "MEMBER", "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
    let desk = flow
        .app
        .post(
            &format!("/v2/teams/{team}/event-types"),
            &flow.host.key,
            json!({ "title": "Help desk", "slug": "help", "lengthInMinutes": 30, "schedulingType": "roundRobin",
                "hosts": [{ "userId": flow.host.id }, { "userId": second.id }] }),
        )
        .await;
    let desk = desk.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    let handed = flow
        .try_book(
            desk,
            "2030-01-09T10:00:00Z",
            ("Alex Attendee", BOOKER, "Europe/Paris"),
            &[],
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    assert_eq!(
        handed["hosts"][0]["id"].as_i64(),
        Some(flow.host.id),
        "ties go to the first host"
    );
    uids.push(uid_of(&handed));
    flow.send().await;
    flow.act(
        &format!("{}/reassign", uid_of(&handed)),
        &second.id.to_string(),
        json!({ "reason": "Out sick" }),
    )
    .await
    .expect_success(StatusCode::OK);
    keep(flow.send().await);

    let mut expected: Vec<String> = EmailKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("booking_"))
        .chain(["booking_rescheduled_attendee_to_the_guest".to_owned()])
        .collect();
    expected.sort_unstable();
    assert_eq!(mails.keys().cloned().collect::<Vec<_>>(), expected);
    let literals: Vec<(String, &'static str)> = uids.into_iter().map(|u| (u, "[booking-uid]")).collect();
    assert_snapshots(&mails, &literals);
}

/// The password reset and the verification code, as their API routes send them.
#[tokio::test]
async fn account_emails_match_their_snapshots() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 })).await;
    flow.app
        .request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": super::flows::HOST })),
        )
        .await
        .expect_success(StatusCode::OK);
    flow.app
        .post(
            "/v2/verified-resources/emails/verification-code/request",
            &flow.host.key,
            json!({ "email": "work@example.test" }),
        )
        .await
        .expect_success(StatusCode::OK);
    let mut mails = BTreeMap::new();
    let mut literals = Vec::new();
    for mail in flow.send().await {
        let text = only_text(&parse_received(&mail.received), "text", "plain");
        if mail.row.kind == EmailKind::PasswordReset.as_str() {
            let token = text
                .split("token=")
                .nth(1)
                .and_then(|rest| {
                    rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                        .next()
                })
                .expect("a reset link with its token")
                .to_owned();
            literals.push((token, "[reset-token]"));
        } else {
            let code = mail
                .row
                .subject
                .rsplit(' ')
                .next()
                .expect("the code ends the subject")
                .to_owned();
            literals.push((code, "[code]"));
        }
        mails.insert(mail.row.kind.to_string(), mail.received);
    }
    assert_eq!(
        mails.keys().map(String::as_str).collect::<Vec<_>>(),
        ["email_verification_code", "password_reset"]
    );
    assert_snapshots(&mails, &literals);
}

/// The alert an organization's admins get when a sender starts failing, and a sender's test email.
#[tokio::test]
async fn the_sender_failing_alert_and_the_test_email_match_their_snapshots() {
    let rig = RoutingRig::start(starttls, |s| s.breaker.threshold = 1).await;
    let mut mails = BTreeMap::new();

    let down = rig.smtp_sender(closed_port(), json!({})).await;
    rig.book(rig.event, "bea@example.test").await;
    rig.run().await;
    let alerts = rig.run().await;
    assert!(
        alerts.iter().all(|p| p.kind == EmailKind::SenderFailing.as_str()),
        "{alerts:?}"
    );
    let owner_alert = rig
        .platform()
        .wait_for_messages(4, WAIT)
        .await
        .into_iter()
        .find(|m| m.rcpt_to == [super::routing::OWNER])
        .expect("the owner's alert");
    let page = format!("/settings/organizations/{}/email-senders", rig.org);
    assert!(
        owner_alert.data_text().contains(&page),
        "the alert links the senders page {page}"
    );
    mails.insert(EmailKind::SenderFailing.as_str().to_owned(), owner_alert);

    // The test email of a working sender (another one: the first stays the default).
    let working = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    let tested = rig
        .app()
        .post(
            &format!("{}/{working}/test-email", rig.senders_path()),
            &rig.owner.key,
            json!({ "toEmail": "check@example.com" }),
        )
        .await;
    assert_eq!(
        tested.expect_success(StatusCode::OK)["success"],
        true,
        "{}",
        tested.body
    );
    let test_email = rig.org_smtp.wait_for_messages(1, WAIT).await.remove(0);
    mails.insert("sender_test_email".to_owned(), test_email);
    assert_ne!(down, working);
    assert_snapshots(&mails, &[]);
}

/// A team workflow's reminder, as the attendee (in Asia/Tokyo) gets it: the team's subject and body with the
/// variables filled in, escaped in HTML, times in the attendee's zone.
#[tokio::test]
async fn workflow_email_matches_its_snapshot() {
    use crate::workflows::{Team, ms};
    let team = Team::start(false).await;
    team.create(team.reminder(24)).await;
    team.book("2030-01-07T10:00:00Z", "ada@example.test").await;
    let _ = team.rig.run().await;
    let reminder = team
        .pending()
        .await
        .into_iter()
        .find(|r| r.to_email == "ada@example.test")
        .expect("the attendee's reminder");
    let before = team.rig.platform.messages().len();
    let _ = team.rig.run_at(ms("2030-01-06T10:00:00Z")).await;
    let arrived = team.rig.platform.wait_for_messages(before + 2, WAIT).await;
    let received = crate::helpers::email::find_received(&arrived, &reminder.message_id).clone();
    let mut mails = BTreeMap::new();
    mails.insert(EmailKind::WorkflowEmail.as_str().to_owned(), received);
    assert_snapshots(&mails, &[]);
}

/// A routing form's response, as the form's owner gets it: the answers by label (choices by their label) and
/// where the response was sent, replying to the visitor.
#[tokio::test]
async fn routing_form_response_email_matches_its_snapshot() {
    use convene_store::outbox::{self, Filter, Scope};
    let t = crate::routing_forms::Rig::start().await;
    let form = t.create_form().await;
    t.respond(
        &form,
        json!({"name": "Ada <Lovelace>", "email": "ada@example.test", "Company size": 250, "Topic": "Sales",
               "Tools": ["Alpha", "Beta"], "notes": "Two lines,\nplease", "Phone": "+44 20 7946 0958"}),
    )
    .await;
    let filter = Filter {
        kind: Some(EmailKind::RoutingFormResponse.into()),
        ..Filter::default()
    };
    let row = outbox::list(&t.app().db, Scope::Organization(TeamId(t.org)), &filter, 1)
        .await
        .expect("outbox")
        .remove(0);
    let before = t.rig.platform.messages().len();
    let sent = t.rig.run().await;
    let arrived = t.rig.platform.wait_for_messages(before + sent.len(), WAIT).await;
    let received = crate::helpers::email::find_received(&arrived, &row.message_id).clone();
    let mut mails = BTreeMap::new();
    mails.insert(EmailKind::RoutingFormResponse.as_str().to_owned(), received);
    assert_snapshots(&mails, &[]);
}

/// Each kind of email has a reviewed snapshot, so a new kind cannot go without one.
#[test]
fn every_kind_of_email_has_a_snapshot() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/email/snapshots");
    let kinds = EmailKind::ALL.iter().map(|k| k.as_str()).chain(["sender_test_email"]);
    let missing: Vec<&str> = kinds
        .filter(|kind| !std::path::Path::new(&format!("{folder}/api__email__rendered__{kind}.snap")).is_file())
        .collect();
    assert!(missing.is_empty(), "no snapshot for {missing:?}");
}

/// Changing the account's email: the confirmation (code and link) to the new address, then the notice to the old one.
#[tokio::test]
async fn email_change_emails_match_their_snapshots() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 })).await;
    flow.app
        .request(
            Method::PATCH,
            "/v2/me",
            Some(&flow.host.key),
            Some(json!({ "email": "new-address@example.test" })),
        )
        .await
        .expect_success(StatusCode::OK);
    let mut mails = BTreeMap::new();
    let mut literals = Vec::new();
    let confirmation = flow.send().await.into_iter().next().expect("the confirmation email");
    assert_eq!(confirmation.row.kind, EmailKind::EmailChangeConfirmation.as_str());
    assert_eq!(confirmation.received.rcpt_to, ["new-address@example.test"]);
    let code = confirmation
        .row
        .subject
        .rsplit(' ')
        .next()
        .expect("the code ends the subject")
        .to_owned();
    let text = only_text(&parse_received(&confirmation.received), "text", "plain");
    let token = text
        .split("token=")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
        })
        .expect("a confirmation link with its token")
        .to_owned();
    literals.push((code.clone(), "[code]"));
    literals.push((token, "[link-token]"));
    mails.insert(confirmation.row.kind.to_string(), confirmation.received);

    flow.app
        .request(
            Method::POST,
            "/v2/me/email/confirm",
            Some(&flow.host.key),
            Some(json!({ "code": code })),
        )
        .await
        .expect_success(StatusCode::OK);
    let notice = flow
        .send()
        .await
        .into_iter()
        .next()
        .expect("the notice to the old address");
    assert_eq!(notice.row.kind, EmailKind::EmailChanged.as_str());
    assert_eq!(notice.received.rcpt_to, [super::flows::HOST]);
    mails.insert(notice.row.kind.to_string(), notice.received);
    assert_snapshots(&mails, &literals);
}

/// An invitation into an organization, as the invitee gets it (always through the platform).
#[tokio::test]
async fn the_invitation_matches_its_snapshot() {
    use convene_core::{EmailAddress, Role, UserId};
    use convene_server::accounts::invitations::{InviteTo, invite};
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30 })).await;
    let fields = convene_store::teams::TeamFields {
        name: Some("Acme Scheduling".into()),
        slug: Some("acme-scheduling".into()),
        ..convene_store::teams::TeamFields::default()
    };
    let org = convene_server::tenancy::create_organization(&flow.app.db, &fields, UserId(flow.host.id))
        .await
        .expect("org");
    let inviter = convene_store::users::find(&flow.app.db, UserId(flow.host.id))
        .await
        .expect("find")
        .expect("the host");
    let to = InviteTo {
        group: &org,
        organization: Some(org.team_id()),
        inviter_role: Role::Owner,
    };
    let invitee = EmailAddress::parse("email", "new-colleague@example.test").expect("address");
    invite(
        &flow.app.db,
        &flow.app.state.mailer,
        &inviter,
        &to,
        &invitee,
        Role::Member,
    )
    .await
    .expect("invite");
    let mail = flow.send().await.into_iter().next().expect("the invitation");
    assert_eq!(mail.row.kind, EmailKind::Invitation.as_str());
    let text = only_text(&parse_received(&mail.received), "text", "plain");
    let token = text
        .split("token=")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
        })
        .expect("an invitation link with its token")
        .to_owned();
    let mut mails = BTreeMap::new();
    mails.insert(mail.row.kind.to_string(), mail.received);
    assert_snapshots(&mails, &[(token, "[invitation-token]")]);
}
