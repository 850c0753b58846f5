//! The webhook delivery queue. A row is written in the transaction that changed the booking, claimed by one
//! worker at a time under a lease, sent outside any transaction, and then marked delivered, retrying or failed.
//! Rows are never deleted.
//!
//! States: `queued` → `delivering` → `delivered` | `retrying` (→ `delivering` again) | `failed`. A `delivering` row
//! whose lease has run out (its worker died) is claimable again, so delivery is at least once; a worker that
//! restarts under the same name takes back at once what it held ([`release_all_claims`]).

use crate::millis::{Millis, OptMillis, ms};
use crate::{Backend, Db, Exec, StoreResult, Tx};
use convene_core::{WebhookDeliveryId, WebhookDeliveryStatus, WebhookId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRecord {
    pub id: WebhookDeliveryId,
    /// `None` once the webhook was deleted.
    pub webhook_id: Option<WebhookId>,
    pub trigger_event: String,
    /// The exact bytes to send (and sign).
    pub body: String,
    #[sqlx(try_from = "String")]
    pub status: WebhookDeliveryStatus,
    /// Attempts started so far, the one in progress included.
    pub attempts: i64,
    #[sqlx(try_from = "Millis")]
    pub next_attempt_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub lease_until: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub delivered_at: Option<Timestamp>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, webhook_id, trigger_event, body, status, attempts, next_attempt_at, lease_until, \
     last_status_code, last_error, delivered_at, created_at, updated_at";

/// Queues `body` for `webhook`, due at once. Call inside the transaction that made the change it reports.
pub async fn enqueue(
    tx: &mut Tx,
    webhook_id: WebhookId,
    trigger_event: &str,
    body: &str,
    now: Timestamp,
) -> StoreResult<WebhookDeliveryId> {
    let (id,): (WebhookDeliveryId,) = on_conn!(tx, c => {
        sqlx::query_as(
            "INSERT INTO webhook_deliveries (webhook_id, trigger_event, body, status, next_attempt_at, created_at, \
             updated_at) VALUES ($1, $2, $3, 'queued', $4, $4, $4) RETURNING id",
        )
        .bind(webhook_id)
        .bind(trigger_event)
        .bind(body)
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
    })?;
    Ok(id)
}

/// Claims the oldest due row — queued or retrying and due by `now`, or delivering with an expired lease —
/// marking it `delivering` until `now + lease_ms` and counting the attempt. `None` when nothing is due.
///
/// PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers in many processes each take a different row.
/// SQLite: the claim runs under `BEGIN IMMEDIATE`, which holds the database's single write lock.
pub async fn claim_due(db: &Db, now: Timestamp, lease_ms: i64) -> StoreResult<Option<DeliveryRecord>> {
    claim(db, None, now, lease_ms).await
}

/// [`claim_due`] on behalf of `worker`, who can then release the row by name ([`release_all_claims`]).
pub async fn claim_due_by(db: &Db, worker: &str, now: Timestamp, lease_ms: i64) -> StoreResult<Option<DeliveryRecord>> {
    claim(db, Some(worker), now, lease_ms).await
}

async fn claim(db: &Db, worker: Option<&str>, now: Timestamp, lease_ms: i64) -> StoreResult<Option<DeliveryRecord>> {
    let lock = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET status = 'delivering', attempts = attempts + 1, lease_until = $2, \
         claimed_by = $3, updated_at = $1 \
         WHERE id = (SELECT id FROM webhook_deliveries \
                     WHERE (status IN ('queued', 'retrying') AND next_attempt_at <= $1) \
                        OR (status = 'delivering' AND lease_until <= $1) \
                     ORDER BY next_attempt_at, id LIMIT 1 {lock}) \
         RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let claimed = on_conn!(&mut tx, c => {
        sqlx::query_as::<_, DeliveryRecord>(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(ms(now).saturating_add(lease_ms))
            .bind(worker)
            .fetch_optional(&mut *c)
            .await
    })?;
    tx.commit().await?;
    Ok(claimed)
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The subscriber answered 2xx.
    Delivered { status_code: i64 },
    /// Try again at `next_attempt_at`.
    Retry {
        status_code: Option<i64>,
        error: String,
        next_attempt_at: Timestamp,
    },
    /// No more attempts: blocked target, deleted webhook, or the retry budget is spent.
    Failed { status_code: Option<i64>, error: String },
}

impl AttemptResult {
    /// The status the row settles in.
    pub fn status(&self) -> WebhookDeliveryStatus {
        match self {
            AttemptResult::Delivered { .. } => WebhookDeliveryStatus::Delivered,
            AttemptResult::Retry { .. } => WebhookDeliveryStatus::Retrying,
            AttemptResult::Failed { .. } => WebhookDeliveryStatus::Failed,
        }
    }
}

/// Records the end of attempt number `attempt` of a claimed row. Returns false, changing nothing, when the row
/// is no longer this attempt's (its lease ran out and another worker claimed it).
pub async fn record_attempt<'a>(
    exec: impl Into<Exec<'a>>,
    id: WebhookDeliveryId,
    attempt: i64,
    result: &AttemptResult,
    now: Timestamp,
) -> StoreResult<bool> {
    let (status_code, error, next_attempt_at, delivered_at) = match result {
        AttemptResult::Delivered { status_code } => (Some(*status_code), None, None, Some(now)),
        AttemptResult::Retry {
            status_code,
            error,
            next_attempt_at,
        } => (*status_code, Some(error.as_str()), Some(*next_attempt_at), None),
        AttemptResult::Failed { status_code, error } => (*status_code, Some(error.as_str()), None, None),
    };
    let done = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, last_status_code = $4, last_error = $5, \
             next_attempt_at = COALESCE($6, next_attempt_at), delivered_at = $7, lease_until = NULL, claimed_by = NULL, \
             updated_at = $8 \
             WHERE id = $1 AND attempts = $2 AND status = 'delivering'",
        )
        .bind(id)
        .bind(attempt)
        .bind(result.status().as_str())
        .bind(status_code)
        .bind(error)
        .bind(next_attempt_at.map(ms))
        .bind(delivered_at.map(ms))
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Gives back every row `worker` holds, due at once and with the claim's attempt uncounted: what a restarted
/// worker held when it died, and a delivery a stopping worker abandoned. Returns how many were released.
pub async fn release_all_claims(db: &Db, worker: &str, now: Timestamp) -> StoreResult<u64> {
    Ok(on_conn!(db, c => {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = CASE WHEN attempts <= 1 THEN 'queued' ELSE 'retrying' END, \
             attempts = attempts - 1, lease_until = NULL, claimed_by = NULL, next_attempt_at = $1, updated_at = $1 \
             WHERE status = 'delivering' AND claimed_by = $2",
        )
        .bind(ms(now))
        .bind(worker)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?)
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, id: WebhookDeliveryId) -> StoreResult<Option<DeliveryRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE id = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, DeliveryRecord>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await
    })?)
}

/// Every delivery of `webhook_id`, oldest first.
pub async fn for_webhook<'a>(exec: impl Into<Exec<'a>>, webhook_id: WebhookId) -> StoreResult<Vec<DeliveryRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, DeliveryRecord>(sqlx::AssertSqlSafe(sql)).bind(webhook_id).fetch_all(&mut *c).await
    })?)
}
