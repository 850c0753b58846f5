//! Bookings, their attendees, and held slot reservations.

use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult, Tx, now_ms, packed};
use convene_core::{AttendeeId, BookingId, BookingStatus, EventTypeId, TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct BookingRecord {
    pub id: BookingId,
    pub uid: String,
    pub event_type_id: Option<EventTypeId>,
    pub host_id: UserId,
    pub title: String,
    pub description: String,
    #[sqlx(try_from = "Millis")]
    pub start_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub end_at: Timestamp,
    pub before_buffer_ms: i64,
    pub after_buffer_ms: i64,
    #[sqlx(try_from = "String")]
    pub status: BookingStatus,
    pub location: Option<String>,
    pub metadata: String,
    pub responses: String,
    pub cancellation_reason: Option<String>,
    pub cancelled_by_email: Option<String>,
    pub rescheduling_reason: Option<String>,
    pub rescheduled_by_email: Option<String>,
    pub rescheduled_from_uid: Option<String>,
    pub rescheduled_to_uid: Option<String>,
    pub ical_uid: String,
    pub ical_sequence: i64,
    pub absent_host: bool,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
    /// Shared by the occurrences of one recurring booking (Cal.com's `recurringEventId`).
    pub recurring_event_uid: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, uid, event_type_id, host_id, title, description, start_at, end_at, before_buffer_ms, \
     after_buffer_ms, status, location, metadata, responses, cancellation_reason, cancelled_by_email, \
     rescheduling_reason, rescheduled_by_email, rescheduled_from_uid, rescheduled_to_uid, ical_uid, ical_sequence, \
     absent_host, created_at, updated_at, recurring_event_uid";

#[derive(Debug, Clone, FromRow)]
pub struct AttendeeRecord {
    pub id: AttendeeId,
    pub booking_id: BookingId,
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub language: String,
    pub phone: Option<String>,
    pub is_guest: bool,
    pub absent: bool,
    /// The seat this attendee holds in a seated booking.
    pub seat_uid: Option<String>,
    /// The seat's own booking-field answers (JSON), for seated bookings.
    pub seat_responses: Option<String>,
}

/// A booking to insert (validated by the caller).
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub uid: String,
    /// None for a dynamic group booking (`/alice+bob`), which has no stored event type.
    pub event_type_id: Option<EventTypeId>,
    pub host_id: UserId,
    pub title: String,
    pub description: String,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub before_buffer_ms: i64,
    pub after_buffer_ms: i64,
    pub status: BookingStatus,
    pub location: Option<String>,
    pub metadata: String,
    pub responses: String,
    pub rescheduled_from_uid: Option<String>,
    pub ical_uid: String,
    pub ical_sequence: i64,
    pub recurring_event_uid: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAttendee {
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub language: String,
    pub phone: Option<String>,
    pub is_guest: bool,
    pub seat_uid: Option<String>,
    pub seat_responses: Option<String>,
}

/// Column list of `booking_attendees` as [`AttendeeRecord`] reads it.
pub(crate) const ATTENDEE_COLUMNS: &str =
    "id, booking_id, name, email, time_zone, language, phone, is_guest, absent, seat_uid, seat_responses";

/// Inserts `attendees` into booking `booking_id` on an open connection.
macro_rules! insert_attendees {
    ($c:expr, $booking_id:expr, $attendees:expr) => {{
        for a in $attendees {
            sqlx::query(
                "INSERT INTO booking_attendees (booking_id, name, email, time_zone, language, phone, is_guest, \
                 seat_uid, seat_responses) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind($booking_id)
            .bind(&a.name)
            .bind(&a.email)
            .bind(&a.time_zone)
            .bind(&a.language)
            .bind(&a.phone)
            .bind(a.is_guest)
            .bind(&a.seat_uid)
            .bind(&a.seat_responses)
            .execute(&mut *$c)
            .await?;
        }
    }};
}
pub(crate) use insert_attendees;

/// What blocks a host's time: an accepted or pending booking they organize or co-host, or a
/// live reservation.
#[derive(Debug, Clone, FromRow)]
pub struct BusyRow {
    #[sqlx(try_from = "Millis")]
    pub start_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub end_at: Timestamp,
    pub before_buffer_ms: i64,
    pub after_buffer_ms: i64,
    pub event_type_id: Option<EventTypeId>,
}

/// Serializes bookings of one host: the caller re-reads the host's calendar after this and
/// before inserting, so two requests racing for one slot can't both see it free. On PostgreSQL a
/// row lock on the host; on SQLite the transaction already holds the database's write lock
/// (`BEGIN IMMEDIATE`).
pub async fn lock_host(tx: &mut Tx, host: UserId) -> StoreResult<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(host.0)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// The host's busy blocks overlapping [from, to) — bookings (accepted or pending) and
/// unexpired reservations other than `except_reservation`; `except_booking` is left out (the
/// booking being rescheduled).
pub async fn busy<'a>(
    exec: impl Into<Exec<'a>>,
    host: UserId,
    from: Timestamp,
    to: Timestamp,
    except_booking: Option<&str>,
    except_reservation: Option<&str>,
) -> StoreResult<Vec<BusyRow>> {
    let now = now_ms();
    // One row, not one per booking (see `packed`). One list per column rather than one list of
    // `a || ',' || b …` records: SQLite's `||` builds a new string per operator and row, which
    // made the packed record ~5× dearer than the scan itself. Event types are never 0, so 0
    // stands for none.
    let sql = "SELECT string_agg(CAST(start_at AS TEXT), ','), string_agg(CAST(end_at AS TEXT), ','), \
         string_agg(CAST(before_buffer_ms AS TEXT), ','), string_agg(CAST(after_buffer_ms AS TEXT), ','), \
         string_agg(CAST(COALESCE(event_type_id, 0) AS TEXT), ',') FROM ( \
           SELECT start_at, end_at, before_buffer_ms, after_buffer_ms, event_type_id FROM bookings \
           WHERE host_id = $1 AND status IN ('accepted', 'pending') AND start_at < $3 AND end_at > $2 AND uid <> $4 \
           UNION ALL \
           SELECT b.start_at, b.end_at, b.before_buffer_ms, b.after_buffer_ms, b.event_type_id \
           FROM booking_hosts h JOIN bookings b ON b.id = h.booking_id \
           WHERE h.user_id = $1 AND b.host_id <> $1 AND b.status IN ('accepted', 'pending') \
             AND b.start_at < $3 AND b.end_at > $2 AND b.uid <> $4 \
           UNION ALL \
           SELECT start_at, end_at, 0, 0, event_type_id FROM slot_reservations \
           WHERE host_id = $1 AND expires_at > $5 AND start_at < $3 AND end_at > $2 AND uid <> $6 \
         ) AS busy";
    let packed: PackedBusy = on_conn!(exec, c => {
        sqlx::query_as(sql)
            .bind(host.0)
            .bind(ms(from))
            .bind(ms(to))
            .bind(except_booking.unwrap_or(""))
            .bind(now)
            .bind(except_reservation.unwrap_or(""))
            .fetch_one(&mut *c)
            .await
    })?;
    Ok(unpack_busy(&packed)?)
}

/// The columns of the busy blocks, each a comma-separated list (`None` when there are none).
type PackedBusy = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Reads the lists written by [`busy`] back into rows.
fn unpack_busy(packed: &PackedBusy) -> Result<Vec<BusyRow>, sqlx::Error> {
    let ints = |list: &Option<String>| packed::ints(list.as_deref());
    let (starts, ends, befores, afters, event_types) = (
        ints(&packed.0),
        ints(&packed.1),
        ints(&packed.2),
        ints(&packed.3),
        ints(&packed.4),
    );
    let mut rows = Vec::with_capacity(starts.len());
    for (i, &start_at) in starts.iter().enumerate() {
        let (Some(&end_at), Some(&before_buffer_ms), Some(&after_buffer_ms)) =
            (ends.get(i), befores.get(i), afters.get(i))
        else {
            continue;
        };
        rows.push(BusyRow {
            start_at: Millis(start_at).instant()?,
            end_at: Millis(end_at).instant()?,
            before_buffer_ms,
            after_buffer_ms,
            event_type_id: event_types.get(i).copied().filter(|&id| id != 0).map(EventTypeId),
        });
    }
    Ok(rows)
}

pub async fn insert<'a>(
    exec: impl Into<Exec<'a>>,
    b: &NewBooking,
    attendees: &[NewAttendee],
) -> StoreResult<BookingRecord> {
    let sql = format!(
        "INSERT INTO bookings (uid, event_type_id, host_id, title, description, start_at, end_at, before_buffer_ms, \
         after_buffer_ms, status, location, metadata, responses, rescheduled_from_uid, ical_uid, ical_sequence, \
         created_at, updated_at, recurring_event_uid) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18) RETURNING {COLUMNS}"
    );
    let now = now_ms();
    Ok(on_conn!(exec, c => {
        let booking = sqlx::query_as::<_, BookingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(&b.uid)
            .bind(b.event_type_id)
            .bind(b.host_id)
            .bind(&b.title)
            .bind(&b.description)
            .bind(ms(b.start_at))
            .bind(ms(b.end_at))
            .bind(b.before_buffer_ms)
            .bind(b.after_buffer_ms)
            .bind(b.status.as_str())
            .bind(&b.location)
            .bind(&b.metadata)
            .bind(&b.responses)
            .bind(&b.rescheduled_from_uid)
            .bind(&b.ical_uid)
            .bind(b.ical_sequence)
            .bind(now)
            .bind(&b.recurring_event_uid)
            .fetch_one(&mut *c)
            .await?;
        insert_attendees!(c, booking.id, attendees);
        Ok::<_, sqlx::Error>(booking)
    })?)
}

pub async fn find_by_uid<'a>(exec: impl Into<Exec<'a>>, uid: &str) -> StoreResult<Option<BookingRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM bookings WHERE uid = $1");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, BookingRecord>(sqlx::AssertSqlSafe(sql)).bind(uid).fetch_optional(&mut *c).await)?,
    )
}

