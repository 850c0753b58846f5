//! Seats of seated event types: one booking per start, one attendee row per seat (its `seat_uid`). A booking
//! at a start is joined seat by seat until the event type's `seats_per_time_slot` are taken; the caller holds
//! the host lock (`bookings::lock_host`) while it counts and adds, so racing bookers can't overfill it.

use crate::bookings::{ATTENDEE_COLUMNS, AttendeeRecord, BookingRecord, COLUMNS, NewAttendee, insert_attendees};
use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult, now_ms};
use convene_core::{BookingId, EventTypeId};
use jiff::Timestamp;
use sqlx::FromRow;

/// A live seated booking and how many of its seats are taken.
#[derive(Debug, Clone, FromRow)]
pub struct SeatedStart {
    pub uid: String,
    #[sqlx(try_from = "Millis")]
    pub start_at: Timestamp,
    pub taken: i64,
}

/// The live (accepted or pending) booking of `event_type` starting at `start_at`, if any.
pub async fn booking_at<'a>(
    exec: impl Into<Exec<'a>>,
    event_type: EventTypeId,
    start_at: Timestamp,
) -> StoreResult<Option<BookingRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bookings WHERE event_type_id = $1 AND start_at = $2 \
         AND status IN ('accepted', 'pending') ORDER BY id LIMIT 1"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(event_type)
            .bind(ms(start_at))
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// How many seats of `booking_id` are taken.
pub async fn taken<'a>(exec: impl Into<Exec<'a>>, booking_id: BookingId) -> StoreResult<i64> {
    let row: (i64,) = on_conn!(exec, c => {
        sqlx::query_as("SELECT COUNT(*) FROM booking_attendees WHERE booking_id = $1 AND seat_uid IS NOT NULL")
            .bind(booking_id)
            .fetch_one(&mut *c)
            .await
    })?;
    Ok(row.0)
}

/// The live seated bookings of `event_type` starting in [from, to), with their seats taken, by start.
pub async fn in_window<'a>(
    exec: impl Into<Exec<'a>>,
    event_type: EventTypeId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<SeatedStart>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, SeatedStart>(
            "SELECT b.uid, b.start_at, (SELECT COUNT(*) FROM booking_attendees a \
               WHERE a.booking_id = b.id AND a.seat_uid IS NOT NULL) AS taken \
             FROM bookings b WHERE b.event_type_id = $1 AND b.start_at >= $2 AND b.start_at < $3 \
             AND b.status IN ('accepted', 'pending') ORDER BY b.start_at, b.id",
        )
        .bind(event_type)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Adds seats (attendee rows carrying their `seat_uid`) to `booking_id` and returns the booking's attendees.
pub async fn add<'a>(
    exec: impl Into<Exec<'a>>,
    booking_id: BookingId,
    seats: &[NewAttendee],
) -> StoreResult<Vec<AttendeeRecord>> {
    let sql = format!("SELECT {ATTENDEE_COLUMNS} FROM booking_attendees WHERE booking_id = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        insert_attendees!(c, booking_id, seats);
        sqlx::query("UPDATE bookings SET updated_at = $2 WHERE id = $1")
            .bind(booking_id)
            .bind(now_ms())
            .execute(&mut *c)
            .await?;
        sqlx::query_as::<_, AttendeeRecord>(sqlx::AssertSqlSafe(sql)).bind(booking_id).fetch_all(&mut *c).await
    })?)
}

/// The seat `seat_uid` (its `booking_id` says which booking it is in).
pub async fn find<'a>(exec: impl Into<Exec<'a>>, seat_uid: &str) -> StoreResult<Option<AttendeeRecord>> {
    let sql = format!("SELECT {ATTENDEE_COLUMNS} FROM booking_attendees WHERE seat_uid = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, AttendeeRecord>(sqlx::AssertSqlSafe(sql)).bind(seat_uid).fetch_optional(&mut *c).await
    })?)
}

/// Gives up the seat `seat_uid` of `booking_id`. Returns whether it was there.
pub async fn remove<'a>(exec: impl Into<Exec<'a>>, booking_id: BookingId, seat_uid: &str) -> StoreResult<bool> {
    let removed = on_conn!(exec, c => {
        let removed = sqlx::query("DELETE FROM booking_attendees WHERE booking_id = $1 AND seat_uid = $2")
            .bind(booking_id)
            .bind(seat_uid)
            .execute(&mut *c)
            .await?
            .rows_affected();
        sqlx::query("UPDATE bookings SET updated_at = $2 WHERE id = $1")
            .bind(booking_id)
            .bind(now_ms())
            .execute(&mut *c)
            .await?;
        Ok::<_, sqlx::Error>(removed)
    })?;
    Ok(removed > 0)
}
