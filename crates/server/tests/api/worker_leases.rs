//! Short leases, renewed while sending: a worker whose emails take far longer than the lease keeps them (its
//! heartbeat renews the lease), so neither it nor another worker on the same database sends any of them twice.
//! The real worker loop ([`spawn_worker`]), twice, against one slow SMTP server.

use crate::helpers::TestApp;
use convene_core::email::EmailKind;
use convene_server::email::worker::{RunMode, spawn_worker};
use convene_server::email::{EmailSettings, Security, SmtpServer, TransportConfig};
use convene_server::{AppState, ServerSettings};
use convene_store::outbox::{self, NewEmail};
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig};
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_slower_than_the_lease_are_renewed_and_never_taken_over() {
    const EMAILS: usize = 6;
    let smtp = FakeSmtp::start(FakeSmtpConfig::default()).await;
    // Every reply takes 500 ms: one email is 2–3 s, two to three leases.
    smtp.set_behavior(Behavior {
        reply_delay: Duration::from_millis(500),
        ..Behavior::default()
    });
    let app = TestApp::spawn_with(ServerSettings {
        email: EmailSettings {
            transport: TransportConfig::Smtp(SmtpServer {
                host: "127.0.0.1".to_owned(),
                port: smtp.port(),
                security: Security::Plain,
                credentials: None,
            }),
            connections: 2,
            lease: Duration::from_secs(1),
            ..EmailSettings::default()
        },
        ..ServerSettings::default()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..EMAILS {
        let email = NewEmail {
            message_id: format!("<lease-{i}@leases.convene.test>"),
            to_email: format!("user{i}@example.test"),
            subject: format!("Reset {i}"),
            body_text: "Reset".to_owned(),
            body_html: "<p>Reset</p>".to_owned(),
            ..NewEmail::of(EmailKind::PasswordReset)
        };
        ids.push(
            outbox::enqueue(&app.db, &email, jiff::Timestamp::now())
                .await
                .expect("enqueue"),
        );
    }

    // Two workers (two processes, in production) on one database: each claims under a name of its own.
    let other = AppState::new(app.db.clone(), (*app.state.settings).clone(), app.state.keyring.clone());
    assert_ne!(other.worker_id, app.state.worker_id);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let first = spawn_worker(app.state.clone(), stopped.clone(), RunMode::UntilIdle);
    let second = spawn_worker(other, stopped, RunMode::UntilIdle);
    let mut both = tokio::spawn(async move {
        let (first, second) = tokio::join!(first, second);
        first.and(second)
    });
    // Workers that keep taking each other's rows never run dry; this only guards against that hang.
    let drained = match tokio::time::timeout(Duration::from_secs(60), &mut both).await {
        Ok(joined) => {
            joined.expect("join").expect("workers");
            true
        }
        Err(_) => {
            stop.send(true).expect("stop the workers");
            both.await.expect("join").expect("workers");
            false
        }
    };

    let mut counts: HashMap<String, usize> = HashMap::new();
    for m in smtp.messages() {
        *counts.entry(m.header("Message-ID").expect("Message-ID")).or_default() += 1;
    }
    assert_eq!(counts.len(), EMAILS, "every email arrived: {counts:?}");
    assert!(
        drained,
        "the workers never ran out of emails to take from each other: {counts:?}"
    );
    assert!(
        counts.values().all(|n| *n == 1),
        "an email was taken over while it was being sent, and sent again: {counts:?}"
    );
    for id in ids {
        let row = outbox::find(&app.db, id).await.expect("find").expect("row");
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 1), "email {id}");
    }
}
