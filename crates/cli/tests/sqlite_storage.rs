//! SQLite when its storage fails, with the real binary on a real filesystem: a disk that fills up, and a database
//! file that could only be opened read-only. `convene serve` runs in a mount namespace of its own, created with
//! `unshare` (which needs no privileges where user namespaces are allowed), with its data folder on a small tmpfs
//! that only it sees; the test reaches that folder through `/proc/<pid>/root` and changes mounts with `nsenter`.
//! In both cases the server must recover by itself once the condition clears: no restart.

mod support;

use convene_testkit::{FakeSmtp, FakeSmtpConfig};
use reqwest::StatusCode;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, BIN, HANG_GUARD, Process};

/// A user and mount namespace holding a 4 MiB tmpfs at `data`, kept alive by a sleeping process.
struct Namespace {
    holder: Process,
    data: PathBuf,
}

impl Namespace {
    fn new(dir: &Path) -> Namespace {
        let data = dir.join("data");
        std::fs::create_dir(&data).expect("mount point");
        let mut command = Command::new("unshare");
        command
            .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
            .arg(r#"mount -t tmpfs -o size=4m convene-test "$1" && echo mounted && exec sleep 1000000"#)
            .arg("sh")
            .arg(&data);
        let mut holder = Process::spawn(command, &dir.join("namespace.log"));
        holder.wait_for_line("mounted");
        Namespace { holder, data }
    }

    /// `program` run inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new("nsenter");
        command
            .args(["--target", &self.holder.pid().to_string(), "--user", "--mount", "--"])
            .arg(program);
        command
    }

    /// Runs a shell command inside the namespace (`$1` is the data folder) and asserts it succeeded.
    fn run(&self, script: &str) {
        let output = self
            .command("sh")
            .args(["-c", script, "sh"])
            .arg(&self.data)
            .output()
            .expect("nsenter");
        assert!(
            output.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The data folder as the namespace sees it.
    fn inside(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.holder.pid())).join(self.data.strip_prefix("/").expect("absolute"))
    }