pub async fn attendees<'a>(exec: impl Into<Exec<'a>>, booking_ids: &[BookingId]) -> StoreResult<Vec<AttendeeRecord>> {
    if booking_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=booking_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {ATTENDEE_COLUMNS} FROM booking_attendees WHERE booking_id IN ({}) ORDER BY id",
        placeholders.join(", ")
    );
    Ok(on_conn!(exec, c => {
        let mut q = sqlx::query_as::<_, AttendeeRecord>(sqlx::AssertSqlSafe(sql));
        for id in booking_ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut *c).await
    })?)
}

/// Filters of `GET /v2/bookings`, already parsed.
#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub host: Option<UserId>,
    /// Bookings where this email is an attendee (for callers who booked rather than host): only ever the
    /// caller's verified address.
    pub attendee_email_is_caller: Option<String>,
    pub statuses: Vec<BookingStatus>,
    pub upcoming_after: Option<Timestamp>,
    pub past_before: Option<Timestamp>,
    pub attendee_email: Option<String>,
    pub attendee_name: Option<String>,
    pub uid: Option<String>,
    pub event_type_ids: Vec<EventTypeId>,
    pub after_start: Option<Timestamp>,
    pub before_end: Option<Timestamp>,
    /// Bookings not yet over at this instant (ANDed with the rest, unlike `upcoming_after`, which widens
    /// `statuses`).
    pub ending_after: Option<Timestamp>,
    pub after_created: Option<Timestamp>,
    pub before_created: Option<Timestamp>,
    /// Bookings of an organization: hosted or co-hosted by one of its members, or of one of its teams' event types.
    pub organization: Option<TeamId>,
    /// Bookings of these teams' event types.
    pub teams: Vec<TeamId>,
    /// Bookings these users host or co-host.
    pub hosts: Vec<UserId>,
    /// Occurrences of recurring series still to come (ending at or after this instant, accepted or pending).
    pub recurring_after: Option<Timestamp>,
    /// ORDER BY clause from a fixed set (never user text).
    pub order: &'static str,
    pub take: i64,
    pub skip: i64,
}

