//! Workflows (a team's emails around its bookings), their steps and activation, and the link from the outbox rows
//! they plan back to the workflow and booking, so pending ones can be cancelled or planned again.

use crate::{Exec, StoreResult, Tx};
use sqlx::{FromRow, QueryBuilder};

#[derive(Debug, Clone, FromRow)]
pub struct WorkflowRecord {
    pub id: i64,
    pub team_id: Option<i64>,
    pub user_id: Option<i64>,
    pub name: String,
    pub trigger_type: String,
    pub offset_value: Option<i64>,
    pub offset_unit: Option<String>,
    pub active_on_all: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, team_id, user_id, name, trigger_type, offset_value, offset_unit, active_on_all, \
     created_at, updated_at";

#[derive(Debug, Clone, FromRow)]
pub struct StepRecord {
    pub id: i64,
    pub workflow_id: i64,
    pub step_number: i64,
    pub action: String,
    pub recipient: String,
    pub template: String,
    pub sender_name: String,
    pub verified_email_id: Option<i64>,
    pub email: Option<String>,
    pub include_calendar_event: bool,
    pub subject: String,
    pub html: String,
}

const STEP_COLUMNS: &str = "id, workflow_id, step_number, action, recipient, template, sender_name, \
     verified_email_id, email, include_calendar_event, subject, html";

/// A step to store; `id` names an existing step of the workflow to keep (and update).
#[derive(Debug, Clone)]
pub struct StepFields {
    pub id: Option<i64>,
    pub step_number: i64,
    pub action: String,
    pub recipient: String,
    pub template: String,
    pub sender_name: String,
    pub verified_email_id: Option<i64>,
    pub email: Option<String>,
    pub include_calendar_event: bool,
    pub subject: String,
    pub html: String,
}

/// Everything settable, complete (an update merges onto the stored workflow first).
#[derive(Debug, Clone)]
pub struct WorkflowFields {
    pub name: String,
    pub trigger_type: String,
    pub offset_value: Option<i64>,
    pub offset_unit: Option<String>,
    pub active_on_all: bool,
    pub event_type_ids: Vec<i64>,
    pub steps: Vec<StepFields>,
}

/// Stores a new team workflow with its activation and steps.
pub async fn insert(tx: &mut Tx, team_id: i64, f: &WorkflowFields, now: i64) -> StoreResult<WorkflowRecord> {
    let sql = format!(
        "INSERT INTO workflows (team_id, name, trigger_type, offset_value, offset_unit, active_on_all, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    let record = on_conn!(&mut *tx, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(&f.name)
            .bind(&f.trigger_type)
            .bind(f.offset_value)
            .bind(&f.offset_unit)
            .bind(f.active_on_all)
            .bind(now)
            .fetch_one(&mut *c)
            .await
    })?;
    write_parts(tx, record.id, f).await?;
    Ok(record)
}

/// Replaces a workflow's settings, activation and steps: steps named by id are updated, others added, the rest
/// removed.
pub async fn update(tx: &mut Tx, id: i64, f: &WorkflowFields, now: i64) -> StoreResult<Option<WorkflowRecord>> {
    let sql = format!(
        "UPDATE workflows SET name = $2, trigger_type = $3, offset_value = $4, offset_unit = $5, active_on_all = $6, \
         updated_at = $7 WHERE id = $1 RETURNING {COLUMNS}"
    );
    let record = on_conn!(&mut *tx, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&f.name)
            .bind(&f.trigger_type)
            .bind(f.offset_value)
            .bind(&f.offset_unit)
            .bind(f.active_on_all)
            .bind(now)
            .fetch_optional(&mut *c)
            .await
    })?;
    if record.is_some() {
        write_parts(tx, id, f).await?;
    }
    Ok(record)
}

