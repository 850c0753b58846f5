//! Throughput: connections are reused, and TCP_NODELAY keeps a message from stalling on the server's delayed ACK.

use super::*;
use convene_store::now_ms;
use convene_store::outbox::Settlement;
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, Received};
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test]
async fn twenty_emails_over_two_connections_reuse_them() {
    let (app, fake) = plain_setup(Behavior::default(), |s| s.connections = 2).await;
    for i in 0..20 {
        queue(&app, &letter(&format!("user{i}@example.test"), &format!("reuse-{i}"))).await;
    }
    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), 20);
    assert!(
        processed
            .iter()
            .all(|p| matches!(p.settlement, Settlement::Sent { .. }))
    );
    let messages = fake.messages();
    assert_eq!(messages.len(), 20);
    assert!(
        fake.connections() <= 3,
        "{} connections for 20 emails",
        fake.connections()
    );
    let used: HashSet<u64> = messages.iter().map(|m| m.connection).collect();
    assert!(used.len() <= 2, "{used:?}");
    let ehlos = fake.commands().iter().filter(|c| c.starts_with("EHLO")).count();
    assert!(ehlos <= 3, "one EHLO per connection, no per-message handshake: {ehlos}");
}

#[tokio::test]
async fn fifty_emails_in_a_row_do_not_stall_on_delayed_acks() {
    let (app, fake) = plain_setup(
        Behavior {
            delayed_ack: true,
            ..Behavior::default()
        },
        |s| s.connections = 1,
    )
    .await;
    // A first email opens the connection (its first segments are acknowledged at once whatever the mode).
    queue(&app, &letter("warm@example.test", "warm-up")).await;
    run_one(&app, now_ms()).await;
    for i in 0..50 {
        queue(&app, &letter(&format!("user{i}@example.test"), &format!("nodelay-{i}"))).await;
    }
    let mut sent = 0;
    loop {
        let batch = run(&app, now_ms()).await;
        if batch.is_empty() {
            break;
        }
        sent += batch
            .iter()
            .filter(|p| matches!(p.settlement, Settlement::Sent { .. }))
            .count();
    }
    assert_eq!(sent, 50);
    assert_eq!(fake.connections(), 1, "all over one connection");
    // With Nagle's algorithm every message would keep the server waiting for its delayed ACK (the control below
    // shows all of them do). Counted per message, not timed as a whole: a busy machine may delay a read or two,
    // never most of them.
    let messages = fake.messages();
    let stalled = stalls(&messages[1..]);
    assert!(
        stalled <= 5,
        "{stalled} of 50 emails stalled on the server's delayed ACK"
    );
}

/// Messages whose payload kept the server waiting half a delayed-ACK timer (Linux's shortest is 40 ms) or more:
/// a piece held back by Nagle's algorithm.
fn stalls(messages: &[Received]) -> usize {
    messages
        .iter()
        .filter(|m| m.longest_data_wait.expect("the fake measures the wait") >= Duration::from_millis(20))
        .count()
}

/// The control for the test above: the fake's delayed-ACK mode does stall a client that leaves Nagle on, so the
/// fast result there is TCP_NODELAY's doing and not the fake's.
#[tokio::test]
async fn control_a_client_without_nodelay_does_stall_on_delayed_acks() {
    use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
    use lettre::transport::smtp::extension::ClientId;

    async fn send(conn: &mut AsyncSmtpConnection, i: usize) {
        let message = lettre::Message::builder()
            .from("from@example.test".parse().expect("from"))
            .to("to@example.test".parse().expect("to"))
            .subject(format!("control {i}"))
            .body(format!("control body {i}\r\n"))
            .expect("message");
        conn.send(message.envelope(), &message.formatted()).await.expect("send");
    }

    let fake = FakeSmtp::start(FakeSmtpConfig::default()).await;
    fake.set_behavior(Behavior {
        delayed_ack: true,
        ..Behavior::default()
    });
    let tcp = tokio::net::TcpStream::connect(fake.addr()).await.expect("connect");
    tcp.set_nodelay(false).expect("Nagle on");
    let stream: Box<dyn AsyncTokioStream> = Box::new(tcp);
    let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &ClientId::Domain("control.test".into()))
        .await
        .expect("greeting");
    send(&mut conn, 0).await;
    for i in 1..=10 {
        send(&mut conn, i).await;
    }
    let messages = fake.wait_for_messages(11, Duration::from_secs(5)).await;
    let stalled = stalls(&messages[1..]);
    assert!(
        stalled >= 8,
        "without TCP_NODELAY messages should stall on delayed ACKs, yet only {stalled} of 10 did"
    );
}
