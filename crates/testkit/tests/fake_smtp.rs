//! FakeSmtp over real sockets, driven by lettre (a real client) and by a raw line-level client.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TIMEOUT, implicit, message, plain, starttls, status};
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, Greeting, TestCa, TlsMode};
use lettre::transport::smtp::authentication::Mechanism;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const USER: &str = "mailer";
const PASSWORD: &str = "s3cret-pa55";

fn creds() -> Option<(String, String)> {
    Some((USER.to_owned(), PASSWORD.to_owned()))
}

#[tokio::test]
async fn plain_send_is_recorded_exactly() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    plain(server.port())
        .send(message(&["alice@example.com", "Bob@Example.com"], "plain hello"))
        .await
        .expect("plain send succeeds");

    let messages = server.wait_for_messages(1, TIMEOUT).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.mail_from, "noreply@convene.test");
    assert_eq!(m.rcpt_to, ["alice@example.com", "Bob@Example.com"]);
    assert!(!m.tls);
    assert_eq!(m.auth_user, None);
    assert_eq!(m.connection, 1);
    assert_eq!(m.header("Subject").as_deref(), Some("plain hello"));
    let text = m.data_text();
    assert!(
        text.contains("\r\n.a line that starts with a dot\r\n"),
        "dot-unstuffed payload: {text:?}"
    );
    assert!(
        !text.ends_with("\r\n.\r\n"),
        "terminator must not be part of the payload"
    );
    assert_eq!(server.connections(), 1);
    let verbs: Vec<String> = server
        .commands()
        .iter()
        .map(|c| c.split(' ').next().unwrap_or("").to_ascii_uppercase())
        .collect();
    assert_eq!(verbs, ["EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"]);
}

#[tokio::test]
async fn starttls_with_auth_plain_and_login() {
    let ca = TestCa::new();
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let server = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(leaf),
        credentials: creds(),
    })
    .await;

    for (i, mechanism) in [Mechanism::Plain, Mechanism::Login].into_iter().enumerate() {
        starttls(server.port(), &ca, USER, PASSWORD, mechanism)
            .send(message(&["carol@example.com"], &format!("starttls {i}")))
            .await
            .unwrap_or_else(|e| panic!("STARTTLS send with {mechanism:?} fails: {e}"));
    }

    let messages = server.wait_for_messages(2, TIMEOUT).await;
    for m in &messages {
        assert!(m.tls, "sent after STARTTLS");
        assert_eq!(m.auth_user.as_deref(), Some(USER));
        assert_eq!(m.rcpt_to, ["carol@example.com"]);
    }
    let commands = server.commands();
    assert!(
        commands.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS")),
        "{commands:?}"
    );
    assert!(
        commands.iter().filter(|c| c.as_str() == "AUTH <redacted>").count() == 2,
        "{commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains(PASSWORD)),
        "credentials must not be logged: {commands:?}"
    );
}

#[tokio::test]
async fn implicit_tls_with_ip_address_name() {
    let ca = TestCa::new();
    let leaf = ca.leaf(&["127.0.0.1", "mail.example.test"]);
    let server = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::Implicit(leaf),
        credentials: creds(),
    })
    .await;

    implicit(server.port(), &ca, "127.0.0.1", USER, PASSWORD)
        .send(message(&["dave@example.com"], "implicit"))
        .await
        .expect("implicit TLS send succeeds");
    let messages = server.wait_for_messages(1, TIMEOUT).await;
    assert!(messages[0].tls);
    assert_eq!(messages[0].auth_user.as_deref(), Some(USER));
}

