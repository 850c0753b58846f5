//! Routing forms and their responses. Fields, routes and settings are JSON documents the service checks and
//! reads whole; a response keeps its answers, the route it took, the booking that followed, and until then the
//! moment FORM_SUBMITTED_NO_EVENT is due.

use crate::millis::{Millis, OptMillis, ms};
use crate::{Exec, StoreResult, Tx};
use convene_core::{EventTypeId, RoutingResponseId, TeamId, UserId};
use jiff::Timestamp;
use sqlx::{FromRow, QueryBuilder};

#[derive(Debug, Clone, FromRow)]
pub struct FormRecord {
    pub id: String,
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    pub organization_id: Option<TeamId>,
    pub name: String,
    pub description: Option<String>,
    pub position: i64,
    pub disabled: bool,
    pub fields: String,
    pub routes: String,
    pub settings: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const FORM_COLUMNS: &str = "id, user_id, team_id, organization_id, name, description, position, disabled, fields, \
     routes, settings, created_at, updated_at";

#[derive(Debug, Clone, FromRow)]
pub struct ResponseRecord {
    pub id: RoutingResponseId,
    pub form_id: String,
    pub form_filler_id: String,
    pub response: String,
    pub route_id: Option<String>,
    pub route_action: Option<String>,
    pub routed_event_type_id: Option<EventTypeId>,
    pub routed_to_booking_uid: Option<String>,
    #[sqlx(try_from = "OptMillis")]
    pub no_event_due_at: Option<Timestamp>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const RESPONSE_COLUMNS: &str = "id, form_id, form_filler_id, response, route_id, route_action, routed_event_type_id, \
     routed_to_booking_uid, no_event_due_at, created_at, updated_at";

/// Everything settable on a form (an edit writes all of it).
#[derive(Debug, Clone)]
pub struct FormFields {
    pub name: String,
    pub description: Option<String>,
    pub position: i64,
    pub disabled: bool,
    pub fields: String,
    pub routes: String,
    pub settings: String,
}

/// Whose forms a listing reads.
#[derive(Debug, Clone, Copy)]
pub enum FormScope {
    Organization(TeamId),
    Team(TeamId),
    User(UserId),
    /// What the user may read in the app: the forms they made outside teams, the forms of the teams they belong
    /// to, and the forms of every team of an organization they are an ADMIN or OWNER of.
    Readable(UserId),
}

/// The filters and order Cal.com's listings take; instants are epoch milliseconds.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub skip: i64,
    pub take: i64,
    /// `Some(true)`: newest first by creation; `Some(false)`: oldest first.
    pub created_desc: Option<bool>,
    pub updated_desc: Option<bool>,
    pub after_created: Option<Timestamp>,
    pub before_created: Option<Timestamp>,
    pub after_updated: Option<Timestamp>,
    pub before_updated: Option<Timestamp>,
    pub routed_to_booking_uid: Option<String>,
    /// Organization listings: only these teams' forms.
    pub team_ids: Vec<TeamId>,
}

pub async fn insert_form<'a>(
    exec: impl Into<Exec<'a>>,
    id: &str,
    user_id: UserId,
    team_id: Option<TeamId>,
    organization_id: Option<TeamId>,
    f: &FormFields,
    now: Timestamp,
) -> StoreResult<FormRecord> {
    let sql = format!(
        "INSERT INTO routing_forms (id, user_id, team_id, organization_id, name, description, position, disabled, \
         fields, routes, settings, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING {FORM_COLUMNS}"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, FormRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(team_id)
            .bind(organization_id)
            .bind(&f.name)
            .bind(&f.description)
            .bind(f.position)
            .bind(f.disabled)
            .bind(&f.fields)
            .bind(&f.routes)
            .bind(&f.settings)
            .bind(ms(now))
            .fetch_one(&mut *c)
            .await
    })?)
}

pub async fn update_form<'a>(
    exec: impl Into<Exec<'a>>,
    id: &str,
    f: &FormFields,
    now: Timestamp,
) -> StoreResult<Option<FormRecord>> {
    let sql = format!(
        "UPDATE routing_forms SET name = $2, description = $3, position = $4, disabled = $5, fields = $6, \
         routes = $7, settings = $8, updated_at = $9 WHERE id = $1 RETURNING {FORM_COLUMNS}"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, FormRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&f.name)
            .bind(&f.description)
            .bind(f.position)
            .bind(f.disabled)
            .bind(&f.fields)
            .bind(&f.routes)
            .bind(&f.settings)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })?)
}

