//! Changing an account's email address. The new address takes effect only once its owner confirms it, with the
//! code (API) or the link (a browser) mailed to it; until then the account keeps the old one, and the pending
//! address grants nothing. When the change happens the old address is told. An address the user already proved
//! through the verified-resources codes switches at once, as Cal.com does with a verified secondary email.
//!
//! Booking access by attendee email follows only an account's verified address
//! ([`convene_store::users::UserRecord::verified_email`]): a confirmed change sets it, and so does proving the
//! current address with a verification code or a password reset.

use super::email_verification::{code_hash, verification_code};
use crate::credentials::{hash_api_key, random_token};
use crate::email::compose;
use crate::email::queue::account_email;
use crate::email::{EnqueueError, Mailer};
use convene_core::email::EmailKind;
use convene_core::{EmailAddress, UserId};
use convene_store::email_changes::{self, EmailChangeRecord, NewEmailChange};
use convene_store::users::{self, UserRecord};
use convene_store::{Db, StoreError, Tx, one_time_codes, verified_emails};

/// How long the code and the link work.
pub const VALID_MINUTES: i64 = 60;
/// Wrong codes allowed before the change stops accepting codes (the link still works).
const CODE_GUESSES: i64 = 5;

/// Why an email change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum EmailChangeError {
    #[error("is already used by another account")]
    Taken,
    #[error("code is required")]
    CodeMissing,
    /// Wrong, expired, replaced, or guessed at too often: the caller can't tell which.
    #[error("code is wrong or has expired; ask for a new one")]
    CodeWrong,
    #[error("link is invalid or has expired; ask for a new one")]
    LinkWrong,
    #[error(transparent)]
    Emails(#[from] EnqueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a request for a new address did.
#[derive(Debug)]
pub enum ChangeRequested {
    /// The address is already the account's; any pending change was dropped.
    Unchanged,
    /// A code and link went to the new address; the account keeps its address until one comes back.
    Pending { new_email: String },
    /// The user had already proved the address: it is the account's now.
    Changed(Box<UserRecord>),
}

/// How the owner of the new address confirms it.
#[derive(Debug, Clone, Copy)]
pub enum Confirmation<'a> {
    /// The code, sent by the signed-in user (through the API).
    Code { user: &'a UserRecord, code: &'a str },
    /// The token from the emailed link: it alone names the change.
    Link { token: &'a str },
}

/// Asks to move `user` to `new_email`.
pub async fn request_email_change(
    db: &Db,
    mailer: &Mailer,
    user: &UserRecord,
    new_email: &EmailAddress,
) -> Result<ChangeRequested, EmailChangeError> {
    if new_email.as_str() == user.email {
        email_changes::cancel(db, user.id).await?;
        return Ok(ChangeRequested::Unchanged);
    }
    if users::find_by_email(db, new_email.as_str()).await?.is_some() {
        return Err(EmailChangeError::Taken);
    }
    let now = jiff::Timestamp::now();
    let mut tx = db.begin().await?;
    if verified_emails::find_by_email(&mut tx, user.id, new_email.as_str())
        .await?
        .is_some()
    {
        let changed = apply(&mut tx, mailer, user, new_email.as_str(), now).await?;
        tx.commit().await?;
        return Ok(ChangeRequested::Changed(Box::new(changed)));
    }
    let code = verification_code();
    let token = random_token();
    email_changes::replace(
        &mut tx,
        &NewEmailChange {
            user_id: user.id,
            new_email: new_email.as_str(),
            code_hash: &code_hash(user.id.0, new_email.as_str(), &code),
            link_hash: &hash_api_key(&token),
            expires_at: now + jiff::SignedDuration::from_mins(VALID_MINUTES),
        },
        now,
    )
    .await?;
    let link = format!("{}/auth/confirm-email?token={token}", mailer.settings.public_url);
    let rendered = compose::email_change_confirmation(&code, &link, VALID_MINUTES, &user.locale).map_err(|source| {
        EnqueueError::Render {
            what: "email change confirmation",
            source,
        }
    })?;
    account_email(
        &mut tx,
        mailer,
        EmailKind::EmailChangeConfirmation,
        user.id,
        new_email.as_str(),
        user.name.as_deref(),
        rendered,
    )
    .await?;
    tx.commit().await?;
    Ok(ChangeRequested::Pending {
        new_email: new_email.as_str().to_owned(),
    })
}

/// Confirms the pending change named by `confirmation`; returns the account with its new address.
pub async fn confirm_email_change(
    db: &Db,
    mailer: &Mailer,
    confirmation: Confirmation<'_>,
) -> Result<UserRecord, EmailChangeError> {
    let now = jiff::Timestamp::now();
    let (change, wrong) = match confirmation {
        Confirmation::Code { user, code } => {
            let code = code.trim().to_uppercase();
            if code.is_empty() {
                return Err(EmailChangeError::CodeMissing);
            }
            let change = email_changes::live_for_user(db, user.id, now)
                .await?
                .filter(|c| c.attempts < CODE_GUESSES)
                .ok_or(EmailChangeError::CodeWrong)?;
            if code_hash(user.id.0, &change.new_email, &code) != change.code_hash {
                email_changes::count_attempt(db, user.id, &change.link_hash).await?;
                return Err(EmailChangeError::CodeWrong);
            }
            (change, EmailChangeError::CodeWrong)
        }
        Confirmation::Link { token } => {
            let token = token.trim();
            if token.is_empty() {
                return Err(EmailChangeError::LinkWrong);
            }
            let change = email_changes::live_by_link(db, &hash_api_key(token), now)
                .await?
                .ok_or(EmailChangeError::LinkWrong)?;
            (change, EmailChangeError::LinkWrong)
        }
    };
    let EmailChangeRecord {
        user_id,
        new_email,
        link_hash,
        ..
    } = change;
    let mut tx = db.begin().await?;
    // Of two confirmations racing (code and link, say), one takes the change and the other finds it gone.
    if !email_changes::take(&mut tx, user_id, &link_hash).await? {
        return Err(wrong);
    }
    let user = users::find(&mut tx, user_id).await?.ok_or(wrong)?;
    let changed = apply(&mut tx, mailer, &user, &new_email, now).await?;
    tx.commit().await?;
    Ok(changed)
}

/// The address `user_id` asked to move to and has not confirmed yet, if any.
pub async fn pending_email(db: &Db, user_id: i64) -> Result<Option<String>, StoreError> {
    Ok(
        email_changes::live_for_user(db, UserId(user_id), jiff::Timestamp::now())
            .await?
            .map(|c| c.new_email),
    )
}

/// Makes `new_email` the account's verified address, ends what the old address could still do (reset links
/// mailed to it) and tells the old address.
async fn apply(
    tx: &mut Tx,
    mailer: &Mailer,
    user: &UserRecord,
    new_email: &str,
    now: jiff::Timestamp,
) -> Result<UserRecord, EmailChangeError> {
    let changed = users::set_verified_email(&mut *tx, user.user_id(), new_email, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => EmailChangeError::Taken,
            other => other.into(),
        })?
        .ok_or(StoreError::NotFound("user"))?;
    email_changes::cancel(&mut *tx, user.id).await?;
    one_time_codes::retire_all(&mut *tx, "password_reset", user.id, now).await?;
    let rendered = compose::email_changed(new_email, &user.locale).map_err(|source| EnqueueError::Render {
        what: "email changed notice",
        source,
    })?;
    account_email(
        tx,
        mailer,
        EmailKind::EmailChanged,
        user.id,
        &user.email,
        user.name.as_deref(),
        rendered,
    )
    .await?;
    Ok(changed)
}
