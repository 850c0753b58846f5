//! Event types: what can be booked, for how long, under which rules.

use crate::millis::Millis;
use crate::{Exec, StoreError, StoreResult, now_ms};
use convene_core::{EventTypeId, ScheduleId, TeamId, UserId};
use jiff::Timestamp;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct EventTypeRecord {
    pub id: EventTypeId,
    pub owner_id: Option<UserId>,
    pub team_id: Option<TeamId>,
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
    pub schedule_id: Option<ScheduleId>,
    pub booking_limits_count: Option<String>,
    pub booking_limits_duration: Option<String>,
    pub email_settings: Option<String>,
    pub metadata: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
    /// Seats per start (Cal.com's `seatsPerTimeSlot`); `None`: one booking per start.
    pub seats_per_time_slot: Option<i64>,
    pub seats_show_attendees: bool,
    pub seats_show_availability_count: bool,
    /// `Recurrence_2024_06_14` as JSON; `None`: not recurring.
    pub recurrence: Option<String>,
}

const COLUMNS: &str = "id, owner_id, team_id, scheduling_type, slug, title, description, length_minutes, \
     length_options, locations, booking_fields, disable_guests, slot_interval, minimum_booking_notice, \
     before_event_buffer, after_event_buffer, requires_confirmation, hidden, schedule_id, booking_limits_count, \
     booking_limits_duration, email_settings, metadata, created_at, updated_at, seats_per_time_slot, \
     seats_show_attendees, seats_show_availability_count, recurrence";

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
    pub schedule_id: Option<ScheduleId>,
    pub booking_limits_count: Option<String>,
    pub booking_limits_duration: Option<String>,
    pub email_settings: Option<String>,
    pub metadata: String,
    pub seats_per_time_slot: Option<i64>,
    pub seats_show_attendees: bool,
    pub seats_show_availability_count: bool,
    pub recurrence: Option<String>,
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
            seats_per_time_slot: r.seats_per_time_slot,
            seats_show_attendees: r.seats_show_attendees,
            seats_show_availability_count: r.seats_show_availability_count,
            recurrence: r.recurrence.clone(),
        }
    }
}

/// Binds the fields of an [`EventTypeFields`] in column order (placeholders `$2` to `$24` in both
/// the insert and the update).
macro_rules! bind_fields {
    ($query:expr, $f:expr) => {
        $query
            .bind(&$f.slug)
            .bind(&$f.title)
            .bind(&$f.description)
            .bind($f.length_minutes)
            .bind(&$f.length_options)
            .bind(&$f.locations)
            .bind(&$f.booking_fields)
            .bind($f.disable_guests)
            .bind($f.slot_interval)
            .bind($f.minimum_booking_notice)
            .bind($f.before_event_buffer)
            .bind($f.after_event_buffer)
            .bind($f.requires_confirmation)
            .bind($f.hidden)
            .bind($f.schedule_id)
            .bind(&$f.booking_limits_count)
            .bind(&$f.booking_limits_duration)
            .bind(&$f.email_settings)
            .bind(&$f.metadata)
            .bind($f.seats_per_time_slot)
            .bind($f.seats_show_attendees)
            .bind($f.seats_show_availability_count)
            .bind(&$f.recurrence)
    };
}

const SLUG_TAKEN: &str = "an event type with this slug already exists";

/// Who an event type belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    User(UserId),
    /// A team event type and its scheduling type (`COLLECTIVE` or `ROUND_ROBIN`).
    Team(TeamId, &'static str),
}

/// Inserts an event type for a user or a team.
pub async fn insert<'a>(exec: impl Into<Exec<'a>>, owner: Owner, f: &EventTypeFields) -> StoreResult<EventTypeRecord> {
    let sql = format!(
        "INSERT INTO event_types (owner_id, slug, title, description, length_minutes, length_options, locations, \
         booking_fields, disable_guests, slot_interval, minimum_booking_notice, before_event_buffer, \
         after_event_buffer, requires_confirmation, hidden, schedule_id, booking_limits_count, \
         booking_limits_duration, email_settings, metadata, seats_per_time_slot, seats_show_attendees, \
         seats_show_availability_count, recurrence, created_at, updated_at, team_id, scheduling_type) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
         $23, $24, $25, $25, $26, $27) \
         RETURNING {COLUMNS}"
    );
    let now = now_ms();
    let (owner_id, team_id, scheduling_type) = match owner {
        Owner::User(u) => (Some(u.0), None, None),
        Owner::Team(t, kind) => (None, Some(t.0), Some(kind)),
    };
    on_conn!(exec, c => {
        bind_fields!(sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql)).bind(owner_id), f)
            .bind(now)
            .bind(team_id)
            .bind(scheduling_type)
            .fetch_one(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, SLUG_TAKEN))
}

