//! Workflows (a team's or a user's emails around its bookings, or around the answers to its routing forms), their
//! steps and activation, and the link from the outbox rows they plan back to the workflow and booking (or
//! response), so pending ones can be cancelled or planned again.

use crate::millis::{Millis, ms};
use crate::{Exec, StoreResult, Tx};
use convene_core::UnknownWord;
use convene_core::{
    BookingId, EmailId, EventTypeId, OffsetUnit, RoutingResponseId, StepAction, StepRecipient, StepTemplate, TeamId,
    UserId, VerifiedEmailId, VerifiedPhoneId, WorkflowId, WorkflowKind, WorkflowStepId, WorkflowTrigger,
};
use jiff::Timestamp;
use sqlx::{FromRow, QueryBuilder};

#[derive(Debug, Clone, FromRow)]
pub struct WorkflowRecord {
    pub id: WorkflowId,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    pub name: String,
    /// Also says the workflow's kind ([`WorkflowRecord::kind`]), which the `kind` column repeats for queries.
    #[sqlx(rename = "trigger_type", try_from = "String")]
    pub trigger: WorkflowTrigger,
    pub offset_value: Option<i64>,
    #[sqlx(try_from = "OptWord")]
    pub offset_unit: Option<OffsetUnit>,
    pub active_on_all: bool,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

impl WorkflowRecord {
    /// Event-type or routing-form workflow: the family of its trigger.
    pub fn kind(&self) -> WorkflowKind {
        self.trigger.kind()
    }
}

const COLUMNS: &str = "id, team_id, user_id, name, trigger_type, offset_value, offset_unit, active_on_all, \
     created_at, updated_at";

/// A nullable word column as read. Its own type because `Option<OffsetUnit>` is not local (the orphan rule wants a
/// local type on one side of `TryFrom`), as `OptMillis` is for instants.
#[derive(Debug, Clone, sqlx::Type)]
#[sqlx(transparent)]
struct OptWord(Option<String>);

impl TryFrom<OptWord> for Option<OffsetUnit> {
    type Error = UnknownWord;
    fn try_from(w: OptWord) -> Result<Self, Self::Error> {
        w.0.map(OffsetUnit::try_from).transpose()
    }
}

/// Whose a workflow is: a team's (inside an organization or not), or one user's own (personal workflows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowOwner {
    Team(TeamId),
    User(UserId),
}