#[tokio::test]
async fn untrusted_ca_fails_the_handshake() {
    let server_ca = TestCa::new();
    let other_ca = TestCa::new();
    let server = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::Implicit(server_ca.leaf(&["localhost"])),
        credentials: None,
    })
    .await;
    let err = implicit(server.port(), &other_ca, "localhost", USER, PASSWORD)
        .send(message(&["x@example.com"], "nope"))
        .await
        .expect_err("a certificate from another CA must be rejected");
    assert!(
        err.is_tls() || err.to_string().to_lowercase().contains("certificate"),
        "{err:?}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn wrong_password_gets_535_and_no_mail() {
    let ca = TestCa::new();
    let server = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost"])),
        credentials: creds(),
    })
    .await;
    let err = starttls(server.port(), &ca, USER, "wrong", Mechanism::Plain)
        .send(message(&["x@example.com"], "nope"))
        .await
        .expect_err("wrong password is refused");
    assert_eq!(status(&err), Some(535), "{err:?}");
    assert!(err.is_permanent());
    assert!(
        !server
            .commands()
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("MAIL"))
    );
}

#[tokio::test]
async fn forced_auth_reply_overrides_right_credentials() {
    let ca = TestCa::new();
    let server = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost"])),
        credentials: creds(),
    })
    .await;
    server.set_behavior(Behavior {
        auth: Some((454, "4.7.0 Temporary authentication failure".into())),
        ..Default::default()
    });
    let err = starttls(server.port(), &ca, USER, PASSWORD, Mechanism::Login)
        .send(message(&["x@example.com"], "nope"))
        .await
        .expect_err("forced 454");
    assert_eq!(status(&err), Some(454), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn starttls_server_refuses_plaintext_mail() {
    let ca = TestCa::new();
    let server = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost"])),
        credentials: None,
    })
    .await;
    let err = plain(server.port())
        .send(message(&["x@example.com"], "plaintext"))
        .await
        .expect_err("530");
    assert_eq!(status(&err), Some(530), "{err:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn rcpt_reject_gets_550_for_that_address_only() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.set_behavior(Behavior {
        rcpt_reject: vec![("gone@example.com".into(), 550, "5.1.1 no such user".into())],
        ..Default::default()
    });
    let err = plain(server.port())
        .send(message(&["ok@example.com", "GONE@example.com"], "mixed"))
        .await
        .expect_err("one recipient is rejected");
    assert_eq!(status(&err), Some(550), "{err:?}");
    assert!(err.is_permanent());
    assert!(err.to_string().contains("no such user"), "{err}");

    plain(server.port())
        .send(message(&["ok@example.com"], "fine"))
        .await
        .expect("other recipients still work");
    let messages = server.wait_for_messages(1, TIMEOUT).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["ok@example.com"]);
}

#[tokio::test]
async fn scripted_mail_from_and_data_end_failures() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.set_behavior(Behavior {
        mail_from: Some((451, "4.3.0 try later".into())),
        ..Default::default()
    });
    let err = plain(server.port())
        .send(message(&["a@example.com"], "m"))
        .await
        .expect_err("451");
    assert_eq!(status(&err), Some(451));
    assert!(err.is_transient());

    server.set_behavior(Behavior {
        data_end: Some((552, "5.3.4 too big for you".into())),
        ..Default::default()
    });
    let err = plain(server.port())
        .send(message(&["a@example.com"], "m"))
        .await
        .expect_err("552");
    assert_eq!(status(&err), Some(552));
    assert!(server.messages().is_empty(), "a failed DATA must not be recorded");

    server.set_behavior(Behavior {
        rcpt_all: Some((450, "4.2.0 mailbox busy".into())),
        ..Default::default()
    });
    let err = plain(server.port())
        .send(message(&["a@example.com"], "m"))
        .await
        .expect_err("450");
    assert_eq!(status(&err), Some(450));

    server.set_behavior(Behavior::default());
    plain(server.port())
        .send(message(&["a@example.com"], "m"))
        .await
        .expect("back to normal");
    assert_eq!(server.messages().len(), 1);
    assert_eq!(server.connections(), 4);
}

#[tokio::test]
async fn greeting_421_is_a_transient_error() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.set_behavior(Behavior {
        greeting: Greeting::Reply(421, "4.3.2 Service not available, closing channel".into()),
        ..Default::default()
    });
    let err = plain(server.port())
        .send(message(&["a@example.com"], "m"))
        .await
        .expect_err("421");
    assert_eq!(status(&err), Some(421), "{err:?}");
    assert!(err.is_transient());
    assert!(server.commands().is_empty(), "the client must not get to send anything");
}

