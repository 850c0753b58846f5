//! The `convene` binary as an operator runs it: zero-config start, configuration errors,
//! graceful shutdown, admin commands, and two processes sharing one database.

mod common;

use common::{BIN, SHARED_KEY, Server, get_me};
use convene_store::testing::TestDb;
use std::process::Command;

#[tokio::test]
async fn zero_config_serve_creates_its_data_folder_and_prints_a_working_key() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(dir.path(), &[], &["serve"]);
    assert!(
        dir.path().join("convene-data/convene.db").is_file(),
        "SQLite file in ./convene-data"
    );
    let key = server.printed_value("API key:").expect("key printed");
    assert!(
        server.printed_value("password:").is_some_and(|p| p.len() >= 16),
        "{}",
        server.printed
    );
    let (status, body) = get_me(&server.address, &key).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "success");
    assert_eq!(body["data"]["email"], "admin@convene.localhost");
    assert!(server.terminate().success(), "graceful exit on SIGTERM");

    // A restart reuses the database and prints no new secrets.
    let again = Server::start(dir.path(), &[], &["serve"]);
    assert!(again.printed_value("API key:").is_none(), "{}", again.printed);
    assert_eq!(get_me(&again.address, &key).await.0, 200);
}

#[tokio::test]
async fn admin_credentials_come_from_the_environment_and_demo_seeds_an_organization() {
    let dir = tempfile::tempdir().expect("dir");
    let env = [
        ("CONVENE_ADMIN_EMAIL", "ops@example.com"),
        ("CONVENE_ADMIN_PASSWORD", "long enough secret"),
    ];
    let server = Server::start(dir.path(), &env, &["serve", "--demo"]);
    assert!(
        !server.printed.contains("long enough secret"),
        "the configured password is never echoed"
    );
    let key = server.printed_value("API key:").expect("key printed");
    assert_eq!(
        get_me(&server.address, &key).await.1["data"]["email"],
        "ops@example.com"
    );
    let owner_line = server
        .printed
        .lines()
        .find(|l| l.trim_start().starts_with("OWNER"))
        .expect("demo owner printed");
    let owner_key = owner_line.split_whitespace().last().expect("owner key");
    let (status, me) = get_me(&server.address, owner_key).await;
    assert_eq!(status, 200);
    let org = me["data"]["organizationId"].as_i64().expect("owner is in the demo org");
    let teams: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v2/organizations/{org}/teams", server.address))
        .bearer_auth(owner_key)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(teams["data"][0]["slug"], "sales");
}

#[test]
fn bad_settings_stop_the_start_with_a_message_naming_them() {
    let dir = tempfile::tempdir().expect("dir");
    let cases = [
        ("CONVENE_RATE_LIMIT_PER_MINUTE", "0", "rate_limit_per_minute"),
        ("CONVENE_RATE_LIMIT_PER_MINUTE", "lots", "rate_limit_per_minute"),
        ("CONVENE_LISTEN", "not-an-address", "listen"),
        ("CONVENE_DATABASE_URL", "mysql://x", "database_url"),
        ("CONVENE_ADMIN_EMAIL", "nope", "admin_email"),
        ("CONVENE_LOG_FORMAT", "xml", "log_format"),
        (
            "CONVENE_TRUSTED_PROXIES",
            "10.0.0.0/8,proxy.internal",
            "trusted_proxies",
        ),
        ("CONVENE_LIMIT_STORE", "redis", "limit_store"),
        (
            "CONVENE_LIMIT_BOOKINGS_PER_ADDRESS",
            "lots",
            "limit_bookings_per_address",
        ),
        (
            "CONVENE_LIMIT_SIGN_IN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
            "0/minute",
            "limit_sign_in_failures_per_account_and_address",
        ),
        ("CONVENE_UNKNOWN_SETTING", "1", "unknown_setting"),
    ];
    for (var, value, named) in cases {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .arg("migrate")
            .env(var, value)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{var}={value}: {stderr}");
    }
}

#[test]
fn the_log_filter_variable_is_not_mistaken_for_a_setting() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .arg("migrate")
        .env("CONVENE_LOG", "debug")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_config_file_is_read_and_its_mistakes_are_named() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("convene.toml");
    std::fs::write(&file, "max_body_bytes = 10\n").expect("write");
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_body_bytes"));
    std::fs::write(&file, "data_dir = \"elsewhere\"\n").expect("write");
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .arg("migrate")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("elsewhere/convene.db").is_file());
}

