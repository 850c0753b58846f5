//! A real CalDAV server for the tests: Radicale (PyPI), started per test on 127.0.0.1 with its own storage and an
//! htpasswd file.
//!
//! **CI must install it:** `python3 -m pip install radicale==3.9.0` (the interpreter is `python3` on `PATH`, or the
//! one named by `CONVENE_TEST_RADICALE_PYTHON`). A missing interpreter or module fails the test with that
//! instruction; nothing is skipped.
//!
//! Radicale can't listen on port 0, so a free port is found first and the start is retried on another one if that
//! port was taken in between. Readiness is Radicale's own "Radicale server ready" log line, not a sleep.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

const INSTALL_HINT: &str = "the CalDAV tests need Radicale: run `python3 -m pip install radicale==3.9.0`, or point \
                            CONVENE_TEST_RADICALE_PYTHON at a python3 that can `import radicale`";
/// How long Radicale may take to print that it is ready (it takes well under a second).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running Radicale; dropping it kills the process and removes its storage.
pub struct Radicale {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Radicale {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn python() -> PathBuf {
    std::env::var_os("CONVENE_TEST_RADICALE_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

impl Radicale {
    /// Starts Radicale accepting the `users` (name, password) pairs; each user owns `/<name>/`.
    pub async fn start(users: &[(&str, &str)]) -> Radicale {
        let python = python();
        let check = Command::new(&python)
            .args(["-c", "import radicale; print(radicale.VERSION)"])
            .output()
            .await
            .unwrap_or_else(|e| panic!("cannot run {} ({e}); {INSTALL_HINT}", python.display()));
        assert!(
            check.status.success(),
            "{} cannot import radicale ({}); {INSTALL_HINT}",
            python.display(),
            String::from_utf8_lossy(&check.stderr).trim()
        );

        let dir = tempfile::Builder::new()
            .prefix("convene-radicale-")
            .tempdir()
            .expect("temp dir");
        let users_file = dir.path().join("users");
        let lines: String = users.iter().map(|(u, p)| format!("{u}:{p}\n")).collect();
        std::fs::write(&users_file, lines).expect("write htpasswd");
        let storage = dir.path().join("collections");

        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let config = dir.path().join("config");
            std::fs::write(
                &config,
                format!(
                    "[server]\nhosts = 127.0.0.1:{port}\n\
                     [auth]\ntype = htpasswd\nhtpasswd_filename = {}\nhtpasswd_encryption = plain\ndelay = 0\n\
                     [storage]\nfilesystem_folder = {}\n\
                     [rights]\ntype = owner_only\n\
                     [logging]\nlevel = info\n",
                    users_file.display(),
                    storage.display()
                ),
            )
            .expect("write radicale config");
            let mut child = Command::new(&python)
                .args(["-m", "radicale", "--config"])
                .arg(&config)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .env("PYTHONUNBUFFERED", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start radicale ({e}); {INSTALL_HINT}"));
            let stderr = child.stderr.take().expect("stderr is piped");
            let mut lines = BufReader::new(stderr).lines();
            last_log.clear();
            let ready = tokio::time::timeout(START_TIMEOUT, async {
                while let Ok(Some(line)) = lines.next_line().await {
                    last_log.push_str(&line);
                    last_log.push('\n');
                    if line.contains("Radicale server ready") {
                        return true;
                    }
                }
                false
            })
            .await;
            match ready {
                Ok(true) => {
                    // Keep draining the log so Radicale never blocks on a full pipe.
                    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                    return Radicale { child, port, _dir: dir };
                }
                // It exited (port taken, bad config): try another port, then report the log.
                Ok(false) => {
                    let _ = child.kill().await;
                }
                Err(_) => panic!("radicale did not become ready within {START_TIMEOUT:?}; its log:\n{last_log}"),
            }
        }
        panic!("radicale did not start; its last log:\n{last_log}")
    }

    /// `http://127.0.0.1:<port>/`
    pub fn url(&self) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}/", self.port)).expect("url")
    }

    /// Creates the calendar `/<user>/<name>/` with a display name, colour and component set (MKCALENDAR, as a
    /// calendar app would) and returns its URL.
    pub async fn make_calendar(&self, user: &str, password: &str, name: &str, display: &str, comps: &[&str]) -> Url {
        let client = reqwest::Client::new();
        // Radicale creates a user's principal collection on the first authenticated request.
        let home = self.url().join(&format!("{user}/")).expect("home");
        let response = client
            .request(reqwest::Method::from_bytes(b"PROPFIND").expect("method"), home.clone())
            .basic_auth(user, Some(password))
            .header("Depth", "0")
            .send()
            .await
            .expect("propfind home");
        assert_eq!(response.status().as_u16(), 207, "PROPFIND {home}");
        let url = home.join(&format!("{name}/")).expect("calendar url");
        let comps: String = comps.iter().map(|c| format!(r#"<C:comp name="{c}"/>"#)).collect();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/">
  <D:set><D:prop>
    <D:displayname>{display}</D:displayname>
    <I:calendar-color>#FF8800FF</I:calendar-color>
    <C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"#
        );
        let response = client
            .request(reqwest::Method::from_bytes(b"MKCALENDAR").expect("method"), url.clone())
            .basic_auth(user, Some(password))
            .body(body)
            .send()
            .await
            .expect("mkcalendar");
        assert_eq!(response.status().as_u16(), 201, "MKCALENDAR {url}");
        url
    }
}