#[tokio::test]
async fn silent_greeting_makes_the_client_time_out() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Default::default()
    });
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_millis(300),
        plain(server.port()).send(message(&["a@example.com"], "m")),
    )
    .await;
    assert!(outcome.is_err(), "the send must hang on a black hole, got {outcome:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.connections(), 1);
    assert!(server.commands().is_empty());
}

#[tokio::test]
async fn close_immediately_is_an_error() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.set_behavior(Behavior {
        greeting: Greeting::CloseImmediately,
        ..Default::default()
    });
    let err = plain(server.port())
        .send(message(&["a@example.com"], "m"))
        .await
        .expect_err("closed");
    assert_eq!(status(&err), None, "{err:?}");
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn drop_mid_data_is_a_client_error_and_nothing_is_recorded() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.set_behavior(Behavior {
        drop_mid_data: true,
        ..Default::default()
    });
    let err = plain(server.port())
        .send(message(&["a@example.com"], "m"))
        .await
        .expect_err("dropped");
    assert_eq!(status(&err), None, "no SMTP reply was given: {err:?}");
    assert!(server.messages().is_empty());
    assert_eq!(server.commands().last().map(String::as_str), Some("DATA"));
}

#[tokio::test]
async fn reply_delay_is_observable() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    let transport = plain(server.port());
    let started = Instant::now();
    transport
        .send(message(&["a@example.com"], "fast"))
        .await
        .expect("fast send");
    let fast = started.elapsed();

    let delay = Duration::from_millis(40);
    server.set_behavior(Behavior {
        reply_delay: delay,
        ..Default::default()
    });
    let started = Instant::now();
    transport
        .send(message(&["a@example.com"], "slow"))
        .await
        .expect("slow send");
    let slow = started.elapsed();
    // greeting, EHLO, MAIL, RCPT, DATA (354), end of data, QUIT: 7 replies.
    assert!(slow >= delay * 7, "slow send took {slow:?}, fast one {fast:?}");
    assert_eq!(server.messages().len(), 2);
}

/// Sends `n` messages over one lettre connection (lettre writes the body and the final `.` separately, and leaves
/// Nagle's algorithm on) after a warm-up message, and counts those whose payload kept the server waiting as long as
/// a delayed ACK takes: the stalls.
async fn stalls_of_lettre(delayed_ack: bool, n: usize) -> usize {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.set_behavior(Behavior {
        delayed_ack,
        ..Default::default()
    });
    let transport = plain(server.port());
    // The first segments of a connection are acknowledged at once (Linux's quick-ACK start), whatever the mode.
    transport
        .send(message(&["a@example.com"], "warm-up"))
        .await
        .expect("send");
    for i in 0..n {
        transport
            .send(message(&["a@example.com"], &format!("n{i}")))
            .await
            .expect("send");
    }
    let messages = server.wait_for_messages(n + 1, TIMEOUT).await;
    messages[1..]
        .iter()
        .filter(|m| m.longest_data_wait.expect("the fake measures the wait") >= STALL)
        .count()
}

/// Half of Linux's shortest delayed-ACK timer (40 ms): a piece of the message that took this long to arrive was
/// held back by Nagle.
const STALL: Duration = Duration::from_millis(20);

#[tokio::test]
async fn lettre_does_not_stall_on_the_final_dot_unless_the_server_delays_its_acks() {
    // lettre writes the payload and "\r\n.\r\n" separately without TCP_NODELAY; unless the server ACKs the payload
    // at once, Nagle holds the terminator back for a delayed ACK on every message. Counted per message rather than
    // timed as a whole, so a busy machine cannot make either half pass or fail.
    let quick = stalls_of_lettre(false, 10).await;
    let delayed = stalls_of_lettre(true, 10).await;
    assert!(
        quick <= 2,
        "{quick} of 10 messages stalled although the server acknowledged at once"
    );
    assert!(
        delayed >= 8,
        "only {delayed} of 10 messages stalled on delayed ACKs: the control shows nothing"
    );
}