#[tokio::test]
async fn api_keys_and_feature_flags_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(dir.path(), &[], &["serve", "--demo"]);
    let org_line = server
        .printed
        .lines()
        .find(|l| l.contains("demo organization"))
        .expect("org line")
        .to_owned();
    let org_id = org_line
        .split("(id ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("org id")
        .to_owned();

    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "api-keys",
            "create",
            "--user",
            "member@demo.convene.localhost",
            "--days",
            "3",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(key.starts_with("cal_"));
    assert_eq!(
        get_me(&server.address, &key).await.1["data"]["email"],
        "member@demo.convene.localhost"
    );

    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["features", "set", "--org", &org_id, "custom-smtp"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin_key = server.printed_value("API key:").expect("admin key");
    let flag: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/v2/admin/organizations/{org_id}/features/custom-smtp",
            server.address
        ))
        .bearer_auth(&admin_key)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(flag["data"]["enabled"], true);

    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["features", "set", "--org", &org_id, "warp-drive"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("custom-smtp"));
}

#[tokio::test]
async fn two_processes_share_one_database() {
    // PostgreSQL when CONVENE_TEST_DATABASE_URL is set (the multi-process deployment); else SQLite in WAL mode.
    let test_db = TestDb::new().await.expect("test database");
    let dir_a = tempfile::tempdir().expect("dir");
    let dir_b = tempfile::tempdir().expect("dir");
    let env = [
        ("CONVENE_DATABASE_URL", test_db.url.as_str()),
        ("CONVENE_ENCRYPTION_KEYS", SHARED_KEY),
    ];
    let a = Server::start(dir_a.path(), &env, &["serve"]);
    let b = Server::start(dir_b.path(), &env, &["serve"]);
    let key = a.printed_value("API key:").expect("the first process bootstraps");
    assert!(
        b.printed_value("API key:").is_none(),
        "the second process finds the admin already there"
    );

    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{}/v2/admin/organizations", a.address))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "name": "Shared Org" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let org_id = created["data"]["id"].as_i64().expect("created through A");
    let seen: serde_json::Value = client
        .get(format!("{}/v2/organizations/{org_id}/teams", b.address))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(seen["status"], "success", "B sees the organization A created: {seen}");
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[tokio::test]
async fn two_processes_racing_for_one_slot_book_it_once() {
    let test_db = TestDb::new().await.expect("test database");
    let (dir_a, dir_b) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let env = [
        ("CONVENE_DATABASE_URL", test_db.url.as_str()),
        ("CONVENE_ENCRYPTION_KEYS", SHARED_KEY),
        // Every racer calls from 127.0.0.1; the default allowance per address (shared by both processes on
        // PostgreSQL) is smaller than the race.
        ("CONVENE_LIMIT_BOOKINGS_PER_ADDRESS", "100/minute"),
    ];
    let a = Server::start(dir_a.path(), &env, &["serve"]);
    let b = Server::start(dir_b.path(), &env, &["serve"]);
    let key = a.printed_value("API key:").expect("admin key");
    let client = reqwest::Client::new();
    let schedule = client
        .post(format!("{}/v2/schedules", a.address))
        .bearer_auth(&key)
        .header("cal-api-version", "2024-06-11")
        .json(&serde_json::json!({ "name": "Work", "timeZone": "UTC", "isDefault": true }))
        .send()
        .await
        .expect("schedule");
    assert_eq!(schedule.status().as_u16(), 201);
    let event: serde_json::Value = client
        .post(format!("{}/v2/event-types", a.address))
        .bearer_auth(&key)
        .header("cal-api-version", "2024-06-14")
        .json(&serde_json::json!({ "title": "Race", "slug": "race", "lengthInMinutes": 30 }))
        .send()
        .await
        .expect("event type")
        .json()
        .await
        .expect("json");
    let event_id = event["data"]["id"].as_i64().expect("event type id");

    let mut tasks = Vec::new();
    for i in 0..32 {
        let url = format!("{}/v2/bookings", if i % 2 == 0 { &a.address } else { &b.address });
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({ "eventTypeId": event_id, "start": "2030-01-07T10:00:00Z",
                "attendee": { "name": "Racer", "email": format!("racer{i}@example.test"), "timeZone": "UTC" } });
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .ok()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.ok().flatten());
    }
    let created = outcomes.iter().filter(|s| **s == Some(201)).count();
    let conflicts = outcomes.iter().filter(|s| **s == Some(409)).count();
    assert_eq!((created, conflicts), (1, 31), "{outcomes:?}");
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}
