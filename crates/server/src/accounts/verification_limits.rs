//! How often verification codes may go out. Codes go to addresses and numbers the caller chooses (and each text is
//! a paid message), so every code counts per client address (whoever asks) and per user and target. The API and
//! the web page both count here, so they share one budget.

use crate::limits::{ClientAddress, LimitError, LimitKey, Limits, PublicOperation};
use convene_core::{EmailAddress, UserId};

/// Counts one code mailed to `email` for `user`, asked from `client`.
pub async fn email_code(
    limits: &Limits,
    user: UserId,
    client: ClientAddress,
    email: &EmailAddress,
) -> Result<(), LimitError> {
    let operation = PublicOperation::VerificationCode;
    limits.take(LimitKey::Public { operation, client }).await?;
    limits
        .take(LimitKey::VerificationEmail {
            user,
            email: email.clone(),
        })
        .await
}

/// Counts one code texted to `phone` (E.164, as [`super::phone_verification::parse_phone`] gives it) for `user`,
/// asked from `client`.
pub async fn phone_code(limits: &Limits, user: UserId, client: ClientAddress, phone: &str) -> Result<(), LimitError> {
    let operation = PublicOperation::VerificationCode;
    limits.take(LimitKey::Public { operation, client }).await?;
    limits
        .take(LimitKey::VerificationPhone {
            user,
            phone: phone.to_owned(),
        })
        .await
}
