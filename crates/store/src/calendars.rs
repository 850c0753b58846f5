//! External calendars: the connections a user linked (credentials sealed by the caller), the calendars each holds
//! (which count as busy, which receives bookings), and the cached busy time of selected calendars, which slot
//! listings read instead of calling out.
//!
//! Health is kept on both levels: a connection fails as a whole (credentials refused, server gone) and a calendar
//! on its own (one feed of several). `failing_since` keeps the first failure of a streak; a success clears it.

use crate::millis::{Millis, OptMillis, ms};
use crate::{Exec, StoreResult, now_ms, packed};
use convene_core::{CalendarConnectionId, CalendarId, ConnectionKind, EventTypeId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

/// One linked account or feed.
#[derive(Debug, Clone, FromRow)]
pub struct ConnectionRecord {
    pub id: CalendarConnectionId,
    pub user_id: UserId,
    /// Stored as its word: `ics_feed`, `caldav`, `apple`, `google` or `office365`.
    #[sqlx(try_from = "String")]
    pub kind: ConnectionKind,
    pub label: String,
    pub username: Option<String>,
    pub sealed_secret: String,
    pub server_url: Option<String>,
    pub last_error: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub failing_since: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub last_synced: Option<Timestamp>,
}

const CONNECTION_COLUMNS: &str =
    "id, user_id, kind, label, username, sealed_secret, server_url, last_error, failing_since, last_synced";

/// What a new connection is, before its credential is sealed to its id.
pub struct NewConnection<'a> {
    pub user_id: UserId,
    pub kind: ConnectionKind,
    pub label: &'a str,
    pub username: Option<&'a str>,
    pub server_url: Option<&'a str>,
}

/// One calendar of a connection.
#[derive(Debug, Clone, FromRow)]
pub struct CalendarRecord {
    pub id: CalendarId,
    pub connection_id: CalendarConnectionId,
    pub user_id: UserId,
    pub external_id: String,
    pub name: String,
    pub read_only: bool,
    pub is_primary: bool,
    pub selected: bool,
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub cached_from: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub cached_to: Option<Timestamp>,
    pub last_error: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub failing_since: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub last_synced: Option<Timestamp>,
}

const CALENDAR_COLUMNS: &str = "id, connection_id, user_id, external_id, name, read_only, is_primary, selected, ctag, \
                                sync_token, etag, last_modified, cached_from, cached_to, last_error, failing_since, \
                                last_synced";

/// A calendar as a connection lists it.
pub struct ListedCalendar<'a> {
    pub external_id: &'a str,
    pub name: &'a str,
    pub read_only: bool,
    pub is_primary: bool,
}

/// A cached busy interval, with what causes it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BusyRow {
    #[sqlx(try_from = "Millis")]
    pub start_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub end_at: Timestamp,
    pub event_uid: Option<String>,
    pub summary: Option<String>,
}

/// A cached busy interval of one of a user's selected calendars, named.
#[derive(Debug, Clone, FromRow)]
pub struct NamedBusy {
    #[sqlx(try_from = "Millis")]
    pub start_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub end_at: Timestamp,
    pub event_uid: Option<String>,
    pub summary: Option<String>,
    pub calendar_id: CalendarId,
    pub connection_id: CalendarConnectionId,
    pub calendar_name: String,
    pub external_id: String,
}

/// The change markers and window stored with a refreshed cache.
#[derive(Debug, Clone, Default)]
pub struct CacheMarkers {
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub cached_from: Timestamp,
    pub cached_to: Timestamp,
}

#[tracing::instrument(skip_all, fields(user_id = new.user_id.0, kind = new.kind.as_str()))]
pub async fn insert_connection<'a>(
    exec: impl Into<Exec<'a>>,
    new: &NewConnection<'_>,
) -> StoreResult<CalendarConnectionId> {
    let now = now_ms();
    Ok(on_conn!(exec, c => {
        sqlx::query_scalar::<_, CalendarConnectionId>(
            "INSERT INTO calendar_connections (user_id, kind, label, username, sealed_secret, server_url, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, '', $5, $6, $6) RETURNING id",
        )
        .bind(new.user_id)
        .bind(new.kind.as_str())
        .bind(new.label)
        .bind(new.username)
        .bind(new.server_url)
        .bind(now)
        .fetch_one(&mut *c)
        .await
    })?)
}

/// Stores the connection's sealed credential (after insert, or on rotation and token refresh).
pub async fn set_connection_secret<'a>(
    exec: impl Into<Exec<'a>>,
    id: CalendarConnectionId,
    sealed: &str,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("UPDATE calendar_connections SET sealed_secret = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(sealed)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn connections_of<'a>(exec: impl Into<Exec<'a>>, user_id: UserId) -> StoreResult<Vec<ConnectionRecord>> {
    let sql = format!("SELECT {CONNECTION_COLUMNS} FROM calendar_connections WHERE user_id = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ConnectionRecord>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(&mut *c).await
    })?)
}

