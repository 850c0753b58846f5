//! [`FakeSmtp`]: an in-process SMTP server on `127.0.0.1` with fault injection.
//!
//! It speaks enough ESMTP for real clients (EHLO/HELO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP,
//! QUIT), records every accepted message and every command line, and lets a test script the replies with
//! [`Behavior`]: refuse the greeting, black-hole the connection, reject senders or recipients, fail after DATA, drop
//! the connection mid-DATA, or answer slowly.
//!
//! Protocol notes:
//! * PIPELINING is not advertised; every command gets exactly one reply (multi-line for EHLO).
//! * In [`TlsMode::StartTls`] the server insists on encryption: AUTH answers `538` and MAIL answers `530` until
//!   STARTTLS has been done, and AUTH is only advertised after it. A client that fails to upgrade cannot leak mail.
//! * When credentials are configured, MAIL answers `530 5.7.0` until the client has authenticated.
//! * The server never panics on client input; garbage gets `500`/`501`/`502`, I/O errors close the connection.
//!
//! Besides scripted replies, a test can [`hold`](FakeSmtp::hold) every message at the end of DATA, to act while
//! sends are provably in flight (a worker killed mid-send, two workers proven to overlap), and read how long each
//! message's payload kept the server waiting ([`Received::longest_data_wait`]), which shows a client stalled by Nagle's algorithm.
//!
//! Layout: this file holds the public API; `server.rs` the connections, `session.rs` the commands, `auth.rs` AUTH
//! and `lines.rs` the line reader.

mod auth;
mod conn;
mod lines;
mod server;
mod session;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::tls::LeafCert;

/// The host name the fake server announces in its greeting and EHLO reply.
pub const HOSTNAME: &str = "fake.smtp.test";

/// The maximum message size advertised with `SIZE` and enforced after DATA (`552 5.3.4`).
pub const MAX_MESSAGE_SIZE: usize = 10_485_760;

/// How the fake server uses TLS.
#[derive(Clone, Debug, Default)]
pub enum TlsMode {
    /// Plain text only; STARTTLS is not offered.
    #[default]
    None,
    /// Plain text greeting, STARTTLS offered (and required before AUTH and MAIL).
    StartTls(LeafCert),
    /// TLS handshake right after the TCP accept, before the greeting ("SMTPS", port 465 style).
    Implicit(LeafCert),
}

/// Static configuration of a [`FakeSmtp`]; see [`Behavior`] for the parts that can change while it runs.
#[derive(Clone, Debug, Default)]
pub struct FakeSmtpConfig {
    pub tls: TlsMode,
    /// When Some, AUTH PLAIN and AUTH LOGIN are advertised (after TLS when tls is StartTls) and these credentials
    /// (user, password) are required before MAIL; wrong ones → 535 5.7.8.
    pub credentials: Option<(String, String)>,
}

/// What the server does when a connection is accepted.
#[derive(Clone, Debug, Default)]
pub enum Greeting {
    /// `220 fake.smtp.test ESMTP`.
    #[default]
    Normal,
    /// Send this reply instead. A code of 400 or more closes the connection right after it (e.g. 421, 554); a 2xx
    /// code carries on with the session as normal.
    Reply(u16, String),
    /// Accept the TCP connection and never send anything (not even a TLS handshake in implicit mode); whatever the
    /// client sends is read and discarded until it closes. Use it to test connect/greeting timeouts.
    Silent,
    /// Close the TCP connection right after accepting it (before any TLS handshake).
    CloseImmediately,
}