impl WorkflowOwner {
    /// The owner column and its value.
    fn column(self) -> (&'static str, i64) {
        match self {
            WorkflowOwner::Team(id) => ("team_id", id.0),
            WorkflowOwner::User(id) => ("user_id", id.0),
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct StepRecord {
    pub id: WorkflowStepId,
    pub workflow_id: WorkflowId,
    pub step_number: i64,
    #[sqlx(try_from = "String")]
    pub action: StepAction,
    #[sqlx(try_from = "String")]
    pub recipient: StepRecipient,
    #[sqlx(try_from = "String")]
    pub template: StepTemplate,
    pub sender_name: String,
    pub verified_email_id: Option<VerifiedEmailId>,
    pub email: Option<String>,
    /// sms_number / whatsapp_number: the verified number chosen and the number itself.
    pub verified_phone_id: Option<VerifiedPhoneId>,
    pub phone: Option<String>,
    pub include_calendar_event: bool,
    pub subject: String,
    pub html: String,
}

const STEP_COLUMNS: &str = "id, workflow_id, step_number, action, recipient, template, sender_name, \
     verified_email_id, email, verified_phone_id, phone, include_calendar_event, subject, html";

/// A step to store; `id` names an existing step of the workflow to keep (and update).
#[derive(Debug, Clone)]
pub struct StepFields {
    pub id: Option<WorkflowStepId>,
    pub step_number: i64,
    pub action: StepAction,
    pub recipient: StepRecipient,
    pub template: StepTemplate,
    pub sender_name: String,
    pub verified_email_id: Option<VerifiedEmailId>,
    pub email: Option<String>,
    /// sms_number / whatsapp_number: the verified number chosen and the number itself.
    pub verified_phone_id: Option<VerifiedPhoneId>,
    pub phone: Option<String>,
    pub include_calendar_event: bool,
    pub subject: String,
    pub html: String,
}

/// Everything settable, complete (an update merges onto the stored workflow first).
#[derive(Debug, Clone)]
pub struct WorkflowFields {
    pub name: String,
    /// Also says the workflow's kind, stored beside it.
    pub trigger: WorkflowTrigger,
    pub offset_value: Option<i64>,
    pub offset_unit: Option<OffsetUnit>,
    pub active_on_all: bool,
    pub event_type_ids: Vec<EventTypeId>,
    /// Routing-form workflows: the forms it is active on when not on all.
    pub form_ids: Vec<String>,
    pub steps: Vec<StepFields>,
}

/// Stores a new workflow, of its trigger's kind, with its activation and steps.
pub async fn insert(
    tx: &mut Tx,
    owner: WorkflowOwner,
    f: &WorkflowFields,
    now: Timestamp,
) -> StoreResult<WorkflowRecord> {
    let (column, owner_id) = owner.column();
    let sql = format!(
        "INSERT INTO workflows ({column}, name, trigger_type, offset_value, offset_unit, active_on_all, created_at, \
         updated_at, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING {COLUMNS}"
    );
    let record = on_conn!(&mut *tx, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .bind(&f.name)
            .bind(f.trigger.as_str())
            .bind(f.offset_value)
            .bind(f.offset_unit.map(OffsetUnit::as_str))
            .bind(f.active_on_all)
            .bind(ms(now))
            .bind(f.trigger.kind().as_str())
            .fetch_one(&mut *c)
            .await
    })?;
    write_parts(tx, record.id, f).await?;
    Ok(record)
}

/// Replaces a workflow's settings, activation and steps: steps named by id are updated, others added, the rest
/// removed.
pub async fn update(
    tx: &mut Tx,
    id: WorkflowId,
    f: &WorkflowFields,
    now: Timestamp,
) -> StoreResult<Option<WorkflowRecord>> {
    let sql = format!(
        "UPDATE workflows SET name = $2, trigger_type = $3, offset_value = $4, offset_unit = $5, active_on_all = $6, \
         updated_at = $7 WHERE id = $1 RETURNING {COLUMNS}"
    );
    let record = on_conn!(&mut *tx, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&f.name)
            .bind(f.trigger.as_str())
            .bind(f.offset_value)
            .bind(f.offset_unit.map(OffsetUnit::as_str))
            .bind(f.active_on_all)
            .bind(ms(now))
            .fetch_optional(&mut *c)
            .await
    })?;
    if record.is_some() {
        write_parts(tx, id, f).await?;
    }
    Ok(record)
}

