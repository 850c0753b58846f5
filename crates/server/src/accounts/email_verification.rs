//! Proving ownership of an address (Cal.com's verified resources): a short code mailed to it, then the code back.

use crate::credentials::hash_api_key;
use crate::email::compose;
use crate::email::queue::account_email;
use crate::email::{EnqueueError, Mailer};
use convene_core::EmailAddress;
use convene_core::email::EmailKind;
use convene_store::users::{self, UserRecord};
use convene_store::verified_emails::{self, VerifiedEmail};
use convene_store::{Db, StoreError, now_ms, one_time_codes};
use rand::Rng;

/// How long a code works.
const CODE_MINUTES: i64 = 10;
/// Wrong guesses allowed per code before it stops working.
const CODE_GUESSES: i64 = 5;

/// Why an address was not verified.
#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    #[error("code is required")]
    CodeMissing,
    /// Wrong, expired, used, or guessed at too often: the caller can't tell which.
    #[error("code is wrong or has expired; request a new one")]
    CodeWrong,
    #[error(transparent)]
    Emails(#[from] EnqueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Mails a new code to `email` for `user`.
pub async fn send_code(
    db: &Db,
    mailer: &Mailer,
    user: &UserRecord,
    email: &EmailAddress,
) -> Result<(), VerificationError> {
    let code = verification_code();
    let now = now_ms();
    let mut tx = db.begin().await?;
    one_time_codes::issue(
        &mut tx,
        "email_verification",
        user.id,
        email.as_str(),
        &code_hash(user.id, email.as_str(), &code),
        now + CODE_MINUTES * 60_000,
        now,
    )
    .await?;
    let rendered =
        compose::verification_code(&code, CODE_MINUTES, &user.locale).map_err(|source| EnqueueError::Render {
            what: "verification",
            source,
        })?;
    account_email(
        &mut tx,
        mailer,
        EmailKind::EmailVerificationCode,
        user.id,
        email.as_str(),
        None,
        rendered,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks `code` against the latest live code for `user` and `email`, and records the address as verified.
/// Each wrong guess counts against the code.
pub async fn verify(
    db: &Db,
    user: &UserRecord,
    email: &EmailAddress,
    code: &str,
) -> Result<VerifiedEmail, VerificationError> {
    let code = code.trim().to_uppercase();
    if code.is_empty() {
        return Err(VerificationError::CodeMissing);
    }
    let now = now_ms();
    let live = one_time_codes::latest_live(db, "email_verification", user.id, email.as_str(), now)
        .await?
        .ok_or(VerificationError::CodeWrong)?;
    if live.attempts >= CODE_GUESSES {
        return Err(VerificationError::CodeWrong);
    }
    let matches = one_time_codes::find_live(
        db,
        "email_verification",
        &code_hash(user.id, email.as_str(), &code),
        now,
    )
    .await?
    .is_some_and(|found| found.id == live.id);
    if !matches {
        one_time_codes::count_attempt(db, live.id).await?;
        return Err(VerificationError::CodeWrong);
    }
    let mut tx = db.begin().await?;
    if !one_time_codes::consume(&mut tx, live.id, now).await? {
        return Err(VerificationError::CodeWrong);
    }
    let verified = verified_emails::add(&mut tx, user.id, email.as_str(), now).await?;
    // Proving the account's own address makes it count for what belongs to that address (bookings attended).
    users::mark_email_verified(&mut tx, user.user_id(), email.as_str(), now).await?;
    tx.commit().await?;
    Ok(verified)
}

/// Six characters from an alphabet without look-alikes (no 0/O, 1/I/L), like Cal.com's `1ABG2C`.
pub(super) fn verification_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Codes are short, so the hash binds them to the user and address: equal codes of two users never collide.
pub(super) fn code_hash(user_id: i64, email: &str, code: &str) -> String {
    hash_api_key(&format!("{user_id}:{email}:{code}"))
}
