//! Shared helpers for the testkit's own tests: lettre clients pointed at 127.0.0.1.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use convene_testkit::TestCa;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Message, Tokio1Executor};

pub const TIMEOUT: Duration = Duration::from_secs(2);

pub fn message(to: &[&str], subject: &str) -> Message {
    let mut builder = Message::builder()
        .from(
            "Convene <noreply@convene.test>"
                .parse::<Mailbox>()
                .expect("valid from address"),
        )
        .subject(subject);
    for addr in to {
        builder = builder.to(addr.parse::<Mailbox>().expect("valid to address"));
    }
    builder
        .body(String::from(
            "Hello there.\r\n.a line that starts with a dot\r\nBye.\r\n",
        ))
        .expect("build the message")
}

/// TLS parameters trusting only `ca`, verifying the server as `server_name`.
pub fn tls_params(ca: &TestCa, server_name: &str) -> TlsParameters {
    let root = Certificate::from_pem(ca.ca_pem().as_bytes()).expect("lettre parses the test CA");
    TlsParameters::builder(server_name.to_owned())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(root)
        .build_rustls()
        .expect("build rustls TLS parameters")
}

pub fn plain(port: u16) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(TIMEOUT))
        .build()
}

pub fn starttls(
    port: u16,
    ca: &TestCa,
    user: &str,
    password: &str,
    mechanism: Mechanism,
) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(TIMEOUT))
        .tls(Tls::Required(tls_params(ca, "localhost")))
        .credentials(Credentials::new(user.to_owned(), password.to_owned()))
        .authentication(vec![mechanism])
        .build()
}

pub fn implicit(
    port: u16,
    ca: &TestCa,
    server_name: &str,
    user: &str,
    password: &str,
) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(TIMEOUT))
        .tls(Tls::Wrapper(tls_params(ca, server_name)))
        .credentials(Credentials::new(user.to_owned(), password.to_owned()))
        .authentication(vec![Mechanism::Plain])
        .build()
}

/// The numeric SMTP status of a lettre error, if it carries one.
pub fn status(err: &lettre::transport::smtp::Error) -> Option<u16> {
    err.status().map(u16::from)
}
