//! Secrets at rest and in logs: sealed in the database (not in its file, nor in any log line), and bound to their
//! organization, sender and field so a sealed value moved elsewhere does not open.

use super::*;
use crate::helpers::logs::LogCapture;
use convene_core::SenderId;
use convene_store::Db;
use convene_store::smtp_senders::{self, Secret};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Everything the database holds, as bytes: the SQLite file with its WAL, or every row of every table of the
/// test's PostgreSQL schema as text.
async fn database_contents(db: &Db) -> Vec<u8> {
    match db {
        Db::Sqlite(pool) => {
            let file: String = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(pool)
                .await
                .expect("the database file");
            let mut bytes = std::fs::read(&file).expect("read the database file");
            for suffix in ["-wal", "-journal", "-shm"] {
                if let Ok(more) = std::fs::read(format!("{file}{suffix}")) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(pool)
            .await
            .expect("the tables");
            assert!(tables.iter().any(|t| t == "smtp_senders"), "{tables:?}");
            let mut text = String::new();
            for table in tables {
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(t AS TEXT) FROM \"{table}\" t"
                )))
                .fetch_all(pool)
                .await
                .expect("the rows");
                for row in rows {
                    text.push_str(&row);
                    text.push('\n');
                }
            }
            text.into_bytes()
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_and_absent_from_the_database_file_and_the_logs() {
    let logs = LogCapture::default();
    let _capture = tracing::subscriber::set_default(logs.clone());
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let a = rig.create_id(smtp_body(smtp.port())).await;
    let b = rig
        .create_id(
            json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID",
            "apiKey": API_KEY, "smtpHost": "127.0.0.1", "smtpPort": smtp.port(), "smtpSecure": false,
            "smtpUser": USER, "smtpPassword": PASSWORD }),
        )
        .await;
    // Exercise the paths that handle the plaintext: tests (a failing one too), a test email, PATCHes.
    assert_eq!(rig.test_saved(a).await["success"], true);
    assert_eq!(rig.test_email(a, "check@example.com").await["success"], true);
    rig.patch(&rig.one(a), &rig.owner.key, json!({ "smtpPassword": WRONG_PASSWORD }))
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(rig.test_saved(a).await["stage"], "AUTH");
    rig.patch(&rig.one(a), &rig.owner.key, json!({ "smtpPassword": PASSWORD }))
        .await
        .expect_success(StatusCode::OK);
    rig.post(
        &rig.base(),
        &rig.owner.key,
        with(
            smtp_body(smtp.port()),
            json!({ "smtpPassword": format!("{PASSWORD}\r\nQUIT") }),
        ),
    )
    .await
    .expect_field_error("smtpPassword");
    rig.test_unsaved(with(smtp_body(smtp.port()), json!({ "smtpPassword": OTHER_PASSWORD })))
        .await;

    // Sealed: "v1.<kid>.<…>", each different, none holding the plaintext.
    let mut sealed = Vec::new();
    for id in [a, b] {
        let record = rig.record(id).await;
        for value in [record.smtp_user_sealed, record.smtp_password_sealed] {
            sealed.push(value.expect("a sealed credential"));
        }
        if id == b {
            sealed.push(record.api_key_sealed.expect("a sealed API key"));
        }
    }
    for value in &sealed {
        assert!(value.starts_with("v1."), "{value}");
        assert_no_secret(value, "a sealed column");
    }
    let mut distinct = sealed.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), sealed.len(), "two seals are identical (nonce reuse?)");
    // Nor do the responses carry the sealed form.
    for answer in [
        rig.get(&rig.base(), &rig.owner.key).await,
        rig.get(&rig.one(b), &rig.owner.key).await,
    ] {
        let text = answer.body.to_string();
        for value in &sealed {
            assert!(!text.contains(value.as_str()), "a sealed value in {text}");
        }
    }

    // The database, as stored.
    let contents = database_contents(&rig.app.db).await;
    assert!(contains(&contents, FROM_EMAIL), "the scan does not see the data at all");
    for secret in SECRETS {
        assert!(
            !contains(&contents, secret),
            "{secret:?} is in the database in plaintext"
        );
    }

    // The logs of the whole test.
    let text = logs.text();
    assert!(text.contains("span"), "nothing was captured: {text}");
    assert_no_secret(&text, "the log");
}

