//! The email outbox. Every email is a row written in the transaction of the change that caused it, claimed by
//! one worker at a time under a lease, sent outside any transaction, then settled as sent, retrying or failed
//! together with one attempt row per route tried. Rows are never deleted.
//!
//! States: `queued` → `sending` → `sent` | `retrying` (→ `sending` again) | `failed`. While a row is `sending`,
//! `next_attempt_at` equals its lease's end, so a row whose worker died becomes due again by the same test as any
//! other: `next_attempt_at <= now` (one index serves both).
//!
//! A worker claims under its name (`claimed_by`): it renews the leases of rows it is still sending
//! ([`renew_claims`]), and gives back rows it will not send — at shutdown, when a route is saturated, and at start
//! for what it held when it died ([`release_claims`], [`release_all_claims`]). A released row is due again as it
//! was before the claim: the claim's attempt is uncounted (nothing was recorded for it).

use crate::millis::{Millis, OptMillis, ms};
use crate::{Backend, Db, Exec, StoreError, StoreResult};
use convene_core::{BookingId, EmailId, EmailStatus, OutboxKind, TeamId, UserId};
use jiff::Timestamp;
use sqlx::{FromRow, QueryBuilder};
use std::collections::HashMap;
use std::sync::LazyLock;

/// An email to queue.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub message_id: String,
    pub kind: OutboxKind,
    pub organization_id: Option<TeamId>,
    pub team_id: Option<TeamId>,
    pub booking_id: Option<BookingId>,
    pub user_id: Option<UserId>,
    pub to_email: String,
    pub to_name: Option<String>,
    pub reply_to_email: Option<String>,
    pub reply_to_name: Option<String>,
    /// The From display name (a workflow step's `sender`), in place of the route's; the address stays the route's.
    pub from_name: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub ics: Option<String>,
    pub ics_method: Option<String>,
    /// Not before this instant (scheduled emails); `None` = at once.
    pub not_before: Option<Timestamp>,
}

impl NewEmail {
    /// An empty email of `kind`, to fill in with struct update syntax (`NewEmail { to_email, ..NewEmail::of(kind) }`):
    /// a kind has no default, so every row is written with one chosen.
    pub fn of(kind: impl Into<OutboxKind>) -> Self {
        Self {
            message_id: String::new(),
            kind: kind.into(),
            organization_id: None,
            team_id: None,
            booking_id: None,
            user_id: None,
            to_email: String::new(),
            to_name: None,
            reply_to_email: None,
            reply_to_name: None,
            from_name: None,
            subject: String::new(),
            body_text: String::new(),
            body_html: String::new(),
            ics: None,
            ics_method: None,
            not_before: None,
        }
    }
}

/// A queued email as stored, bodies included.
#[derive(Debug, Clone, FromRow)]
pub struct EmailRecord {
    pub id: EmailId,
    pub message_id: String,
    #[sqlx(try_from = "String")]
    pub kind: OutboxKind,
    pub organization_id: Option<TeamId>,
    pub team_id: Option<TeamId>,
    pub booking_id: Option<BookingId>,
    pub user_id: Option<UserId>,
    pub to_email: String,
    pub to_name: Option<String>,
    pub reply_to_email: Option<String>,
    pub reply_to_name: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub ics: Option<String>,
    pub ics_method: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: EmailStatus,
    pub attempts: i64,
    #[sqlx(try_from = "Millis")]
    pub not_before: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub next_attempt_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub lease_until: Option<Timestamp>,
    pub sent_route: Option<String>,
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub sent_at: Option<Timestamp>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

/// Columns of [`EmailRecord`], read from [`FROM`].
const COLUMNS: &str = "id, message_id, kind, organization_id, team_id, booking_id, user_id, to_email, to_name, \
     reply_to_email, reply_to_name, from_name, subject, body_text, body_html, ics, ics_method, status, attempts, not_before, \
     next_attempt_at, lease_until, sent_route, last_code, last_error, sent_at, created_at, updated_at";

/// The outbox joined with its bodies.
const FROM: &str = "email_outbox JOIN email_contents ON email_contents.email_id = email_outbox.id";

/// One route tried during an attempt.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AttemptRecord {
    pub attempt: i64,
    /// `platform` or `sender:<id>`.
    pub route: String,
    /// `sent`, `failed` or `skipped` (an open circuit).
    pub outcome: String,
    pub smtp_code: Option<i64>,
    pub reply: Option<String>,
    pub duration_ms: i64,
    #[sqlx(try_from = "Millis")]
    pub started_at: Timestamp,
}