/// Scripted replies, changeable while the server runs with [`FakeSmtp::set_behavior`].
///
/// Every `(u16, String)` override is sent verbatim as `"{code} {text}"` (a `\n` in the text makes a multi-line
/// reply). Where it matters, a 2xx override counts as success (e.g. a 2xx `mail_from` still opens the transaction,
/// a 2xx `data_end` still records the message).
#[derive(Clone, Debug, Default)]
pub struct Behavior {
    /// What to do right after accepting a connection.
    pub greeting: Greeting,
    /// Override the EHLO reply (not HELO).
    pub ehlo: Option<(u16, String)>,
    /// Force the final AUTH reply (e.g. 535, 454) even when the credentials are right. The challenge exchange still
    /// happens first.
    pub auth: Option<(u16, String)>,
    /// Reply to MAIL FROM (e.g. 451, 550).
    pub mail_from: Option<(u16, String)>,
    /// Reply to every RCPT TO (unless `rcpt_reject` matches first).
    pub rcpt_all: Option<(u16, String)>,
    /// Per-recipient replies: (address, code, text), address compared case-insensitively, e.g.
    /// `("gone@example.com".into(), 550, "5.1.1 no such user".into())`.
    pub rcpt_reject: Vec<(String, u16, String)>,
    /// Reply after the final "." of DATA (e.g. 451, 552). The message is only recorded when this is 2xx.
    pub data_end: Option<(u16, String)>,
    /// Close the socket after receiving the first line of the DATA payload, before the final "." and without a
    /// reply.
    pub drop_mid_data: bool,
    /// Sleep this long before every reply (greeting, 334 challenges and final replies alike).
    pub reply_delay: Duration,
    /// Take the whole message and never answer the final "." (a server hung after DATA): the session stays open,
    /// reading and discarding whatever comes, until the client gives up and closes it.
    pub stall_after_data: bool,
    /// Behave like a typical Linux MTA and let the kernel delay ACKs during DATA. By default (false) the fake server
    /// acknowledges the DATA payload at once (TCP_QUICKACK), so a client that writes the payload and the final
    /// ".\r\n" in two writes without TCP_NODELAY (lettre does) does not stall ~40 ms per message on Nagle's
    /// algorithm. Set it to measure that stall the way a real server would show it.
    pub delayed_ack: bool,
}

/// A message the fake server accepted (answered 2xx after DATA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Reverse path from MAIL FROM, without angle brackets ("" for the null sender `<>`).
    pub mail_from: String,
    /// Accepted forward paths from RCPT TO, in order, without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The exact DATA payload with dot-unstuffing applied, without the terminating ".\r\n".
    pub data: Vec<u8>,
    /// Whether the session was encrypted (implicit TLS or after STARTTLS).
    pub tls: bool,
    /// The user name that authenticated, if any.
    pub auth_user: Option<String>,
    /// Which connection carried it: 1 for the first connection the server accepted, 2 for the next, ...
    pub connection: u64,
    /// The longest the server waited for the next line of the DATA payload, the final `.` included (`None` where
    /// the server cannot tell, e.g. aiosmtpd). A client that writes the message in pieces with Nagle's algorithm on
    /// holds its last piece back until the server's delayed ACK (40 ms or more on Linux) and shows that wait here;
    /// one with TCP_NODELAY sends every piece at once.
    pub longest_data_wait: Option<Duration>,
}

