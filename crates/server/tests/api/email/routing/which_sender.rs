//! Which route an email takes: the team's sender, else the organization's default; the platform for account
//! emails, once the sender is deleted, or while the `custom-smtp` feature is off.

use super::*;
use crate::helpers::email::{PLATFORM_FROM, PLATFORM_NAME, WAIT, from_and_reply_to, mailbox, starttls};
use convene_core::email::EmailKind;
use convene_core::{TeamId, UserId};
use convene_store::outbox::{self, NewEmail};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_teams_bookings_use_the_teams_sender_and_personal_bookings_the_default() {
    let rig = RoutingRig::start(starttls, |_| {}).await;
    let team = rig.team;
    rig.app()
        .post(
            &format!("/v2/organizations/{}/teams/{team}/memberships", rig.org),
            &rig.owner.key,
            json!({ "userId": rig.host.id, "role": "MEMBER", "accepted": true }),
        )
        .await
        .expect_success(StatusCode::CREATED);
    let team_event = rig
        .app()
        .post(
            &format!("/v2/organizations/{}/teams/{team}/event-types", rig.org),
            &rig.owner.key,
            json!({ "title": "Sales call", "slug": "sales-call", "lengthInMinutes": 30,
                "schedulingType": "collective", "hosts": [{ "userId": rig.host.id }] }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team event type id");

    let default = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    let sales = rig
        .smtp_sender(
            rig.org_smtp.port(),
            json!({ "fromEmail": "sales@acme.example", "fromName": "Acme Sales", "teamIds": [team] }),
        )
        .await;
    assert_eq!(rig.sender(sales).await["teamIds"], json!([team]));
    assert_eq!(rig.sender(default).await["isDefault"], true);

    rig.book(team_event, "team-client@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(p.settlement, sent_by(&format!("sender:{sales}")), "{p:?}");
        assert_eq!(rig.delivery(p.id.0).await["teamId"], team);
    }
    let arrived = rig.org_smtp.wait_for_messages(2, WAIT).await;
    for r in &arrived {
        assert_eq!(from_and_reply_to(r).0, mailbox("Acme Sales", "sales@acme.example"));
    }

    rig.book(rig.event, "personal-client@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(p.settlement, sent_by(&format!("sender:{default}")), "{p:?}");
        assert!(rig.delivery(p.id.0).await["teamId"].is_null());
    }
    let arrived = rig.org_smtp.wait_for_messages(4, WAIT).await;
    for r in &arrived[2..] {
        assert_eq!(from_and_reply_to(r).0, mailbox(ORG_NAME, ORG_FROM));
    }
    assert!(rig.platform().messages().is_empty());
}

#[tokio::test]
async fn account_emails_never_touch_the_organizations_sender() {
    let rig = RoutingRig::start(starttls, |_| {}).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;

    rig.app()
        .request(
            Method::POST,
            "/v2/auth/password-reset",
            None,
            Some(json!({ "email": HOST })),
        )
        .await
        .expect_success(StatusCode::OK);
    rig.app()
        .post(
            "/v2/verified-resources/emails/verification-code/request",
            &rig.host.key,
            json!({ "email": "work@acme.example" }),
        )
        .await
        .expect_success(StatusCode::OK);
    // Even an account email that names the organization goes through the platform: the kind decides.
    outbox::enqueue(
        &rig.app().db,
        &NewEmail {
            message_id: rig.app().state.mailer.new_message_id(),
            organization_id: Some(TeamId(rig.org)),
            user_id: Some(UserId(rig.host.id)),
            to_email: HOST.to_owned(),
            subject: "Reset your password".to_owned(),
            body_text: "Reset it.".to_owned(),
            body_html: "<p>Reset it.</p>".to_owned(),
            ..NewEmail::of(EmailKind::PasswordReset)
        },
        jiff::Timestamp::now(),
    )
    .await
    .expect("enqueue");

    let batch = rig.run().await;
    let mut kinds: Vec<&str> = batch.iter().map(|p| p.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["email_verification_code", "password_reset", "password_reset"]);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    let arrived = rig.platform().wait_for_messages(3, WAIT).await;
    for r in &arrived {
        let (from, reply_to) = from_and_reply_to(r);
        assert_eq!(from, mailbox(PLATFORM_NAME, PLATFORM_FROM));
        assert_eq!(reply_to, None);
    }
    assert_eq!(
        rig.org_smtp.connections(),
        0,
        "the organization's server was never contacted"
    );

    // The sender was healthy all along: a booking email goes through it.
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );
    assert_eq!(rig.org_smtp.wait_for_messages(2, WAIT).await.len(), 2);
}

#[tokio::test]
async fn deleting_the_sender_sends_the_next_email_through_the_platform_at_once() {
    // A long cache: only the deletion itself can make the worker forget the sender.
    let rig = RoutingRig::start(starttls, |s| s.sender_cache_ttl = Duration::from_secs(600)).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.book(rig.event, "first@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );
    let connections = rig.org_smtp.connections();

    rig.app()
        .delete(&format!("{}/{sender}", rig.senders_path()), &rig.owner.key)
        .await
        .expect_success(StatusCode::OK);
    rig.book(rig.event, "second@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    let arrived = rig.platform().wait_for_messages(2, WAIT).await;
    for r in &arrived {
        let (from, reply_to) = from_and_reply_to(r);
        assert_eq!(from, mailbox(PLATFORM_NAME, PLATFORM_FROM));
        assert_ne!(
            reply_to,
            mailbox(ORG_NAME, ORG_FROM),
            "no sender, no organization Reply-To"
        );
    }
    assert_eq!(rig.org_smtp.connections(), connections);
    assert_eq!(rig.org_smtp.messages().len(), 2);
}

async fn set_feature(rig: &RoutingRig, on: bool) {
    rig.app()
        .put(
            &format!("/v2/admin/organizations/{}/features/custom-smtp", rig.org),
            &rig.app().admin_key,
            json!({ "enabled": on }),
        )
        .await
        .expect_success(StatusCode::OK);
}

#[tokio::test]
async fn with_the_feature_off_saved_senders_are_not_used() {
    let rig = RoutingRig::start(starttls, |_| {}).await;
    rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    set_feature(&rig, false).await;
    rig.app()
        .get(&rig.senders_path(), &rig.owner.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);

    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
    for r in &rig.platform().wait_for_messages(2, WAIT).await {
        assert_eq!(from_and_reply_to(r).0, mailbox(PLATFORM_NAME, PLATFORM_FROM));
    }
    assert_eq!(rig.org_smtp.connections(), 0);
}

#[tokio::test]
async fn turning_the_feature_off_takes_effect_at_once() {
    // Same-process API writes are supposed to reach the worker at once (senders.rs `Directory`); the cache TTL
    // is only for other processes. A long TTL makes the difference visible.
    let rig = RoutingRig::start(starttls, |s| s.sender_cache_ttl = Duration::from_secs(600)).await;
    let sender = rig.smtp_sender(rig.org_smtp.port(), json!({})).await;
    rig.book(rig.event, "first@example.test").await;
    let batch = rig.run().await;
    assert!(
        batch
            .iter()
            .all(|p| p.settlement == sent_by(&format!("sender:{sender}"))),
        "{batch:?}"
    );

    set_feature(&rig, false).await;
    rig.book(rig.event, "second@example.test").await;
    let batch = rig.run().await;
    for p in &batch {
        assert_eq!(outcomes(p), pairs(&[("platform", "sent")]), "{p:?}");
    }
}
