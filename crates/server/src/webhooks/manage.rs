//! Saving a webhook subscription — new, or changed with only the fields given — and asking for a test ping. The API's
//! `/v2/webhooks` operations and the settings page both call these, so they check the same fields the same way.
//! A secret is sealed in the same transaction as the row; it is write-only and never read back here.

use super::{PAYLOAD_VERSION, Trigger, seal_secret, subscription};
use convene_core::net_guard::PrivatePolicy;
use convene_core::{FieldError, WebhookId};
use convene_keyring::{Keyring, KeyringError};
use convene_store::webhooks::deliveries;
use convene_store::webhooks::{self, WebhookFields, WebhookOwner, WebhookRecord};
use convene_store::{Db, StoreError, Tx};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Why a webhook was not saved.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("Webhook not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sealing a webhook secret: {0}")]
    Seal(#[from] KeyringError),
}

impl From<FieldError> for ManageError {
    fn from(e: FieldError) -> Self {
        ManageError::Invalid(e)
    }
}

/// The fields asked for; `None` keeps the stored value (or, for a new webhook, is missing). For the template and
/// the secret, `Some(None)` clears them.
#[derive(Debug, Default)]
pub struct WebhookChange {
    pub subscriber_url: Option<String>,
    pub triggers: Option<Vec<String>>,
    pub active: Option<bool>,
    pub payload_template: Option<Option<String>>,
    pub version: Option<String>,
    pub secret: Option<Option<SecretString>>,
}

enum SecretChange {
    Keep,
    Remove,
    Set(SecretString),
}

fn merge(
    policy: PrivatePolicy,
    change: WebhookChange,
    base: Option<&WebhookRecord>,
) -> Result<(WebhookFields, SecretChange), FieldError> {
    let subscriber_url = match (&change.subscriber_url, base) {
        (Some(url), _) => subscription::subscriber_url(url, policy)?,
        (None, Some(b)) => b.subscriber_url.clone(),
        (None, None) => return Err(FieldError::coded("subscriberUrl", "refusal-required", "is required")),
    };
    let triggers = match (change.triggers, base) {
        (Some(names), _) => Trigger::list_to_stored(&subscription::triggers(&names)?),
        (None, Some(b)) => b.triggers.clone(),
        (None, None) => return Err(FieldError::coded("triggers", "refusal-required", "is required")),
    };
    let active = match (change.active, base) {
        (Some(active), _) => active,
        (None, Some(b)) => b.active,
        (None, None) => return Err(FieldError::coded("active", "refusal-required", "is required")),
    };
    let payload_template = match (change.payload_template, base) {
        (Some(Some(template)), _) => subscription::payload_template(&template)?,
        (Some(None), _) | (None, None) => None,
        (None, Some(b)) => b.payload_template.clone(),
    };
    let version = match change.version {
        Some(v) => subscription::version(&v)?.to_owned(),
        None => base.map_or_else(|| PAYLOAD_VERSION.to_owned(), |b| b.version.clone()),
    };
    let secret = match change.secret {
        Some(Some(secret)) => match subscription::secret(secret.expose_secret())? {
            Some(secret) => SecretChange::Set(secret),
            None => SecretChange::Remove,
        },
        Some(None) => SecretChange::Remove,
        None => SecretChange::Keep,
    };
    let fields = WebhookFields {
        subscriber_url,
        triggers,
        active,
        payload_template,
        version,
    };
    Ok((fields, secret))
}

async fn store_secret(
    keyring: &Keyring,
    tx: &mut Tx,
    webhook_id: WebhookId,
    change: SecretChange,
) -> Result<(), ManageError> {
    let sealed = match change {
        SecretChange::Keep => return Ok(()),
        SecretChange::Remove => None,
        SecretChange::Set(secret) => Some(seal_secret(keyring, webhook_id.0, &secret)?),
    };
    webhooks::set_secret(tx, webhook_id, sealed.as_deref()).await?;
    Ok(())
}

/// A new webhook of `owner`; URL, triggers and `active` are required.
pub async fn create(
    db: &Db,
    keyring: &Keyring,
    policy: PrivatePolicy,
    owner: WebhookOwner,
    change: WebhookChange,
) -> Result<WebhookRecord, ManageError> {
    let (fields, secret) = merge(policy, change, None)?;
    let mut tx = db.begin().await?;
    let created = webhooks::insert(&mut tx, owner, &fields).await?;
    store_secret(keyring, &mut tx, created.id, secret).await?;
    tx.commit().await?;
    Ok(created)
}

/// `stored` with the fields of `change` replaced.
pub async fn update(
    db: &Db,
    keyring: &Keyring,
    policy: PrivatePolicy,
    stored: &WebhookRecord,
    change: WebhookChange,
) -> Result<WebhookRecord, ManageError> {
    let (fields, secret) = merge(policy, change, Some(stored))?;
    let mut tx = db.begin().await?;
    let updated = webhooks::update(&mut tx, stored.id, &fields)
        .await?
        .ok_or(ManageError::NotFound)?;
    store_secret(keyring, &mut tx, stored.id, secret).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Queues a test delivery to `webhook` (trigger `PING`, as Cal.com's "Ping test"): the worker sends it signed like
/// any other, and it is listed among the webhook's deliveries with the subscriber's answer.
pub async fn ping(db: &Db, webhook: &WebhookRecord) -> Result<i64, StoreError> {
    let now = jiff::Timestamp::now();
    let at = now.to_string();
    let body = json!({
        "triggerEvent": "PING",
        "createdAt": at,
        "payload": { "type": "Test", "title": "Test trigger event", "description": "", "startTime": at, "endTime": at },
    })
    .to_string();
    let mut tx = db.begin().await?;
    let id = deliveries::enqueue(&mut tx, webhook.id, "PING", &body, now).await?;
    tx.commit().await?;
    Ok(id.0)
}
