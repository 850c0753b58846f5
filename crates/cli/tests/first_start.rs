//! Two `convene serve` processes starting at the same moment on a database nothing has touched yet: both must come
//! up (the migrations run once, under PostgreSQL's advisory lock or SQLite's write lock, never side by side), and
//! exactly one instance admin exists, printed by exactly one of them.
//!
//! Each backend is tried for several rounds, each on a new database, since one round may not hit the race.

mod common;

use common::{SHARED_KEY, Server, get_me};
use convene_store::Db;
use convene_store::testing::TEST_DATABASE_URL_VAR;
use sqlx::Connection as _;

const ROUNDS: usize = 4;

/// The migrations shipped for each backend (one file per migration).
fn migrations(backend: &str) -> usize {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../store/migrations/");
    std::fs::read_dir(format!("{dir}{backend}"))
        .expect("the migrations folder")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}

/// (instance admins, migrations recorded as applied, migrations recorded as failed) in the database at `url`.
async fn census(url: &str) -> (i64, i64, i64) {
    let db = Db::connect(url).await.expect("open the database");
    let admins = "SELECT COUNT(*) FROM users WHERE is_instance_admin";
    let applied = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
    let failed = "SELECT COUNT(*) FROM _sqlx_migrations WHERE NOT success";
    let mut counts = Vec::new();
    for query in [admins, applied, failed] {
        let n: i64 = match &db {
            Db::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        }
        .expect(query);
        counts.push(n);
    }
    db.close().await;
    (counts[0], counts[1], counts[2])
}

/// Starts two processes on `url` at once and checks what they made of the fresh database.
async fn two_processes_start_on(url: &str, backend: &str) {
    let (dir_a, dir_b) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let env = [("CONVENE_DATABASE_URL", url), ("CONVENE_ENCRYPTION_KEYS", SHARED_KEY)];
    // Both are launched before either is waited for.
    let (a, b) = (
        Server::spawn(dir_a.path(), &env, &["serve"]),
        Server::spawn(dir_b.path(), &env, &["serve"]),
    );
    let (a, b) = (a.ready(), b.ready());

    let keys: Vec<String> = [&a, &b].iter().filter_map(|s| s.printed_value("API key:")).collect();
    assert_eq!(
        keys.len(),
        1,
        "exactly one process creates and prints the admin:\n--- A ---\n{}\n--- B ---\n{}",
        a.printed,
        b.printed
    );
    let (admins, applied, failed) = census(url).await;
    assert_eq!(admins, 1, "instance admins in the database");
    assert_eq!(
        (applied, failed),
        (i64::try_from(migrations(backend)).expect("a count"), 0)
    );
    // The one admin works through either process.
    for server in [&a, &b] {
        let (status, me) = get_me(&server.address, &keys[0]).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["data"]["email"], "admin@convene.localhost");
    }
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[tokio::test]
async fn two_processes_starting_at_once_on_a_new_sqlite_file_migrate_once_and_make_one_admin() {
    for _ in 0..ROUNDS {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("convene.db").display());
        two_processes_start_on(&url, "sqlite").await;
    }
}

/// An empty schema of its own on the test server, dropped when the test ends.
struct FreshSchema {
    server_url: String,
    name: String,
}

impl FreshSchema {
    async fn create(server_url: &str, round: usize) -> FreshSchema {
        let name = format!("convene_first_start_{}_{round}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(server_url).await.expect("connect");
        for statement in [
            format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
            format!("CREATE SCHEMA {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .expect("create the schema");
        }
        conn.close().await.expect("close");
        FreshSchema {
            server_url: server_url.to_owned(),
            name,
        }
    }

    /// A URL that puts connections in this schema.
    fn url(&self) -> String {
        let separator = if self.server_url.contains('?') { '&' } else { '?' };
        format!("{}{separator}options=-c%20search_path%3D{}", self.server_url, self.name)
    }

    async fn drop_it(self) {
        let mut conn = sqlx::PgConnection::connect(&self.server_url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {} CASCADE", self.name)))
            .execute(&mut conn)
            .await
            .expect("drop the schema");
        conn.close().await.expect("close");
    }
}

/// Ignored unless asked for: it needs a PostgreSQL server. The PostgreSQL pass of `.ci/run` runs it
/// (`--include-ignored` with `CONVENE_TEST_DATABASE_URL` set); without the variable it fails rather than pass.
#[tokio::test]
#[ignore = "needs PostgreSQL: set CONVENE_TEST_DATABASE_URL and run with --include-ignored"]
async fn two_processes_starting_at_once_on_a_new_postgresql_schema_migrate_once_and_make_one_admin() {
    let server = std::env::var(TEST_DATABASE_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| panic!("set {TEST_DATABASE_URL_VAR} to a PostgreSQL server to run this test"));
    for round in 0..ROUNDS {
        let schema = FreshSchema::create(&server, round).await;
        two_processes_start_on(&schema.url(), "postgres").await;
        schema.drop_it().await;
    }
}