impl Received {
    /// The payload as text (lossy UTF-8), handy for `contains` assertions.
    pub fn data_text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The unfolded value of the first header called `name` (case-insensitive), if the payload has one.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.data_text();
        let mut lines = text.split("\r\n").flat_map(|l| l.split('\n')).peekable();
        while let Some(line) = lines.next() {
            if line.is_empty() {
                return None; // end of the header section
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if !key.eq_ignore_ascii_case(name) {
                continue;
            }
            let mut value = value.trim().to_owned();
            while let Some(next) = lines.peek() {
                if next.starts_with([' ', '\t']) {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            return Some(value);
        }
        None
    }
}

/// A send held at the end of DATA by [`FakeSmtp::hold`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldSend {
    /// The connection it came on (see [`Received::connection`]).
    pub connection: u64,
    /// The name the client gave in EHLO/HELO, which tells clients (e.g. two workers) apart.
    pub client: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Plain,
    StartTls,
    Implicit,
}

struct Shared {
    mode: Mode,
    acceptor: Option<TlsAcceptor>,
    credentials: Option<(String, String)>,
    behavior: Mutex<Arc<Behavior>>,
    messages: Mutex<Vec<Received>>,
    message_count: watch::Sender<usize>,
    commands: Mutex<Vec<String>>,
    connections: AtomicU64,
    queue_ids: AtomicU64,
    /// Sessions hung after DATA so far ([`Behavior::stall_after_data`]).
    stalled: AtomicU64,
    /// True while messages are held at the end of DATA.
    holding: watch::Sender<bool>,
    /// The sends waiting for [`FakeSmtp::release`].
    held: watch::Sender<Vec<HeldSend>>,
}

/// Locks a mutex, ignoring poisoning (a panicking test thread must not cascade into every other assertion).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn behavior(&self) -> Arc<Behavior> {
        Arc::clone(&lock(&self.behavior))
    }

    fn log_command(&self, line: String) {
        lock(&self.commands).push(line);
    }

    /// Waits here while [`FakeSmtp::hold`] is in force, listed among the held sends.
    async fn wait_while_held(&self, send: HeldSend) {
        let mut holding = self.holding.subscribe();
        if !*holding.borrow_and_update() {
            return;
        }
        self.held.send_modify(|held| held.push(send.clone()));
        // The sender lives as long as `self`, so this only ends with a release.
        let _ = holding.wait_for(|on| !*on).await;
        self.held.send_modify(|held| {
            if let Some(i) = held.iter().position(|h| *h == send) {
                held.remove(i);
            }
        });
    }

    fn record(&self, message: Received) {
        let count = {
            let mut messages = lock(&self.messages);
            messages.push(message);
            messages.len()
        };
        self.message_count.send_replace(count);
    }
}

/// An in-process SMTP server bound to `127.0.0.1` on a free port. Dropping it stops the server: the accept loop and
/// every connection task are aborted.
pub struct FakeSmtp {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl std::fmt::Debug for FakeSmtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSmtp")
            .field("addr", &self.addr)
            .field("mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl FakeSmtp {
    /// Binds `127.0.0.1:0` and starts serving. Must be called inside a Tokio runtime.
    pub async fn start(config: FakeSmtpConfig) -> FakeSmtp {
        Self::start_on(config, SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await
    }

    /// Like [`start`](Self::start) on a given loopback address and port, e.g. `127.0.0.2` on the port of another
    /// server: two servers a name could resolve to, told apart by address.
    pub async fn start_on(config: FakeSmtpConfig, addr: SocketAddr) -> FakeSmtp {
        assert!(
            addr.ip().is_loopback(),
            "FakeSmtp listens on loopback addresses only, not {addr}"
        );
        let (mode, acceptor) = match &config.tls {
            TlsMode::None => (Mode::Plain, None),
            TlsMode::StartTls(leaf) => (Mode::StartTls, Some(TlsAcceptor::from(leaf.server_config()))),
            TlsMode::Implicit(leaf) => (Mode::Implicit, Some(TlsAcceptor::from(leaf.server_config()))),
        };
        let listener = TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("FakeSmtp: bind {addr}: {e}"));
        let addr = listener.local_addr().expect("FakeSmtp: local address of the listener");
        let shared = Arc::new(Shared {
            mode,
            acceptor,
            credentials: config.credentials,
            behavior: Mutex::new(Arc::new(Behavior::default())),
            messages: Mutex::new(Vec::new()),
            message_count: watch::Sender::new(0),
            commands: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
            queue_ids: AtomicU64::new(0),
            stalled: AtomicU64::new(0),
            holding: watch::Sender::new(false),
            held: watch::Sender::new(Vec::new()),
        });
        let accept_task = tokio::spawn(server::accept_loop(listener, Arc::clone(&shared)));
        FakeSmtp {
            shared,
            addr,
            accept_task,
        }
    }

    /// The listening address (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Replaces the scripted behaviour. It applies to every reply given after the call: new connections and the next
    /// command on existing ones.
    pub fn set_behavior(&self, behavior: Behavior) {
        *lock(&self.shared.behavior) = Arc::new(behavior);
    }

    /// The behaviour currently in force.
    pub fn behavior(&self) -> Behavior {
        (*self.shared.behavior()).clone()
    }

    /// Messages accepted so far (answered 2xx after DATA), oldest first. A message is recorded before its 2xx reply
    /// is sent, so it is visible here as soon as the client's send has returned.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.shared.messages).clone()
    }