pub async fn update<'a>(
    exec: impl Into<Exec<'a>>,
    id: EventTypeId,
    f: &EventTypeFields,
) -> StoreResult<Option<EventTypeRecord>> {
    let sql = format!(
        "UPDATE event_types SET slug = $2, title = $3, description = $4, length_minutes = $5, length_options = $6, \
         locations = $7, booking_fields = $8, disable_guests = $9, slot_interval = $10, minimum_booking_notice = $11, \
         before_event_buffer = $12, after_event_buffer = $13, requires_confirmation = $14, hidden = $15, \
         schedule_id = $16, booking_limits_count = $17, booking_limits_duration = $18, email_settings = $19, \
         metadata = $20, seats_per_time_slot = $21, seats_show_attendees = $22, seats_show_availability_count = $23, \
         recurrence = $24, updated_at = $25 WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_conn!(exec, c => {
        bind_fields!(sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql)).bind(id), f)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, SLUG_TAKEN))
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, id: EventTypeId) -> StoreResult<Option<EventTypeRecord>> {
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

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, id: EventTypeId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM event_types WHERE id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Event types of a team, oldest first.
pub async fn list_for_team<'a>(exec: impl Into<Exec<'a>>, team: TeamId) -> StoreResult<Vec<EventTypeRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM event_types WHERE team_id = $1 ORDER BY id");
    Ok(
        on_conn!(exec, c => sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql)).bind(team.0).fetch_all(&mut *c).await)?,
    )
}

/// Event types of every team inside `org`, by team then age, paginated.
pub async fn list_for_org_teams<'a>(
    exec: impl Into<Exec<'a>>,
    org: TeamId,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<EventTypeRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM event_types e JOIN teams t ON t.id = e.team_id WHERE t.parent_id = $1 \
         ORDER BY e.team_id, e.id LIMIT $2 OFFSET $3"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql)).bind(org.0).bind(take).bind(skip).fetch_all(&mut *c).await
    })?)
}

/// A team event type by its team's slug and its own; `org_slug` narrows the team when several
/// organizations have a team with that slug (teams outside organizations match only without it). Returns every match (the caller rejects ambiguity).
pub async fn find_by_team_slug<'a>(
    exec: impl Into<Exec<'a>>,
    org_slug: Option<&str>,
    team_slug: &str,
    slug: &str,
) -> StoreResult<Vec<EventTypeRecord>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM event_types e JOIN teams t ON t.id = e.team_id LEFT JOIN teams o ON o.id = t.parent_id \
         WHERE t.slug = $1 AND e.slug = $2 AND (o.slug = $3 OR $4)"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, EventTypeRecord>(sqlx::AssertSqlSafe(sql))
            .bind(team_slug)
            .bind(slug)
            .bind(org_slug.unwrap_or(""))
            .bind(org_slug.is_none())
            .fetch_all(&mut *c)
            .await
    })?)
}

/// Replaces the hosts of a team event type.
pub async fn set_hosts<'a>(exec: impl Into<Exec<'a>>, event_type: EventTypeId, users: &[UserId]) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("DELETE FROM event_type_hosts WHERE event_type_id = $1").bind(event_type).execute(&mut *c).await?;
        for user in users {
            sqlx::query("INSERT INTO event_type_hosts (event_type_id, user_id) VALUES ($1, $2)")
                .bind(event_type)
                .bind(*user)
                .execute(&mut *c)
                .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

/// The hosts of a team event type, by user id.
pub async fn hosts<'a>(exec: impl Into<Exec<'a>>, event_type: EventTypeId) -> StoreResult<Vec<UserId>> {
    let rows: Vec<(UserId,)> = on_conn!(exec, c => {
        sqlx::query_as("SELECT user_id FROM event_type_hosts WHERE event_type_id = $1 ORDER BY user_id")
            .bind(event_type)
            .fetch_all(&mut *c)
            .await
    })?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}
