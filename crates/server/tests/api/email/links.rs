//! Every link in every email opens a real page. The emails are made the way the server makes them — a booking and
//! a booking that waits for confirmation (both parties' emails, with their manage links), a cancellation, a
//! password reset, an email change, an invitation, and the alert a failing organization sender sends its admins —
//! then every link in their plain-text and HTML bodies is opened, signed in as the recipient when the page asks
//! for it, and must answer 200.

use super::routing::{HOST, OWNER, RoutingRig};
use crate::helpers::TestApp;
use crate::helpers::email::{closed_port, starttls};
use crate::web_app_bookings::with_password;
use crate::web_signup::{client, signed_in_with};
use convene_core::{EmailAddress, Role};
use convene_server::accounts::email_change::request_email_change;
use convene_server::accounts::invitations::{InviteTo, invite};
use convene_store::{teams, users};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// Every `(kind, recipient, body)` in the outbox.
async fn emails(app: &TestApp) -> Vec<(String, String, String)> {
    let sql = "SELECT o.kind, o.to_email, c.body_text || ' ' || c.body_html FROM email_outbox o \
               JOIN email_contents c ON c.email_id = o.id ORDER BY o.id";
    match &app.db {
        convene_store::Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        convene_store::Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .expect("the outbox")
}

/// The paths of every link under `public_url` in `body` (HTML entities in attributes undone).
fn links(body: &str, public_url: &str) -> BTreeSet<String> {
    let base = public_url.trim_end_matches('/');
    body.match_indices(base)
        .map(|(at, _)| {
            let rest = &body[at + base.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\''))
                .unwrap_or(rest.len());
            rest[..end]
                .replace("&amp;", "&")
                .replace("&#x3d;", "=")
                .replace("&#61;", "=")
                .replace("&#38;", "&")
        })
        .filter(|path| path.starts_with('/'))
        .collect()
}

/// Status, page and `Location` of a GET of `path`.
async fn open(app: &TestApp, c: &reqwest::Client, path: &str) -> (StatusCode, String, Option<String>) {
    let answer = c.get(format!("{}{path}", app.address)).send().await.expect("send");
    let status = answer.status();
    let to = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    (status, answer.text().await.expect("page"), to)
}

#[tokio::test]
async fn every_link_in_every_email_opens_a_real_page() {
    let rig = RoutingRig::start(starttls, |s| s.breaker.threshold = 1).await;
    let app = rig.app();
    for who in [OWNER, HOST] {
        with_password(app, who).await;
    }
    // Booking emails, both kinds of booking, and a cancellation.
    let asks = rig
        .event_type(
            json!({ "title": "Asks first", "slug": "asks-first", "lengthInMinutes": 30,
            "confirmationPolicy": { "type": "always" } }),
        )
        .await;
    rig.book(rig.event, "bea@example.test").await;
    rig.book(asks, "bea@example.test").await;
    let cancelled = app
        .versioned(
            Method::POST,
            "/v2/bookings",
            None,
            Some(json!({ "eventTypeId": rig.event, "start": "2030-01-10T09:00:00Z",
                "attendee": { "name": "Cy", "email": "cy@example.test", "timeZone": "UTC" } })),
            Some("2024-08-13"),
        )
        .await;
    let uid = cancelled.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned();
    app.versioned(
        Method::POST,
        &format!("/v2/bookings/{uid}/cancel"),
        None,
        Some(json!({ "cancellationReason": "No longer needed" })),
        Some("2024-08-13"),
    )
    .await
    .expect_success(StatusCode::OK);
    // Account emails.
    app.request(
        Method::POST,
        "/v2/auth/password-reset",
        None,
        Some(json!({ "email": HOST })),
    )
    .await
    .expect_success(StatusCode::OK);
    let host = users::find_by_email(&app.db, HOST).await.expect("find").expect("host");
    let new_address = EmailAddress::parse("email", "member-new@acme.test").expect("address");
    request_email_change(&app.db, &app.state.mailer, &host, &new_address)
        .await
        .expect("change asked");
    let owner = users::find_by_email(&app.db, OWNER)
        .await
        .expect("find")
        .expect("owner");
    let org = teams::find_organization(&app.db, convene_core::TeamId(rig.org))
        .await
        .expect("find")
        .expect("org");
    let to = InviteTo {
        group: &org,
        organization: Some(org.team_id()),
        inviter_role: Role::Owner,
    };
    let invitee = EmailAddress::parse("email", "newcomer@acme.test").expect("address");
    invite(&app.db, &app.state.mailer, &owner, &to, &invitee, Role::Member)
        .await
        .expect("invite");
    // A sender that can't connect: its first failure alerts the organization's admins.
    rig.smtp_sender(closed_port(), json!({})).await;
    rig.book(rig.event, "dee@example.test").await;
    rig.run().await;
    rig.run().await;

    let public_url = app.state.mailer.settings.public_url.clone();
    let mut opened: BTreeMap<String, usize> = BTreeMap::new();
    let mut signed_in: BTreeMap<String, reqwest::Client> = BTreeMap::new();
    for (kind, recipient, body) in emails(app).await {
        for path in links(&body, &public_url) {
            let anonymous = client();
            let (mut status, mut page, mut to) = open(app, &anonymous, &path).await;
            if to.as_deref().is_some_and(|l| l.starts_with("/auth/login")) {
                if !signed_in.contains_key(&recipient) {
                    let c = signed_in_with(app, &recipient, crate::helpers::PASSWORD).await;
                    signed_in.insert(recipient.clone(), c);
                }
                (status, page, to) = open(app, &signed_in[&recipient], &path).await;
            }
            // A link may lead on to its page (a reschedule link opens the booker with the booking's details).
            let mut hops = 0;
            while let (true, Some(next)) = (status.is_redirection(), to.clone()) {
                hops += 1;
                assert!(
                    hops < 4 && next.starts_with('/'),
                    "{kind} links {path}, which redirects to {next}"
                );
                (status, page, to) = open(app, &anonymous, &next).await;
            }
            // The booking cancelled later: its earlier emails' manage links open a page saying so (410 Gone).
            let gone = status == StatusCode::GONE && page.contains("<h1");
            assert!(
                status == StatusCode::OK || gone,
                "{kind} to {recipient} links {path}: {status}\n{page}"
            );
            *opened.entry(kind.clone()).or_default() += 1;
        }
    }
    // The kinds that carry links (a cancellation's carry none), each checked above.
    for kind in [
        "booking_scheduled_attendee",
        "booking_requested_attendee",
        "booking_awaiting_approval_organizer",
        "password_reset",
        "email_change_confirmation",
        "invitation",
        "sender_failing",
    ] {
        assert!(
            opened.get(kind).is_some_and(|n| *n > 0),
            "no link opened in {kind}: {opened:?}"
        );
    }
}
