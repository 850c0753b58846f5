//! An SMTP client over lettre's connection, with what lettre's transport leaves out:
//! - the socket is ours, so TCP_NODELAY is set (lettre writes the body and the final "." apart; with Nagle's
//!   algorithm each message would wait ~40 ms for a delayed ACK);
//! - the host is resolved here, every address can be checked against the SSRF rules, and the connection goes to
//!   the address that was checked while TLS verifies the host name (no DNS rebinding);
//! - every phase has its own timeout (lettre's bounds only the TCP connect);
//! - each step (MAIL, RCPT, DATA) is sent separately so a failure says where it happened: a 5xx at RCPT means
//!   "this recipient will never get it", anything else may be worth another route or a retry;
//! - a small pool of idle connections, reused without lettre's NOOP round trip.

use super::host_guard::{HostPolicy, HostRefused, NOT_PUBLIC};
use super::outcome::{DeliveryFailure, ServerReply, Stage};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials as LettreCredentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// How to reach an SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: SecretString,
}

/// Transport security. There is no "TLS if offered": a server that drops STARTTLS must not get credentials or
/// mail in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 465).
    ImplicitTls,
    /// STARTTLS, required.
    StartTls,
    /// No TLS: only for a relay the operator named explicitly with `smtp+insecure://`.
    Plain,
}

/// Bounds on every phase of an SMTP exchange (lettre's own timeout covers only the TCP connect).
#[derive(Debug, Clone, Copy)]
pub struct SmtpTimeouts {
    pub connect: Duration,
    /// From connected to the end of EHLO (the greeting, and TLS when implicit).
    pub greeting: Duration,
    /// Each later command: STARTTLS, AUTH, MAIL, RCPT, DATA.
    pub command: Duration,
    /// Sending the message body and reading the server's verdict.
    pub data: Duration,
}

impl Default for SmtpTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            greeting: Duration::from_secs(10),
            command: Duration::from_secs(10),
            data: Duration::from_secs(30),
        }
    }
}

impl SmtpTimeouts {
    /// The longest one send may take, every phase at its limit.
    pub fn total(&self) -> Duration {
        self.connect + self.greeting + self.command * 6 + self.data
    }
}

/// Which addresses the client may connect to.
#[derive(Debug, Clone)]
pub enum AddressRule {
    /// The operator's own relay: whatever the name resolves to.
    Trusted,
    /// An organization's server: public addresses only, unless the instance allows a private network.
    Guarded(Arc<HostPolicy>),
}

/// Certificates to trust: the public roots, plus the instance's extra CA if configured.
#[derive(Clone)]
pub struct TlsTrust {
    rustls: Arc<rustls::ClientConfig>,
    extra_ca_pem: Option<Arc<Vec<u8>>>,
}

impl fmt::Debug for TlsTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTrust")
            .field("extra_ca", &self.extra_ca_pem.is_some())
            .finish()
    }
}

impl TlsTrust {
    pub fn new(extra_ca_pem: Option<&[u8]>) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = extra_ca_pem {
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("the CA file is not valid PEM: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("the CA file holds an unusable certificate: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err("the CA file holds no certificate".to_owned());
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            rustls: Arc::new(config),
            extra_ca_pem: extra_ca_pem.map(|p| Arc::new(p.to_vec())),
        })
    }

    fn lettre_parameters(&self, host: &str) -> Result<TlsParameters, String> {
        let mut builder = TlsParameters::builder(host.to_owned());
        if let Some(pem) = &self.extra_ca_pem {
            for block in split_pem(pem) {
                let cert = Certificate::from_pem(&block).map_err(|e| e.to_string())?;
                builder = builder.add_root_certificate(cert);
            }
        }
        builder.build_rustls().map_err(|e| e.to_string())
    }
}

/// lettre's `Certificate::from_pem` reads one certificate; a CA file may hold several.
fn split_pem(pem: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(pem);
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            current.clear();
        }
        current.push_str(line);
        current.push('\n');
        if line.starts_with("-----END CERTIFICATE-----") {
            blocks.push(current.clone().into_bytes());
        }
    }
    blocks
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// Idle connections older than this are dropped rather than reused: servers close quiet sessions (postfix after
/// 300 s), and a dead one would cost a failed command.
const MAX_IDLE: Duration = Duration::from_secs(20);