pub async fn delete_form<'a>(exec: impl Into<Exec<'a>>, id: &str) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM routing_forms WHERE id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

pub async fn find_form<'a>(exec: impl Into<Exec<'a>>, id: &str) -> StoreResult<Option<FormRecord>> {
    let sql = format!("SELECT {FORM_COLUMNS} FROM routing_forms WHERE id = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, FormRecord>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await
    })?)
}

/// Pushes the time filters and the booking filter (on `alias`.created_at / updated_at).
fn push_filters<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, f: &ListFilter)
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    for (column, op, bound) in [
        ("created_at", " >= ", f.after_created),
        ("created_at", " <= ", f.before_created),
        ("updated_at", " >= ", f.after_updated),
        ("updated_at", " <= ", f.before_updated),
    ] {
        if let Some(at) = bound {
            q.push(" AND ").push(column).push(op).push_bind(ms(at));
        }
    }
}

fn push_order<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, f: &ListFilter, tie: &str) {
    let mut order = Vec::new();
    if let Some(desc) = f.created_desc {
        order.push(format!("created_at {}", if desc { "DESC" } else { "ASC" }));
    }
    if let Some(desc) = f.updated_desc {
        order.push(format!("updated_at {}", if desc { "DESC" } else { "ASC" }));
    }
    order.push(tie.to_owned());
    q.push(" ORDER BY ").push(order.join(", "));
}

/// A page of forms of `scope`, filtered and ordered as asked (then by id).
pub async fn list_forms<'a>(
    exec: impl Into<Exec<'a>>,
    scope: FormScope,
    f: &ListFilter,
) -> StoreResult<Vec<FormRecord>> {
    Ok(on_conn!(exec, c => {
        let mut q = QueryBuilder::new(format!("SELECT {FORM_COLUMNS} FROM routing_forms WHERE "));
        match scope {
            FormScope::Organization(id) => q.push("organization_id = ").push_bind(id),
            FormScope::Team(id) => q.push("team_id = ").push_bind(id),
            FormScope::User(id) => q.push("user_id = ").push_bind(id),
            FormScope::Readable(user) => q
                .push("((team_id IS NULL AND user_id = ")
                .push_bind(user)
                .push(") OR team_id IN (SELECT team_id FROM memberships WHERE accepted = ")
                .push_bind(true)
                .push(" AND user_id = ")
                .push_bind(user)
                .push(") OR team_id IN (SELECT t.id FROM teams t JOIN memberships m ON m.team_id = t.parent_id \
                       WHERE m.role IN ('ADMIN', 'OWNER') AND m.accepted = ")
                .push_bind(true)
                .push(" AND m.user_id = ")
                .push_bind(user)
                .push("))"),
        };
        push_filters(&mut q, f);
        if !f.team_ids.is_empty() {
            q.push(" AND team_id IN (");
            let mut list = q.separated(", ");
            for team in &f.team_ids {
                list.push_bind(*team);
            }
            q.push(")");
        }
        if let Some(uid) = &f.routed_to_booking_uid {
            q.push(" AND id IN (SELECT form_id FROM routing_form_responses WHERE routed_to_booking_uid = ")
                .push_bind(uid.clone())
                .push(")");
        }
        push_order(&mut q, f, "id");
        q.push(" LIMIT ").push_bind(f.take).push(" OFFSET ").push_bind(f.skip);
        q.build_query_as::<FormRecord>().fetch_all(&mut *c).await
    })?)
}

/// A new response, with the route it took and when FORM_SUBMITTED_NO_EVENT falls due (if it may).
#[derive(Debug, Clone)]
pub struct NewResponse<'r> {
    pub form_id: &'r str,
    pub form_filler_id: &'r str,
    pub response: &'r str,
    pub route_id: Option<&'r str>,
    pub route_action: Option<&'r str>,
    pub routed_event_type_id: Option<EventTypeId>,
    pub no_event_due_at: Option<Timestamp>,
}

