//! The encryption keyring as an operator meets it: `convene keys generate`, a key file generated on a local
//! first start, and configuration mistakes that stop the start with the setting named.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_convene");

fn convene(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("CONVENE_DATABASE_URL")
        .env_remove("CONVENE_ENCRYPTION_KEYS")
        .env("CONVENE_LISTEN", "127.0.0.1:0");
    cmd
}

/// Runs `convene serve` in `dir` until it listens, stops it, and returns what it wrote to stderr.
fn serve_once(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = convene(dir);
    cmd.arg("serve").stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn convene");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("convene listening on ") {
                let _ = tx.send(());
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let listening = rx.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let text = errors.join().expect("stderr reader");
    assert!(listening.is_ok(), "convene did not start: {text}");
    text
}

#[test]
fn keys_generate_prints_a_new_kid_and_32_byte_key_each_time() {
    let dir = tempfile::tempdir().expect("dir");
    let run = || {
        let out = convene(dir.path()).args(["keys", "generate"]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("text").trim().to_owned()
    };
    let (first, second) = (run(), run());
    let (kid, key) = first.split_once(':').expect("kid:base64");
    assert!(
        !kid.is_empty() && kid.chars().all(|c| c.is_ascii_alphanumeric()),
        "{first}"
    );
    assert_eq!(key.len(), 44, "32 bytes in padded base64: {first}");
    assert_ne!(first, second);
}

#[test]
fn postgres_without_encryption_keys_refuses_to_start_naming_the_setting() {
    let dir = tempfile::tempdir().expect("dir");
    // Nothing listens on port 1: the refusal must come before any connection attempt.
    let out = convene(dir.path())
        .arg("serve")
        .env("CONVENE_DATABASE_URL", "postgres://convene@127.0.0.1:1/convene")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("encryption_keys (CONVENE_ENCRYPTION_KEYS)"), "{stderr}");
    assert!(
        !dir.path().join("convene-data/encryption-key").exists(),
        "no key is invented for a shared database"
    );
}

#[test]
fn malformed_encryption_keys_stop_the_start_naming_the_setting() {
    let dir = tempfile::tempdir().expect("dir");
    for value in [
        "k1",
        "k1:c2hvcnQ=",
        "bad.kid:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    ] {
        let out = convene(dir.path())
            .arg("serve")
            .env("CONVENE_ENCRYPTION_KEYS", value)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("encryption_keys (CONVENE_ENCRYPTION_KEYS)"),
            "{value}: {stderr}"
        );
        assert!(!stderr.contains("c2hvcnQ"), "the key is never echoed: {stderr}");
    }
}

#[test]
fn a_first_local_start_generates_a_private_key_file_and_announces_it_once() {
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("convene-data/encryption-key");
    let first = serve_once(dir.path(), &[]);
    assert!(first.contains("generated an encryption key"), "{first}");
    let key = std::fs::read_to_string(&key_file).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert!(!first.contains(key.trim()), "the key itself is not printed");

    let second = serve_once(dir.path(), &[]);
    assert!(!second.contains("generated an encryption key"), "{second}");
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("key file"),
        key,
        "reused, not replaced"
    );
}

#[test]
fn configured_keys_are_used_and_no_key_file_is_written() {
    let dir = tempfile::tempdir().expect("dir");
    let keys = "new:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=, old:Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";
    let stderr = serve_once(dir.path(), &[("CONVENE_ENCRYPTION_KEYS", keys)]);
    assert!(!stderr.contains("generated an encryption key"), "{stderr}");
    assert!(!dir.path().join("convene-data/encryption-key").exists());
}

#[test]
fn keys_rotate_runs_against_the_configured_database_and_reports_what_it_did() {
    let dir = tempfile::tempdir().expect("dir");
    let key = || {
        let out = convene(dir.path()).args(["keys", "generate"]).output().expect("run");
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("text").trim().to_owned()
    };
    let (new, old) = (key(), key());
    let out = convene(dir.path())
        .args(["keys", "rotate"])
        .env("CONVENE_ENCRYPTION_KEYS", format!("{new},{old}"))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kid = new.split(':').next().expect("kid");
    assert!(
        stdout.contains(&format!("re-sealed 0 secret(s) under key {kid}")),
        "{stdout}"
    );
    let bad = convene(dir.path())
        .args(["keys", "rotate"])
        .env("CONVENE_ENCRYPTION_KEYS", "nonsense")
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("CONVENE_ENCRYPTION_KEYS"));
}