/// A client for one SMTP server with up to `max_connections` open at once.
pub struct SmtpClient {
    server: SmtpServer,
    rule: AddressRule,
    trust: TlsTrust,
    timeouts: SmtpTimeouts,
    hello: ClientId,
    idle: Mutex<Vec<Idle>>,
    permits: Semaphore,
}

impl fmt::Debug for SmtpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpClient")
            .field("host", &self.server.host)
            .field("port", &self.server.port)
            .field("security", &self.server.security)
            .finish_non_exhaustive()
    }
}

impl SmtpClient {
    pub fn new(
        server: SmtpServer,
        rule: AddressRule,
        trust: TlsTrust,
        timeouts: SmtpTimeouts,
        hello_name: &str,
        max_connections: usize,
    ) -> Self {
        Self {
            server,
            rule,
            trust,
            timeouts,
            hello: ClientId::Domain(hello_name.to_owned()),
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max_connections.max(1)),
        }
    }

    /// Sends one message to `envelope`'s recipients.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<ServerReply, DeliveryFailure> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| DeliveryFailure::new(Stage::Connect, None, "the client is shutting down"))?;
        if let Some(mut conn) = self.take_idle() {
            match self.transaction(&mut conn, envelope, message).await {
                Ok(reply) => {
                    self.put_idle(conn);
                    return Ok(reply);
                }
                // The server may have closed a reused session without our noticing: one fresh try, unless
                // it clearly answered about this message.
                Err(failure) if failure.code.is_none() && failure.stage == Stage::MailFrom => {}
                Err(failure) => return Err(failure),
            }
        }
        let mut conn = self.open().await?;
        let reply = self.transaction(&mut conn, envelope, message).await?;
        self.put_idle(conn);
        Ok(reply)
    }

    /// Connects, negotiates TLS, reads the greeting, says EHLO and authenticates — no mail sent — then quits.
    pub async fn probe(&self) -> Result<(), DeliveryFailure> {
        let mut conn = self.open().await?;
        let _ = tokio::time::timeout(self.timeouts.command, conn.quit()).await;
        Ok(())
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(entry) = idle.pop() {
            if entry.since.elapsed() < MAX_IDLE && !entry.conn.has_broken() {
                return Some(entry.conn);
            }
        }
        None
    }

    fn put_idle(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        idle.push(Idle {
            conn,
            since: Instant::now(),
        });
    }

    async fn transaction(
        &self,
        conn: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<ServerReply, DeliveryFailure> {
        let command = self.timeouts.command;
        let mut options = Vec::new();
        if !message.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let non_ascii = |a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii();
        if envelope.from().is_some_and(non_ascii) || envelope.to().iter().any(non_ascii) {
            options.push(MailParameter::SmtpUtfEight);
        }
        step(
            Stage::MailFrom,
            command,
            conn.command(Mail::new(envelope.from().cloned(), options)),
        )
        .await?;
        for to in envelope.to() {
            step(Stage::RcptTo, command, conn.command(Rcpt::new(to.clone(), vec![]))).await?;
        }
        step(Stage::Data, command, conn.command(Data)).await?;
        let response = step(Stage::Data, self.timeouts.data, conn.message(message)).await?;
        Ok(ServerReply {
            code: response.code().to_string().parse().unwrap_or(250),
            text: response.message().collect::<Vec<_>>().join(" "),
        })
    }

    /// A new, ready session: resolved, checked, connected, TLS as configured, greeted, authenticated.
    async fn open(&self) -> Result<AsyncSmtpConnection, DeliveryFailure> {
        let t = self.timeouts;
        let addr = self.resolve().await?;
        let tcp = tokio::time::timeout(t.connect, TcpStream::connect(addr))
            .await
            .map_err(|_| DeliveryFailure::timed_out(Stage::Connect, t.connect))?
            .map_err(|e| DeliveryFailure::new(Stage::Connect, None, format!("{addr}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| DeliveryFailure::new(Stage::Connect, None, e.to_string()))?;

        let stream: Box<dyn AsyncTokioStream> = match self.server.security {
            Security::ImplicitTls => {
                let name = server_name(&self.server.host)?;
                let connector = tokio_rustls::TlsConnector::from(self.trust.rustls.clone());
                let tls = tokio::time::timeout(t.greeting, connector.connect(name, tcp))
                    .await
                    .map_err(|_| DeliveryFailure::timed_out(Stage::Tls, t.greeting))?
                    .map_err(|e| DeliveryFailure::new(Stage::Tls, None, e.to_string()))?;
                Box::new(TlsOverTcp(tls))
            }
            Security::StartTls | Security::Plain => Box::new(tcp),
        };
        let mut conn = tokio::time::timeout(
            t.greeting,
            AsyncSmtpConnection::connect_with_transport(stream, &self.hello),
        )
        .await
        .map_err(|_| DeliveryFailure::timed_out(Stage::Greeting, t.greeting))?
        .map_err(|e| from_lettre(Stage::Greeting, &e))?;

        if self.server.security == Security::StartTls {
            if !conn.can_starttls() {
                return Err(DeliveryFailure::new(
                    Stage::Tls,
                    None,
                    "the server does not offer STARTTLS, which this sender requires",
                ));
            }
            let params = self
                .trust
                .lettre_parameters(&self.server.host)
                .map_err(|e| DeliveryFailure::new(Stage::Tls, None, e))?;
            tokio::time::timeout(t.command, conn.starttls(params, &self.hello))
                .await
                .map_err(|_| DeliveryFailure::timed_out(Stage::Tls, t.command))?
                .map_err(|e| from_lettre(Stage::Tls, &e))?;
        }
        if let Some(Credentials { username, password }) = &self.server.credentials {
            let credentials = LettreCredentials::new(username.clone(), password.expose_secret().to_owned());
            tokio::time::timeout(
                t.command,
                conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials),
            )
            .await
            .map_err(|_| DeliveryFailure::timed_out(Stage::Auth, t.command))?
            .map_err(|e| from_lettre(Stage::Auth, &e))?;
        }
        Ok(conn)
    }

    /// The address to connect to: the host's first address the rule allows.
    async fn resolve(&self) -> Result<SocketAddr, DeliveryFailure> {
        let port = self.server.port;
        if let AddressRule::Guarded(policy) = &self.rule {
            let addrs = policy
                .resolve(&self.server.host, port, self.timeouts.connect)
                .await
                .map_err(|refused| match refused {
                    HostRefused::Dns(message) => DeliveryFailure::new(Stage::Dns, None, message),
                    HostRefused::NotPublic => DeliveryFailure::new(Stage::Dns, None, NOT_PUBLIC),
                })?;
            return addrs
                .into_iter()
                .next()
                .ok_or_else(|| DeliveryFailure::new(Stage::Dns, None, "no address"));
        }
        let candidates: Vec<SocketAddr> = match self.server.host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::time::timeout(
                self.timeouts.connect,
                tokio::net::lookup_host((self.server.host.as_str(), port)),
            )
            .await
            .map_err(|_| DeliveryFailure::timed_out(Stage::Dns, self.timeouts.connect))?
            .map_err(|e| DeliveryFailure::new(Stage::Dns, None, format!("{} did not resolve: {e}", self.server.host)))?
            .collect(),
        };
        candidates
            .into_iter()
            .next()
            .ok_or_else(|| DeliveryFailure::new(Stage::Dns, None, format!("{} has no address", self.server.host)))
    }
}

fn server_name(host: &str) -> Result<ServerName<'static>, DeliveryFailure> {
    ServerName::try_from(host.to_owned())
        .map_err(|_| DeliveryFailure::new(Stage::Tls, None, format!("{host:?} is not a valid TLS server name")))
}

/// A failure lettre reported at `stage`, with the server's code when it answered.
fn from_lettre(stage: Stage, e: &lettre::transport::smtp::Error) -> DeliveryFailure {
    let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
    DeliveryFailure::new(stage, code, e.to_string())
}

/// Runs one SMTP step under its timeout.
async fn step<T>(
    stage: Stage,
    limit: Duration,
    fut: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, DeliveryFailure> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| DeliveryFailure::timed_out(stage, limit))?
        .map_err(|e| from_lettre(stage, &e))
}

/// Implicit TLS over our own socket (lettre's own implicit-TLS connect would open a socket without
/// TCP_NODELAY).
#[derive(Debug)]
struct TlsOverTcp(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncRead for TlsOverTcp {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsOverTcp {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsOverTcp {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}