    /// `convene serve` on the tmpfs, sending email to the plain SMTP server on `smtp_port`.
    fn serve(&self, dir: &Path, smtp_port: u16, log: &str) -> Process {
        let mut command = self.command(BIN);
        command
            .arg("serve")
            .current_dir(dir)
            .env_remove("CONVENE_DATABASE_URL")
            .env_remove("CONVENE_CONFIG")
            .env("CONVENE_DATA_DIR", &self.data)
            .env("CONVENE_LISTEN", "127.0.0.1:0")
            .env("CONVENE_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("CONVENE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env(
                "CONVENE_EMAIL_TRANSPORT",
                format!("smtp+insecure://127.0.0.1:{smtp_port}"),
            )
            .env("CONVENE_LOG", "info,sqlx=warn");
        Process::spawn(command, &dir.join(log))
    }
}

/// Writes zeros into `path` until the filesystem says it is full.
fn fill(path: &Path) -> usize {
    let mut file = std::fs::File::create(path).expect("create the filler file");
    let mut written = 0;
    for size in [64 * 1024, 512] {
        let chunk = vec![0u8; size];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
    }
    written
}

/// Books until a write has failed `n` times in a row (asserting each failure is a 5xx); returns the next slot.
async fn book_until_failing(api: &Api, event_type: i64, mut slot: u32, n: u32, server: &Process) -> u32 {
    let mut failures_in_a_row = 0;
    let deadline = Instant::now() + HANG_GUARD;
    while failures_in_a_row < n {
        assert!(
            Instant::now() < deadline,
            "bookings kept succeeding; log:\n{}",
            server.log()
        );
        let (status, body) = api
            .book(event_type, slot, &format!("refused-{slot}@example.test"))
            .await;
        slot += 1;
        if status.is_success() {
            failures_in_a_row = 0;
            continue;
        }
        assert!(
            status.is_server_error(),
            "storage trouble is the server's, not the client's: {status} {body}"
        );
        failures_in_a_row += 1;
    }
    slot
}

/// Waits until `/health/ready` answers `want` (results are reused for up to a second); returns its body. Checking
/// writes, so it also clears connections the trouble spoiled.
async fn wait_for_readiness(api: &Api, want: StatusCode, server: &Process) -> serde_json::Value {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let (status, body) = api.get("/health/ready").await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "readiness never said {want}: {body}; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Books 20 slots from `slot` (all must succeed) and waits until their emails have been delivered.
async fn book_twenty_and_see_their_emails(api: &Api, event_type: i64, slot: u32, smtp: &FakeSmtp, server: &Process) {
    let mut booked = HashSet::new();
    for i in 0..20 {
        let attendee = format!("after-{i}@example.test");
        let (status, body) = api.book(event_type, slot + i, &attendee).await;
        assert_eq!(
            status,
            201,
            "booking {i} after recovery: {body}\nthe server's log:\n{}",
            server.log()
        );
        booked.insert(attendee);
    }
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let delivered: HashSet<String> = smtp.messages().iter().flat_map(|m| m.rcpt_to.clone()).collect();
        if booked.iter().all(|a| delivered.contains(a)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "booking emails were not delivered after recovery; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_and_the_server_recovers_by_itself_once_space_is_freed() {
    let smtp = FakeSmtp::start(FakeSmtpConfig::default()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let namespace = Namespace::new(dir.path());
    let mut server = namespace.serve(dir.path(), smtp.port(), "serve.log");
    let key = server.wait_for_line("API key:");
    let api = Api::new(server.wait_for_line("convene listening on "), key);
    assert!(
        namespace.inside().join("convene.db").exists(),
        "the database is on the tmpfs"
    );
    let event_type = api.bookable_event_type().await;
    let (ready, body) = api.get("/health/ready").await;
    assert_eq!(ready, 200, "ready before the disk fills: {body}");

    let filler = namespace.inside().join("filler");
    assert!(fill(&filler) > 0, "the tmpfs had room to fill");
    let slot = book_until_failing(&api, event_type, 0, 5, &server).await;
    let body = wait_for_readiness(&api, StatusCode::SERVICE_UNAVAILABLE, &server).await;
    assert_eq!(body["checks"]["database"]["status"], "failing", "{body}");
    let (live, _) = api.get("/health").await;
    assert_eq!(live, 200, "the process itself is alive");

    // Free the space: no restart, no signal.
    std::fs::remove_file(&filler).expect("free the space");
    wait_for_readiness(&api, StatusCode::OK, &server).await;
    book_twenty_and_see_their_emails(&api, event_type, slot, &smtp, &server).await;
    assert!(
        !server.log().contains("non-zero transaction depth"),
        "a connection with a broken transaction went back into the pool; log:\n{}",
        server.log()
    );
    server.signal("TERM");
    let status = server.wait().await;
    assert!(status.success(), "clean stop: {status}; log:\n{}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_on_a_read_only_database_file_recovers_once_the_file_is_writable() {
    let smtp = FakeSmtp::start(FakeSmtpConfig::default()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let namespace = Namespace::new(dir.path());
    // A first start creates the database, the admin and an event type.
    let mut first = namespace.serve(dir.path(), smtp.port(), "first.log");
    let key = first.wait_for_line("API key:");
    let api = Api::new(first.wait_for_line("convene listening on "), key.clone());
    let event_type = api.bookable_event_type().await;
    first.signal("TERM");
    assert!(first.wait().await.success(), "log:\n{}", first.log());

    // The file becomes read-only (a read-only bind mount over it; the folder stays writable), and the server
    // starts on it: SQLite opens it read-only.
    namespace.run(r#"mount --bind "$1/convene.db" "$1/convene.db" && mount -o remount,bind,ro "$1/convene.db""#);
    let mut server = namespace.serve(dir.path(), smtp.port(), "serve.log");
    let api = Api::new(server.wait_for_line("convene listening on "), key);
    let slot = book_until_failing(&api, event_type, 0, 3, &server).await;
    let body = wait_for_readiness(&api, StatusCode::SERVICE_UNAVAILABLE, &server).await;
    assert_eq!(body["checks"]["database"]["status"], "failing", "{body}");

    // The file is writable again (the bind mount goes; the server keeps running).
    namespace.run(r#"umount -l "$1/convene.db""#);
    wait_for_readiness(&api, StatusCode::OK, &server).await;
    book_twenty_and_see_their_emails(&api, event_type, slot, &smtp, &server).await;
    server.signal("TERM");
    let status = server.wait().await;
    assert!(status.success(), "clean stop: {status}; log:\n{}", server.log());
}