/// Appends the WHERE conditions of a [`BookingFilter`] to a query builder of either backend.
/// Only fixed words are pushed as SQL; every value is bound.
macro_rules! push_filters {
    ($qb:ident, $f:expr) => {{
        let f: &BookingFilter = $f;
        let has_attendee = "EXISTS (SELECT 1 FROM booking_attendees a WHERE a.booking_id = b.id AND ";
        // Visible to its organizer, its co-hosts, and (by email) its attendees.
        let co_hosting = "EXISTS (SELECT 1 FROM booking_hosts h WHERE h.booking_id = b.id AND h.user_id = ";
        match (f.host, &f.attendee_email_is_caller) {
            (Some(h), Some(e)) => {
                $qb.push(" AND (b.host_id = ").push_bind(h);
                $qb.push(" OR ").push(co_hosting).push_bind(h).push(")");
                $qb.push(" OR ")
                    .push(has_attendee)
                    .push("a.email = ")
                    .push_bind(e.clone())
                    .push("))");
            }
            (Some(h), None) => {
                $qb.push(" AND (b.host_id = ")
                    .push_bind(h)
                    .push(" OR ")
                    .push(co_hosting)
                    .push_bind(h)
                    .push("))");
            }
            (None, Some(e)) => {
                $qb.push(" AND ")
                    .push(has_attendee)
                    .push("a.email = ")
                    .push_bind(e.clone())
                    .push(")");
            }
            (None, None) => {}
        }
        if !f.statuses.is_empty()
            || f.upcoming_after.is_some()
            || f.past_before.is_some()
            || f.recurring_after.is_some()
        {
            $qb.push(" AND (1 = 0");
            if let Some(t) = f.recurring_after {
                $qb.push(" OR (b.recurring_event_uid IS NOT NULL AND b.end_at >= ")
                    .push_bind(ms(t))
                    .push(" AND b.status IN ('accepted', 'pending'))");
            }
            if !f.statuses.is_empty() {
                let words: Vec<String> = f.statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
                $qb.push(format!(" OR b.status IN ({})", words.join(", ")));
            }
            if let Some(t) = f.upcoming_after {
                $qb.push(" OR (b.end_at >= ")
                    .push_bind(ms(t))
                    .push(" AND b.status IN ('accepted', 'pending'))");
            }
            if let Some(t) = f.past_before {
                $qb.push(" OR (b.end_at < ")
                    .push_bind(ms(t))
                    .push(" AND b.status NOT IN ('cancelled', 'rejected'))");
            }
            $qb.push(")");
        }
        if let Some(e) = &f.attendee_email {
            $qb.push(" AND ")
                .push(has_attendee)
                .push("a.email = ")
                .push_bind(e.clone())
                .push(")");
        }
        if let Some(n) = &f.attendee_name {
            $qb.push(" AND ")
                .push(has_attendee)
                .push("a.name = ")
                .push_bind(n.clone())
                .push(")");
        }
        if let Some(u) = &f.uid {
            $qb.push(" AND b.uid = ").push_bind(u.clone());
        }
        if !f.event_type_ids.is_empty() {
            $qb.push(" AND b.event_type_id IN (");
            let mut sep = $qb.separated(", ");
            for id in &f.event_type_ids {
                sep.push_bind(*id);
            }
            $qb.push(")");
        }
        if let Some(org) = f.organization {
            $qb.push(" AND (b.host_id IN (SELECT user_id FROM memberships WHERE team_id = ")
                .push_bind(org)
                .push(
                    ") OR EXISTS (SELECT 1 FROM booking_hosts h JOIN memberships m ON m.user_id = h.user_id \
                       WHERE h.booking_id = b.id AND m.team_id = ",
                )
                .push_bind(org)
                .push(
                    ") OR b.event_type_id IN (SELECT e.id FROM event_types e JOIN teams t ON t.id = e.team_id \
                       WHERE t.parent_id = ",
                )
                .push_bind(org)
                .push("))");
        }
        if !f.teams.is_empty() {
            $qb.push(" AND b.event_type_id IN (SELECT id FROM event_types WHERE team_id IN (");
            let mut sep = $qb.separated(", ");
            for id in &f.teams {
                sep.push_bind(*id);
            }
            $qb.push("))");
        }
        if !f.hosts.is_empty() {
            $qb.push(" AND (b.host_id IN (");
            let mut sep = $qb.separated(", ");
            for id in &f.hosts {
                sep.push_bind(*id);
            }
            $qb.push(") OR EXISTS (SELECT 1 FROM booking_hosts h WHERE h.booking_id = b.id AND h.user_id IN (");
            let mut sep = $qb.separated(", ");
            for id in &f.hosts {
                sep.push_bind(*id);
            }
            $qb.push(")))");
        }
        for (value, sql) in [
            (f.after_start, " AND b.start_at >= "),
            (f.before_end, " AND b.end_at <= "),
            (f.ending_after, " AND b.end_at >= "),
            (f.after_created, " AND b.created_at >= "),
            (f.before_created, " AND b.created_at <= "),
        ] {
            if let Some(v) = value {
                $qb.push(sql).push_bind(ms(v));
            }
        }
    }};
}