/// How an attempt ended for the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Sent { route: String },
    Retry { next_attempt_at: Timestamp },
    Failed,
}

/// The end of one claimed attempt: what happened to the row and every route tried.
#[derive(Debug, Clone)]
pub struct Settle {
    pub id: EmailId,
    /// The attempt number the claim handed out; a settle for an older attempt changes nothing.
    pub attempt: i64,
    pub settlement: Settlement,
    /// The last reply or error seen (kept on the row for the log's summary).
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub routes: Vec<AttemptRecord>,
}

/// Queues an email. Call inside the transaction that made the change it reports.
pub async fn enqueue<'a>(exec: impl Into<Exec<'a>>, email: &NewEmail, now: Timestamp) -> StoreResult<EmailId> {
    enqueue_all(exec, std::slice::from_ref(email), now)
        .await?
        .pop()
        .ok_or(StoreError::NotFound("the queued email"))
}

/// [`enqueue`] for several emails at once, in two statements whatever their number (rows, then contents): a
/// booking's workflow reminders are written inside its transaction, which holds SQLite's write lock, so each
/// statement saved is time other bookings wait less. Returns the ids in the order of `emails`.
pub async fn enqueue_all<'a>(
    exec: impl Into<Exec<'a>>,
    emails: &[NewEmail],
    now: Timestamp,
) -> StoreResult<Vec<EmailId>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let ids = on_conn!(exec, c => {
        let mut ids = Vec::with_capacity(emails.len());
        // Chunks keep the bound values under SQLite's limit (18 per row).
        for chunk in emails.chunks(500) {
            let mut q = QueryBuilder::new(
                "INSERT INTO email_outbox (message_id, kind, organization_id, team_id, booking_id, user_id, to_email, \
                 to_name, reply_to_email, reply_to_name, subject, ics_method, status, not_before, next_attempt_at, \
                 created_at, updated_at, from_name) ",
            );
            q.push_values(chunk, |mut b, email| {
                b.push_bind(&email.message_id)
                    .push_bind(email.kind.as_str())
                    .push_bind(email.organization_id)
                    .push_bind(email.team_id)
                    .push_bind(email.booking_id)
                    .push_bind(email.user_id)
                    .push_bind(&email.to_email)
                    .push_bind(&email.to_name)
                    .push_bind(&email.reply_to_email)
                    .push_bind(&email.reply_to_name)
                    .push_bind(&email.subject)
                    .push_bind(&email.ics_method)
                    .push_bind(EmailStatus::Queued.as_str())
                    .push_bind(ms(email.not_before.unwrap_or(now)))
                    .push_bind(ms(email.not_before.unwrap_or(now)))
                    .push_bind(ms(now))
                    .push_bind(ms(now))
                    .push_bind(&email.from_name);
            });
            // Neither engine promises RETURNING's order for a multi-row insert: rows are matched back by their
            // Message-ID, which is unique.
            q.push(" RETURNING id, message_id");
            let returned: Vec<(EmailId, String)> = q.build_query_as().fetch_all(&mut *c).await?;
            let by_message: HashMap<&str, EmailId> = returned.iter().map(|(id, m)| (m.as_str(), *id)).collect();
            let chunk_ids: Vec<EmailId> = chunk.iter().filter_map(|e| by_message.get(e.message_id.as_str()).copied()).collect();
            let mut q = QueryBuilder::new("INSERT INTO email_contents (email_id, body_text, body_html, ics) ");
            q.push_values(chunk.iter().zip(&chunk_ids), |mut b, (email, id)| {
                b.push_bind(*id).push_bind(&email.body_text).push_bind(&email.body_html).push_bind(&email.ics);
            });
            q.build().execute(&mut *c).await?;
            ids.extend(chunk_ids);
        }
        Ok::<_, sqlx::Error>(ids)
    })?;
    Ok(ids)
}