pub async fn insert_response(tx: &mut Tx, r: &NewResponse<'_>, now: Timestamp) -> StoreResult<ResponseRecord> {
    let sql = format!(
        "INSERT INTO routing_form_responses (form_id, form_filler_id, response, route_id, route_action, \
         routed_event_type_id, no_event_due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         RETURNING {RESPONSE_COLUMNS}"
    );
    Ok(on_conn!(&mut *tx, c => {
        sqlx::query_as::<_, ResponseRecord>(sqlx::AssertSqlSafe(sql))
            .bind(r.form_id)
            .bind(r.form_filler_id)
            .bind(r.response)
            .bind(r.route_id)
            .bind(r.route_action)
            .bind(r.routed_event_type_id)
            .bind(r.no_event_due_at.map(ms))
            .bind(ms(now))
            .fetch_one(&mut *c)
            .await
    })?)
}

pub async fn find_response<'a>(
    exec: impl Into<Exec<'a>>,
    id: RoutingResponseId,
) -> StoreResult<Option<ResponseRecord>> {
    let sql = format!("SELECT {RESPONSE_COLUMNS} FROM routing_form_responses WHERE id = $1");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ResponseRecord>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await
    })?)
}

/// A page of one form's responses.
pub async fn list_responses<'a>(
    exec: impl Into<Exec<'a>>,
    form_id: &str,
    f: &ListFilter,
) -> StoreResult<Vec<ResponseRecord>> {
    let form_id = form_id.to_owned();
    Ok(on_conn!(exec, c => {
        let mut q = QueryBuilder::new(format!("SELECT {RESPONSE_COLUMNS} FROM routing_form_responses WHERE form_id = "));
        q.push_bind(form_id.clone());
        push_filters(&mut q, f);
        if let Some(uid) = &f.routed_to_booking_uid {
            q.push(" AND routed_to_booking_uid = ").push_bind(uid.clone());
        }
        push_order(&mut q, f, "id");
        q.push(" LIMIT ").push_bind(f.take).push(" OFFSET ").push_bind(f.skip);
        q.build_query_as::<ResponseRecord>().fetch_all(&mut *c).await
    })?)
}

/// Replaces a response's answers.
pub async fn update_answers<'a>(
    exec: impl Into<Exec<'a>>,
    id: RoutingResponseId,
    response: &str,
    now: Timestamp,
) -> StoreResult<Option<ResponseRecord>> {
    let sql = format!(
        "UPDATE routing_form_responses SET response = $2, updated_at = $3 WHERE id = $1 RETURNING {RESPONSE_COLUMNS}"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, ResponseRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(response)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// Records the booking that followed a response (the first one only, and only a booking of the event type the
/// response was routed to) and calls off its FORM_SUBMITTED_NO_EVENT. Returns whether this booking was recorded.
pub async fn link_booking(
    tx: &mut Tx,
    response_id: RoutingResponseId,
    booking_uid: &str,
    event_type_id: EventTypeId,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = on_conn!(&mut *tx, c => {
        sqlx::query(
            "UPDATE routing_form_responses SET routed_to_booking_uid = $2, no_event_due_at = NULL, updated_at = $3 \
             WHERE id = $1 AND routed_to_booking_uid IS NULL AND routed_event_type_id = $4",
        )
        .bind(response_id)
        .bind(booking_uid)
        .bind(ms(now))
        .bind(event_type_id)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

/// Takes up to `limit` responses whose FORM_SUBMITTED_NO_EVENT is due (no booking followed by `now`), clearing
/// their due time so no other sweep takes them. Call inside the transaction that queues what they fire: a commit
/// fires each once, a rollback leaves them due. Reads only the due index.
pub async fn take_due_no_event(tx: &mut Tx, now: Timestamp, limit: i64) -> StoreResult<Vec<ResponseRecord>> {
    // The outer `IS NOT NULL` makes a second, concurrent sweep on Postgres skip rows the first one took (it re-reads
    // them after waiting for the first one's lock).
    let sql = format!(
        "UPDATE routing_form_responses SET no_event_due_at = NULL WHERE no_event_due_at IS NOT NULL AND id IN \
         (SELECT id FROM routing_form_responses WHERE no_event_due_at IS NOT NULL AND no_event_due_at <= $1 \
         ORDER BY no_event_due_at LIMIT $2) RETURNING {RESPONSE_COLUMNS}"
    );
    Ok(on_conn!(&mut *tx, c => {
        sqlx::query_as::<_, ResponseRecord>(sqlx::AssertSqlSafe(sql))
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&mut *c)
            .await
    })?)
}