/// Bookings visible to the caller (hosted or co-hosted by them, or attended with their email), filtered.
pub async fn list<'a>(exec: impl Into<Exec<'a>>, f: &BookingFilter) -> StoreResult<Vec<BookingRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("b.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let head = format!("SELECT {cols} FROM bookings b WHERE 1 = 1");
    Ok(on_conn!(exec, c => {
        let mut qb = sqlx::QueryBuilder::new(head.clone());
        push_filters!(qb, f);
        qb.push(" ORDER BY ").push(f.order).push(" LIMIT ").push_bind(f.take).push(" OFFSET ").push_bind(f.skip);
        qb.build_query_as::<BookingRecord>().fetch_all(&mut *c).await
    })?)
}

/// How many bookings match `f` in all (for pagination).
pub async fn count<'a>(exec: impl Into<Exec<'a>>, f: &BookingFilter) -> StoreResult<i64> {
    let row: (i64,) = on_conn!(exec, c => {
        let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM bookings b WHERE 1 = 1");
        push_filters!(qb, f);
        qb.build_query_as::<(i64,)>().fetch_one(&mut *c).await
    })?;
    Ok(row.0)
}

/// Moves a booking to a new status (cancelled / rejected / accepted), recording why and by whom,
/// and bumps the invite sequence. Returns the updated row, or `None` when it was not in `from`.
pub async fn set_status<'a>(
    exec: impl Into<Exec<'a>>,
    uid: &str,
    from: &[BookingStatus],
    to: BookingStatus,
    reason: Option<&str>,
    by_email: Option<&str>,
) -> StoreResult<Option<BookingRecord>> {
    // The words come from the enum, never from input, so they may be written into the statement.
    let allowed: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let sql = format!(
        "UPDATE bookings SET status = $2, cancellation_reason = COALESCE($3, cancellation_reason), \
         cancelled_by_email = COALESCE($4, cancelled_by_email), ical_sequence = ical_sequence + 1, updated_at = $5 \
         WHERE uid = $1 AND status IN ({}) RETURNING {COLUMNS}",
        allowed.join(", ")
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(uid)
            .bind(to.as_str())
            .bind(reason)
            .bind(by_email)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Records that `old` was rescheduled to `new_uid`. Returns false when `old` was no longer
/// accepted or pending (someone cancelled or moved it meanwhile).
pub async fn mark_rescheduled<'a>(
    exec: impl Into<Exec<'a>>,
    old: &str,
    new_uid: &str,
    reason: Option<&str>,
    by: Option<&str>,
) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query(
            "UPDATE bookings SET status = 'cancelled', rescheduled_to_uid = $2, rescheduling_reason = $3, \
             rescheduled_by_email = $4, ical_sequence = ical_sequence + 1, updated_at = $5 \
             WHERE uid = $1 AND status IN ('accepted', 'pending')",
        )
        .bind(old)
        .bind(new_uid)
        .bind(reason)
        .bind(by)
        .bind(now_ms())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Hands a live booking from host `from` to host `to` (a round-robin reassignment), with its new title; the
/// invite's SEQUENCE rises so calendars take the new organizer. `None` when the booking is no longer live or
/// no longer `from`'s (someone else changed it first).
pub async fn reassign<'a>(
    exec: impl Into<Exec<'a>>,
    uid: &str,
    from: UserId,
    to: UserId,
    title: &str,
) -> StoreResult<Option<BookingRecord>> {
    let sql = format!(
        "UPDATE bookings SET host_id = $3, title = $4, ical_sequence = ical_sequence + 1, updated_at = $5 \
         WHERE uid = $1 AND host_id = $2 AND status IN ('accepted', 'pending') RETURNING {COLUMNS}"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(uid)
            .bind(from)
            .bind(to)
            .bind(title)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Why and by whom a booking was rescheduled (set after the move, when given).
pub async fn set_reschedule_details<'a>(
    exec: impl Into<Exec<'a>>,
    uid: &str,
    reason: Option<&str>,
    by: Option<&str>,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query(
            "UPDATE bookings SET rescheduling_reason = COALESCE($2, rescheduling_reason), \
             rescheduled_by_email = COALESCE($3, rescheduled_by_email) WHERE uid = $1",
        )
        .bind(uid)
        .bind(reason)
        .bind(by)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Sets where a booking happens (`None`: nowhere said). Returns whether the booking exists.
pub async fn set_location<'a>(
    exec: impl Into<Exec<'a>>,
    booking_id: BookingId,
    location: Option<&str>,
) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("UPDATE bookings SET location = $2, updated_at = $3 WHERE id = $1")
            .bind(booking_id)
            .bind(location)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Records who did not show up: the host (when `host` is given) and attendees by email.
/// Returns the number of attendee rows that matched.
pub async fn set_absence<'a>(
    exec: impl Into<Exec<'a>>,
    booking_id: BookingId,
    host: Option<bool>,
    attendees: &[(String, bool)],
) -> StoreResult<u64> {
    Ok(on_conn!(exec, c => {
        if let Some(absent) = host {
            sqlx::query("UPDATE bookings SET absent_host = $2, updated_at = $3 WHERE id = $1")
                .bind(booking_id)
                .bind(absent)
                .bind(now_ms())
                .execute(&mut *c)
                .await?;
        }
        let mut matched = 0;
        for (email, absent) in attendees {
            matched += sqlx::query("UPDATE booking_attendees SET absent = $3 WHERE booking_id = $1 AND email = $2")
                .bind(booking_id)
                .bind(email)
                .bind(*absent)
                .execute(&mut *c)
                .await?
                .rows_affected();
        }
        Ok::<_, sqlx::Error>(matched)
    })?)
}

