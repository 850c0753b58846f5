//! The short codes behind every verified resource (a user's or a team's email, a user's or a team's phone):
//! random, valid for minutes, stored only as a hash bound to the user and the target, and good for a few wrong
//! guesses. A new code for the same user, purpose and target retires the earlier ones.

use crate::credentials::hash_api_key;
use crate::email::EnqueueError;
use convene_core::UserId;
use convene_store::{Db, StoreError, Tx, one_time_codes};
use rand::Rng;

/// Why an address or number was not verified.
#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    #[error("code is required")]
    CodeMissing,
    /// Wrong, expired, used, or guessed at too often: the caller can't tell which.
    #[error("code is wrong or has expired; request a new one")]
    CodeWrong,
    #[error("phone must be a phone number in international format, like +37255556666")]
    PhoneInvalid,
    /// No SMS provider, or none able to send SMS: the setting to add.
    #[error("phone verification needs an SMS provider (Twilio) on this server; set {0}")]
    TextsUnavailable(&'static str),
    /// The provider refused the number for good.
    #[error("phone could not be reached: {0}")]
    PhoneRejected(String),
    /// The provider failed for now (unreachable, throttled, credentials).
    #[error("the SMS provider did not take the message: {0}")]
    TextFailed(String),
    #[error(transparent)]
    Emails(#[from] EnqueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a code works.
pub const CODE_MINUTES: i64 = 10;
/// Wrong guesses allowed per code before it stops working.
const CODE_GUESSES: i64 = 5;

/// What a code proves, and so where the verified row goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    UserEmail,
    UserPhone,
    TeamEmail,
    TeamPhone,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::UserEmail => "email_verification",
            Purpose::UserPhone => "phone_verification",
            Purpose::TeamEmail => "team_email_verification",
            Purpose::TeamPhone => "team_phone_verification",
        }
    }
}

/// The code's target as stored: the address or number, prefixed with the team for a team's resource.
pub fn target(team_id: Option<i64>, value: &str) -> String {
    match team_id {
        Some(team) => format!("team {team} {value}"),
        None => value.to_owned(),
    }
}

/// Issues a new code for `user_id` and `target` inside `tx`; returns it in clear, to be sent.
pub async fn issue(tx: &mut Tx, purpose: Purpose, user_id: UserId, target: &str) -> Result<String, StoreError> {
    let code = verification_code();
    let now = jiff::Timestamp::now();
    one_time_codes::issue(
        &mut *tx,
        purpose.as_str(),
        user_id,
        target,
        &code_hash(user_id.0, target, &code),
        now + jiff::SignedDuration::from_mins(CODE_MINUTES),
        now,
    )
    .await?;
    Ok(code)
}

/// Checks `code` against the latest live code of `user_id` for `target`. On success the code is used up in the
/// returned transaction, where the caller records what it proved and commits. Each wrong guess counts.
pub async fn redeem(
    db: &Db,
    purpose: Purpose,
    user_id: UserId,
    target: &str,
    code: &str,
) -> Result<Tx, VerificationError> {
    let code = code.trim().to_uppercase();
    if code.is_empty() {
        return Err(VerificationError::CodeMissing);
    }
    let now = jiff::Timestamp::now();
    let live = one_time_codes::latest_live(db, purpose.as_str(), user_id, target, now)
        .await?
        .ok_or(VerificationError::CodeWrong)?;
    if live.attempts >= CODE_GUESSES {
        return Err(VerificationError::CodeWrong);
    }
    let matches = one_time_codes::find_live(db, purpose.as_str(), &code_hash(user_id.0, target, &code), now)
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
    Ok(tx)
}

/// Six characters from an alphabet without look-alikes (no 0/O, 1/I/L), like Cal.com's `1ABG2C`.
pub(super) fn verification_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Codes are short, so the hash binds them to the user and target: equal codes of two users never collide.
pub(super) fn code_hash(user_id: i64, target: &str, code: &str) -> String {
    hash_api_key(&format!("{user_id}:{target}:{code}"))
}
