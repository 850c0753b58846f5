//! Each fault of the server gives the right settlement and attempt record: temporary ones a retry, a refused
//! recipient or message a failure, and nothing delivered.

use super::*;
use crate::helpers::email::{EmailRig, closed_port};
use convene_core::EmailId;
use convene_server::email::Security;
use convene_store::now_ms;
use convene_store::outbox::Settlement;
use convene_testkit::{Behavior, FakeSmtpConfig, Greeting, TlsMode};
use std::time::Duration;

#[tokio::test]
async fn a_421_greeting_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        greeting: Greeting::Reply(421, "4.3.2 Service shutting down".into()),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(421), "GREETING");
    assert_route(&p.routes[0], 1, "failed", Some(421), "Service shutting down");
    assert_retried(&app, &fake, &p, &email, Some(421)).await;
}

#[tokio::test]
async fn a_451_to_mail_from_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        mail_from: Some((451, "4.3.0 Try again later".into())),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(451), "MAIL_FROM");
    assert_route(&p.routes[0], 1, "failed", Some(451), "Try again later");
    assert_retried(&app, &fake, &p, &email, Some(451)).await;
}

#[tokio::test]
async fn a_temporary_recipient_refusal_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        rcpt_all: Some((450, "4.2.1 Mailbox busy".into())),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(450), "RCPT_TO");
    assert_retried(&app, &fake, &p, &email, Some(450)).await;
}

#[tokio::test]
async fn a_451_after_the_data_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        data_end: Some((451, "4.3.0 Queue full".into())),
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", Some(451), "DATA");
    assert_route(&p.routes[0], 1, "failed", Some(451), "Queue full");
    assert_retried(&app, &fake, &p, &email, Some(451)).await;
}

#[tokio::test]
async fn a_535_to_auth_is_retried_and_says_auth() {
    let (app, fake) = platform_setup(
        |_| FakeSmtpConfig {
            tls: TlsMode::None,
            credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
        },
        "127.0.0.1",
        Security::Plain,
        Some(PASSWORD),
    )
    .await;
    fake.set_behavior(Behavior {
        auth: Some((535, "5.7.8 Authentication credentials invalid".into())),
        ..Behavior::default()
    });
    let id = queue(&app, &letter("ada@example.test", "auth")).await;
    let p = run_one(&app, now_ms()).await;
    assert_route(&p.routes[0], 1, "failed", Some(535), "AUTH: ");
    assert!(
        !p.routes[0].reply.as_deref().unwrap_or_default().contains(PASSWORD),
        "the password never reaches the log"
    );
    let email = row(&app, id).await;
    assert_retried(&app, &fake, &p, &email, Some(535)).await;
}

#[tokio::test]
async fn a_550_for_one_recipient_fails_that_email_at_once_and_no_other() {
    let (app, fake) = plain_setup(
        Behavior {
            rcpt_reject: vec![("gone@example.test".into(), 550, "5.1.1 No such user here".into())],
            ..Behavior::default()
        },
        |_| {},
    )
    .await;
    let before = queue(&app, &letter("first@example.test", "first")).await;
    let gone = queue(&app, &letter("gone@example.test", "gone")).await;
    let after = queue(&app, &letter("last@example.test", "last")).await;

    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), 3);
    for p in &processed {
        if p.id == EmailId(gone) {
            assert_eq!(p.settlement, Settlement::Failed, "{p:?}");
            assert_route(&p.routes[0], 1, "failed", Some(550), "RCPT_TO");
            assert_route(&p.routes[0], 1, "failed", Some(550), "No such user here");
        } else {
            assert_eq!(
                p.settlement,
                Settlement::Sent {
                    route: "platform".into()
                },
                "{p:?}"
            );
        }
    }
    let email = row(&app, gone).await;
    assert_eq!((email.status.as_str(), email.last_code), ("failed", Some(550)));
    assert!(
        email
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("No such user here")
    );
    for id in [before, after] {
        assert_eq!(row(&app, id).await.status, "sent");
    }
    let mut delivered: Vec<String> = fake.messages().iter().flat_map(|m| m.rcpt_to.clone()).collect();
    delivered.sort();
    assert_eq!(delivered, ["first@example.test", "last@example.test"]);
    assert!(
        run(&app, now_ms() + 48 * HOUR).await.is_empty(),
        "a refused recipient is not retried"
    );
    assert_eq!(attempts(&app, gone).await.len(), 1);
}