async fn write_parts(tx: &mut Tx, id: WorkflowId, f: &WorkflowFields) -> StoreResult<()> {
    on_conn!(&mut *tx, c => {
        sqlx::query("DELETE FROM workflow_event_types WHERE workflow_id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    on_conn!(&mut *tx, c => {
        sqlx::query("DELETE FROM workflow_routing_forms WHERE workflow_id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    for form in &f.form_ids {
        on_conn!(&mut *tx, c => {
            sqlx::query("INSERT INTO workflow_routing_forms (workflow_id, form_id) VALUES ($1, $2)")
                .bind(id)
                .bind(form)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
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
    let kept: Vec<WorkflowStepId> = f.steps.iter().filter_map(|s| s.id).collect();
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
                 html = $11, verified_phone_id = $12, phone = $13 WHERE id = $1",
                step.0,
            ),
            None => (
                "INSERT INTO workflow_steps (workflow_id, step_number, action, recipient, template, sender_name, \
                 verified_email_id, email, include_calendar_event, subject, html, verified_phone_id, phone) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                id.0,
            ),
        };
        on_conn!(&mut *tx, c => {
            sqlx::query(sql)
                .bind(key)
                .bind(s.step_number)
                .bind(s.action.as_str())
                .bind(s.recipient.as_str())
                .bind(s.template.as_str())
                .bind(&s.sender_name)
                .bind(s.verified_email_id)
                .bind(&s.email)
                .bind(s.include_calendar_event)
                .bind(&s.subject)
                .bind(&s.html)
                .bind(s.verified_phone_id)
                .bind(&s.phone)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// An owner's workflow of `kind` by id.
pub async fn find<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WorkflowOwner,
    kind: WorkflowKind,
    id: WorkflowId,
) -> StoreResult<Option<WorkflowRecord>> {
    let (column, owner_id) = owner.column();
    let sql = format!("SELECT {COLUMNS} FROM workflows WHERE id = $1 AND {column} = $2 AND kind = $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(owner_id)
            .bind(kind.as_str())
            .fetch_optional(&mut *c)
            .await
    })?)
}

/// An owner's workflows of `kind`, oldest first.
pub async fn list<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WorkflowOwner,
    kind: WorkflowKind,
    skip: i64,
    take: i64,
) -> StoreResult<Vec<WorkflowRecord>> {
    let (column, owner_id) = owner.column();
    let sql =
        format!("SELECT {COLUMNS} FROM workflows WHERE {column} = $1 AND kind = $4 ORDER BY id LIMIT $2 OFFSET $3");
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .bind(take)
            .bind(skip)
            .bind(kind.as_str())
            .fetch_all(&mut *c)
            .await
    })?)
}

/// The event-type workflows of `owner` active on `event_type_id`.
pub async fn active_for_event_type<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WorkflowOwner,
    event_type_id: EventTypeId,
) -> StoreResult<Vec<WorkflowRecord>> {
    let (column, owner_id) = owner.column();
    let kind = WorkflowKind::EventType;
    let sql = format!(
        "SELECT {COLUMNS} FROM workflows w WHERE {column} = $1 AND kind = '{kind}' AND (active_on_all \
         OR EXISTS (SELECT 1 FROM workflow_event_types a WHERE a.workflow_id = w.id AND a.event_type_id = $2)) \
         ORDER BY id"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .bind(event_type_id)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// The routing-form workflows of `owner` active on form `form_id`.
pub async fn active_for_form<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WorkflowOwner,
    form_id: &str,
) -> StoreResult<Vec<WorkflowRecord>> {
    let (column, owner_id) = owner.column();
    let kind = WorkflowKind::RoutingForm;
    let sql = format!(
        "SELECT {COLUMNS} FROM workflows w WHERE {column} = $1 AND kind = '{kind}' AND (active_on_all \
         OR EXISTS (SELECT 1 FROM workflow_routing_forms a WHERE a.workflow_id = w.id AND a.form_id = $2)) \
         ORDER BY id"
    );
    Ok(on_conn!(exec, c => {
        sqlx::query_as::<_, WorkflowRecord>(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .bind(form_id)
            .fetch_all(&mut *c)
            .await
    })?)
}

/// (workflow, form) pairs of the given routing-form workflows' activation lists.
pub async fn form_ids<'a>(
    exec: impl Into<Exec<'a>>,
    workflow_ids: &[WorkflowId],
) -> StoreResult<Vec<(WorkflowId, String)>> {
    if workflow_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_conn!(exec, c => {
        let mut q = QueryBuilder::new("SELECT workflow_id, form_id FROM workflow_routing_forms WHERE workflow_id IN (");
        let mut list = q.separated(", ");
        for id in workflow_ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY workflow_id, form_id");
        q.build_query_as::<(WorkflowId, String)>().fetch_all(&mut *c).await
    })?)
}

