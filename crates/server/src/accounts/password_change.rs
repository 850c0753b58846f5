//! Changing the password of a signed-in account: the current password must be right, the new one follows the same
//! rule as a reset's, and every other web session of the account ends (whoever else was signed in is out).

use super::password_reset::{password_refusal, password_rule};
use crate::credentials::{hash_password_async, verify_password_async};
use convene_core::FieldError;
use convene_store::users::{self, UserRecord};
use convene_store::{Db, StoreError, sessions};

/// Why the password did not change.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("hashing a password")]
    Hashing(#[source] anyhow::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sets `new` as `user`'s password if `current` is theirs; keeps only the session `keep` (its hash) signed in.
pub async fn change_password(
    db: &Db,
    user: &UserRecord,
    current: String,
    new: String,
    keep: &str,
) -> Result<(), PasswordChangeError> {
    if !verify_password_async(current, user.password_hash.clone()).await {
        return Err(PasswordChangeError::Invalid(FieldError::coded(
            "currentPassword",
            "refusal-wrong-password",
            "is not your current password",
        )));
    }
    password_rule(&new).map_err(|why| PasswordChangeError::Invalid(password_refusal("newPassword", why)))?;
    let hash = hash_password_async(new).await.map_err(PasswordChangeError::Hashing)?;
    let mut tx = db.begin().await?;
    let patch = users::UserPatch {
        password_hash: Some(hash),
        ..users::UserPatch::default()
    };
    users::update(&mut tx, user.id, &patch).await?;
    sessions::delete_others(&mut tx, user.id, keep).await?;
    tx.commit().await?;
    Ok(())
}
