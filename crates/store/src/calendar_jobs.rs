//! Calendar writes as durable jobs: queued with the booking change (same transaction), claimed under a lease,
//! settled as done, retrying (with a later `not_before`) or failed — never deleted. A job names a booking; the worker
//! makes the host's destination calendar match that booking as it is when the job runs.

use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult, now_ms};
use convene_core::{
    BookingReferenceId, CalendarId, CalendarJobId, CalendarJobStatus, ConnectionKind, UnknownWord, UserId,
};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct CalendarJob {
    pub id: CalendarJobId,
    pub booking_uid: String,
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub status: CalendarJobStatus,
    pub attempts: i64,
    #[sqlx(try_from = "Millis")]
    pub not_before: Timestamp,
    pub last_error: Option<String>,
}

const JOB_COLUMNS: &str = "id, booking_uid, user_id, status, attempts, not_before, last_error";

/// The event a booking has in an external calendar.
#[derive(Debug, Clone, FromRow)]
pub struct BookingReference {
    pub id: BookingReferenceId,
    pub booking_uid: String,
    pub ical_uid: String,
    pub calendar_id: Option<CalendarId>,
    /// What the calendar is, stored as Cal.com's integration type (`google_calendar`…).
    #[sqlx(try_from = "IntegrationType")]
    pub kind: ConnectionKind,
    pub external_id: String,
    pub href: String,
    pub etag: Option<String>,
    pub deleted: bool,
}

/// A reference's `kind` column as read: Cal.com's integration type, not the connection's own word.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct IntegrationType(pub String);

impl TryFrom<IntegrationType> for ConnectionKind {
    type Error = UnknownWord;

    fn try_from(t: IntegrationType) -> Result<Self, Self::Error> {
        ConnectionKind::from_integration(&t.0).ok_or(UnknownWord {
            of: "calendar integration type",
            word: t.0,
        })
    }
}

const REFERENCE_COLUMNS: &str = "id, booking_uid, ical_uid, calendar_id, kind, external_id, href, etag, deleted";

/// Queues a write for `booking_uid` in `user_id`'s destination calendar, due now. Call in the change's transaction.
pub async fn enqueue<'a>(exec: impl Into<Exec<'a>>, booking_uid: &str, user_id: UserId) -> StoreResult<()> {
    let now = now_ms();
    on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO calendar_jobs (booking_uid, user_id, status, not_before, created_at, updated_at) \
             SELECT $1, $2, 'queued', $3, $3, $3 WHERE EXISTS (SELECT 1 FROM destination_calendars WHERE user_id = $2)",
        )
        .bind(booking_uid)
        .bind(user_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Claims up to `limit` due jobs until `lease_until`; a job another worker holds under a live lease is skipped.
pub async fn claim_due<'a>(
    exec: impl Into<Exec<'a>>,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> StoreResult<Vec<CalendarJob>> {
    let mut exec = exec.into();
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM calendar_jobs WHERE status IN ('queued', 'retrying') AND not_before <= $1 \
         AND (lease_until IS NULL OR lease_until < $1) ORDER BY not_before, id LIMIT $2"
    );
    let due: Vec<CalendarJob> = on_conn!(reborrow(&mut exec), c => {
        sqlx::query_as::<_, CalendarJob>(sqlx::AssertSqlSafe(sql)).bind(ms(now)).bind(limit).fetch_all(&mut *c).await
    })?;
    let mut claimed = Vec::with_capacity(due.len());
    for job in due {
        let took = on_conn!(reborrow(&mut exec), c => {
            sqlx::query(
                "UPDATE calendar_jobs SET lease_until = $2, attempts = attempts + 1, updated_at = $3 WHERE id = $1 \
                 AND status IN ('queued', 'retrying') AND (lease_until IS NULL OR lease_until < $3)",
            )
            .bind(job.id)
            .bind(ms(lease_until))
            .bind(ms(now))
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
        })?;
        if took == 1 {
            claimed.push(CalendarJob {
                attempts: job.attempts + 1,
                ..job
            });
        }
    }
    Ok(claimed)
}

