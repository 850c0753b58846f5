//! Shared by the process-level tests of the reliability work: starting `convene serve` / `convene worker` as real
//! processes with their own data folder and log, reading what they print, and talking to them over HTTP.

#![allow(dead_code)] // each test binary uses its own part of this module

use convene_core::EmailId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_convene");

/// The encryption key processes sharing a database are given (PostgreSQL refuses to start without one).
pub const SHARED_KEY: &str = "shared:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub const ADMIN_EMAIL: &str = "root@convene.test";
pub const ADMIN_PASSWORD: &str = "instance-admin-pw";

/// How long a process may take to print its first line or to exit: a guard against hangs, not a measurement.
pub const HANG_GUARD: Duration = Duration::from_secs(90);

/// A running `convene` process; killed (SIGKILL) when dropped.
pub struct Process {
    pub child: Child,
    log: PathBuf,
    lines: mpsc::Receiver<String>,
    pub printed: String,
}

impl Process {
    /// Starts `program args…` with `env`, stdout read line by line and stderr into `log`.
    pub fn spawn(mut command: Command, log: &Path) -> Process {
        let stderr = std::fs::File::create(log).expect("log file");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr));
        let mut child = command.spawn().expect("spawn convene");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Process {
            child,
            log: log.to_owned(),
            lines,
            printed: String::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Reads printed lines until one starts with `prefix`; returns the rest of that line.
    pub fn wait_for_line(&mut self, prefix: &str) -> String {
        loop {
            let line = self.lines.recv_timeout(HANG_GUARD).unwrap_or_else(|_| {
                panic!(
                    "convene never printed {prefix:?}; it printed:\n{}\nits log:\n{}",
                    self.printed,
                    self.log()
                )
            });
            self.printed.push_str(&line);
            self.printed.push('\n');
            if let Some(rest) = line.trim().strip_prefix(prefix) {
                return rest.trim().to_owned();
            }
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Sends `signal` (e.g. "TERM", "KILL") to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits (without blocking the async runtime the test's servers run on) for the process to end.
    pub async fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "convene still running after {HANG_GUARD:?}; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `convene worker <args>` in `dir` (its data folder `dir/data`, so a restart in the same `dir` is the same
/// worker), on the database at `db_url`, sending to the plain SMTP server on `smtp_port`; `env` adds settings.
pub fn worker(dir: &Path, db_url: &str, smtp_port: u16, env: &[(&str, &str)], args: &[&str]) -> Process {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .arg("worker")
        .args(args)
        .env_remove("CONVENE_CONFIG")
        .env("CONVENE_DATA_DIR", dir.join("data"))
        .env("CONVENE_DATABASE_URL", db_url)
        .env("CONVENE_ENCRYPTION_KEYS", SHARED_KEY)
        .env(
            "CONVENE_EMAIL_TRANSPORT",
            format!("smtp+insecure://127.0.0.1:{smtp_port}"),
        )
        .env("CONVENE_LOG", "info,sqlx=warn");
    for (key, value) in env {
        command.env(key, value);
    }
    let log = dir.join(format!(
        "worker-{}.log",
        std::time::SystemTime::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos())
    ));
    Process::spawn(command, &log)
}

/// Queues `n` account emails through the store; (row id, Message-ID) of each.
pub async fn queue_emails(db: &convene_store::Db, n: usize, tag: &str) -> Vec<(EmailId, String)> {
    let mut queued = Vec::with_capacity(n);
    for i in 0..n {
        let email = convene_store::outbox::NewEmail {
            message_id: format!("<{tag}-{i}@worker.convene.test>"),
            to_email: format!("{tag}{i}@example.test"),
            to_name: Some(format!("User {i}")),
            subject: format!("Email {i} of {n}"),
            body_text: format!("Body {i}"),
            body_html: format!("<p>Body {i}</p>"),
            ..convene_store::outbox::NewEmail::of(convene_core::email::EmailKind::PasswordReset)
        };
        let id = convene_store::outbox::enqueue(db, &email, jiff::Timestamp::now())
            .await
            .expect("enqueue");
        queued.push((id, email.message_id));
    }
    queued
}

/// How many times each Message-ID arrived at `smtp`.
pub fn deliveries(smtp: &convene_testkit::FakeSmtp) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for m in smtp.messages() {
        let id = m.header("Message-ID").expect("every message has a Message-ID");
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// Waits until `smtp` has accepted `n` messages, while `process` keeps running.
pub async fn wait_for_messages(smtp: &convene_testkit::FakeSmtp, process: &mut Process, n: usize) {
    let deadline = Instant::now() + HANG_GUARD;
    while smtp.messages().len() < n {
        assert!(
            process.is_running(),
            "convene exited early; its log:\n{}",
            process.log()
        );
        assert!(
            Instant::now() < deadline,
            "only {} of {n} emails arrived; the log:\n{}",
            smtp.messages().len(),
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Rows of `ids` by status.
pub async fn statuses(
    db: &convene_store::Db,
    ids: &[EmailId],
) -> std::collections::BTreeMap<String, Vec<convene_store::outbox::EmailRecord>> {
    let mut by_status: std::collections::BTreeMap<String, Vec<_>> = std::collections::BTreeMap::new();
    for id in ids {
        let row = convene_store::outbox::find(db, *id).await.expect("find").expect("row");
        by_status.entry(row.status.as_str().to_owned()).or_default().push(row);
    }
    by_status
}

/// An HTTP client for a `convene serve` at `base` (`http://host:port`), authenticated with `key`.
pub struct Api {
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: String, key: String) -> Api {
        Api {
            base,
            key,
            client: reqwest::Client::new(),
        }
    }

    /// One request; the status and the parsed body (Null when not JSON). A failed connection panics.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        version: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("cal-api-version", version);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A default schedule open every day, all day (UTC), and a 15-minute event type; returns its id.
    pub async fn bookable_event_type(&self) -> i64 {
        let every_day = json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
            "startTime": "00:00", "endTime": "23:59" }]);
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/v2/schedules",
                "2024-06-11",
                Some(json!({ "name": "Always", "timeZone": "UTC", "isDefault": true, "availability": every_day })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "schedule: {body}");
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/v2/event-types",
                "2024-06-14",
                Some(json!({ "title": "Quick", "slug": "quick", "lengthInMinutes": 15 })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "event type: {body}");
        body["data"]["id"].as_i64().expect("event type id")
    }

    /// Books the `n`-th quarter hour from 2030-01-01T00:00Z for `attendee`; the status and body.
    pub async fn book(&self, event_type: i64, n: u32, attendee: &str) -> (StatusCode, Value) {
        let start = jiff::Timestamp::from_second(1_893_456_000 + i64::from(n) * 900).expect("a valid instant");
        let body = json!({ "eventTypeId": event_type, "start": start.to_string(),
            "attendee": { "name": "Ada Attendee", "email": attendee, "timeZone": "UTC" } });
        self.call(reqwest::Method::POST, "/v2/bookings", "2024-08-13", Some(body))
            .await
    }
}
