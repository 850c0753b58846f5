//! Webhook subscriptions: who gets told about which booking events, where, and how.
//! Their delivery queue is [`deliveries`].

pub mod deliveries;

use crate::millis::Millis;
use crate::{Exec, StoreError, StoreResult, now_ms};
use convene_core::{EventTypeId, TeamId, UserId, WebhookId};
use jiff::Timestamp;
use sqlx::FromRow;

/// A subscription row. `secret_sealed` is keyring-sealed text, never plaintext.
#[derive(Debug, Clone, FromRow)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub user_id: Option<UserId>,
    pub event_type_id: Option<EventTypeId>,
    pub organization_id: Option<TeamId>,
    pub subscriber_url: String,
    /// JSON array of trigger names.
    pub triggers: String,
    pub active: bool,
    pub payload_template: Option<String>,
    pub secret_sealed: Option<String>,
    pub version: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, user_id, event_type_id, organization_id, subscriber_url, triggers, active, payload_template, secret_sealed, \
     version, created_at, updated_at";

/// Whose subscription it is: a user's (all bookings they host), one event type's, or an organization's (the
/// bookings of its members and of its teams' event types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOwner {
    User(UserId),
    EventType(EventTypeId),
    Organization(TeamId),
}

impl WebhookOwner {
    /// The owner column and its value, for statements that filter by owner. Column names come from this
    /// fixed set, never from input.
    fn column(self) -> (&'static str, i64) {
        match self {
            WebhookOwner::User(id) => ("user_id", id.0),
            WebhookOwner::EventType(id) => ("event_type_id", id.0),
            WebhookOwner::Organization(id) => ("organization_id", id.0),
        }
    }
}

/// The settable fields, complete (the API merges a PATCH onto the stored record first). The secret is set
/// apart, with [`set_secret`], because sealing it binds the webhook's id, known only after the insert.
#[derive(Debug, Clone)]
pub struct WebhookFields {
    pub subscriber_url: String,
    pub triggers: String,
    pub active: bool,
    pub payload_template: Option<String>,
    pub version: String,
}

const URL_TAKEN: &str = "a webhook with this subscriberUrl already exists";

pub async fn insert<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WebhookOwner,
    f: &WebhookFields,
) -> StoreResult<WebhookRecord> {
    let (user_id, event_type_id, organization_id) = match owner {
        WebhookOwner::User(id) => (Some(id), None, None),
        WebhookOwner::EventType(id) => (None, Some(id), None),
        WebhookOwner::Organization(id) => (None, None, Some(id)),
    };
    let sql = format!(
        "INSERT INTO webhooks (user_id, event_type_id, subscriber_url, triggers, active, payload_template, version, \
         created_at, updated_at, organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) \
         RETURNING {COLUMNS}"
    );
    on_conn!(exec, c => {
        sqlx::query_as::<_, WebhookRecord>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(event_type_id)
            .bind(&f.subscriber_url)
            .bind(&f.triggers)
            .bind(f.active)
            .bind(&f.payload_template)
            .bind(&f.version)
            .bind(now_ms())
            .bind(organization_id)
            .fetch_one(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, URL_TAKEN))
}

/// Replaces the sealed secret (`None` removes it).
pub async fn set_secret<'a>(exec: impl Into<Exec<'a>>, id: WebhookId, sealed: Option<&str>) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("UPDATE webhooks SET secret_sealed = $2 WHERE id = $1")
            .bind(id)
            .bind(sealed)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn update<'a>(
    exec: impl Into<Exec<'a>>,
    id: WebhookId,
    f: &WebhookFields,
) -> StoreResult<Option<WebhookRecord>> {
    let sql = format!(
        "UPDATE webhooks SET subscriber_url = $2, triggers = $3, active = $4, payload_template = $5, version = $6, \
         updated_at = $7 WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_conn!(exec, c => {
        sqlx::query_as::<_, WebhookRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&f.subscriber_url)
            .bind(&f.triggers)
            .bind(f.active)
            .bind(&f.payload_template)
            .bind(&f.version)
            .bind(now_ms())
            .fetch_optional(&mut *c)
            .await
    })
    .map_err(|e| StoreError::conflict_on_unique(e, URL_TAKEN))
}

pub async fn find<'a>(exec: impl Into<Exec<'a>>, id: WebhookId) -> StoreResult<Option<WebhookRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WebhookRecord>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await
    })?)
}

/// The webhook `id` if `owner` owns it.
pub async fn find_owned<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WebhookOwner,
    id: WebhookId,
) -> StoreResult<Option<WebhookRecord>> {
    let (column, owner_id) = owner.column();
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1 AND {column} = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WebhookRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(owner_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// `owner`'s webhooks, oldest first.
pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WebhookOwner,
    take: i64,
    skip: i64,
) -> StoreResult<Vec<WebhookRecord>> {
    let (column, owner_id) = owner.column();
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE {column} = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WebhookRecord>(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// Deletes the webhook `id` if `owner` owns it, returning what was deleted. Its deliveries stay, unlinked.
pub async fn delete<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WebhookOwner,
    id: WebhookId,
) -> StoreResult<Option<WebhookRecord>> {
    let (column, owner_id) = owner.column();
    let sql = format!("DELETE FROM webhooks WHERE id = $1 AND {column} = $2 RETURNING {COLUMNS}");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WebhookRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(owner_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Deletes all of `owner`'s webhooks; returns how many.
pub async fn delete_all<'a>(exec: impl Into<Exec<'a>>, owner: WebhookOwner) -> StoreResult<u64> {
    let (column, owner_id) = owner.column();
    let sql = format!("DELETE FROM webhooks WHERE {column} = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?)
}

/// The active webhooks that hear about a booking hosted by `host` of `event_type`: the host's own, the
/// event type's, and those of the organization the host belongs to or whose team owns the event type. The
/// caller filters by trigger (a handful of rows; the triggers are a JSON list).
pub async fn active_for_booking<'a>(
    exec: impl Into<Exec<'a>>,
    host: UserId,
    event_type: Option<EventTypeId>,
) -> StoreResult<Vec<WebhookRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE active AND (user_id = $1 OR event_type_id = $2 \
           OR organization_id IN (SELECT organization_id FROM users WHERE id = $1) \
           OR organization_id IN (SELECT t.parent_id FROM event_types e JOIN teams t ON t.id = e.team_id \
                                  WHERE e.id = $2)) ORDER BY id"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WebhookRecord>(sqlx::AssertSqlSafe(sql))
            .bind(host)
            .bind(event_type)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// Every webhook that holds a sealed secret: (id, sealed), for re-sealing under a new key.
pub async fn sealed_secrets<'a>(exec: impl Into<Exec<'a>>) -> StoreResult<Vec<(WebhookId, String)>> {
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, (WebhookId, String)>(
            "SELECT id, secret_sealed FROM webhooks WHERE secret_sealed IS NOT NULL ORDER BY id",
        )
        .fetch_all(&mut *c)
        .await
    })?)
}