/// Every connection, for rotation and for the background refresher.
pub async fn all_connections<'a>(exec: impl Into<Exec<'a>>) -> StoreResult<Vec<ConnectionRecord>> {
    let sql = format!("SELECT {CONNECTION_COLUMNS} FROM calendar_connections ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ConnectionRecord>(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await
    })?)
}

/// The connections holding at least one selected calendar: what the refresher keeps current.
pub async fn connections_with_selected<'a>(exec: impl Into<Exec<'a>>) -> StoreResult<Vec<ConnectionRecord>> {
    let sql = format!(
        "SELECT {CONNECTION_COLUMNS} FROM calendar_connections k WHERE EXISTS \
         (SELECT 1 FROM external_calendars e WHERE e.connection_id = k.id AND e.selected) ORDER BY id"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ConnectionRecord>(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await
    })?)
}

pub async fn find_connection<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    id: CalendarConnectionId,
) -> StoreResult<Option<ConnectionRecord>> {
    let sql = format!("SELECT {CONNECTION_COLUMNS} FROM calendar_connections WHERE id = $1 AND user_id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ConnectionRecord>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *c).await
    })?)
}

/// Removes the connection with its calendars, cached busy time and destinations.
pub async fn delete_connection<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    id: CalendarConnectionId,
) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM calendar_connections WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Records the outcome of talking to the connection: `Some(error)` keeps the first failure's time, `None` clears
/// the failure and notes the sync.
pub async fn record_connection_health<'a>(
    exec: impl Into<Exec<'a>>,
    id: CalendarConnectionId,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    record_health(exec, "calendar_connections", id.0, error, now).await
}

/// The health columns (`last_error`, `failing_since`, `last_synced`) that connections and calendars share, set on
/// row `id` of `table` (one of those two, never input).
async fn record_health<'a>(
    exec: impl Into<Exec<'a>>,
    table: &'static str,
    id: i64,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    let failed =
        format!("UPDATE {table} SET last_error = $2, failing_since = COALESCE(failing_since, $3) WHERE id = $1");
    let fine = format!("UPDATE {table} SET last_error = NULL, failing_since = NULL, last_synced = $2 WHERE id = $1");
    on_conn!(exec, c => {
        match error {
            Some(e) => sqlx::query(sqlx::AssertSqlSafe(failed)).bind(id).bind(e).bind(ms(now)),
            None => sqlx::query(sqlx::AssertSqlSafe(fine)).bind(id).bind(ms(now)),
        }
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Adds the calendar or refreshes its name and access; its selection and cache stay. Returns its id.
pub async fn upsert_calendar<'a>(
    exec: impl Into<Exec<'a>>,
    connection_id: CalendarConnectionId,
    user_id: UserId,
    listed: &ListedCalendar<'_>,
) -> StoreResult<CalendarId> {
    Ok(on_conn!(exec, c => {
        sqlx::query_scalar::<_, CalendarId>(
            "INSERT INTO external_calendars (connection_id, user_id, external_id, name, read_only, is_primary) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (connection_id, external_id) DO UPDATE SET \
             name = excluded.name, read_only = excluded.read_only, is_primary = excluded.is_primary RETURNING id",
        )
        .bind(connection_id)
        .bind(user_id)
        .bind(listed.external_id)
        .bind(listed.name)
        .bind(listed.read_only)
        .bind(listed.is_primary)
        .fetch_one(&mut *c)
        .await
    })?)
}

pub async fn calendars_of_user<'a>(exec: impl Into<Exec<'a>>, user_id: UserId) -> StoreResult<Vec<CalendarRecord>> {
    let sql = format!("SELECT {CALENDAR_COLUMNS} FROM external_calendars WHERE user_id = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarRecord>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(&mut *c).await
    })?)
}

pub async fn calendars_of_connection<'a>(
    exec: impl Into<Exec<'a>>,
    connection_id: CalendarConnectionId,
) -> StoreResult<Vec<CalendarRecord>> {
    let sql = format!("SELECT {CALENDAR_COLUMNS} FROM external_calendars WHERE connection_id = $1 ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarRecord>(sqlx::AssertSqlSafe(sql)).bind(connection_id).fetch_all(&mut *c).await
    })?)
}