/// Records that outbox row `email_id` is `workflow_id`'s scheduled email for routing form response `response_id`.
pub async fn link_form_reminder<'a>(
    exec: impl Into<Exec<'a>>,
    email_id: EmailId,
    workflow_id: WorkflowId,
    response_id: RoutingResponseId,
) -> StoreResult<()> {
    on_conn!(exec, c => {
        sqlx::query("INSERT INTO workflow_form_reminders (email_id, workflow_id, response_id) VALUES ($1, $2, $3)")
            .bind(email_id)
            .bind(workflow_id)
            .bind(response_id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The steps of the given workflows, by workflow then step number.
pub async fn steps<'a>(exec: impl Into<Exec<'a>>, workflow_ids: &[WorkflowId]) -> StoreResult<Vec<StepRecord>> {
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
pub async fn event_type_ids<'a>(
    exec: impl Into<Exec<'a>>,
    workflow_ids: &[WorkflowId],
) -> StoreResult<Vec<(WorkflowId, EventTypeId)>> {
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
        q.build_query_as::<(WorkflowId, EventTypeId)>().fetch_all(&mut *c).await
    })?)
}

pub async fn delete<'a>(exec: impl Into<Exec<'a>>, id: WorkflowId) -> StoreResult<bool> {
    let done = on_conn!(exec, c => {
        sqlx::query("DELETE FROM workflows WHERE id = $1").bind(id).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

/// Links queued emails to the workflow and booking whose reminders they are (email, workflow, booking), in one
/// statement.
pub async fn link_reminders<'a>(
    exec: impl Into<Exec<'a>>,
    links: &[(EmailId, WorkflowId, BookingId)],
) -> StoreResult<()> {
    if links.is_empty() {
        return Ok(());
    }
    on_conn!(exec, c => {
        for chunk in links.chunks(500) {
            let mut q = QueryBuilder::new("INSERT INTO workflow_reminders (email_id, workflow_id, booking_id) ");
            q.push_values(chunk, |mut b, (email, workflow, booking)| {
                b.push_bind(*email).push_bind(*workflow).push_bind(*booking);
            });
            q.build().execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

/// Whose pending reminders to cancel.
#[derive(Debug, Clone, Copy)]
pub enum ReminderScope {
    Booking(BookingId),
    Workflow(WorkflowId),
    /// Every workflow of a team (before the team, and so its workflows, is deleted).
    Team(TeamId),
    /// A routing form response's (a booking followed it).
    Response(RoutingResponseId),
}

/// Marks `cancelled` the scheduled emails of a booking or a workflow that no worker has taken yet (queued, or
/// waiting for a retry). Rows being sent are left to finish. Returns how many were cancelled.
pub async fn cancel_pending<'a>(exec: impl Into<Exec<'a>>, scope: ReminderScope, now: Timestamp) -> StoreResult<u64> {
    const TEAM: &str = "workflow_id IN (SELECT id FROM workflows WHERE team_id = $1)";
    // Which links of each table: bookings' reminders, responses' reminders (`1 = 0` for none).
    let (bookings, responses, id) = match scope {
        ReminderScope::Booking(id) => ("booking_id = $1", "1 = 0", id.0),
        ReminderScope::Workflow(id) => ("workflow_id = $1", "workflow_id = $1", id.0),
        ReminderScope::Team(id) => (TEAM, TEAM, id.0),
        ReminderScope::Response(id) => ("1 = 0", "response_id = $1", id.0),
    };
    let sql = format!(
        "UPDATE email_outbox SET status = 'cancelled', updated_at = $2 WHERE status IN ('queued', 'retrying') \
         AND (id IN (SELECT email_id FROM workflow_reminders WHERE {bookings}) \
         OR id IN (SELECT email_id FROM workflow_form_reminders WHERE {responses}))"
    );
    let done = on_conn!(exec, c => {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(ms(now)).execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done)
}

/// Marks `cancelled` the pending reminders of `booking` addressed to any of `to` (one seat holder's address and
/// number, when they give up or move their seat). Returns how many were cancelled.
pub async fn cancel_pending_to<'a>(
    exec: impl Into<Exec<'a>>,
    booking: BookingId,
    to: &[String],
    now: Timestamp,
) -> StoreResult<u64> {
    if to.is_empty() {
        return Ok(0);
    }
    let done = on_conn!(exec, c => {
        let mut q = QueryBuilder::new("UPDATE email_outbox SET status = 'cancelled', updated_at = ");
        q.push_bind(ms(now))
            .push(" WHERE status IN ('queued', 'retrying') AND id IN (SELECT email_id FROM workflow_reminders WHERE booking_id = ")
            .push_bind(booking)
            .push(") AND to_email IN (");
        let mut list = q.separated(", ");
        for address in to {
            list.push_bind(address.clone());
        }
        q.push(")");
        q.build().execute(&mut *c).await.map(|r| r.rows_affected())
    })?;
    Ok(done)
}

/// The uids of accepted bookings of `owner`'s event types (all, or those listed) that end after `since`:
/// the bookings a changed workflow may still have something to send for.
pub async fn live_booking_uids<'a>(
    exec: impl Into<Exec<'a>>,
    owner: WorkflowOwner,
    event_types: Option<&[EventTypeId]>,
    since: Timestamp,
) -> StoreResult<Vec<String>> {
    if event_types.is_some_and(<[EventTypeId]>::is_empty) {
        return Ok(Vec::new());
    }
    let rows: Vec<(String,)> = on_conn!(exec, c => {
        let mut q = QueryBuilder::new(
            "SELECT b.uid FROM bookings b JOIN event_types e ON e.id = b.event_type_id WHERE b.status = 'accepted' ",
        );
        match owner {
            WorkflowOwner::Team(id) => q.push(" AND e.team_id = ").push_bind(id),
            WorkflowOwner::User(id) => q.push(" AND e.team_id IS NULL AND e.owner_id = ").push_bind(id),
        };
        q.push(" AND b.end_at > ").push_bind(ms(since));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A workflow row read through SQLite itself, with the given trigger and offset unit words.
    async fn read(trigger: &str, unit: Option<&str>) -> Result<WorkflowRecord, sqlx::Error> {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect("sqlite::memory:").await?;
        sqlx::query_as::<_, WorkflowRecord>(
            "SELECT 1 AS id, NULL AS team_id, 2 AS user_id, 'Remind' AS name, $1 AS trigger_type, \
             24 AS offset_value, $2 AS offset_unit, 1 AS active_on_all, 0 AS created_at, 0 AS updated_at",
        )
        .bind(trigger)
        .bind(unit)
        .fetch_one(&mut c)
        .await
    }

    #[tokio::test]
    async fn a_workflow_row_reads_its_words_as_types_and_its_kind_from_its_trigger() {
        let row = read("beforeEvent", Some("hour")).await.expect("a row");
        assert_eq!(
            (row.trigger, row.offset_unit, row.kind()),
            (
                WorkflowTrigger::BeforeEvent,
                Some(OffsetUnit::Hour),
                WorkflowKind::EventType
            )
        );
        let row = read("formSubmitted", None).await.expect("a row");
        assert_eq!((row.offset_unit, row.kind()), (None, WorkflowKind::RoutingForm));
    }

    #[tokio::test]
    async fn an_unknown_word_is_a_decode_error_of_its_column() {
        let err = read("beforeEvent", Some("week")).await.expect_err("refused");
        assert!(
            matches!(&err, sqlx::Error::ColumnDecode { index, .. } if index.contains("offset_unit")),
            "{err:?}"
        );
        let err = read("BEFORE_EVENT", None).await.expect_err("refused");
        assert!(
            matches!(&err, sqlx::Error::ColumnDecode { index, .. } if index.contains("trigger_type")),
            "{err:?}"
        );
    }
}
