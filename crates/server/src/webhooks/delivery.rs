//! One delivery attempt, start to finish: claim a due row, send it outside any transaction, record the result.

use super::secret::open_secret;
use super::send::{Answer, Post, send};
use super::settings::WebhookSettings;
use super::signature::sign;
use super::target::{TargetError, resolve};
use convene_core::WebhookId;
use convene_keyring::Keyring;
use convene_store::webhooks::deliveries::{self, AttemptResult, DeliveryRecord};
use convene_store::webhooks::{self, WebhookRecord};
use convene_store::{Db, StoreError};
use jiff::Timestamp;
use std::sync::Arc;

/// What the delivery worker runs on: the database, the keys that open subscribers' secrets, and the delivery
/// settings, its name and its stop grace. The server's state converts into one.
#[derive(Clone)]
pub struct WebhookWorker {
    pub db: Db,
    pub keyring: Arc<Keyring>,
    pub settings: WebhookSettings,
    /// The name its claims are recorded under; a worker restarted under the same name takes back at once the
    /// delivery it held when it died.
    pub id: Arc<str>,
    /// On stop, a delivery in flight gets this long to finish; otherwise it is given back.
    pub shutdown_grace: std::time::Duration,
}

/// What [`deliver_one`] did with the row it claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    pub delivery_id: i64,
    pub webhook_id: Option<WebhookId>,
    /// Which attempt this was (1 for the first).
    pub attempt: i64,
    pub result: AttemptResult,
}

/// Claims one due delivery (at `now`), sends it and records the outcome; `None` when nothing is due.
///
/// 2xx → delivered. Any other answer, or none → retrying with backoff, until the retry budget is spent →
/// failed. A target the instance policy blocks, a deleted or deactivated webhook → failed at once, with no
/// request made. Tests pass a `now` in the future to make a retry due without waiting for it.
#[tracing::instrument(skip_all)]
pub async fn deliver_one(
    worker: impl Into<WebhookWorker>,
    now: Timestamp,
) -> Result<Option<DeliveryOutcome>, StoreError> {
    deliver_next(&worker.into(), now).await
}

/// [`deliver_one`] for the worker loop.
pub(super) async fn deliver_next(
    worker: &WebhookWorker,
    now: Timestamp,
) -> Result<Option<DeliveryOutcome>, StoreError> {
    let settings = &worker.settings;
    let lease_ms = i64::try_from(settings.lease.as_millis()).unwrap_or(i64::MAX);
    let Some(delivery) = deliveries::claim_due_by(&worker.db, &worker.id, now, lease_ms).await? else {
        return Ok(None);
    };
    let result = attempt(worker, &delivery, now).await?;
    let recorded = deliveries::record_attempt(&worker.db, delivery.id, delivery.attempts, &result, now).await?;
    log_result(&delivery, &result, recorded);
    Ok(Some(DeliveryOutcome {
        delivery_id: delivery.id.0,
        webhook_id: delivery.webhook_id,
        attempt: delivery.attempts,
        result,
    }))
}

async fn attempt(
    worker: &WebhookWorker,
    delivery: &DeliveryRecord,
    now: Timestamp,
) -> Result<AttemptResult, StoreError> {
    let webhook = match delivery.webhook_id {
        Some(id) => webhooks::find(&worker.db, id).await?,
        None => None,
    };
    let Some(webhook) = webhook else {
        return Ok(failed(None, "the webhook was deleted before delivery"));
    };
    if !webhook.active {
        return Ok(failed(None, "the webhook was deactivated before delivery"));
    }
    Ok(match post(worker, &webhook, &delivery.body).await {
        Ok(status) if (200..300).contains(&status) => AttemptResult::Delivered {
            status_code: i64::from(status),
        },
        Ok(status) => retry_or_fail(
            worker,
            delivery,
            now,
            Some(i64::from(status)),
            format!("the subscriber answered HTTP {status}"),
        ),
        Err(Problem::Permanent(error)) => failed(None, &error),
        Err(Problem::Transient(error)) => retry_or_fail(worker, delivery, now, None, error),
    })
}

enum Problem {
    Permanent(String),
    Transient(String),
}

/// Checks the target, signs and sends; `Ok` with the answer's status.
async fn post(worker: &WebhookWorker, webhook: &WebhookRecord, body: &str) -> Result<u16, Problem> {
    let settings = &worker.settings;
    let (url, target) = resolve(&webhook.subscriber_url, settings.private_policy())
        .await
        .map_err(|e| match e {
            TargetError::Blocked(_) => Problem::Permanent(e.to_string()),
            TargetError::Unresolved { .. } => Problem::Transient(e.to_string()),
        })?;
    // A key missing from the configuration can be put back, so this is worth retrying.
    let secret = webhook
        .secret_sealed
        .as_deref()
        .map(|sealed| open_secret(&worker.keyring, webhook.id.0, sealed))
        .transpose()
        .map_err(|e| Problem::Transient(format!("cannot decrypt the webhook's secret: {e}")))?;
    let signature = sign(secret.as_ref(), body.as_bytes());
    let post = Post {
        url: &url,
        target: &target,
        body,
        signature: &signature,
        version: &webhook.version,
    };
    match send(post, settings.request_timeout).await {
        Answer::Status(status) => Ok(status),
        Answer::NoAnswer(error) => Err(Problem::Transient(error)),
    }
}

fn retry_or_fail(
    worker: &WebhookWorker,
    delivery: &DeliveryRecord,
    now: Timestamp,
    status_code: Option<i64>,
    error: String,
) -> AttemptResult {
    let retry = worker.settings.retry;
    match retry.next_attempt_at(delivery.attempts, delivery.created_at, now) {
        Some(next_attempt_at) => AttemptResult::Retry {
            status_code,
            error,
            next_attempt_at,
        },
        None => AttemptResult::Failed {
            status_code,
            error: format!("gave up after {} attempts; last: {error}", delivery.attempts),
        },
    }
}

fn failed(status_code: Option<i64>, error: &str) -> AttemptResult {
    AttemptResult::Failed {
        status_code,
        error: error.to_owned(),
    }
}

/// Ids, trigger, attempt and result only: never the URL, the body or the secret.
fn log_result(delivery: &DeliveryRecord, result: &AttemptResult, recorded: bool) {
    let (id, webhook, attempt, trigger) = (
        delivery.id,
        delivery.webhook_id,
        delivery.attempts,
        delivery.trigger_event.as_str(),
    );
    if !recorded {
        tracing::warn!(
            delivery_id = id.0,
            webhook = ?webhook.map(|w| w.0),
            attempt,
            "webhook delivery's lease expired before its result was recorded; another attempt owns it"
        );
        return;
    }
    match result {
        AttemptResult::Delivered { status_code } => {
            tracing::info!(
                delivery_id = id.0,
                webhook = ?webhook.map(|w| w.0),
                attempt,
                trigger,
                status_code,
                "webhook delivered"
            );
        }
        AttemptResult::Retry { error, .. } => {
            tracing::warn!(
                delivery_id = id.0,
                webhook = ?webhook.map(|w| w.0),
                attempt,
                trigger,
                error,
                "webhook delivery will be retried"
            );
        }
        AttemptResult::Failed { error, .. } => {
            tracing::warn!(
                delivery_id = id.0,
                webhook = ?webhook.map(|w| w.0),
                attempt,
                trigger,
                error,
                "webhook delivery failed"
            );
        }
    }
}