#[tokio::test]
async fn a_sealed_secret_moved_to_another_row_or_field_does_not_open() {
    let logs = LogCapture::default();
    let _capture = tracing::subscriber::set_default(logs.clone());
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let a = rig.create_id(smtp_body(smtp.port())).await;
    let b = rig
        .create_id(with(smtp_body(smtp.port()), json!({ "smtpPassword": OTHER_PASSWORD })))
        .await;
    let c = rig.create_id(smtp_body(smtp.port())).await;
    let theirs = rig
        .post(&senders_of(rig.other_org), &rig.other_admin.key, smtp_body(smtp.port()))
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    let a_sealed = rig.record(a).await;
    let a_password = a_sealed.smtp_password_sealed.clone().expect("sealed password");
    let a_user = a_sealed.smtp_user_sealed.clone().expect("sealed user");

    // a's password onto b's row; a's password into c's user field; a's user onto another organization's sender.
    let mut tx = rig.app.db.begin().await.expect("begin");
    smtp_senders::set_secret(&mut tx, SenderId(b), Secret::SmtpPassword, Some(&a_password))
        .await
        .expect("copy");
    smtp_senders::set_secret(&mut tx, SenderId(c), Secret::SmtpUser, Some(&a_password))
        .await
        .expect("copy");
    smtp_senders::set_secret(&mut tx, SenderId(theirs), Secret::SmtpUser, Some(&a_user))
        .await
        .expect("copy");
    tx.commit().await.expect("commit");
    let connections = smtp.connections();

    for (org, id, key) in [
        (rig.org, b, &rig.owner.key),
        (rig.org, c, &rig.owner.key),
        (rig.other_org, theirs, &rig.other_admin.key),
    ] {
        let path = format!("{}/{id}", senders_of(org));
        for answer in [
            rig.call(Method::POST, &format!("{path}/test-connection"), Some(key), None)
                .await,
            rig.post(
                &format!("{path}/test-email"),
                key,
                json!({ "toEmail": "check@example.com" }),
            )
            .await,
        ] {
            // The test's answer says the credentials don't open — never a success with a's credentials.
            let result = answer.expect_success(StatusCode::OK);
            assert_eq!(
                (&result["success"], &result["stage"], &result["message"]),
                (
                    &json!(false),
                    &json!("AUTH"),
                    &json!(
                        "the stored credentials cannot be opened with this server's encryption keys; enter them again"
                    )
                ),
                "sender {id}: {result}"
            );
            let text = answer.body.to_string();
            assert!(!text.contains(&a_password) && !text.contains(&a_user), "{text}");
        }
        // The sender is still readable.
        assert_eq!(
            rig.get(&path, key).await.expect_success(StatusCode::OK)["hasSmtpCredentials"],
            true
        );
    }
    assert_eq!(
        smtp.connections(),
        connections,
        "a sender with unopenable secrets connected"
    );
    assert!(smtp.messages().is_empty());
    // The owner of the secret is unaffected, and the server still answers.
    assert_eq!(rig.test_saved(a).await["success"], true);
    assert_eq!(rig.list().await.len(), 3);
    // The operator learns why from the log (without the secret or its sealed form).
    assert!(logs.text().contains("does not open"), "the refusal was not logged");
    assert_no_secret(&logs.text(), "the log");
    for sealed in [&a_password, &a_user] {
        assert!(!logs.text().contains(sealed.as_str()), "a sealed value in the log");
    }
}
