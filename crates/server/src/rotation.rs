//! `convene keys rotate`: re-seals every stored secret under the keyring's active key, so an old key can be
//! dropped from the configuration afterwards. Values already under the active key are left alone; each value
//! is re-sealed with its own binding (a value that doesn't open where it is stops the rotation loudly).

use crate::calendars::secret as calendar_secret;
use crate::email::senders::{binding, owner_of};
use crate::webhooks::reseal_secret;
use convene_keyring::Keyring;
use convene_store::smtp_senders::{self, Secret};
use convene_store::{Db, calendars, webhooks};

/// How many values were re-sealed, and how many were already under the active key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub resealed: usize,
    pub current: usize,
}

pub async fn rotate(db: &Db, keyring: &Keyring) -> anyhow::Result<Rotated> {
    let mut counts = Rotated::default();
    let mut tx = db.begin().await?;
    for (id, sealed) in webhooks::sealed_secrets(&mut tx).await? {
        if !keyring.needs_reseal(&sealed) {
            counts.current += 1;
            continue;
        }
        let fresh = reseal_secret(keyring, id.0, &sealed)
            .map_err(|e| anyhow::anyhow!("webhook {id}'s secret could not be re-sealed: {e}"))?;
        webhooks::set_secret(&mut tx, id, Some(&fresh)).await?;
        counts.resealed += 1;
    }
    for sender in smtp_senders::all(&mut tx).await? {
        let owner = owner_of(sender.organization_id, sender.id);
        for (secret, sealed) in [
            (Secret::SmtpUser, &sender.smtp_user_sealed),
            (Secret::SmtpPassword, &sender.smtp_password_sealed),
            (Secret::ApiKey, &sender.api_key_sealed),
        ] {
            let Some(sealed) = sealed else { continue };
            if !keyring.needs_reseal(sealed) {
                counts.current += 1;
                continue;
            }
            let fresh = keyring.reseal(binding(&owner, secret), sealed).map_err(|e| {
                anyhow::anyhow!("sender {}'s {} could not be re-sealed: {e}", sender.id, secret.field())
            })?;
            smtp_senders::set_secret(&mut tx, sender.id, secret, Some(&fresh)).await?;
            counts.resealed += 1;
        }
    }
    for connection in calendars::all_connections(&mut tx).await? {
        if !keyring.needs_reseal(&connection.sealed_secret) {
            counts.current += 1;
            continue;
        }
        let fresh = calendar_secret::reseal(keyring, connection.id.0, &connection.sealed_secret).map_err(|e| {
            anyhow::anyhow!(
                "calendar connection {}'s credential could not be re-sealed: {e}",
                connection.id
            )
        })?;
        calendars::set_connection_secret(&mut tx, connection.id, &fresh).await?;
        counts.resealed += 1;
    }
    tx.commit().await?;
    Ok(counts)
}
