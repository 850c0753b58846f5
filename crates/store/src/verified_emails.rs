//! Addresses a user proved they own by entering a code sent there (Cal.com's verified resources).

use crate::millis::{Millis, ms};
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

/// Records `email` as verified for the user (idempotent) and returns the row.
pub async fn add<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    email: &str,
    now: Timestamp,
) -> StoreResult<VerifiedEmail> {
    Ok(on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO verified_emails (user_id, email, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, email) DO NOTHING",
        )
        .bind(user_id)
        .bind(email)
        .bind(ms(now))
        .execute(&mut *c)
        .await?;
        sqlx::query_as::<_, VerifiedEmail>(
            "SELECT id, user_id, email, created_at FROM verified_emails WHERE user_id = $1 AND email = $2",
        )
        .bind(user_id)
        .bind(email)
        .fetch_one(&mut *c)
        .await
    })?)
}

pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<VerifiedEmail>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, VerifiedEmail>(
            "SELECT id, user_id, email, created_at FROM verified_emails WHERE user_id = $1 ORDER BY id \
             LIMIT $2 OFFSET $3",
        )
        .bind(user_id)
        .bind(take)
        .bind(skip)
        .fetch_all(&mut *c)
        .await
    })?)
}

pub async fn find<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    id: VerifiedEmailId,
) -> StoreResult<Option<VerifiedEmail>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, VerifiedEmail>(
            "SELECT id, user_id, email, created_at FROM verified_emails WHERE user_id = $1 AND id = $2",
        )
        .bind(user_id)
        .bind(id)
        .fetch_optional(&mut *c)
        .await
    })?)
}

/// The user's verified row for `email`, if they proved it.
pub async fn find_by_email<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    email: &str,
) -> StoreResult<Option<VerifiedEmail>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, VerifiedEmail>(
            "SELECT id, user_id, email, created_at FROM verified_emails WHERE user_id = $1 AND email = $2",
        )
        .bind(user_id)
        .bind(email)
        .fetch_optional(&mut *c)
        .await
    })?)
}