#[tokio::test]
async fn a_held_send_stays_in_flight_until_released() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.hold();
    let port = server.port();
    let send = tokio::spawn(async move { plain(port).send(message(&["a@example.com"], "held")).await });
    let held = server.wait_for_held(|h| !h.is_empty(), TIMEOUT).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].connection, 1);
    assert!(!held[0].client.is_empty(), "the EHLO name is kept");
    assert!(server.messages().is_empty(), "not recorded while held");
    assert!(!send.is_finished(), "the client is still waiting for the reply");

    server.release();
    send.await.expect("join").expect("the send completes once released");
    assert_eq!(server.messages().len(), 1);
    assert!(server.wait_for_held(<[_]>::is_empty, TIMEOUT).await.is_empty());
}

#[tokio::test]
async fn two_servers_can_share_a_port_on_different_loopback_addresses() {
    let first = FakeSmtp::start(FakeSmtpConfig::default()).await;
    let second_addr = std::net::SocketAddr::new([127, 0, 0, 2].into(), first.port());
    let second = FakeSmtp::start_on(FakeSmtpConfig::default(), second_addr).await;
    assert_eq!(second.addr(), second_addr);
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.2")
        .port(first.port())
        .timeout(Some(TIMEOUT))
        .build()
        .send(message(&["a@example.com"], "to the second"))
        .await
        .expect("send to 127.0.0.2");
    assert_eq!(second.messages().len(), 1);
    assert_eq!(first.connections(), 0);
}

