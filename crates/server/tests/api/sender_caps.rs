//! One organization's SMTP server that hangs after DATA must not hold up everyone else's email: the worker lets
//! each organization sender have only `per_sender_connections` of its connections, so the platform's emails keep
//! flowing at once on the rest. The real worker loop ([`spawn_worker`]) against two SMTP servers on 127.0.0.1.

use crate::helpers::TestApp;
use convene_core::email::EmailKind;
use convene_core::{EmailAddress, HeaderText, TeamId};
use convene_server::ServerSettings;
use convene_server::email::host_guard::HostPolicy;
use convene_server::email::smtp::TlsTrust;
use convene_server::email::worker::{RunMode, spawn_worker};
use convene_server::email::{EmailSettings, Security, SmtpServer, SmtpTimeouts, TransportConfig};
use convene_store::outbox::{self, NewEmail};
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, TestCa, TlsMode};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ORG_EMAILS: usize = 8;
const PLATFORM_EMAILS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_hung_after_data_keeps_to_its_cap_and_platform_emails_flow_at_once() {
    let ca = TestCa::new();
    // The organization's server takes every message and never answers the final ".".
    let org_smtp = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost", "127.0.0.1"])),
        credentials: None,
    })
    .await;
    org_smtp.set_behavior(Behavior {
        stall_after_data: true,
        ..Behavior::default()
    });
    let platform = FakeSmtp::start(FakeSmtpConfig::default()).await;
    let email = EmailSettings {
        transport: TransportConfig::Smtp(SmtpServer {
            host: "127.0.0.1".to_owned(),
            port: platform.port(),
            security: Security::Plain,
            credentials: None,
        }),
        from_email: EmailAddress::parse("from_email", "notifications@convene.test").expect("a valid From"),
        from_name: HeaderText::parse("from_name", "Convene").expect("a valid name"),
        hello_name: "convene.test".to_owned(),
        trust: TlsTrust::new(Some(ca.ca_pem().as_bytes())).expect("the test CA"),
        connections: 4,
        per_sender_connections: 2,
        timeouts: SmtpTimeouts {
            data: Duration::from_secs(5),
            ..SmtpTimeouts::default()
        },
        host_policy: Arc::new(HostPolicy {
            allowed_private: vec!["127.0.0.0/8".parse().expect("a network")],
            ..HostPolicy::default()
        }),
        ..EmailSettings::default()
    };
    let app = TestApp::spawn_with(ServerSettings {
        email,
        shutdown_grace: Duration::from_millis(100),
        ..ServerSettings::default()
    })
    .await;
    let (org, owner) = app.organization("acme").await;
    app.put(
        &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        &app.admin_key,
        json!({ "enabled": true }),
    )
    .await
    .expect_success(StatusCode::OK);
    app.post(
        &format!("/v2/organizations/{org}/smtp-configurations"),
        &owner.key,
        json!({ "fromEmail": "bookings@acme.example", "fromName": "Acme", "smtpHost": "127.0.0.1",
            "smtpPort": org_smtp.port(), "smtpSecure": false }),
    )
    .await
    .expect_success(StatusCode::CREATED);

    // The organization's booking emails are queued first, so they are claimed first.
    let mut org_ids = Vec::new();
    for i in 0..ORG_EMAILS {
        let id = outbox::enqueue(
            &app.db,
            &NewEmail {
                message_id: format!("<org-{i}@caps.convene.test>"),
                organization_id: Some(TeamId(org)),
                to_email: format!("attendee{i}@example.test"),
                subject: format!("Booked {i}"),
                body_text: "Booked".to_owned(),
                body_html: "<p>Booked</p>".to_owned(),
                ..NewEmail::of(EmailKind::BookingScheduledAttendee)
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");
        org_ids.push(id);
    }
    for i in 0..PLATFORM_EMAILS {
        outbox::enqueue(
            &app.db,
            &NewEmail {
                message_id: format!("<platform-{i}@caps.convene.test>"),
                to_email: format!("user{i}@example.test"),
                subject: format!("Reset {i}"),
                body_text: "Reset".to_owned(),
                body_html: "<p>Reset</p>".to_owned(),
                ..NewEmail::of(EmailKind::PasswordReset)
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");
    }

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = spawn_worker(app.state.clone(), stopped, RunMode::Forever);
    let deadline = Instant::now() + Duration::from_secs(60);
    while platform.messages().len() < PLATFORM_EMAILS {
        assert!(Instant::now() < deadline, "the platform's emails never all arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // They all arrived while the organization's server still held its sessions: no email of the organization has
    // an attempt recorded yet (each would, once its DATA timeout ended the wait), and at most two ever reached it.
    let hung = org_smtp.stalled_sessions();
    assert!(
        (1..=2).contains(&hung),
        "the organization's sender took {hung} connections; its cap is 2"
    );
    for id in &org_ids {
        let tried = outbox::attempts(&app.db, *id).await.expect("attempts");
        assert!(
            tried.is_empty(),
            "organization email {id} was settled before the platform's emails got through: {tried:?}"
        );
    }
    assert!(
        platform.messages().iter().all(|m| m.rcpt_to[0].starts_with("user")),
        "only the platform's own emails went out there (no fallbacks yet)"
    );

    stop.send(true).expect("stop the worker");
    worker.await.expect("the worker stops");
}
