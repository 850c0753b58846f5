//! Open sign-up, when the instance allows it (`ServerSettings::open_signup`; invitation only by default): anyone
//! makes an account with an address and the onboarding choices ([`super::onboarding`]), and starts with the default
//! schedule. The address stays unverified until its owner proves it (a code, a reset link): nothing that belongs
//! to whoever holds it is granted before.

use super::onboarding::{CheckedOnboarding, ensure_default_schedule};
use convene_core::EmailAddress;
use convene_store::users::{self, NewUser, UserRecord};
use convene_store::{Db, StoreError};

/// Why no account was made.
#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    /// The instance is invitation only.
    #[error("sign-up is by invitation only")]
    Closed,
    #[error("an account with this email address exists; sign in or reset its password")]
    EmailTaken,
    #[error("this username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes the account with `profile` and its default schedule, in one transaction.
pub async fn sign_up(
    db: &Db,
    open: bool,
    email: &EmailAddress,
    profile: CheckedOnboarding,
    locale: &str,
) -> Result<UserRecord, SignUpError> {
    if !open {
        return Err(SignUpError::Closed);
    }
    let mut tx = db.begin().await?;
    if users::find_by_email(&mut tx, email.as_str()).await?.is_some() {
        return Err(SignUpError::EmailTaken);
    }
    if users::find_by_username(&mut tx, profile.username.as_str())
        .await?
        .is_some()
    {
        return Err(SignUpError::UsernameTaken);
    }
    let user = users::insert(
        &mut tx,
        &NewUser {
            email: email.as_str().to_owned(),
            username: profile.username.as_str().to_owned(),
            name: Some(profile.name.as_str().to_owned()),
            bio: None,
            avatar_url: None,
            time_zone: profile.time_zone.as_str().to_owned(),
            locale: locale.to_owned(),
            week_start: "Monday".to_owned(),
            time_format: 24,
            metadata: "{}".to_owned(),
            password_hash: Some(profile.password_hash),
            is_instance_admin: false,
        },
    )
    .await?;
    ensure_default_schedule(&mut tx, user.user_id(), &profile.time_zone).await?;
    tx.commit().await?;
    Ok(user)
}