#[tokio::test]
async fn many_concurrent_connections() {
    let server = Arc::new(FakeSmtp::start(FakeSmtpConfig::default()).await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let port = server.port();
        tasks.spawn(async move {
            plain(port)
                .send(message(&[&format!("user{i}@example.com")], &format!("n{i}")))
                .await
                .expect("send");
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("send task");
    }
    let messages = server.wait_for_messages(50, TIMEOUT).await;
    assert_eq!(messages.len(), 50);
    assert_eq!(server.connections(), 50);
    let mut connections: Vec<u64> = messages.iter().map(|m| m.connection).collect();
    connections.sort_unstable();
    connections.dedup();
    assert_eq!(connections.len(), 50);
}

#[tokio::test]
#[should_panic(expected = "waiting for 1 message(s); 0 arrived")]
async fn wait_for_messages_panics_with_a_count() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    server.wait_for_messages(1, Duration::from_millis(50)).await;
}

/// A minimal line-level client for protocol edge cases lettre would never produce.
struct Raw {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Raw {
    async fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        let (r, w) = stream.into_split();
        Raw {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    /// Reads one (possibly multi-line) reply, returning its lines.
    async fn reply(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(TIMEOUT, self.reader.read_line(&mut line))
                .await
                .expect("reply in time")
                .expect("read reply");
            assert!(n > 0, "connection closed while waiting for a reply; got {lines:?}");
            let line = line.trim_end_matches(['\r', '\n']).to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines;
            }
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
    }

    async fn cmd(&mut self, line: &str) -> Vec<String> {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    async fn code(&mut self, line: &str) -> u16 {
        let reply = self.cmd(line).await;
        reply
            .last()
            .and_then(|l| l.get(..3))
            .and_then(|c| c.parse().ok())
            .expect("numeric reply")
    }
}

#[tokio::test]
async fn raw_protocol_edge_cases() {
    let server = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::None,
        credentials: creds(),
    })
    .await;
    let mut c = Raw::connect(server.port()).await;
    assert_eq!(c.reply().await, ["220 fake.smtp.test ESMTP"]);

    let ehlo = c.cmd("EHLO client.test").await;
    assert_eq!(ehlo.first().map(String::as_str), Some("250-fake.smtp.test"));
    assert!(ehlo.iter().any(|l| l == "250-AUTH PLAIN LOGIN"), "{ehlo:?}");
    assert!(ehlo.iter().any(|l| l == "250-SIZE 10485760"), "{ehlo:?}");
    assert!(
        !ehlo.iter().any(|l| l.contains("PIPELINING") || l.contains("STARTTLS")),
        "{ehlo:?}"
    );
    assert!(ehlo.last().is_some_and(|l| l.starts_with("250 ")), "{ehlo:?}");

    assert_eq!(c.code("RCPT TO:<a@example.com>").await, 503, "RCPT before MAIL");
    assert_eq!(c.code("MAIL FROM:<a@example.com>").await, 530, "auth required");
    assert_eq!(c.code("FROBNICATE").await, 502);
    assert_eq!(c.code("").await, 500);
    c.send(b"\xff\xfe garbage \x00\r\n").await;
    assert_eq!(c.reply().await.len(), 1);
    c.send(&[b'x'; 10_000]).await;
    assert!(c.cmd("").await[0].starts_with("500"), "over-long line");

    // AUTH PLAIN without initial response, wrong then right.
    assert_eq!(c.cmd("AUTH PLAIN").await, ["334 "]);
    assert_eq!(c.cmd("AHVzZXIAd3Jvbmc=").await[0].get(..3), Some("535")); // \0user\0wrong
    assert_eq!(c.cmd("AUTH PLAIN").await, ["334 "]);
    assert_eq!(c.code("not base64!").await, 501);
    // AUTH LOGIN with the right credentials.
    assert_eq!(c.cmd("AUTH LOGIN").await, ["334 VXNlcm5hbWU6"]);
    assert_eq!(c.cmd("bWFpbGVy").await, ["334 UGFzc3dvcmQ6"]); // mailer
    assert_eq!(c.code("czNjcmV0LXBhNTU=").await, 235); // s3cret-pa55
    assert_eq!(c.code("AUTH LOGIN").await, 503, "already authenticated");

    assert_eq!(
        c.code("MAIL FROM:<sender@example.com> SIZE=100 BODY=8BITMIME SMTPUTF8")
            .await,
        250
    );
    assert_eq!(c.code("MAIL FROM:<again@example.com>").await, 503, "nested MAIL");
    assert_eq!(c.code("DATA").await, 554, "no recipients yet");
    assert_eq!(c.code("rcpt to:<r@example.com>").await, 250);
    assert_eq!(c.code("NOOP").await, 250);
    assert_eq!(c.code("DATA").await, 354);
    let long_line = "y".repeat(5_000);
    c.send(format!("Subject: raw\r\n\r\n..stuffed\r\n{long_line}\r\n.\r\n").as_bytes())
        .await;
    let queued = c.reply().await;
    assert!(queued[0].starts_with("250 2.0.0 queued as "), "{queued:?}");
    assert_eq!(c.code("RSET").await, 250);
    assert_eq!(c.cmd("QUIT").await[0].get(..3), Some("221"));

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].data,
        format!("Subject: raw\r\n\r\n.stuffed\r\n{long_line}\r\n").into_bytes()
    );
    assert_eq!(messages[0].auth_user.as_deref(), Some(USER));
    let commands = server.commands();
    assert_eq!(
        commands.iter().filter(|c| c.as_str() == "AUTH <redacted>").count(),
        4,
        "{commands:?}"
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.contains("bWFpbGVy") || c.contains("czNjcmV0")),
        "{commands:?}"
    );
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = FakeSmtp::start(FakeSmtpConfig::default()).await;
    let port = server.port();
    // An open, idle connection must not keep the server alive.
    let mut idle = Raw::connect(port).await;
    assert_eq!(idle.reply().await[0].get(..3), Some("220"));
    drop(server);
    // The idle connection ends when the server's task is gone, and the listener with it: no need to guess how long
    // the abort takes.
    let mut buf = String::new();
    let n = tokio::time::timeout(TIMEOUT, idle.reader.read_line(&mut buf))
        .await
        .expect("closed in time");
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "idle connection must be closed, got {n:?} {buf:?}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "listener must be closed"
    );
}