/// Adds attendees (guests) to a booking and bumps its invite sequence.
pub async fn add_attendees<'a>(
    exec: impl Into<Exec<'a>>,
    booking_id: BookingId,
    attendees: &[NewAttendee],
) -> StoreResult<()> {
    on_conn!(exec, c => {
        insert_attendees!(c, booking_id, attendees);
        sqlx::query("UPDATE bookings SET ical_sequence = ical_sequence + 1, updated_at = $2 WHERE id = $1")
            .bind(booking_id)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Cancels an accepted or pending booking because the host asked the attendee to pick a new
/// time. Returns the updated row, or `None` when it was in another state.
pub async fn request_reschedule<'a>(
    exec: impl Into<Exec<'a>>,
    uid: &str,
    reason: Option<&str>,
    by: &str,
) -> StoreResult<Option<BookingRecord>> {
    let sql = format!(
        "UPDATE bookings SET status = 'cancelled', reschedule_requested = $2, cancellation_reason = $3, \
         cancelled_by_email = $4, ical_sequence = ical_sequence + 1, updated_at = $5 \
         WHERE uid = $1 AND status IN ('accepted', 'pending') RETURNING {COLUMNS}"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, BookingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(uid)
            .bind(true)
            .bind(reason)
            .bind(by)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Records the co-hosts of a booking (everyone but its organizer).
pub async fn add_hosts<'a>(exec: impl Into<Exec<'a>>, booking_id: BookingId, users: &[UserId]) -> StoreResult<()> {
    on_conn!(exec, c => {
        for user in users {
            sqlx::query("INSERT INTO booking_hosts (booking_id, user_id) VALUES ($1, $2)")
                .bind(booking_id)
                .bind(*user)
                .execute(&mut *c)
                .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

/// Co-hosts of the given bookings, as (booking id, user id).
pub async fn co_hosts<'a>(
    exec: impl Into<Exec<'a>>,
    booking_ids: &[BookingId],
) -> StoreResult<Vec<(BookingId, UserId)>> {
    if booking_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_conn!(exec, c => {
        let mut qb = sqlx::QueryBuilder::new("SELECT booking_id, user_id FROM booking_hosts WHERE booking_id IN (");
        let mut sep = qb.separated(", ");
        for id in booking_ids {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY booking_id, user_id");
        qb.build_query_as::<(BookingId, UserId)>().fetch_all(&mut *c).await
    })?)
}

/// How many live bookings of `event_type` each of `hosts` has from `since` on — the round-robin
/// fairness measure. Hosts without bookings are absent from the result.
pub async fn counts_by_host<'a>(
    exec: impl Into<Exec<'a>>,
    event_type: EventTypeId,
    since: Timestamp,
) -> StoreResult<Vec<(UserId, i64)>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, (UserId, i64)>(
            "SELECT host_id, COUNT(*) FROM bookings WHERE event_type_id = $1 AND start_at >= $2 \
             AND status IN ('accepted', 'pending') GROUP BY host_id",
        )
        .bind(event_type)
        .bind(ms(since))
        .fetch_all(&mut *c)
        .await
    })?)
}
