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

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufStream, ReadBuf,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::tls::LeafCert;

/// The host name the fake server announces in its greeting and EHLO reply.
pub const HOSTNAME: &str = "fake.smtp.test";

/// The maximum message size advertised with `SIZE` and enforced after DATA (`552 5.3.4`).
pub const MAX_MESSAGE_SIZE: usize = 10_485_760;

/// Longest command line accepted (including CRLF); longer ones get `500 5.5.2 Line too long`.
const MAX_COMMAND_LINE: usize = 4096;

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
        let (mode, acceptor) = match &config.tls {
            TlsMode::None => (Mode::Plain, None),
            TlsMode::StartTls(leaf) => (Mode::StartTls, Some(TlsAcceptor::from(leaf.server_config()))),
            TlsMode::Implicit(leaf) => (Mode::Implicit, Some(TlsAcceptor::from(leaf.server_config()))),
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("FakeSmtp: bind 127.0.0.1:0");
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
        });
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
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

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Dropping the JoinSet (when this task is aborted) aborts every connection task.
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    let id = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
                    // Best effort; replies are flushed as whole lines anyway.
                    let _ = tcp.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    tasks.spawn(async move {
                        // I/O errors (client went away, bad TLS) just end the connection.
                        let _ = serve(&shared, tcp, id).await;
                    });
                }
                // E.g. out of file descriptors under a load test: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// The connection, before or after TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Conn {
    #[cfg(target_os = "linux")]
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref().0,
        }
    }

    /// Asks Linux to acknowledge the next incoming segments at once instead of delaying the ACK.
    ///
    /// Clients that write the message and the final ".\r\n" separately without TCP_NODELAY (lettre does) otherwise
    /// wait for our delayed ACK (~40 ms) before Nagle lets the terminator out, once per message.
    fn quick_ack(&self) {
        #[cfg(target_os = "linux")]
        {
            // Best effort: purely a latency optimisation.
            let _ = self.tcp().set_quickack(true);
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

type Io = BufStream<Conn>;

/// What a session asks of the connection driver.
enum Next {
    /// Close gracefully (QUIT, EOF, fatal reply).
    Close,
    /// Close abruptly, without flushing or shutting down (fault injection).
    Drop,
    /// Replace the plain stream with TLS and carry on.
    StartTls,
}

async fn serve(shared: &Shared, tcp: TcpStream, id: u64) -> io::Result<()> {
    let greeting = shared.behavior().greeting.clone();
    match greeting {
        Greeting::CloseImmediately => return Ok(()),
        Greeting::Silent => {
            black_hole(tcp).await;
            return Ok(());
        }
        Greeting::Normal | Greeting::Reply(..) => {}
    }
    let (conn, tls) = match (&shared.acceptor, shared.mode) {
        (Some(acceptor), Mode::Implicit) => (Conn::Tls(Box::new(acceptor.accept(tcp).await?)), true),
        _ => (Conn::Plain(tcp), false),
    };
    let mut io = BufStream::new(conn);
    let mut session = Session::new(shared, id, tls);
    match greeting {
        Greeting::Reply(code, text) => {
            session.reply(&mut io, code, &text).await?;
            if code >= 400 {
                let _ = io.shutdown().await;
                return Ok(());
            }
        }
        _ => session.reply(&mut io, 220, &format!("{HOSTNAME} ESMTP")).await?,
    }
    loop {
        match session.run(&mut io).await? {
            Next::Close => {
                let _ = io.shutdown().await;
                return Ok(());
            }
            Next::Drop => return Ok(()),
            Next::StartTls => {
                // Anything the client pipelined after STARTTLS is discarded with the buffer (RFC 3207 §4.2).
                let (Conn::Plain(tcp), Some(acceptor)) = (io.into_inner(), &shared.acceptor) else {
                    return Ok(());
                };
                let tls = acceptor.accept(tcp).await?;
                io = BufStream::new(Conn::Tls(Box::new(tls)));
                session.after_starttls();
            }
        }
    }
}

/// Reads and discards until the peer closes.
async fn black_hole(mut tcp: TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = tcp.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

enum LineRead {
    /// A whole line (with its line ending) is in the buffer.
    Complete,
    /// The line was longer than the limit; it was consumed and discarded.
    TooLong,
    /// The peer closed the connection (a partial last line is dropped).
    Eof,
}

/// Reads one `\n`-terminated line into `buf` (cleared first), never holding more than `max` bytes.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<LineRead> {
    buf.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(LineRead::Eof);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        if !too_long {
            if buf.len() + used > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        reader.consume(used);
        if done {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Complete
            });
        }
    }
}

fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_success(code: u16) -> bool {
    (200..300).contains(&code)
}

/// Splits `"<addr> PARAMS"` (after `FROM:`/`TO:`) into the address and the parameters.
fn parse_path(rest: &str) -> Option<(String, String)> {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        let addr = &inner[..end];
        if addr.chars().any(char::is_whitespace) {
            return None;
        }
        Some((addr.to_owned(), inner[end + 1..].trim().to_owned()))
    } else {
        // Lenient: a bare address without angle brackets.
        let mut parts = rest.splitn(2, char::is_whitespace);
        let addr = parts.next().filter(|a| !a.is_empty())?;
        Some((addr.to_owned(), parts.next().unwrap_or("").trim().to_owned()))
    }
}

/// Strips a case-insensitive keyword prefix such as `FROM:`.
fn strip_keyword<'a>(arg: &'a str, keyword: &str) -> Option<&'a str> {
    let head = arg.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword).then(|| &arg[keyword.len()..])
}

/// Outcome of one AUTH challenge round.
enum Challenge {
    Response(Vec<u8>),
    Aborted,
    Invalid,
    Eof,
}

struct Session<'a> {
    shared: &'a Shared,
    id: u64,
    tls: bool,
    greeted: bool,
    auth_user: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    line: Vec<u8>,
}

impl<'a> Session<'a> {
    fn new(shared: &'a Shared, id: u64, tls: bool) -> Self {
        Session {
            shared,
            id,
            tls,
            greeted: false,
            auth_user: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            line: Vec::with_capacity(256),
        }
    }

    fn after_starttls(&mut self) {
        // RFC 3207 §4.2: forget everything learned before the handshake.
        self.tls = true;
        self.greeted = false;
        self.auth_user = None;
        self.reset_transaction();
    }

    fn reset_transaction(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }

    async fn reply(&self, io: &mut Io, code: u16, text: &str) -> io::Result<()> {
        let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
        self.reply_lines(io, code, &lines).await
    }

