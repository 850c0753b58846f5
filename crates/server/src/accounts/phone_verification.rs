//! Proving ownership of a phone number (Cal.com's verified resources): a short code texted to it through the
//! instance's Twilio account, then the code back. For the user themselves, or by a team's admin for the team.
//! Without an SMS provider nothing is sent and the caller is told which setting is missing.

use super::codes::{self, CODE_MINUTES, Purpose};
use super::email_verification::VerificationError;
use crate::email::Mailer;
use crate::email::sms::{Channel, Channels, e164};
use crate::i18n::Lang;
use convene_core::TeamId;
use convene_store::Db;
use convene_store::users::UserRecord;
use convene_store::verified_phones::{self, VerifiedPhone};

/// `raw` as the E.164 number codes and rows are kept under.
pub fn parse_phone(raw: &str) -> Result<String, VerificationError> {
    e164(raw).ok_or(VerificationError::PhoneInvalid)
}

/// Whether this server can text codes at all; when it can't, [`VerificationError::TextsUnavailable`] names the
/// setting to add.
pub fn texts_available(mailer: &Mailer) -> Result<(), VerificationError> {
    Channels::of(mailer.settings.sms.as_ref())
        .check(Channel::Sms)
        .map_err(VerificationError::TextsUnavailable)?;
    mailer
        .texts()
        .map(|_| ())
        .ok_or(VerificationError::TextsUnavailable("twilio_account_sid"))
}

/// Texts a new code to `phone` for `user`, or for the team `team_id` when given.
pub async fn send_code(
    db: &Db,
    mailer: &Mailer,
    user: &UserRecord,
    phone: &str,
    team_id: Option<i64>,
) -> Result<(), VerificationError> {
    let phone = parse_phone(phone)?;
    texts_available(mailer)?;
    let texts = mailer
        .texts()
        .ok_or(VerificationError::TextsUnavailable("twilio_account_sid"))?;
    let purpose = if team_id.is_some() {
        Purpose::TeamPhone
    } else {
        Purpose::UserPhone
    };
    let mut tx = db.begin().await?;
    let code = codes::issue(&mut tx, purpose, user.id, &codes::target(team_id, &phone)).await?;
    // Stored before it is sent: a code that failed to go out is simply never entered.
    tx.commit().await?;
    // In the user's own language (English when it is one we do not speak), as their emails are.
    let t = Lang::from_tag(&user.locale).unwrap_or(Lang::En);
    let minutes = CODE_MINUTES.to_string();
    let body = t.text_with("sms-verification-code", &[("code", &code), ("minutes", &minutes)]);
    texts.send(Channel::Sms, &phone, &body).await.map_err(|failure| {
        // Twilio's 4xx other than credentials and throttling (an invalid or unreachable number) is final.
        if failure.message_rejected() {
            VerificationError::PhoneRejected(failure.message)
        } else {
            VerificationError::TextFailed(failure.message)
        }
    })?;
    Ok(())
}

/// Checks `code` for `user` and `phone`, and records the number as verified (the user's, or `team_id`'s).
pub async fn verify(
    db: &Db,
    user: &UserRecord,
    phone: &str,
    code: &str,
    team_id: Option<i64>,
) -> Result<VerifiedPhone, VerificationError> {
    let phone = parse_phone(phone)?;
    let (purpose, target) = match team_id {
        Some(_) => (Purpose::TeamPhone, codes::target(team_id, &phone)),
        None => (Purpose::UserPhone, phone.clone()),
    };
    let mut tx = codes::redeem(db, purpose, user.id, &target, code).await?;
    let now = jiff::Timestamp::now();
    let verified = match team_id {
        Some(team) => verified_phones::add_for_team(&mut tx, TeamId(team), user.id, &phone, now).await?,
        None => verified_phones::add_for_user(&mut tx, user.id, &phone, now).await?,
    };
    tx.commit().await?;
    Ok(verified)
}
