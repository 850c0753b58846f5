//! Throwaway databases for tests: an SQLite file in a temporary folder, or, when
//! `CONVENE_TEST_DATABASE_URL` names a PostgreSQL server, a fresh schema in it that is dropped
//! afterwards (so the suite never leaks databases).

use crate::{Db, StoreResult};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::str::FromStr;

/// The environment variable that switches the test suite to PostgreSQL.
pub const TEST_DATABASE_URL_VAR: &str = "CONVENE_TEST_DATABASE_URL";

/// A migrated, empty database that cleans up after itself when dropped.
pub struct TestDb {
    pub db: Db,
    /// A URL other processes can use to reach the same database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(#[allow(dead_code)] tempfile::TempDir),
    Schema { server_url: String, schema: String },
}

impl TestDb {
    /// SQLite unless `CONVENE_TEST_DATABASE_URL` is set.
    pub async fn new() -> StoreResult<Self> {
        match std::env::var(TEST_DATABASE_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Self::postgres(&url).await,
            _ => Self::sqlite().await,
        }
    }

    pub async fn sqlite() -> StoreResult<Self> {
        let dir = tempfile::tempdir().map_err(|e| crate::StoreError::BadUrl(format!("temp dir: {e}")))?;
        let path = dir.path().join("convene.db");
        let url = format!("sqlite://{}", path.display());
        let db = Db::open_sqlite(&path).await?;
        db.migrate().await?;
        Ok(Self {
            db,
            url,
            cleanup: Cleanup::Folder(dir),
        })
    }

    pub async fn postgres(server_url: &str) -> StoreResult<Self> {
        let schema = format!("convene_test_{:016x}", rand_u64());
        let mut admin = PgConnection::connect(server_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        let options = PgConnectOptions::from_str(server_url)?.options([("search_path", schema.as_str())]);
        let db = Db::connect_postgres(options).await?;
        db.migrate().await?;
        let separator = if server_url.contains('?') { '&' } else { '?' };
        let url = format!("{server_url}{separator}options=-c%20search_path%3D{schema}");
        Ok(Self {
            db,
            url,
            cleanup: Cleanup::Schema {
                server_url: server_url.to_owned(),
                schema,
            },
        })
    }
}

impl TestDb {
    /// A second handle on the same database that refuses every write: the SQLite file opened read-only, or
    /// PostgreSQL sessions in read-only transactions (what a failed-over standby does). For tests of what the server
    /// does when its database can be read but not written.
    pub async fn read_only_twin(&self) -> StoreResult<Db> {
        match &self.cleanup {
            Cleanup::Folder(dir) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(dir.path().join("convene.db"))
                    .read_only(true);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(2)
                    .connect_with(options)
                    .await?;
                Ok(Db::Sqlite(pool))
            }
            Cleanup::Schema { server_url, schema } => {
                let options = PgConnectOptions::from_str(server_url)?.options([
                    ("search_path", schema.as_str()),
                    ("default_transaction_read_only", "on"),
                ]);
                Db::connect_postgres(options).await
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Schema { server_url, schema } = &self.cleanup {
            // Drop runs outside any async context we could rely on: use a thread with its own runtime.
            let (url, schema) = (server_url.clone(), schema.clone());
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(mut conn) = PgConnection::connect(&url).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                            .execute(&mut conn)
                            .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded per process from the OS; mixing in the time and a counter keeps names unique.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.write_i64(crate::now_ms());
    h.write_u32(std::process::id());
    h.finish()
}