#[tokio::test]
async fn a_552_after_the_data_fails_the_email() {
    let (app, fake, p, email) = one_attempt(Behavior {
        data_end: Some((552, "5.3.4 Message too big for system".into())),
        ..Behavior::default()
    })
    .await;
    assert_eq!(p.settlement, Settlement::Failed);
    assert_route(&p.routes[0], 1, "failed", Some(552), "DATA");
    assert_eq!((email.status.as_str(), email.last_code), ("failed", Some(552)));
    assert!(fake.messages().is_empty());
    assert!(
        run(&app, now_ms() + 48 * HOUR).await.is_empty(),
        "a refused message is not retried"
    );
}

#[tokio::test]
async fn a_server_that_never_greets_is_given_up_on_after_the_greeting_timeout() {
    let greeting = Duration::from_millis(300);
    let (app, fake) = plain_setup(
        Behavior {
            greeting: Greeting::Silent,
            ..Behavior::default()
        },
        move |s| s.timeouts.greeting = greeting,
    )
    .await;
    let id = queue(&app, &letter("ada@example.test", "silent")).await;
    // The server stays silent for good: that the batch ended at all, with this reply, is the greeting timeout's
    // doing, and the attempt lasted at least that long.
    let p = run_one(&app, now_ms()).await;
    assert_route(&p.routes[0], 1, "failed", None, "GREETING: no answer within 300 ms");
    assert!(p.routes[0].duration_ms >= 300, "{:?}", p.routes[0]);
    let email = row(&app, id).await;
    assert_retried(&app, &fake, &p, &email, None).await;
}

#[tokio::test]
async fn a_connection_dropped_in_the_middle_of_the_data_is_retried() {
    let (app, fake, p, email) = one_attempt(Behavior {
        drop_mid_data: true,
        ..Behavior::default()
    })
    .await;
    assert_route(&p.routes[0], 1, "failed", None, "DATA");
    assert_retried(&app, &fake, &p, &email, None).await;

    // The server recovers: the retry goes out on a new connection.
    fake.set_behavior(Behavior::default());
    let p = run_one(&app, now_ms() + HOUR).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        }
    );
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn slow_replies_within_the_timeouts_are_fine() {
    let (app, fake) = plain_setup(
        Behavior {
            reply_delay: Duration::from_millis(150),
            ..Behavior::default()
        },
        |s| {
            s.timeouts.greeting = Duration::from_secs(1);
            s.timeouts.command = Duration::from_secs(1);
            s.timeouts.data = Duration::from_secs(1);
        },
    )
    .await;
    queue(&app, &letter("ada@example.test", "slow")).await;
    let p = run_one(&app, now_ms()).await;
    assert_eq!(
        p.settlement,
        Settlement::Sent {
            route: "platform".into()
        },
        "{p:?}"
    );
    // Greeting, EHLO, MAIL, RCPT, DATA and the final reply each waited.
    assert!(p.routes[0].duration_ms >= 6 * 150, "{:?}", p.routes[0]);
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let closed = closed_port();
    let EmailRig { app, .. } = EmailRig::builder().platform_route(move |_| plain(closed)).start().await;
    let id = queue(&app, &letter("ada@example.test", "refused")).await;
    let p = run_one(&app, now_ms()).await;
    assert_route(&p.routes[0], 1, "failed", None, "CONNECT: ");
    assert_first_retry(&p);
    let email = row(&app, id).await;
    assert_eq!((email.status.as_str(), email.last_code), ("retrying", None));
    assert!(
        email.last_error.as_deref().unwrap_or_default().contains("CONNECT"),
        "{email:?}"
    );
}
