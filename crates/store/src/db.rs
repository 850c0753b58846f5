//! The database handle, transactions, and the macro that runs one body on either backend.

use crate::{StoreError, StoreResult, sqlite_recovery};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Database, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// Runs `$body` with `$c` bound to `&mut PgConnection` or `&mut SqliteConnection`. The body is
/// written once and type-checked against each backend. Evaluates to `Result<_, sqlx::Error>`;
/// statements run with `execute` should map to `rows_affected()` so both arms have one type.
macro_rules! on_conn {
    ($exec:expr, $c:ident => $body:expr) => {{
        async {
            let exec: $crate::db::Exec<'_> = ($exec).into();
            match exec.acquire().await? {
                $crate::db::Conn::Postgres(mut handle) => {
                    let $c: &mut sqlx::PgConnection = &mut handle;
                    $body
                }
                $crate::db::Conn::Sqlite(mut handle) => {
                    let result = {
                        let $c: &mut sqlx::SqliteConnection = &mut handle;
                        $body
                    };
                    if let Err(e) = &result {
                        $crate::sqlite_recovery::note(e);
                    }
                    result
                }
            }
        }
        .await
    }};
}

static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Which SQL engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A connection pool to PostgreSQL (many processes may share it) or to an SQLite file (one process).
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Db {
    /// Connects to `postgres://…` or `sqlite://path` (the file is created when missing).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
            Self::connect_postgres(options).await
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Self::open_sqlite(Path::new(path)).await
        } else {
            Err(StoreError::BadUrl(format!(
                "'{}' must start with postgres:// or sqlite://",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }

    pub async fn connect_postgres(options: PgConnectOptions) -> StoreResult<Self> {
        // No ping before every checkout: a broken connection fails its query and is replaced,
        // and the ping costs a round trip per statement on the hot paths.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Db::Postgres(pool))
    }

    /// Opens (creating if needed) an SQLite file in WAL mode, tuned for one writer and many readers. Connections
    /// that storage trouble spoiled are closed rather than reused ([`crate::sqlite_recovery`]).
    pub async fn open_sqlite(path: &Path) -> StoreResult<Self> {
        sqlite_recovery::start_clock();
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The first connection creates the file and switches it to WAL, which SQLite may refuse with "database is
        // locked" without waiting while another process does the same: take the start-up lock meanwhile.
        let lock = lock_beside(path).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .before_acquire(|_, meta| Box::pin(async move { Ok(sqlite_recovery::fit_to_acquire(&meta)) }))
            .after_release(|conn, meta| Box::pin(async move { sqlite_recovery::fit_to_reuse(conn, &meta).await }))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await;
        drop(lock);
        Ok(Db::Sqlite(pool?))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Postgres(_) => Backend::Postgres,
            Db::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Applies pending migrations, once however many processes start together: on PostgreSQL sqlx holds an
    /// advisory lock meanwhile; on SQLite, where sqlx takes no lock (two processes on a new file would both run
    /// the first migration, and one would fail), an exclusive lock on a file beside the database does.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Postgres(pool) => PG_MIGRATOR.run(pool).await?,
            Db::Sqlite(pool) => {
                let lock = lock_beside(pool.connect_options().get_filename()).await?;
                SQLITE_MIGRATOR.run(pool).await?;
                // Closing the file releases the lock.
                drop(lock);
            }
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, taking the write lock up
    /// front so two writers never deadlock upgrading read locks; before that, the transaction waits its turn
    /// in the process ([`sqlite_write_gate`]) rather than in SQLite's busy handler.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
            Db::Sqlite(pool) => {
                let turn = tokio::time::timeout(SQLITE_WRITE_WAIT, sqlite_write_gate(pool).lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?;
                let tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .inspect_err(sqlite_recovery::note)?;
                Tx::Sqlite(tx, turn)
            }
        })
    }

    /// Cheap liveness probe for `/health`.
    pub async fn ping(&self) -> StoreResult<()> {
        on_conn!(self, c => sqlx::query("SELECT 1").execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool) => pool.close().await,
        }
    }
}

