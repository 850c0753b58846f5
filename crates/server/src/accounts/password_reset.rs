//! Password reset: a single-use token mailed to the account's address, then a new password with it.

use crate::credentials::{hash_api_key, hash_password_async, random_token};
use crate::email::compose;
use crate::email::queue::account_email;
use crate::email::{EnqueueError, Mailer};
use convene_core::EmailAddress;
use convene_core::email::EmailKind;
use convene_store::{Db, StoreError, one_time_codes, sessions, users};

/// How long a reset link works.
const RESET_MINUTES: i64 = 60;

/// Why a reset did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The token is missing, unknown, used or expired: what is wrong with it.
    #[error("token {0}")]
    Token(&'static str),
    /// The new password breaks a rule: which one.
    #[error("password {0}")]
    Password(&'static str),
    #[error("hashing a password")]
    Hashing(#[source] anyhow::Error),
    #[error(transparent)]
    Emails(#[from] EnqueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queues a password reset email for `email` when an account has that address, and does nothing otherwise;
/// callers answer the same either way, so nobody learns which addresses are registered.
pub async fn request_reset(db: &Db, mailer: &Mailer, email: &EmailAddress) -> Result<(), ResetError> {
    let mut tx = db.begin().await?;
    if let Some(user) = users::find_by_email(&mut tx, email.as_str()).await? {
        let token = random_token();
        let now = jiff::Timestamp::now();
        one_time_codes::issue(
            &mut tx,
            "password_reset",
            user.id,
            &user.email,
            &hash_api_key(&token),
            now + jiff::SignedDuration::from_mins(RESET_MINUTES),
            now,
        )
        .await?;
        let link = format!("{}/auth/reset-password?token={token}", mailer.settings.public_url);
        let rendered = compose::password_reset(&token, &link, RESET_MINUTES, &user.locale).map_err(|source| {
            EnqueueError::Render {
                what: "password reset",
                source,
            }
        })?;
        account_email(
            &mut tx,
            mailer,
            EmailKind::PasswordReset,
            user.id,
            &user.email,
            user.name.as_deref(),
            rendered,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a new password must be (set by a reset or a change): 8 to 256 characters. `Err` says why, for the field.
/// [`password_rule`]'s refusal as a field's, with its catalogue id (the rule's English is what the API answers).
pub fn password_refusal(field: &str, rule: &'static str) -> convene_core::FieldError {
    if rule.contains("at least") {
        convene_core::FieldError::coded(field, "refusal-too-short", rule).arg("min", 8)
    } else {
        convene_core::FieldError::coded(field, "refusal-too-long", rule).arg("max", 256)
    }
}

pub fn password_rule(password: &str) -> Result<(), &'static str> {
    match password.chars().count() {
        0..8 => Err("must be at least 8 characters"),
        257.. => Err("must be at most 256 characters"),
        _ => Ok(()),
    }
}

/// Sets a new password with a reset token: the token works once, every web session of the account ends, and the
/// address it was mailed to counts as verified.
pub async fn reset_password(db: &Db, token: &str, password: String) -> Result<(), ResetError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ResetError::Token("is required"));
    }
    password_rule(&password).map_err(ResetError::Password)?;
    let invalid = || ResetError::Token("is invalid or has expired; ask for a new reset email");
    let code = one_time_codes::find_live(db, "password_reset", &hash_api_key(token), jiff::Timestamp::now())
        .await?
        .ok_or_else(invalid)?;
    let hash = hash_password_async(password).await.map_err(ResetError::Hashing)?;
    let mut tx = db.begin().await?;
    if !one_time_codes::consume(&mut tx, code.id, jiff::Timestamp::now()).await? {
        return Err(invalid());
    }
    let patch = users::UserPatch {
        password_hash: Some(hash),
        ..users::UserPatch::default()
    };
    users::update(&mut tx, code.user_id, &patch).await?;
    // The token came through the account's mailbox, which proves the address (if it is still the account's).
    users::mark_email_verified(&mut tx, code.user_id, &code.email, jiff::Timestamp::now()).await?;
    sessions::delete_for_user(&mut tx, code.user_id).await?;
    tx.commit().await?;
    Ok(())
}