    async fn reply_lines(&self, io: &mut Io, code: u16, lines: &[&str]) -> io::Result<()> {
        let delay = self.shared.behavior().reply_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut out = String::with_capacity(64);
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{code}{sep}{line}\r\n"));
        }
        if lines.is_empty() {
            out.push_str(&format!("{code} \r\n"));
        }
        io.write_all(out.as_bytes()).await?;
        io.flush().await
    }

    async fn run(&mut self, io: &mut Io) -> io::Result<Next> {
        loop {
            let mut line = std::mem::take(&mut self.line);
            let read = read_line(io, &mut line, MAX_COMMAND_LINE).await;
            let text = String::from_utf8_lossy(trim_line_ending(&line)).into_owned();
            self.line = line;
            match read? {
                LineRead::Eof => return Ok(Next::Close),
                LineRead::TooLong => {
                    self.shared.log_command("<line too long>".to_owned());
                    self.reply(io, 500, "5.5.2 Line too long").await?;
                    continue;
                }
                LineRead::Complete => {}
            }
            let (verb, arg) = match text.split_once(' ') {
                Some((verb, arg)) => (verb.to_ascii_uppercase(), arg.trim()),
                None => (text.trim().to_ascii_uppercase(), ""),
            };
            let logged = if verb == "AUTH" {
                "AUTH <redacted>".to_owned()
            } else {
                text.clone()
            };
            self.shared.log_command(logged);
            let next = match verb.as_str() {
                "EHLO" => self.ehlo(io, arg).await?,
                "HELO" => self.helo(io, arg).await?,
                "STARTTLS" => self.starttls(io, arg).await?,
                "AUTH" => self.auth(io, arg).await?,
                "MAIL" => self.mail(io, arg).await?,
                "RCPT" => self.rcpt(io, arg).await?,
                "DATA" => self.data(io).await?,
                "RSET" => {
                    self.reset_transaction();
                    self.reply(io, 250, "2.0.0 OK").await?;
                    None
                }
                "NOOP" => {
                    self.reply(io, 250, "2.0.0 OK").await?;
                    None
                }
                "QUIT" => {
                    self.reply(io, 221, &format!("2.0.0 {HOSTNAME} closing connection"))
                        .await?;
                    Some(Next::Close)
                }
                "" => {
                    self.reply(io, 500, "5.5.2 Syntax error, empty command").await?;
                    None
                }
                _ => {
                    self.reply(io, 502, "5.5.2 Command not recognized").await?;
                    None
                }
            };
            if let Some(next) = next {
                return Ok(next);
            }
        }
    }

    async fn ehlo(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if arg.is_empty() {
            self.reply(io, 501, "5.5.4 EHLO requires a domain or address literal")
                .await?;
            return Ok(None);
        }
        if let Some((code, text)) = self.shared.behavior().ehlo.clone() {
            if is_success(code) {
                self.greeted = true;
                self.reset_transaction();
            }
            self.reply(io, code, &text).await?;
            return Ok(None);
        }
        self.greeted = true;
        self.reset_transaction();
        let size = format!("SIZE {MAX_MESSAGE_SIZE}");
        let mut lines = vec![HOSTNAME, "8BITMIME", size.as_str(), "ENHANCEDSTATUSCODES"];
        if self.shared.mode == Mode::StartTls && !self.tls {
            lines.push("STARTTLS");
        }
        if self.shared.credentials.is_some() && (self.shared.mode != Mode::StartTls || self.tls) {
            lines.push("AUTH PLAIN LOGIN");
        }
        lines.push("SMTPUTF8");
        self.reply_lines(io, 250, &lines).await?;
        Ok(None)
    }

    async fn helo(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if arg.is_empty() {
            self.reply(io, 501, "5.5.4 HELO requires a domain").await?;
            return Ok(None);
        }
        self.greeted = true;
        self.reset_transaction();
        self.reply(io, 250, HOSTNAME).await?;
        Ok(None)
    }

    async fn starttls(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if self.shared.mode != Mode::StartTls {
            self.reply(io, 502, "5.5.1 STARTTLS not supported").await?;
        } else if self.tls {
            self.reply(io, 503, "5.5.1 TLS already active").await?;
        } else if !arg.is_empty() {
            self.reply(io, 501, "5.5.4 STARTTLS takes no parameters").await?;
        } else {
            self.reply(io, 220, "2.0.0 Ready to start TLS").await?;
            return Ok(Some(Next::StartTls));
        }
        Ok(None)
    }

    /// Sends a `334` challenge and reads the base64 response.
    async fn challenge(&mut self, io: &mut Io, challenge: &str) -> io::Result<Challenge> {
        self.reply(io, 334, challenge).await?;
        let mut line = std::mem::take(&mut self.line);
        let read = read_line(io, &mut line, MAX_COMMAND_LINE).await;
        let response = trim_line_ending(&line).trim_ascii().to_vec();
        self.line = line;
        Ok(match read? {
            LineRead::Eof => Challenge::Eof,
            LineRead::TooLong => Challenge::Invalid,
            LineRead::Complete if response == b"*" => Challenge::Aborted,
            LineRead::Complete => match BASE64.decode(&response) {
                Ok(decoded) => Challenge::Response(decoded),
                Err(_) => Challenge::Invalid,
            },
        })
    }

    async fn auth(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        let Some((user, password)) = self.shared.credentials.clone() else {
            self.reply(io, 502, "5.5.1 AUTH not supported").await?;
            return Ok(None);
        };
        if !self.greeted {
            self.reply(io, 503, "5.5.1 Send EHLO first").await?;
            return Ok(None);
        }
        if self.shared.mode == Mode::StartTls && !self.tls {
            self.reply(
                io,
                538,
                "5.7.11 Encryption required for requested authentication mechanism",
            )
            .await?;
            return Ok(None);
        }
        if self.auth_user.is_some() {
            self.reply(io, 503, "5.5.1 Already authenticated").await?;
            return Ok(None);
        }
        if self.mail_from.is_some() {
            self.reply(io, 503, "5.5.1 AUTH not permitted during a mail transaction")
                .await?;
            return Ok(None);
        }
        let mut parts = arg.split_whitespace();
        let mechanism = parts.next().unwrap_or("").to_ascii_uppercase();
        let initial = parts.next();
        if parts.next().is_some() {
            self.reply(io, 501, "5.5.4 Too many AUTH parameters").await?;
            return Ok(None);
        }
        let initial = match initial {
            None => None,
            Some("=") => Some(Challenge::Response(Vec::new())),
            Some("*") => Some(Challenge::Aborted),
            Some(b64) => Some(match BASE64.decode(b64) {
                Ok(decoded) => Challenge::Response(decoded),
                Err(_) => Challenge::Invalid,
            }),
        };
        let (given_user, given_password) = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => self.challenge(io, "").await?,
                };
                let blob = match response {
                    Challenge::Response(blob) => blob,
                    other => return self.auth_failed_exchange(io, other).await,
                };
                // authzid NUL authcid NUL passwd
                let fields: Vec<&[u8]> = blob.split(|&b| b == 0).collect();
                let [_authzid, authcid, passwd] = fields.as_slice() else {
                    self.reply(io, 501, "5.5.2 Malformed AUTH PLAIN response").await?;
                    return Ok(None);
                };
                (
                    String::from_utf8_lossy(authcid).into_owned(),
                    String::from_utf8_lossy(passwd).into_owned(),
                )
            }
            "LOGIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => self.challenge(io, "VXNlcm5hbWU6").await?,
                };
                let login = match response {
                    Challenge::Response(login) => login,
                    other => return self.auth_failed_exchange(io, other).await,
                };
                let passwd = match self.challenge(io, "UGFzc3dvcmQ6").await? {
                    Challenge::Response(passwd) => passwd,
                    other => return self.auth_failed_exchange(io, other).await,
                };
                (
                    String::from_utf8_lossy(&login).into_owned(),
                    String::from_utf8_lossy(&passwd).into_owned(),
                )
            }
            "" => {
                self.reply(io, 501, "5.5.4 AUTH requires a mechanism").await?;
                return Ok(None);
            }
            _ => {
                self.reply(io, 504, "5.5.4 Unrecognized authentication type").await?;
                return Ok(None);
            }
        };
        if let Some((code, text)) = self.shared.behavior().auth.clone() {
            if is_success(code) {
                self.auth_user = Some(given_user);
            }
            self.reply(io, code, &text).await?;
        } else if given_user == user && given_password == password {
            self.auth_user = Some(given_user);
            self.reply(io, 235, "2.7.0 Authentication successful").await?;
        } else {
            self.reply(io, 535, "5.7.8 Authentication credentials invalid").await?;
        }
        Ok(None)
    }

    async fn auth_failed_exchange(&mut self, io: &mut Io, outcome: Challenge) -> io::Result<Option<Next>> {
        match outcome {
            Challenge::Eof => return Ok(Some(Next::Close)),
            Challenge::Aborted => self.reply(io, 501, "5.7.0 Authentication aborted").await?,
            Challenge::Invalid | Challenge::Response(_) => {
                self.reply(io, 501, "5.5.2 Cannot decode AUTH response").await?;
            }
        }
        Ok(None)
    }

    async fn mail(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if !self.greeted {
            self.reply(io, 503, "5.5.1 Send EHLO/HELO first").await?;
            return Ok(None);
        }
        if self.shared.mode == Mode::StartTls && !self.tls {
            self.reply(io, 530, "5.7.0 Must issue a STARTTLS command first").await?;
            return Ok(None);
        }
        if self.shared.credentials.is_some() && self.auth_user.is_none() {
            self.reply(io, 530, "5.7.0 Authentication required").await?;
            return Ok(None);
        }
        if self.mail_from.is_some() {
            self.reply(io, 503, "5.5.1 Nested MAIL command").await?;
            return Ok(None);
        }
        let Some((from, params)) = strip_keyword(arg, "FROM:").and_then(parse_path) else {
            self.reply(io, 501, "5.5.4 Syntax: MAIL FROM:<address> [parameters]")
                .await?;
            return Ok(None);
        };
        let declared_size = params
            .split_whitespace()
            .find_map(|p| strip_keyword(p, "SIZE="))
            .and_then(|s| s.parse::<u64>().ok());
        if declared_size.is_some_and(|s| s > MAX_MESSAGE_SIZE as u64) {
            self.reply(io, 552, "5.3.4 Message size exceeds fixed maximum message size")
                .await?;
            return Ok(None);
        }
        if let Some((code, text)) = self.shared.behavior().mail_from.clone() {
            if is_success(code) {
                self.mail_from = Some(from);
                self.rcpt_to.clear();
            }
            self.reply(io, code, &text).await?;
            return Ok(None);
        }
        self.mail_from = Some(from);
        self.rcpt_to.clear();
        self.reply(io, 250, "2.1.0 Sender OK").await?;
        Ok(None)
    }

    async fn rcpt(&mut self, io: &mut Io, arg: &str) -> io::Result<Option<Next>> {
        if self.mail_from.is_none() {
            self.reply(io, 503, "5.5.1 Need MAIL before RCPT").await?;
            return Ok(None);
        }
        let Some((to, _params)) = strip_keyword(arg, "TO:").and_then(parse_path) else {
            self.reply(io, 501, "5.5.4 Syntax: RCPT TO:<address> [parameters]")
                .await?;
            return Ok(None);
        };
        if to.is_empty() {
            self.reply(io, 501, "5.1.3 Empty recipient address").await?;
            return Ok(None);
        }
        let behavior = self.shared.behavior();
        let scripted = behavior
            .rcpt_reject
            .iter()
            .find(|(addr, _, _)| addr.eq_ignore_ascii_case(&to))
            .map(|(_, code, text)| (*code, text.as_str()))
            .or_else(|| behavior.rcpt_all.as_ref().map(|(code, text)| (*code, text.as_str())));
        let (code, text) = scripted.unwrap_or((250, "2.1.5 Recipient OK"));
        if is_success(code) {
            self.rcpt_to.push(to);
        }
        self.reply(io, code, text).await?;
        Ok(None)
    }

    async fn data(&mut self, io: &mut Io) -> io::Result<Option<Next>> {
        let Some(mail_from) = self.mail_from.clone() else {
            self.reply(io, 503, "5.5.1 Need MAIL command").await?;
            return Ok(None);
        };
        if self.rcpt_to.is_empty() {
            self.reply(io, 554, "5.5.1 No valid recipients").await?;
            return Ok(None);
        }
        let drop_mid_data = self.shared.behavior().drop_mid_data;
        self.reply(io, 354, "End data with <CR><LF>.<CR><LF>").await?;
        if !self.shared.behavior().delayed_ack {
            io.get_ref().quick_ack();
        }

        let mut data = Vec::with_capacity(4096);
        let mut too_big = false;
        let mut line = std::mem::take(&mut self.line);
        let result = loop {
            match read_line(io, &mut line, MAX_MESSAGE_SIZE + 2).await {
                Err(e) => break Err(e),
                Ok(LineRead::Eof) => break Ok(Some(Next::Close)),
                Ok(LineRead::TooLong) => too_big = true,
                Ok(LineRead::Complete) => {
                    if drop_mid_data {
                        break Ok(Some(Next::Drop));
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break Ok(None);
                    }
                    let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
                    if data.len() + unstuffed.len() > MAX_MESSAGE_SIZE {
                        too_big = true;
                        data = Vec::new();
                    }
                    if !too_big {
                        data.extend_from_slice(unstuffed);
                    }
                }
            }
        };
        self.line = line;
        if let Some(next) = result? {
            return Ok(Some(next));
        }

        let rcpt_to = std::mem::take(&mut self.rcpt_to);
        self.reset_transaction();
        if too_big {
            self.reply(io, 552, "5.3.4 Message too big").await?;
            return Ok(None);
        }
        let scripted = self.shared.behavior().data_end.clone();
        let (code, text) = match scripted {
            Some(reply) => reply,
            None => {
                let queue_id = self.shared.queue_ids.fetch_add(1, Ordering::SeqCst) + 1;
                (250, format!("2.0.0 queued as {queue_id}"))
            }
        };
        if is_success(code) {
            self.shared.record(Received {
                mail_from,
                rcpt_to,
                data,
                tls: self.tls,
                auth_user: self.auth_user.clone(),
                connection: self.id,
            });
        }
        self.reply(io, code, &text).await?;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_path_handles_brackets_params_and_null_sender() {
        assert_eq!(
            parse_path("<a@b.test> SIZE=10 BODY=8BITMIME"),
            Some(("a@b.test".into(), "SIZE=10 BODY=8BITMIME".into()))
        );
        assert_eq!(parse_path(" <>"), Some((String::new(), String::new())));
        assert_eq!(parse_path("bare@b.test"), Some(("bare@b.test".into(), String::new())));
        assert_eq!(parse_path("<unterminated"), None);
        assert_eq!(parse_path(""), None);
    }

    #[test]
    fn strip_keyword_is_case_insensitive_and_utf8_safe() {
        assert_eq!(strip_keyword("from:<x>", "FROM:"), Some("<x>"));
        assert_eq!(strip_keyword("FRO", "FROM:"), None);
        assert_eq!(strip_keyword("fröm:<x>", "FROM:"), None);
    }

    #[test]
    fn header_unfolds_and_stops_at_body() {
        let message = Received {
            mail_from: String::new(),
            rcpt_to: Vec::new(),
            data: b"Subject: hello\r\n world\r\nFrom: a@b.test\r\n\r\nX-Not: header\r\n".to_vec(),
            tls: false,
            auth_user: None,
            connection: 1,
        };
        assert_eq!(message.header("subject").as_deref(), Some("hello world"));
        assert_eq!(message.header("FROM").as_deref(), Some("a@b.test"));
        assert_eq!(message.header("X-Not"), None);
    }
}
