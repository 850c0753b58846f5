//! [`Aiosmtpd`]: a real SMTP server (Python's aiosmtpd, Debian package `python3-aiosmtpd`) as a child process.
//!
//! The server listens on `127.0.0.1`, requires AUTH PLAIN or LOGIN with one user/password before MAIL, uses TLS from
//! a [`LeafCert`] (STARTTLS, which it then insists on, or implicit TLS), and spools each accepted message to a
//! temporary directory that [`Aiosmtpd::wait_for_messages`] reads back.
//!
//! The interpreter is `/usr/bin/python3` unless `CONVENE_TEST_PYTHON` names another. A missing interpreter or module
//! is a test failure with instructions, never a silent skip.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::smtp::Received;
use crate::tls::LeafCert;

const SCRIPT: &str = include_str!("aiosmtpd_server.py");
const DEFAULT_PYTHON: &str = "/usr/bin/python3";
const INSTALL_HINT: &str = "install it with `apt-get install python3-aiosmtpd` (Debian/Ubuntu), or point \
                            CONVENE_TEST_PYTHON at a python3 that can `import aiosmtpd`";
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How [`Aiosmtpd`] offers TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AioTls {
    /// Plain greeting; STARTTLS is offered and required before AUTH and MAIL (`require_starttls=True`).
    StartTls,
    /// TLS handshake right after connecting ("SMTPS").
    Implicit,
}

/// A running aiosmtpd child process. Dropping it kills the process and deletes its files.
pub struct Aiosmtpd {
    child: Mutex<Child>,
    port: u16,
    spool: PathBuf,
    stderr_path: PathBuf,
    // Held open so that the script sees EOF on stdin (and exits) if this process dies without dropping us.
    _stdin: Option<ChildStdin>,
    _stdout: Lines<BufReader<ChildStdout>>,
    // Declared last: removed after the process has been told to die.
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Aiosmtpd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aiosmtpd")
            .field("port", &self.port)
            .field("spool", &self.spool)
            .finish_non_exhaustive()
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = child.start_kill();
        let _ = child.try_wait();
    }
}

#[derive(Deserialize)]
struct SpoolRecord {
    mail_from: String,
    rcpt_tos: Vec<String>,
    data_b64: String,
    tls: bool,
    auth_user: Option<String>,
    connection: u64,
}

impl Aiosmtpd {
    /// Starts aiosmtpd on 127.0.0.1 at a free port with AUTH (PLAIN, LOGIN) required, TLS from `leaf`, accepting
    /// only `user`/`password`. Returns once the server accepts connections.
    ///
    /// Panics with a clear message (mentioning `apt-get install python3-aiosmtpd`) if python3 or the module is
    /// missing, or if the server does not come up.
    pub async fn start(tls: AioTls, leaf: &LeafCert, user: &str, password: &str) -> Aiosmtpd {
        let python =
            std::env::var_os("CONVENE_TEST_PYTHON").map_or_else(|| PathBuf::from(DEFAULT_PYTHON), PathBuf::from);
        Self::start_with_python(&python, tls, leaf, user, password).await
    }

    /// Like [`Aiosmtpd::start`], with an explicit Python interpreter instead of `/usr/bin/python3` or
    /// `CONVENE_TEST_PYTHON`.
    pub async fn start_with_python(
        python: &Path,
        tls: AioTls,
        leaf: &LeafCert,
        user: &str,
        password: &str,
    ) -> Aiosmtpd {
        let dir = tempfile::Builder::new()
            .prefix("convene-aiosmtpd-")
            .tempdir()
            .expect("create a temp dir for aiosmtpd");
        let script = dir.path().join("aiosmtpd_server.py");
        std::fs::write(&script, SCRIPT).expect("write the aiosmtpd script");
        let (cert, key) = leaf.write_pem_files(dir.path());
        let spool = dir.path().join("spool");
        std::fs::create_dir(&spool).expect("create the aiosmtpd spool dir");
        let config_path = dir.path().join("config.json");
        let config = serde_json::json!({
            "mode": match tls { AioTls::StartTls => "starttls", AioTls::Implicit => "implicit" },
            "cert": cert,
            "key": key,
            "user": user,
            "password": password,
            "spool": spool,
        });
        std::fs::write(&config_path, config.to_string()).expect("write the aiosmtpd config");
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).expect("create the aiosmtpd stderr log");

        let mut child = Command::new(python)
            .arg(&script)
            .arg(&config_path)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "Aiosmtpd: cannot run {} ({e}); the aiosmtpd tests need Python 3 with aiosmtpd: {INSTALL_HINT}",
                    python.display()
                )
            });
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("child stdout is piped");
        let mut stdout = BufReader::new(stdout).lines();

        let ready = tokio::time::timeout(START_TIMEOUT, stdout.next_line()).await;
        let port = match ready {
            Ok(Ok(Some(ref line))) => line.strip_prefix("READY ").and_then(|p| p.trim().parse::<u16>().ok()),
            _ => None,
        };
        let Some(port) = port else {
            let _ = child.start_kill();
            let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            let stderr = read_stderr(&stderr_path);
            if stderr.contains("MISSING-AIOSMTPD") {
                panic!(
                    "Aiosmtpd: the Python module aiosmtpd is missing for {}; {INSTALL_HINT}.\n{stderr}",
                    python.display()
                );
            }
            panic!(
                "Aiosmtpd: server did not report READY within {START_TIMEOUT:?} (first stdout line: {ready:?}, exit: \
                 {status:?}); stderr:\n{stderr}"
            );
        };
        Aiosmtpd {
            child: Mutex::new(child),
            port,
            spool,
            stderr_path,
            _stdin: stdin,
            _stdout: stdout,
            _dir: dir,
        }
    }

    /// The listening port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The listening address.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// What the server logged on stderr so far (warnings, tracebacks).
    pub fn stderr(&self) -> String {
        read_stderr(&self.stderr_path)
    }

    /// Messages accepted so far, oldest first. `connection` numbers the server's connections, counting its own
    /// start-up probe as 1.
    pub fn messages(&self) -> Vec<Received> {
        read_spool(&self.spool)
    }

    /// Waits until at least `n` messages have been spooled and returns all of them (oldest first). Panics after
    /// `timeout` (or if the server process died), saying how many arrived and showing the server's stderr.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            let exited = {
                let mut child = self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                child.try_wait().ok().flatten()
            };
            if let Some(status) = exited {
                panic!(
                    "Aiosmtpd on port {}: server exited ({status}) while waiting for {n} message(s); {} arrived. \
                     stderr:\n{}",
                    self.port,
                    messages.len(),
                    self.stderr()
                );
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "Aiosmtpd on port {}: timed out after {timeout:?} waiting for {n} message(s); {} arrived. \
                     stderr:\n{}",
                    self.port,
                    messages.len(),
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn read_stderr(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn read_spool(spool: &Path) -> Vec<Received> {
    let entries =
        std::fs::read_dir(spool).unwrap_or_else(|e| panic!("read the aiosmtpd spool {}: {e}", spool.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let record: SpoolRecord =
                serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
            Received {
                mail_from: record.mail_from,
                rcpt_to: record.rcpt_tos,
                data: BASE64
                    .decode(record.data_b64)
                    .unwrap_or_else(|e| panic!("decode the payload in {}: {e}", path.display())),
                tls: record.tls,
                auth_user: record.auth_user,
                connection: record.connection,
                longest_data_wait: None,
            }
        })
        .collect()
}