    /// Waits until at least `n` messages have been accepted and returns all of them (oldest first; possibly more
    /// than `n`). Panics after `timeout`, saying how many arrived and showing the last commands received.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let mut count = self.shared.message_count.subscribe();
        let reached = tokio::time::timeout(timeout, count.wait_for(|c| *c >= n))
            .await
            .map(|r| r.map(|c| *c));
        if matches!(reached, Ok(Ok(_))) {
            return self.messages();
        }
        let arrived = lock(&self.shared.messages).len();
        let commands = self.commands();
        let tail = &commands[commands.len().saturating_sub(20)..];
        panic!(
            "FakeSmtp on {}: timed out after {timeout:?} waiting for {n} message(s); {arrived} arrived over {} \
             connection(s). Last commands received: {tail:#?}",
            self.addr,
            self.connections()
        );
    }

    /// Holds every message at the end of DATA — after the final `.`, before the reply, not yet recorded — until
    /// [`release`](Self::release). The client's send stays in flight meanwhile, so a test can act while sends are
    /// provably unfinished, and see who is sending with [`wait_for_held`](Self::wait_for_held).
    pub fn hold(&self) {
        self.shared.holding.send_replace(true);
    }

    /// Lets held messages (and later ones) through: each is recorded and answered as the behaviour says.
    pub fn release(&self) {
        self.shared.holding.send_replace(false);
    }

    /// Waits until the held sends satisfy `enough` and returns them. Panics after `timeout`, showing what is held.
    pub async fn wait_for_held(&self, enough: impl Fn(&[HeldSend]) -> bool, timeout: Duration) -> Vec<HeldSend> {
        let mut held = self.shared.held.subscribe();
        let reached = tokio::time::timeout(timeout, held.wait_for(|h| enough(h)))
            .await
            .map(|r| r.map(|h| h.clone()));
        match reached {
            Ok(Ok(held)) => held,
            _ => panic!(
                "FakeSmtp on {}: timed out after {timeout:?} waiting for held sends; held now: {:?}",
                self.addr,
                self.shared.held.borrow()
            ),
        }
    }

    /// Sessions that have sent a whole message and got no answer ([`Behavior::stall_after_data`]), so far.
    pub fn stalled_sessions(&self) -> u64 {
        self.shared.stalled.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every command line received so far, in arrival order across connections, without CRLF. AUTH lines are logged
    /// as `AUTH <redacted>` and the AUTH challenge responses and DATA payload are not logged.
    pub fn commands(&self) -> Vec<String> {
        lock(&self.shared.commands).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_unfolds_and_stops_at_body() {
        let message = Received {
            mail_from: String::new(),
            rcpt_to: Vec::new(),
            data: b"Subject: hello\r\n world\r\nFrom: a@b.test\r\n\r\nX-Not: header\r\n".to_vec(),
            tls: false,
            auth_user: None,
            connection: 1,
            longest_data_wait: None,
        };
        assert_eq!(message.header("subject").as_deref(), Some("hello world"));
        assert_eq!(message.header("FROM").as_deref(), Some("a@b.test"));
        assert_eq!(message.header("X-Not"), None);
    }
}
