//! Proving ownership of an address (Cal.com's verified resources): a short code mailed to it, then the code back.
//! A user proves addresses for themselves; a team's admin proves them for the team. Phone numbers work the same
//! way through text messages ([`super::phone_verification`]).

use super::codes::{self, CODE_MINUTES, Purpose};
use crate::email::compose;
use crate::email::queue::account_email;
use crate::email::{EnqueueError, Mailer};
use convene_core::email::EmailKind;
use convene_core::{EmailAddress, TeamId};
use convene_store::Db;
use convene_store::team_verified_emails::{self, TeamVerifiedEmail};
use convene_store::users::{self, UserRecord};
use convene_store::verified_emails::{self, VerifiedEmail};

pub(super) use codes::{code_hash, verification_code};

pub use codes::VerificationError;

/// Mails a new code to `email` for `user`, or for the team `team_id` when given.
pub async fn send_code(
    db: &Db,
    mailer: &Mailer,
    user: &UserRecord,
    email: &EmailAddress,
    team_id: Option<i64>,
) -> Result<(), VerificationError> {
    let purpose = if team_id.is_some() {
        Purpose::TeamEmail
    } else {
        Purpose::UserEmail
    };
    let mut tx = db.begin().await?;
    let code = codes::issue(&mut tx, purpose, user.id, &codes::target(team_id, email.as_str())).await?;
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
    let mut tx = codes::redeem(db, Purpose::UserEmail, user.id, email.as_str(), code).await?;
    let now = jiff::Timestamp::now();
    let verified = verified_emails::add(&mut tx, user.id, email.as_str(), now).await?;
    // Proving the account's own address makes it count for what belongs to that address (bookings attended).
    users::mark_email_verified(&mut tx, user.user_id(), email.as_str(), now).await?;
    tx.commit().await?;
    Ok(verified)
}

/// Checks `code`, sent when `user` asked for the team `team_id`, and records the address as the team's.
pub async fn verify_for_team(
    db: &Db,
    user: &UserRecord,
    team_id: i64,
    email: &EmailAddress,
    code: &str,
) -> Result<TeamVerifiedEmail, VerificationError> {
    let target = codes::target(Some(team_id), email.as_str());
    let mut tx = codes::redeem(db, Purpose::TeamEmail, user.id, &target, code).await?;
    let verified = team_verified_emails::add(
        &mut tx,
        TeamId(team_id),
        user.id,
        email.as_str(),
        jiff::Timestamp::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(verified)
}