/// Settles a claimed job: `Done`, `Retrying` (due again at `not_before`) or `Failed`, with the error if any.
pub async fn settle<'a>(
    exec: impl Into<Exec<'a>>,
    id: CalendarJobId,
    status: CalendarJobStatus,
    not_before: Timestamp,
    error: Option<&str>,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query(
            "UPDATE calendar_jobs SET status = $2, not_before = $3, last_error = $4, lease_until = NULL, \
             updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(ms(not_before))
        .bind(error)
        .bind(now_ms())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Every job of a booking, oldest first (what a host or admin sees).
pub async fn jobs_of_booking<'a>(exec: impl Into<Exec<'a>>, booking_uid: &str) -> StoreResult<Vec<CalendarJob>> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM calendar_jobs WHERE booking_uid = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarJob>(sqlx::AssertSqlSafe(sql)).bind(booking_uid).fetch_all(&mut *c).await
    })?)
}

/// The live event `user_id` has for the iCalendar UID `ical_uid` (a reschedule keeps the UID, so it finds the
/// event the earlier booking created).
pub async fn live_reference<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    ical_uid: &str,
) -> StoreResult<Option<BookingReference>> {
    let sql = format!(
        "SELECT {REFERENCE_COLUMNS} FROM booking_references WHERE user_id = $1 AND ical_uid = $2 AND NOT deleted \
         ORDER BY id DESC LIMIT 1"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingReference>(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(ical_uid).fetch_optional(&mut *c).await
    })?)
}

/// The live event of `user_id` in a `kind` calendar whose provider id (or CalDAV address) is `href`.
pub async fn reference_by_href<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    kind: ConnectionKind,
    href: &str,
) -> StoreResult<Option<BookingReference>> {
    let sql = format!(
        "SELECT {REFERENCE_COLUMNS} FROM booking_references WHERE user_id = $1 AND kind = $2 AND href = $3 \
         AND NOT deleted ORDER BY id DESC LIMIT 1"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingReference>(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(kind.integration()).bind(href).fetch_optional(&mut *c).await
    })?)
}

/// A user's jobs that are not done (queued, retrying, failed), newest first, `limit` from `offset`: what the host is
/// shown so no write is silently lost.
pub async fn unfinished_of_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<CalendarJob>> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM calendar_jobs WHERE user_id = $1 AND status <> 'done' ORDER BY id DESC \
         LIMIT $2 OFFSET $3"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarJob>(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).bind(offset).fetch_all(&mut *c).await
    })?)
}

/// The references of a booking (its own and, after a reschedule, the event it took over).
pub async fn references_of_booking<'a>(
    exec: impl Into<Exec<'a>>,
    booking_uid: &str,
) -> StoreResult<Vec<BookingReference>> {
    let sql = format!("SELECT {REFERENCE_COLUMNS} FROM booking_references WHERE booking_uid = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingReference>(sqlx::AssertSqlSafe(sql)).bind(booking_uid).fetch_all(&mut *c).await
    })?)
}

/// What a written event is.
pub struct NewReference<'a> {
    pub booking_uid: &'a str,
    pub ical_uid: &'a str,
    pub user_id: UserId,
    pub calendar_id: CalendarId,
    pub kind: ConnectionKind,
    pub external_id: &'a str,
    pub href: &'a str,
    pub etag: Option<&'a str>,
}

/// Records the event written for a booking; an earlier reference to the same event (the booking before a
/// reschedule) is retired.
pub async fn record_reference<'a>(exec: impl Into<Exec<'a>>, r: &NewReference<'_>) -> StoreResult<()> {
    let mut exec = exec.into();
    let now = now_ms();
    on_conn!(reborrow(&mut exec), c => {
        sqlx::query("UPDATE booking_references SET deleted = $3, updated_at = $4 WHERE user_id = $1 AND ical_uid = $2")
            .bind(r.user_id)
            .bind(r.ical_uid)
            .bind(true)
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO booking_references (booking_uid, ical_uid, user_id, calendar_id, kind, external_id, href, \
             etag, deleted, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(r.booking_uid)
        .bind(r.ical_uid)
        .bind(r.user_id)
        .bind(r.calendar_id)
        .bind(r.kind.integration())
        .bind(r.external_id)
        .bind(r.href)
        .bind(r.etag)
        .bind(false)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Marks the event gone (deleted in the calendar).
pub async fn retire_reference<'a>(exec: impl Into<Exec<'a>>, id: BookingReferenceId) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("UPDATE booking_references SET deleted = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(true)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

fn reborrow<'b>(exec: &'b mut Exec<'_>) -> Exec<'b> {
    match exec {
        Exec::Db(db) => Exec::Db(db),
        Exec::Tx(tx) => Exec::Tx(tx),
    }
}
