use thiserror::Error;

/// What can go wrong in the store, in terms the layers above act on.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint said no: the caller maps this to 409 and names what collided.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A row the operation depends on does not exist.
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid database URL: {0}")]
    BadUrl(String),
}

impl StoreError {
    /// Turns a unique violation into `Conflict(what)`, leaving other errors as they are.
    pub(crate) fn conflict_on_unique(err: sqlx::Error, what: &'static str) -> Self {
        match err.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::Database(err),
        }
    }
}