pub async fn find_calendar<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    connection_id: CalendarConnectionId,
    external_id: &str,
) -> StoreResult<Option<CalendarRecord>> {
    let sql = format!(
        "SELECT {CALENDAR_COLUMNS} FROM external_calendars WHERE user_id = $1 AND connection_id = $2 AND external_id = $3"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(connection_id)
            .bind(external_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Finds a user's calendar by external id alone (destination calendars name no connection).
pub async fn find_calendar_by_external_id<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    external_id: &str,
) -> StoreResult<Option<CalendarRecord>> {
    let sql = format!(
        "SELECT {CALENDAR_COLUMNS} FROM external_calendars WHERE user_id = $1 AND external_id = $2 ORDER BY id"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(external_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Marks a calendar as counting (or not) toward busy time. Deselecting drops its cached busy time and forgets its
/// markers, so selecting it again reads it afresh.
pub async fn set_selected<'a>(exec: impl Into<Exec<'a>>, calendar_id: CalendarId, selected: bool) -> StoreResult<()> {
    let mut exec = exec.into();
    on_conn!(reborrow(&mut exec), c => {
        sqlx::query(
            "UPDATE external_calendars SET selected = $2, ctag = NULL, sync_token = NULL, etag = NULL, \
             last_modified = NULL, cached_from = NULL, cached_to = NULL WHERE id = $1 AND selected <> $2",
        )
        .bind(calendar_id)
        .bind(selected)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if !selected {
        on_conn!(exec, c => {
            sqlx::query("DELETE FROM calendar_busy WHERE calendar_id = $1")
                .bind(calendar_id)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Replaces the calendar's cached busy time and markers (call in a transaction), and clears its failure.
pub async fn replace_busy(
    tx: &mut crate::Tx,
    calendar: &CalendarRecord,
    busy: &[BusyRow],
    markers: &CacheMarkers,
    now: Timestamp,
) -> StoreResult<()> {
    on_conn!(&mut *tx, c => {
        sqlx::query("DELETE FROM calendar_busy WHERE calendar_id = $1")
            .bind(calendar.id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    // Batches keep each statement's parameter count well under SQLite's limit.
    for chunk in busy.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO calendar_busy (calendar_id, user_id, start_at, end_at, event_uid, summary) VALUES ",
        );
        for i in 0..chunk.len() {
            let n = i * 4 + 3;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, $2, ${}, ${}, ${}, ${})", n, n + 1, n + 2, n + 3));
        }
        on_conn!(&mut *tx, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(calendar.id).bind(calendar.user_id);
            for row in chunk {
                query = query.bind(ms(row.start_at)).bind(ms(row.end_at)).bind(&row.event_uid).bind(&row.summary);
            }
            query.execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    on_conn!(&mut *tx, c => {
        sqlx::query(
            "UPDATE external_calendars SET ctag = $2, sync_token = $3, etag = $4, last_modified = $5, \
             cached_from = $6, cached_to = $7, last_error = NULL, failing_since = NULL, last_synced = $8 WHERE id = $1",
        )
        .bind(calendar.id)
        .bind(&markers.ctag)
        .bind(&markers.sync_token)
        .bind(&markers.etag)
        .bind(&markers.last_modified)
        .bind(ms(markers.cached_from))
        .bind(ms(markers.cached_to))
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records a read that found the calendar unchanged (`None`) or failed (`Some(error)`, keeping the cache: see the
/// service for why stale busy time still blocks).
pub async fn record_calendar_health<'a>(
    exec: impl Into<Exec<'a>>,
    calendar_id: CalendarId,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    record_health(exec, "external_calendars", calendar_id.0, error, now).await
}

/// The cached busy intervals of `user_id`'s selected calendars overlapping [`from`, `to`): what slots subtract.
/// Events convene wrote for its own bookings are left out (the booking itself blocks, and must not block its own
/// reschedule).
pub async fn busy_between<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<(Timestamp, Timestamp)>> {
    // One row holding a list per column, not a row per interval (see `packed`): a month of three busy calendars
    // is well over a thousand intervals, and every listing of slots reads them.
    let (starts, ends): (Option<String>, Option<String>) = on_conn!(exec, c => {
        sqlx::query_as(
            "SELECT string_agg(CAST(b.start_at AS TEXT), ','), string_agg(CAST(b.end_at AS TEXT), ',') \
             FROM calendar_busy b JOIN external_calendars e ON e.id = b.calendar_id \
             WHERE b.user_id = $1 AND e.selected AND b.start_at < $3 AND b.end_at > $2 \
             AND NOT EXISTS (SELECT 1 FROM booking_references r WHERE r.user_id = b.user_id AND r.ical_uid = b.event_uid)",
        )
        .bind(user_id)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_one(&mut *c)
        .await
    })?;
    let mut busy = packed::ints(starts.as_deref())
        .into_iter()
        .zip(packed::ints(ends.as_deref()))
        .map(|(start, end)| Ok((Millis(start).instant()?, Millis(end).instant()?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    busy.sort_unstable();
    Ok(busy)
}

/// Like [`busy_between`], naming each interval's calendar and event (busy-times, troubleshooting).
pub async fn named_busy_between<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<NamedBusy>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, NamedBusy>(
            "SELECT b.start_at, b.end_at, b.event_uid, b.summary, e.id AS calendar_id, e.connection_id, e.name AS calendar_name, \
             e.external_id FROM calendar_busy b JOIN external_calendars e ON e.id = b.calendar_id \
             WHERE b.user_id = $1 AND e.selected AND b.start_at < $3 AND b.end_at > $2 \
             AND NOT EXISTS (SELECT 1 FROM booking_references r WHERE r.user_id = b.user_id AND r.ical_uid = b.event_uid) ORDER BY b.start_at, e.id",
        )
        .bind(user_id)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Sets where `user_id`'s new bookings (of `event_type_id`, or all when `None`) are written.
pub async fn set_destination<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    event_type_id: Option<EventTypeId>,
    calendar_id: CalendarId,
) -> StoreResult<()> {
    let mut exec = exec.into();
    on_conn!(reborrow(&mut exec), c => {
        match event_type_id {
            Some(id) => sqlx::query("DELETE FROM destination_calendars WHERE user_id = $1 AND event_type_id = $2")
                .bind(user_id)
                .bind(id),
            None => sqlx::query("DELETE FROM destination_calendars WHERE user_id = $1 AND event_type_id IS NULL")
                .bind(user_id),
        }
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    on_conn!(exec, c => {
        sqlx::query(
            "INSERT INTO destination_calendars (user_id, event_type_id, calendar_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(event_type_id)
        .bind(calendar_id)
        .bind(now_ms())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The calendar `user_id`'s bookings of `event_type_id` go to: the event type's own choice, else the user's.
pub async fn destination<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    event_type_id: Option<EventTypeId>,
) -> StoreResult<Option<CalendarRecord>> {
    let columns = joined_calendar_columns();
    let sql = format!(
        "SELECT {columns} FROM destination_calendars d JOIN external_calendars e ON e.id = d.calendar_id \
         WHERE d.user_id = $1 AND (d.event_type_id IS NULL OR d.event_type_id = $2) \
         ORDER BY CASE WHEN d.event_type_id IS NULL THEN 1 ELSE 0 END LIMIT 1"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(event_type_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Removes the event type's own destination (its bookings go to the user's again).
pub async fn clear_event_type_destination<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    event_type_id: EventTypeId,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("DELETE FROM destination_calendars WHERE user_id = $1 AND event_type_id = $2")
            .bind(user_id)
            .bind(event_type_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The event type's own destination for `user_id` (not the user's default).
pub async fn event_type_destination<'a>(
    exec: impl Into<Exec<'a>>,
    user_id: UserId,
    event_type_id: EventTypeId,
) -> StoreResult<Option<CalendarRecord>> {
    let columns = joined_calendar_columns();
    let sql = format!(
        "SELECT {columns} FROM destination_calendars d JOIN external_calendars e ON e.id = d.calendar_id \
         WHERE d.user_id = $1 AND d.event_type_id = $2"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(event_type_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// The calendar columns of `external_calendars e`, for queries that join it.
fn joined_calendar_columns() -> String {
    CALENDAR_COLUMNS
        .split(", ")
        .map(|c| format!("e.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Removes every member's destination for the (team) event type `event_type_id`: a team event type names at most
/// one calendar.
pub async fn clear_event_type_destinations<'a>(
    exec: impl Into<Exec<'a>>,
    event_type_id: EventTypeId,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("DELETE FROM destination_calendars WHERE event_type_id = $1")
            .bind(event_type_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The calendar a (team) event type names, whichever member it belongs to.
pub async fn shared_event_type_destination<'a>(
    exec: impl Into<Exec<'a>>,
    event_type_id: EventTypeId,
) -> StoreResult<Option<CalendarRecord>> {
    let columns = joined_calendar_columns();
    let sql = format!(
        "SELECT {columns} FROM destination_calendars d JOIN external_calendars e ON e.id = d.calendar_id \
         WHERE d.event_type_id = $1 ORDER BY d.created_at DESC LIMIT 1"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, CalendarRecord>(sqlx::AssertSqlSafe(sql))
            .bind(event_type_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Lets one `Exec` serve several calls in a row.
fn reborrow<'b>(exec: &'b mut Exec<'_>) -> Exec<'b> {
    match exec {
        Exec::Db(db) => Exec::Db(db),
        Exec::Tx(tx) => Exec::Tx(tx),
    }
}
