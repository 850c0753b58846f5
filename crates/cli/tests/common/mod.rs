//! What the `convene` binary's tests share: the binary, the key processes sharing a database use, and a running
//! `convene serve`.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_convene");

/// The encryption key processes sharing a database are given (PostgreSQL refuses to start without one).
pub const SHARED_KEY: &str = "shared:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A running `convene serve` and what it printed on start.
pub struct Server {
    pub child: Child,
    pub address: String,
    pub printed: String,
    lines: mpsc::Receiver<String>,
    log: std::path::PathBuf,
}

impl Server {
    /// Starts `convene serve` in `dir` with `env`, waiting for its "listening" line.
    pub fn start(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Server {
        Self::spawn(dir, env, args).ready()
    }

    /// Starts `convene serve` in `dir` with `env` without waiting: several can start at once, then [`ready`]
    /// waits for each. Its stderr goes to `dir/stderr.log`, shown if it never gets ready.
    ///
    /// [`ready`]: Server::ready
    pub fn spawn(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Server {
        let log = std::fs::File::create(dir.join("stderr.log")).expect("a log file");
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .args(args)
            .env_remove("CONVENE_DATABASE_URL")
            .env("CONVENE_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn convene");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Owned by `Server` from here on, so its Drop reaps the process even if we panic below.
        Server {
            child,
            address: String::new(),
            printed: String::new(),
            lines,
            log: dir.join("stderr.log"),
        }
    }

    /// Waits for the "listening" line, keeping everything printed before it.
    pub fn ready(mut self) -> Server {
        loop {
            let Ok(line) = self.lines.recv_timeout(Duration::from_secs(60)) else {
                let status = self.child.try_wait().ok().flatten();
                panic!(
                    "convene did not start listening (exit: {status:?}); it printed:\n{}\nand logged:\n{}",
                    self.printed,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            };
            self.printed.push_str(&line);
            self.printed.push('\n');
            if let Some(addr) = line.strip_prefix("convene listening on ") {
                self.address = addr.trim().to_owned();
                return self;
            }
        }
    }

    pub fn printed_value(&self, label: &str) -> Option<String> {
        self.printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("convene did not stop within 10 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn get_me(address: &str, key: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(format!("{address}/v2/me"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}
