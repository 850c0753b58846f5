//! The calendar write jobs a host sees: those not done yet (queued, retrying or failed), newest first.
//! Kept apart from `calendar_jobs` (the queue's state machine) because it is only a read for the host's pages.

use crate::calendar_jobs::CalendarJob;
use crate::{Exec, StoreResult};
use convene_core::UserId;

/// `user_id`'s calendar write jobs that are not done, newest first, `limit` from `offset`.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn unfinished_of_user<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<CalendarJob>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarJob>(
            "SELECT id, booking_uid, user_id, status, attempts, not_before, last_error FROM calendar_jobs \
             WHERE user_id = $1 AND status <> 'done' ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *c)
        .await
    })?)
}
