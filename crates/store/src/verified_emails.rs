//! Addresses a user proved they own by entering a code sent there (Cal.com's verified resources).

use crate::millis::Millis;
use crate::verified::{self, Table};
use crate::{Exec, StoreResult};
use convene_core::{UserId, VerifiedEmailId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct VerifiedEmail {
    pub id: VerifiedEmailId,
    pub user_id: UserId,
    pub email: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
}

const TABLE: Table = Table {
    name: "verified_emails",
    holder: "user_id",
    value: "email",
    columns: "id, user_id, email, created_at",
    keeps_verifier: false,
};

/// Records `email` as verified for the user (idempotent) and returns the row.
pub async fn add<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    email: &str,
    now: Timestamp,
) -> StoreResult<VerifiedEmail> {
    verified::add(exec, &TABLE, user_id.0, user_id, email, now).await
}

pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<VerifiedEmail>> {
    verified::list(exec, &TABLE, user_id.0, skip, take).await
}

pub async fn find<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    id: VerifiedEmailId,
) -> StoreResult<Option<VerifiedEmail>> {
    verified::find(exec, &TABLE, user_id.0, id.0).await
}

/// The user's verified row for `email`, if they proved it.
pub async fn find_by_email<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    email: &str,
) -> StoreResult<Option<VerifiedEmail>> {
    verified::find_value(exec, &TABLE, user_id.0, email).await
}