/// Claims up to `limit` due rows — queued or retrying and due, or sending with an expired lease — marking them
/// `sending` until `now + lease_ms` and counting the attempt. Oldest due first.
///
/// PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers in many processes each take different rows.
/// SQLite: the claim runs under `BEGIN IMMEDIATE`, which holds the database's single write lock.
pub async fn claim_due(db: &Db, now: Timestamp, lease_ms: i64, limit: i64) -> StoreResult<Vec<EmailRecord>> {
    claim(db, None, now, lease_ms, limit).await
}

/// [`claim_due`] on behalf of `worker`, who can then renew and release the rows by name.
pub async fn claim_due_by(
    db: &Db,
    worker: &str,
    now: Timestamp,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<EmailRecord>> {
    claim(db, Some(worker), now, lease_ms, limit).await
}

/// The kinds this version can send, as an SQL list. A worker claims only these: during a rolling upgrade a newer
/// process may queue a kind an older worker does not know, which the older one leaves for the newer ones instead
/// of failing every claim on a row it cannot read. (The words are core's constants, not input.)
static KNOWN_KINDS: LazyLock<String> = LazyLock::new(|| {
    OutboxKind::ALL
        .iter()
        .filter(|kind| **kind != OutboxKind::SenderTest)
        .map(|kind| format!("'{kind}'"))
        .collect::<Vec<_>>()
        .join(", ")
});

async fn claim(
    db: &Db,
    worker: Option<&str>,
    now: Timestamp,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<EmailRecord>> {
    let lock = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let known = &*KNOWN_KINDS;
    let sql = format!(
        "UPDATE email_outbox SET status = 'sending', attempts = attempts + 1, lease_until = $2, \
         next_attempt_at = $2, claimed_by = $4, updated_at = $1 \
         WHERE id IN (SELECT id FROM email_outbox \
                      WHERE status IN ('queued', 'retrying', 'sending') AND next_attempt_at <= $1 \
                      AND kind IN ({known}) \
                      ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
         RETURNING id"
    );
    let lease_until = ms(now).saturating_add(lease_ms);
    let mut tx = db.begin().await?;
    let ids: Vec<(EmailId,)> = on_conn!(&mut tx, c => {
        sqlx::query_as::<_, (EmailId,)>(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(lease_until)
            .bind(limit)
            .bind(worker)
            .fetch_all(&mut *c)
            .await
    })?;
    let mut claimed = if ids.is_empty() {
        Vec::new()
    } else {
        on_conn!(&mut tx, c => {
            let mut q = QueryBuilder::new(format!("SELECT {COLUMNS} FROM {FROM} WHERE id IN ("));
            let mut list = q.separated(", ");
            for (id,) in &ids {
                list.push_bind(*id);
            }
            q.push(")");
            q.build_query_as::<EmailRecord>().fetch_all(&mut *c).await
        })?
    };
    tx.commit().await?;
    claimed.sort_by_key(|e| e.id);
    Ok(claimed)
}

/// Records the ends of claimed attempts in one transaction. Returns, per settle, whether it applied: false when
/// the row is no longer that attempt's (its lease ran out and another worker claimed it), in which case nothing
/// of it is written.
pub async fn settle_all(db: &Db, settles: &[Settle], now: Timestamp) -> StoreResult<Vec<bool>> {
    let mut tx = db.begin().await?;
    let mut applied_ids = std::collections::HashSet::with_capacity(settles.len());
    // One statement per chunk: the values ride in a CTE (both engines accept `WITH v(cols) AS (VALUES …)`), and
    // the attempt-number fence is in the join, so a stale result matches nothing.
    for chunk in settles.chunks(500) {
        let ids: Vec<(EmailId,)> = on_conn!(&mut tx, c => {
            let mut q = QueryBuilder::new(
                "WITH v (id, attempt, status, route, next_at, sent_at, code, error) AS (",
            );
            q.push_values(chunk, |mut b, settle| {
                let (status, route, next, sent_at) = match &settle.settlement {
                    Settlement::Sent { route } => (EmailStatus::Sent, Some(route.clone()), None, Some(now)),
                    Settlement::Retry { next_attempt_at } => (EmailStatus::Retrying, None, Some(*next_attempt_at), None),
                    Settlement::Failed => (EmailStatus::Failed, None, None, None),
                };
                b.push_bind(settle.id)
                    .push_bind(settle.attempt)
                    .push_bind(status.as_str())
                    .push_bind(route)
                    .push_bind(next.map(ms))
                    .push_bind(sent_at.map(ms))
                    .push_bind(settle.last_code)
                    .push_bind(settle.last_error.clone());
            });
            q.push(
                ") UPDATE email_outbox SET status = v.status, sent_route = v.route, \
                 next_attempt_at = COALESCE(v.next_at, email_outbox.next_attempt_at), sent_at = v.sent_at, \
                 last_code = v.code, last_error = v.error, lease_until = NULL, claimed_by = NULL, updated_at = ",
            )
            .push_bind(ms(now))
            .push(
                " FROM v WHERE email_outbox.id = v.id AND email_outbox.attempts = v.attempt \
                 AND email_outbox.status = 'sending' RETURNING email_outbox.id",
            );
            q.build_query_as::<(EmailId,)>().fetch_all(&mut *c).await
        })?;
        applied_ids.extend(ids.into_iter().map(|(id,)| id));
    }
    let applied: Vec<bool> = settles.iter().map(|s| applied_ids.contains(&s.id)).collect();
    let rows: Vec<(EmailId, &AttemptRecord)> = settles
        .iter()
        .zip(&applied)
        .filter(|(_, ok)| **ok)
        .flat_map(|(s, _)| s.routes.iter().map(move |r| (s.id, r)))
        .collect();
    // One multi-row insert per chunk keeps a busy worker's bookkeeping to a handful of statements.
    for chunk in rows.chunks(500) {
        on_conn!(&mut tx, c => {
            let mut insert = QueryBuilder::new(
                "INSERT INTO email_attempts (email_id, attempt, route, outcome, smtp_code, reply, duration_ms, \
                 started_at) ",
            );
            insert.push_values(chunk, |mut b, (id, r)| {
                b.push_bind(*id)
                    .push_bind(r.attempt)
                    .push_bind(&r.route)
                    .push_bind(&r.outcome)
                    .push_bind(r.smtp_code)
                    .push_bind(&r.reply)
                    .push_bind(r.duration_ms)
                    .push_bind(ms(r.started_at));
            });
            insert.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    tx.commit().await?;
    Ok(applied)
}

/// Extends to `now + lease_ms` the leases of the rows among `ids` that `worker` still holds (a worker's heartbeat
/// for the emails it is sending). Returns how many it still holds.
pub async fn renew_claims(db: &Db, worker: &str, ids: &[EmailId], now: Timestamp, lease_ms: i64) -> StoreResult<u64> {
    let lease_until = ms(now).saturating_add(lease_ms);
    let mut renewed = 0;
    for chunk in ids.chunks(500) {
        renewed += on_conn!(db, c => {
            let mut q = QueryBuilder::new("UPDATE email_outbox SET lease_until = ");
            q.push_bind(lease_until)
                .push(", next_attempt_at = ")
                .push_bind(lease_until)
                .push(" WHERE status = 'sending' AND claimed_by = ")
                .push_bind(worker)
                .push(" AND id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(renewed)
}

/// Gives back the rows among `ids` that `worker` holds and will not send (a stop, a saturated route), due again at
/// `due_at`. Returns how many were released.
pub async fn release_claims(
    db: &Db,
    worker: &str,
    ids: &[EmailId],
    due_at: Timestamp,
    now: Timestamp,
) -> StoreResult<u64> {
    let mut released = 0;
    for chunk in ids.chunks(500) {
        released += release(db, worker, Some(chunk), due_at, now).await?;
    }
    Ok(released)
}

/// Gives back every row `worker` holds, due at once: what a restarted worker held when it died, and what a
/// stopping worker did not finish. Returns how many were released.
pub async fn release_all_claims(db: &Db, worker: &str, now: Timestamp) -> StoreResult<u64> {
    release(db, worker, None, now, now).await
}

/// A released row is due at `due_at`, unclaimed, its claim's attempt uncounted, and back to `queued` when no
/// attempt of it was ever recorded. Only rows `worker` still holds, and among them `ids` when given.
async fn release(
    db: &Db,
    worker: &str,
    ids: Option<&[EmailId]>,
    due_at: Timestamp,
    now: Timestamp,
) -> StoreResult<u64> {
    Ok(on_conn!(db, c => {
        let mut q = QueryBuilder::new(
            "UPDATE email_outbox SET status = CASE WHEN attempts <= 1 THEN 'queued' ELSE 'retrying' END, \
             attempts = attempts - 1, lease_until = NULL, claimed_by = NULL, next_attempt_at = ",
        );
        q.push_bind(ms(due_at))
            .push(", updated_at = ")
            .push_bind(ms(now))
            .push(" WHERE status = 'sending' AND claimed_by = ")
            .push_bind(worker);
        if let Some(ids) = ids {
            q.push(" AND id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            q.push(")");
        }
        q.build().execute(&mut *c).await.map(|r| r.rows_affected())
    })?)
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, id: EmailId) -> StoreResult<Option<EmailRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE id = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, EmailRecord>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await
    })?)
}

/// Every route tried for `email_id`, in order.
pub async fn attempts<'a>(exec: impl Into<Exec<'a>>, email_id: EmailId) -> StoreResult<Vec<AttemptRecord>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, AttemptRecord>(
            "SELECT attempt, route, outcome, smtp_code, reply, duration_ms, started_at FROM email_attempts \
             WHERE email_id = $1 ORDER BY id",
        )
        .bind(email_id)
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Whose emails a listing covers.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Organization(TeamId),
    /// Emails of bookings the user hosts or attends, and the user's own account emails.
    User {
        id: UserId,
    },
}

/// Filters of the delivery log; every one optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<EmailStatus>,
    pub kind: Option<OutboxKind>,
    pub recipient: Option<String>,
    pub booking_id: Option<BookingId>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// Only rows with a smaller id (the cursor: newest first).
    pub before_id: Option<EmailId>,
}

/// Newest first, at most `limit` rows.
pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    scope: Scope,
    filter: &Filter,
    limit: i64,
) -> StoreResult<Vec<EmailRecord>> {
    Ok(on_conn!(exec, c => {
        let mut q = QueryBuilder::new(format!("SELECT {COLUMNS} FROM {FROM} WHERE "));
        match scope {
            Scope::Organization(org) => {
                q.push("organization_id = ").push_bind(org);
            }
            Scope::User { id } => {
                q.push("(user_id = ")
                    .push_bind(id)
                    .push(" OR booking_id IN (SELECT id FROM bookings WHERE host_id = ")
                    .push_bind(id)
                    .push(") OR booking_id IN (SELECT booking_id FROM booking_hosts WHERE user_id = ")
                    .push_bind(id)
                    .push("))");
            }
        }
        if let Some(status) = filter.status {
            q.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(kind) = filter.kind {
            q.push(" AND kind = ").push_bind(kind.as_str());
        }
        if let Some(recipient) = &filter.recipient {
            q.push(" AND to_email = ").push_bind(recipient);
        }
        if let Some(booking) = filter.booking_id {
            q.push(" AND booking_id = ").push_bind(booking);
        }
        if let Some(from) = filter.created_from {
            q.push(" AND created_at >= ").push_bind(ms(from));
        }
        if let Some(to) = filter.created_to {
            q.push(" AND created_at < ").push_bind(ms(to));
        }
        if let Some(before) = filter.before_id {
            q.push(" AND id < ").push_bind(before);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        q.build_query_as::<EmailRecord>().fetch_all(&mut *c).await
    })?)
}

/// The queue's backlog: rows not yet settled, and how long the oldest due one has waited (ms; 0 when none).
pub async fn backlog<'a>(exec: impl Into<Exec<'a>>, now: Timestamp) -> StoreResult<(i64, i64)> {
    let (depth, oldest): (i64, Option<i64>) = on_conn!(exec, c => {
        sqlx::query_as(
            "SELECT COUNT(*), MIN(next_attempt_at) FROM email_outbox \
             WHERE status IN ('queued', 'retrying', 'sending') AND next_attempt_at <= $1",
        )
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
    })?;
    Ok((depth, oldest.map_or(0, |t| ms(now).saturating_sub(t).max(0))))
}

/// Counts by status, for tests and the operator's view.
pub async fn count_by_status<'a>(exec: impl Into<Exec<'a>>, status: EmailStatus) -> StoreResult<i64> {
    let (n,): (i64,) = on_conn!(exec, c => {
        sqlx::query_as("SELECT COUNT(*) FROM email_outbox WHERE status = $1").bind(status.as_str()).fetch_one(&mut *c).await
    })?;
    Ok(n)
}
