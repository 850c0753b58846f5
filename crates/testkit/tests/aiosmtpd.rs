//! Aiosmtpd (a real SMTP server) over real sockets, driven by lettre.

mod common;

use std::path::Path;

use common::{TIMEOUT, implicit, message, starttls, status};
use convene_testkit::{AioTls, Aiosmtpd, TestCa};
use lettre::AsyncTransport;
use lettre::transport::smtp::authentication::Mechanism;

const USER: &str = "relay-user";
const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn starttls_auth_plain_and_login_are_delivered() {
    let ca = TestCa::new();
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let server = Aiosmtpd::start(AioTls::StartTls, &leaf, USER, PASSWORD).await;

    starttls(server.port(), &ca, USER, PASSWORD, Mechanism::Plain)
        .send(message(&["alice@example.com", "bob@example.com"], "via aiosmtpd plain"))
        .await
        .unwrap_or_else(|e| panic!("STARTTLS + AUTH PLAIN to aiosmtpd: {e}\nstderr:\n{}", server.stderr()));
    starttls(server.port(), &ca, USER, PASSWORD, Mechanism::Login)
        .send(message(&["carol@example.com"], "via aiosmtpd login"))
        .await
        .unwrap_or_else(|e| panic!("STARTTLS + AUTH LOGIN to aiosmtpd: {e}\nstderr:\n{}", server.stderr()));

    let messages = server.wait_for_messages(2, TIMEOUT).await;
    assert_eq!(messages.len(), 2);
    let first = &messages[0];
    assert_eq!(first.mail_from, "noreply@convene.test");
    assert_eq!(first.rcpt_to, ["alice@example.com", "bob@example.com"]);
    assert_eq!(first.header("Subject").as_deref(), Some("via aiosmtpd plain"));
    assert!(
        first.data_text().contains("\r\n.a line that starts with a dot\r\n"),
        "{:?}",
        first.data_text()
    );
    assert!(first.tls);
    assert_eq!(first.auth_user.as_deref(), Some(USER));
    assert_eq!(messages[1].rcpt_to, ["carol@example.com"]);
    assert_ne!(messages[0].connection, messages[1].connection);
    let stderr = server.stderr();
    assert!(!stderr.contains("Traceback"), "aiosmtpd stderr:\n{stderr}");
}

#[tokio::test]
async fn implicit_tls_is_delivered() {
    let ca = TestCa::new();
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let server = Aiosmtpd::start(AioTls::Implicit, &leaf, USER, PASSWORD).await;

    implicit(server.port(), &ca, "localhost", USER, PASSWORD)
        .send(message(&["dave@example.com"], "implicit via aiosmtpd"))
        .await
        .unwrap_or_else(|e| panic!("implicit TLS to aiosmtpd: {e}\nstderr:\n{}", server.stderr()));

    let messages = server.wait_for_messages(1, TIMEOUT).await;
    assert_eq!(messages[0].rcpt_to, ["dave@example.com"]);
    assert_eq!(messages[0].header("Subject").as_deref(), Some("implicit via aiosmtpd"));
    assert!(messages[0].tls);
    assert_eq!(messages[0].auth_user.as_deref(), Some(USER));
}

#[tokio::test]
async fn wrong_password_is_refused_with_535() {
    let ca = TestCa::new();
    let leaf = ca.leaf(&["localhost"]);
    let server = Aiosmtpd::start(AioTls::StartTls, &leaf, USER, PASSWORD).await;
    let err = starttls(server.port(), &ca, USER, "wrong", Mechanism::Plain)
        .send(message(&["x@example.com"], "nope"))
        .await
        .expect_err("wrong password must be refused");
    assert_eq!(status(&err), Some(535), "{err:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
#[should_panic(expected = "apt-get install python3-aiosmtpd")]
async fn missing_module_fails_loudly() {
    // `python3 -S` skips site-packages, so `import aiosmtpd` fails exactly as on a machine without the package.
    let dir = tempfile::tempdir().expect("temp dir");
    let wrapper = dir.path().join("python-without-site");
    std::fs::write(&wrapper, "#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n").expect("write wrapper");
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod the wrapper");
    let leaf = TestCa::new().leaf(&["localhost"]);
    Aiosmtpd::start_with_python(&wrapper, AioTls::StartTls, &leaf, USER, PASSWORD).await;
}

#[tokio::test]
#[should_panic(expected = "apt-get install python3-aiosmtpd")]
async fn missing_interpreter_fails_loudly() {
    let leaf = TestCa::new().leaf(&["localhost"]);
    Aiosmtpd::start_with_python(
        Path::new("/nonexistent/python3"),
        AioTls::Implicit,
        &leaf,
        USER,
        PASSWORD,
    )
    .await;
}

#[test]
fn fixtures_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Aiosmtpd>();
    assert_send_sync::<convene_testkit::FakeSmtp>();
    assert_send_sync::<TestCa>();
}