async fn write_parts(tx: &mut Tx, id: i64, f: &WorkflowFields) -> StoreResult<()> {
    on_conn!(&mut *tx, c => {
        sqlx::query("DELETE FROM workflow_event_types WHERE workflow_id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    for event_type in &f.event_type_ids {
        on_conn!(&mut *tx, c => {
            sqlx::query("INSERT INTO workflow_event_types (workflow_id, event_type_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*event_type)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let kept: Vec<i64> = f.steps.iter().filter_map(|s| s.id).collect();
    on_conn!(&mut *tx, c => {
        let mut q = QueryBuilder::new("DELETE FROM workflow_steps WHERE workflow_id = ");
        q.push_bind(id);
        if !kept.is_empty() {
            q.push(" AND id NOT IN (");
            let mut list = q.separated(", ");
            for step in &kept {
                list.push_bind(*step);
            }
            q.push(")");
        }
        q.build().execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    for s in &f.steps {
        // $1 is the step for an update, the workflow for an insert.
        let (sql, key) = match s.id {
            Some(step) => (
                "UPDATE workflow_steps SET step_number = $2, action = $3, recipient = $4, template = $5, \
                 sender_name = $6, verified_email_id = $7, email = $8, include_calendar_event = $9, subject = $10, \
                 html = $11 WHERE id = $1",
                step,
            ),
            None => (
                "INSERT INTO workflow_steps (workflow_id, step_number, action, recipient, template, sender_name, \
                 verified_email_id, email, include_calendar_event, subject, html) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                id,
            ),
        };
        on_conn!(&mut *tx, c => {
            sqlx::query(sql)
                .bind(key)
                .bind(s.step_number)
                .bind(&s.action)
                .bind(&s.recipient)
                .bind(&s.template)
                .bind(&s.sender_name)
                .bind(s.verified_email_id)
                .bind(&s.email)
                .bind(s.include_calendar_event)
                .bind(&s.subject)
                .bind(&s.html)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// A team's workflow by id.
pub async fn find<'a>(exec: impl Into<Exec<'a>>, team_id: i64, id: i64) -> StoreResult<Option<WorkflowRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM workflows WHERE id = $1 AND team_id = $2");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(team_id)
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// A team's workflows, oldest first.
pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: i64,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<WorkflowRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM workflows WHERE team_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(take)
            .bind(skip)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// The workflows of `team_id` active on `event_type_id`.
pub async fn active_for_event_type<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: i64,
    event_type_id: i64,
) -> StoreResult<Vec<WorkflowRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM workflows w WHERE team_id = $1 AND (active_on_all OR EXISTS \
         (SELECT 1 FROM workflow_event_types a WHERE a.workflow_id = w.id AND a.event_type_id = $2)) ORDER BY id"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(event_type_id)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// The steps of the given workflows, by workflow then step number.
pub async fn steps<'a>(exec: impl Into<Exec<'a>>, workflow_ids: &[i64]) -> StoreResult<Vec<StepRecord>> {
    if workflow_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_conn!(exec, c => {
        let mut q = QueryBuilder::new(format!("SELECT {STEP_COLUMNS} FROM workflow_steps WHERE workflow_id IN ("));
        let mut list = q.separated(", ");
        for id in workflow_ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY workflow_id, step_number, id");
        q.build_query_as::<StepRecord>().fetch_all(&mut *c).await
    })?)
}

/// (workflow, event type) pairs of the given workflows' activation lists.
pub async fn event_type_ids<'a>(exec: impl Into<Exec<'a>>, workflow_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    if workflow_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_conn!(exec, c => {
        let mut q = QueryBuilder::new("SELECT workflow_id, event_type_id FROM workflow_event_types WHERE workflow_id IN (");
        let mut list = q.separated(", ");
        for id in workflow_ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY workflow_id, event_type_id");
        q.build_query_as::<(i64, i64)>().fetch_all(&mut *c).await
    })?)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, id: i64) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM workflows WHERE id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

/// Records that outbox row `email_id` is `workflow_id`'s scheduled email for `booking_id`.
pub async fn link_reminder<'a>(
    exec: impl Into<Exec<'a>>,
    email_id: i64,
    workflow_id: i64,
    booking_id: i64,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("INSERT INTO workflow_reminders (email_id, workflow_id, booking_id) VALUES ($1, $2, $3)")
            .bind(email_id)
            .bind(workflow_id)
            .bind(booking_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Whose pending reminders to cancel.
#[derive(Debug, Clone, Copy)]
pub enum ReminderScope {
    Booking(i64),
    Workflow(i64),
    /// Every workflow of a team (before the team, and so its workflows, is deleted).
    Team(i64),
}

/// Marks `cancelled` the scheduled emails of a booking or a workflow that no worker has taken yet (queued, or
/// waiting for a retry). Rows being sent are left to finish. Returns how many were cancelled.
pub async fn cancel_pending<'a>(exec: impl Into<Exec<'a>>, scope: ReminderScope, now: i64) -> StoreResult<u64> {
    let (filter, id) = match scope {
        ReminderScope::Booking(id) => ("booking_id = $1", id),
        ReminderScope::Workflow(id) => ("workflow_id = $1", id),
        ReminderScope::Team(id) => ("workflow_id IN (SELECT id FROM workflows WHERE team_id = $1)", id),
    };
    let sql = format!(
        "UPDATE email_outbox SET status = 'cancelled', updated_at = $2 WHERE status IN ('queued', 'retrying') \
         AND id IN (SELECT email_id FROM workflow_reminders WHERE {filter})"
    );
    let done = on_conn!(exec, c => {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(now).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done)
}

/// The uids of accepted bookings of `team_id`'s event types (all, or those listed) that end after `since`:
/// the bookings a changed workflow may still have something to send for.
pub async fn live_booking_uids<'a>(
    exec: impl Into<Exec<'a>>,
    team_id: i64,
    event_types: Option<&[i64]>,
    since: i64,
) -> StoreResult<Vec<String>> {
    if event_types.is_some_and(<[i64]>::is_empty) {
        return Ok(Vec::new());
    }
    let rows: Vec<(String,)> = on_conn!(exec, c => {
        let mut q = QueryBuilder::new(
            "SELECT b.uid FROM bookings b JOIN event_types e ON e.id = b.event_type_id WHERE b.status = 'accepted' \
             AND e.team_id = ",
        );
        q.push_bind(team_id).push(" AND b.end_at > ").push_bind(since);
        if let Some(ids) = event_types {
            q.push(" AND b.event_type_id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            q.push(")");
        }
        q.push(" ORDER BY b.id");
        q.build_query_as::<(String,)>().fetch_all(&mut *c).await
    })?;
    Ok(rows.into_iter().map(|(uid,)| uid).collect())
}
