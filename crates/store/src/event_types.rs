//! Event types: what can be booked, for how long, under which rules.

use crate::{Exec, StoreError, StoreResult, now_ms};
use convene_core::UserId;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct EventTypeRecord {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
    pub scheduling_type: Option<String>,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub length_minutes: i64,
    pub length_options: String,
    pub locations: String,
    pub booking_fields: String,
    pub disable_guests: bool,
    pub slot_interval: Option<i64>,
    pub minimum_booking_notice: i64,
    pub before_event_buffer: i64,
    pub after_event_buffer: i64,
    pub requires_confirmation: bool,
    pub hidden: bool,
    pub schedule_id: Option<i64>,
    pub booking_limits_count: Option<String>,
    pub booking_limits_duration: Option<String>,
    pub email_settings: Option<String>,
    pub metadata: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, owner_id, team_id, scheduling_type, slug, title, description, length_minutes, \
     length_options, locations, booking_fields, disable_guests, slot_interval, minimum_booking_notice, \
     before_event_buffer, after_event_buffer, requires_confirmation, hidden, schedule_id, booking_limits_count, \
     booking_limits_duration, email_settings, metadata, created_at, updated_at";

/// Every settable field, complete (the API merges a PATCH onto the stored record first).
#[derive(Debug, Clone)]
pub struct EventTypeFields {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub length_minutes: i64,
    pub length_options: String,
    pub locations: String,
    pub booking_fields: String,
    pub disable_guests: bool,
    pub slot_interval: Option<i64>,
    pub minimum_booking_notice: i64,
    pub before_event_buffer: i64,
    pub after_event_buffer: i64,
    pub requires_confirmation: bool,
    pub hidden: bool,
    pub schedule_id: Option<i64>,
    pub booking_limits_count: Option<String>,
    pub booking_limits_duration: Option<String>,
    pub email_settings: Option<String>,
    pub metadata: String,
}

impl From<&EventTypeRecord> for EventTypeFields {
    fn from(r: &EventTypeRecord) -> Self {
        EventTypeFields {
            slug: r.slug.clone(),
            title: r.title.clone(),
            description: r.description.clone(),
            length_minutes: r.length_minutes,
            length_options: r.length_options.clone(),
            locations: r.locations.clone(),
            booking_fields: r.booking_fields.clone(),
            disable_guests: r.disable_guests,
            slot_interval: r.slot_interval,
            minimum_booking_notice: r.minimum_booking_notice,
            before_event_buffer: r.before_event_buffer,
            after_event_buffer: r.after_event_buffer,
            requires_confirmation: r.requires_confirmation,
            hidden: r.hidden,
            schedule_id: r.schedule_id,
            booking_limits_count: r.booking_limits_count.clone(),
            booking_limits_duration: r.booking_limits_duration.clone(),
            email_settings: r.email_settings.clone(),
            metadata: r.metadata.clone(),
        }
    }
}

const SLUG_TAKEN: &str = "an event type with this slug already exists";

/// A personal event type of `owner`.
pub async fn insert<'a>(exec: impl Into<Exec<'a>>, owner: UserId, f: &EventTypeFields) -> StoreResult<EventTypeRecord> {
    let sql = format!(
        "INSERT INTO event_types (owner_id, slug, title, description, length_minutes, length_options, locations, \
         booking_fields, disable_guests, slot_interval, minimum_booking_notice, before_event_buffer, \
         after_event_buffer, requires_confirmation, hidden, schedule_id, booking_limits_count, \
         booking_limits_duration, email_settings, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) \
         RETURNING {COLUMNS}"
    );
    let now = now_ms();
    on_conn!(exec, c => {
        sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(owner.0)
            .bind(&f.slug)
            .bind(&f.title)
            .bind(&f.description)
            .bind(f.length_minutes)
            .bind(&f.length_options)
            .bind(&f.locations)
            .bind(&f.booking_fields)
            .bind(f.disable_guests)
            .bind(f.slot_interval)
            .bind(f.minimum_booking_notice)
            .bind(f.before_event_buffer)
            .bind(f.after_event_buffer)
            .bind(f.requires_confirmation)
            .bind(f.hidden)
            .bind(f.schedule_id)
            .bind(&f.booking_limits_count)
            .bind(&f.booking_limits_duration)
            .bind(&f.email_settings)
            .bind(&f.metadata)
            .bind(now)
            .fetch_one(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, SLUG_TAKEN))
}

pub async fn update<'a>(
    exec: impl Into<Exec<'a>>,
    id: i64,
    f: &EventTypeFields,
) -> StoreResult<Option<EventTypeRecord>> {
    let sql = format!(
        "UPDATE event_types SET slug = $2, title = $3, description = $4, length_minutes = $5, length_options = $6, \
         locations = $7, booking_fields = $8, disable_guests = $9, slot_interval = $10, minimum_booking_notice = $11, \
         before_event_buffer = $12, after_event_buffer = $13, requires_confirmation = $14, hidden = $15, \
         schedule_id = $16, booking_limits_count = $17, booking_limits_duration = $18, email_settings = $19, \
         metadata = $20, updated_at = $21 WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_conn!(exec, c => {
        sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&f.slug)
            .bind(&f.title)
            .bind(&f.description)
            .bind(f.length_minutes)
            .bind(&f.length_options)
            .bind(&f.locations)
            .bind(&f.booking_fields)
            .bind(f.disable_guests)
            .bind(f.slot_interval)
            .bind(f.minimum_booking_notice)
            .bind(f.before_event_buffer)
            .bind(f.after_event_buffer)
            .bind(f.requires_confirmation)
            .bind(f.hidden)
            .bind(f.schedule_id)
            .bind(&f.booking_limits_count)
            .bind(&f.booking_limits_duration)
            .bind(&f.email_settings)
            .bind(&f.metadata)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, SLUG_TAKEN))
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, id: i64) -> StoreResult<Option<EventTypeRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM event_types WHERE id = $1");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await)?,
    )
}

/// A personal event type by its owner's username and its slug.
pub async fn find_by_username_slug<'a>(
    exec: impl Into<Exec<'a>>,
    username: &str,
    slug: &str,
) -> StoreResult<Option<EventTypeRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM event_types e JOIN users u ON u.id = e.owner_id WHERE u.username = $1 AND e.slug = $2"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql)).bind(username).bind(slug).fetch_optional(&mut *c).await
    })?)
}

/// Event types of `owner`, oldest first; hidden ones only when `include_hidden`.
pub async fn list_for_owner<'a>(
    exec: impl Into<Exec<'a>>,
    owner: UserId,
    include_hidden: bool,
) -> StoreResult<Vec<EventTypeRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM event_types WHERE owner_id = $1 AND (hidden = $2 OR $3) ORDER BY id");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(owner.0)
            .bind(false)
            .bind(include_hidden)
            .fetch_all(&mut *c)
            .await
    })?)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, id: i64) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM event_types WHERE id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
