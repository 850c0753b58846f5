//! Adding, changing, listing and removing senders. Every change locks the organization's senders (so two first
//! senders can't both become the default) and drops the worker's cached copy in this process.

use super::input::{SenderInput, Valid, check_teams, validate};
use super::output::{SenderOutput, output};
use super::{SenderError, SenderOrg};
use crate::email::Mailer;
use crate::email::senders::{binding, owner_of};
use convene_core::{FieldError, SenderId, TeamId};
use convene_store::Tx;
use convene_store::smtp_senders::{self, Secret, SenderRecord};

/// A sender of `org` by id.
pub(super) async fn load(mailer: &Mailer, org: &SenderOrg, id: SenderId) -> Result<SenderRecord, SenderError> {
    smtp_senders::find(mailer.db(), org.id(), id)
        .await?
        .ok_or(SenderError::NotFound)
}

/// The stored sender as answered (team ids included).
pub(super) async fn current(mailer: &Mailer, org: &SenderOrg, id: SenderId) -> Result<SenderOutput, SenderError> {
    let record = load(mailer, org, id).await?;
    let assignments = smtp_senders::team_assignments(mailer.db(), org.id()).await?;
    Ok(output(&record, &assignments))
}

/// The organization's senders, default first.
pub async fn list(mailer: &Mailer, org: &SenderOrg) -> Result<Vec<SenderOutput>, SenderError> {
    let records = smtp_senders::list(mailer.db(), org.id()).await?;
    let assignments = smtp_senders::team_assignments(mailer.db(), org.id()).await?;
    Ok(records.iter().map(|r| output(r, &assignments)).collect())
}

/// One sender.
pub async fn get(mailer: &Mailer, org: &SenderOrg, id: SenderId) -> Result<SenderOutput, SenderError> {
    current(mailer, org, id).await
}

/// Adds a sender. The organization's first sender becomes its default.
pub async fn create(mailer: &Mailer, org: &SenderOrg, input: SenderInput) -> Result<SenderOutput, SenderError> {
    let org_id = org.id();
    let valid = validate(mailer, input, None).await?;
    if let Some(team_ids) = &valid.team_ids {
        check_teams(mailer, org, team_ids).await?;
    }
    let mut tx = mailer.db().begin().await?;
    smtp_senders::lock_organization(&mut tx, org_id).await?;
    let first = smtp_senders::list(&mut tx, org_id).await?.is_empty();
    let id = smtp_senders::insert(&mut tx, org_id, &valid.fields, first, jiff::Timestamp::now()).await?;
    store_secrets(mailer, &mut tx, org_id, id, &valid).await?;
    if !first && valid.is_default == Some(true) {
        smtp_senders::make_default(&mut tx, org_id, id).await?;
    }
    if let Some(team_ids) = &valid.team_ids {
        smtp_senders::set_teams(&mut tx, id, team_ids).await?;
    }
    tx.commit().await?;
    mailer.directory.invalidate(org_id);
    current(mailer, org, id).await
}

/// Changes any subset of a sender's fields; secrets stay unless given (`Some(None)` clears one).
pub async fn update(
    mailer: &Mailer,
    org: &SenderOrg,
    id: SenderId,
    input: SenderInput,
) -> Result<SenderOutput, SenderError> {
    let org_id = org.id();
    let existing = load(mailer, org, id).await?;
    if input.is_default == Some(false) && existing.is_default {
        return Err(FieldError::coded(
            "isDefault",
            "refusal-default-sender",
            "an organization always has one default sender; make another one the default instead",
        )
        .into());
    }
    let valid = validate(mailer, input, Some(&existing)).await?;
    if let Some(team_ids) = &valid.team_ids {
        check_teams(mailer, org, team_ids).await?;
    }
    let mut tx = mailer.db().begin().await?;
    smtp_senders::lock_organization(&mut tx, org_id).await?;
    smtp_senders::update_fields(&mut tx, existing.id, &valid.fields, jiff::Timestamp::now()).await?;
    store_secrets(mailer, &mut tx, org_id, existing.id, &valid).await?;
    if valid.is_default == Some(true) {
        smtp_senders::make_default(&mut tx, org_id, existing.id).await?;
    }
    if let Some(team_ids) = &valid.team_ids {
        smtp_senders::set_teams(&mut tx, existing.id, team_ids).await?;
    }
    tx.commit().await?;
    mailer.directory.invalidate(org_id);
    current(mailer, org, existing.id).await
}

/// Makes a sender the organization's default, changing nothing else (its health stays).
pub async fn make_default(mailer: &Mailer, org: &SenderOrg, id: SenderId) -> Result<SenderOutput, SenderError> {
    let existing = load(mailer, org, id).await?;
    let mut tx = mailer.db().begin().await?;
    smtp_senders::lock_organization(&mut tx, org.id()).await?;
    smtp_senders::make_default(&mut tx, org.id(), existing.id).await?;
    tx.commit().await?;
    mailer.directory.invalidate(org.id());
    current(mailer, org, existing.id).await
}

/// Removes a sender: its emails go back to the platform default at once (another sender becomes the default).
/// Answers the sender as it was.
pub async fn delete(mailer: &Mailer, org: &SenderOrg, id: SenderId) -> Result<SenderOutput, SenderError> {
    let out = current(mailer, org, id).await?;
    let mut tx = mailer.db().begin().await?;
    smtp_senders::lock_organization(&mut tx, org.id()).await?;
    smtp_senders::delete(&mut tx, org.id(), SenderId(out.id)).await?;
    tx.commit().await?;
    mailer.directory.invalidate(org.id());
    Ok(out)
}

/// Seals and stores the secrets the input gave.
async fn store_secrets(
    mailer: &Mailer,
    tx: &mut Tx,
    org: TeamId,
    id: SenderId,
    valid: &Valid,
) -> Result<(), SenderError> {
    let owner = owner_of(org, id);
    for (secret, value) in [
        (Secret::SmtpUser, &valid.smtp_user),
        (Secret::SmtpPassword, &valid.smtp_password),
        (Secret::ApiKey, &valid.api_key),
    ] {
        let Some(value) = value else { continue };
        let sealed = match value {
            Some(plain) => Some(
                mailer
                    .keyring()
                    .seal(binding(&owner, secret), plain)
                    .map_err(SenderError::Keyring)?,
            ),
            None => None,
        };
        smtp_senders::set_secret(&mut *tx, id, secret, sealed.as_deref()).await?;
    }
    Ok(())
}
