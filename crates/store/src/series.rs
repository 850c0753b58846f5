//! Recurring series: the occurrences of one recurring booking share a `recurring_event_uid`.

use crate::bookings::{BookingRecord, COLUMNS};
use crate::{Exec, StoreResult};

/// Every occurrence of series `series_uid`, by start.
pub async fn occurrences<'a>(exec: impl Into<Exec<'a>>, series_uid: &str) -> StoreResult<Vec<BookingRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM bookings WHERE recurring_event_uid = $1 ORDER BY start_at, id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingRecord>(sqlx::AssertSqlSafe(sql)).bind(series_uid).fetch_all(&mut *c).await
    })?)
}