/// An exclusive lock on `<database>-migrate.lock`, held by a process while it opens a new SQLite file or migrates
/// it, so that processes starting together take turns (sqlx takes no lock of its own on SQLite). Dropping the
/// file releases it.
async fn lock_beside(database: &Path) -> StoreResult<std::fs::File> {
    let mut path = database.as_os_str().to_owned();
    path.push("-migrate.lock");
    let file = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?
    .map_err(sqlx::Error::Io)?;
    Ok(file)
}

/// How long a write transaction waits for its turn on SQLite (as long as SQLite's own busy timeout).
const SQLITE_WRITE_WAIT: Duration = Duration::from_secs(10);

/// The queue of write transactions on one SQLite file in this process.
///
/// SQLite lets one writer in at a time; the others sleep in its busy handler and poll with growing sleeps, so
/// under load a waiting writer often sleeps long after the lock came free (measured: p99 of bookings 0.76–1.3 s
/// while each holds the lock a few milliseconds). Waiting on an async mutex instead hands the lock over the
/// moment it is released, in arrival order, and without holding a pooled connection meanwhile. Keyed by file
/// so every pool on one database shares the queue; writes outside transactions still meet SQLite's lock.
fn sqlite_write_gate(pool: &SqlitePool) -> Arc<tokio::sync::Mutex<()>> {
    type Gates = std::sync::Mutex<HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>>;
    static GATES: OnceLock<Gates> = OnceLock::new();
    let path = pool.connect_options().get_filename().to_path_buf();
    let mut gates = GATES
        .get_or_init(Gates::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(gate) = gates.get(&path).and_then(Weak::upgrade) {
        return gate;
    }
    // Databases of finished tests leave dead entries; drop them as new ones arrive.
    gates.retain(|_, gate| gate.strong_count() > 0);
    let gate = Arc::new(tokio::sync::Mutex::new(()));
    gates.insert(path, Arc::downgrade(&gate));
    gate
}

/// An open transaction on either backend. Dropped without [`Tx::commit`], it rolls back. On SQLite it holds
/// its turn in the write queue until it ends.
pub enum Tx {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Postgres(tx) => tx.commit().await?,
            // The turn passes on once the commit is done.
            Tx::Sqlite(tx, _turn) => tx.commit().await.inspect_err(sqlite_recovery::note)?,
        }
        Ok(())
    }
}

/// Where a repository function runs: on the pool, or inside a caller's transaction.
pub enum Exec<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Db> for Exec<'a> {
    fn from(db: &'a Db) -> Self {
        Exec::Db(db)
    }
}

impl<'a> From<&'a mut Tx> for Exec<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Exec::Tx(tx)
    }
}

/// A connection borrowed from a transaction or checked out of the pool for one call.
pub enum Handle<'a, DB: Database> {
    Pooled(PoolConnection<DB>),
    Borrowed(&'a mut DB::Connection),
}

impl<DB: Database> Deref for Handle<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &Self::Target {
        match self {
            Handle::Pooled(c) => c,
            Handle::Borrowed(c) => c,
        }
    }
}

impl<DB: Database> DerefMut for Handle<'_, DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Handle::Pooled(c) => c,
            Handle::Borrowed(c) => c,
        }
    }
}

/// A connection of either backend, ready for one repository call.
pub enum Conn<'a> {
    Postgres(Handle<'a, Postgres>),
    Sqlite(Handle<'a, Sqlite>),
}

impl<'a> Exec<'a> {
    pub async fn acquire(self) -> Result<Conn<'a>, sqlx::Error> {
        Ok(match self {
            Exec::Db(Db::Postgres(pool)) => Conn::Postgres(Handle::Pooled(pool.acquire().await?)),
            Exec::Db(Db::Sqlite(pool)) => Conn::Sqlite(Handle::Pooled(pool.acquire().await?)),
            Exec::Tx(Tx::Postgres(tx)) => Conn::Postgres(Handle::Borrowed(&mut **tx)),
            Exec::Tx(Tx::Sqlite(tx, _)) => Conn::Sqlite(Handle::Borrowed(&mut **tx)),
        })
    }
}

/// Now, as epoch milliseconds: the one time representation in the database.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
