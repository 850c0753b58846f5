//! Storing a team's or a user's workflows. Every change that can move a reminder (create, edit, delete) of an
//! event-type workflow cancels the workflow's pending rows and plans them again in the same transaction. A
//! routing-form workflow's edit leaves the emails it already planned for past responses as they were (they were
//! written for those answers); deleting it cancels them.

use super::WorkflowError;
use super::form_input::{self, FormWorkflowInput};
use super::input::{Context, WorkflowInput, prepare};
use super::plan::replan;
use crate::email::Mailer;
use convene_core::{EventTypeId, TeamId, WorkflowId, WorkflowKind};
use convene_store::Db;
use convene_store::workflows::{
    self as store, ReminderScope, StepFields, StepRecord, WorkflowFields, WorkflowOwner, WorkflowRecord,
};
use jiff::Timestamp;
use std::collections::HashMap;

/// A workflow with its steps and the event types it is active on (empty when active on all).
#[derive(Debug, Clone)]
pub struct Workflow {
    pub record: WorkflowRecord,
    pub steps: Vec<StepRecord>,
    pub event_type_ids: Vec<EventTypeId>,
    /// Routing-form workflows: the forms it is active on (empty when active on all).
    pub form_ids: Vec<String>,
}

impl Workflow {
    fn fields(&self) -> WorkflowFields {
        WorkflowFields {
            name: self.record.name.clone(),
            trigger: self.record.trigger,
            offset_value: self.record.offset_value,
            offset_unit: self.record.offset_unit,
            active_on_all: self.record.active_on_all,
            event_type_ids: self.event_type_ids.clone(),
            form_ids: self.form_ids.clone(),
            steps: self
                .steps
                .iter()
                .map(|s| StepFields {
                    id: Some(s.id),
                    step_number: s.step_number,
                    action: s.action,
                    recipient: s.recipient,
                    template: s.template,
                    sender_name: s.sender_name.clone(),
                    verified_email_id: s.verified_email_id,
                    email: s.email.clone(),
                    verified_phone_id: s.verified_phone_id,
                    phone: s.phone.clone(),
                    include_calendar_event: s.include_calendar_event,
                    subject: s.subject.clone(),
                    html: s.html.clone(),
                })
                .collect(),
        }
    }
}

/// Adds steps and activation to stored workflows.
async fn complete(db: &Db, records: Vec<WorkflowRecord>) -> Result<Vec<Workflow>, WorkflowError> {
    let ids: Vec<WorkflowId> = records.iter().map(|w| w.id).collect();
    let mut steps: HashMap<WorkflowId, Vec<StepRecord>> = HashMap::new();
    for step in store::steps(db, &ids).await? {
        steps.entry(step.workflow_id).or_default().push(step);
    }
    let mut active: HashMap<WorkflowId, Vec<EventTypeId>> = HashMap::new();
    for (workflow, event_type) in store::event_type_ids(db, &ids).await? {
        active.entry(workflow).or_default().push(event_type);
    }
    let mut forms: HashMap<WorkflowId, Vec<String>> = HashMap::new();
    for (workflow, form) in store::form_ids(db, &ids).await? {
        forms.entry(workflow).or_default().push(form);
    }
    Ok(records
        .into_iter()
        .map(|record| Workflow {
            steps: steps.remove(&record.id).unwrap_or_default(),
            event_type_ids: active.remove(&record.id).unwrap_or_default(),
            form_ids: forms.remove(&record.id).unwrap_or_default(),
            record,
        })
        .collect())
}

pub async fn list(
    db: &Db,
    owner: WorkflowOwner,
    kind: WorkflowKind,
    skip: i64,
    take: i64,
) -> Result<Vec<Workflow>, WorkflowError> {
    let records = store::list(db, owner, kind, skip, take).await?;
    complete(db, records).await
}

pub async fn get(db: &Db, owner: WorkflowOwner, kind: WorkflowKind, id: WorkflowId) -> Result<Workflow, WorkflowError> {
    let record = store::find(db, owner, kind, id).await?.ok_or(WorkflowError::NotFound)?;
    Ok(complete(db, vec![record]).await?.remove(0))
}

/// Creates a routing-form workflow: it acts on the responses that come after.
pub async fn create_form(db: &Db, ctx: &Context, input: &FormWorkflowInput) -> Result<Workflow, WorkflowError> {
    let fields = form_input::prepare(db, ctx, input, None).await?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let record = store::insert(&mut tx, ctx.owner, &fields, now).await?;
    tx.commit().await?;
    Ok(complete(db, vec![record]).await?.remove(0))
}

/// Applies a partial update to a routing-form workflow.
pub async fn update_form(
    db: &Db,
    ctx: &Context,
    id: WorkflowId,
    input: &FormWorkflowInput,
) -> Result<Workflow, WorkflowError> {
    let current = get(db, ctx.owner, WorkflowKind::RoutingForm, id).await?;
    let fields = form_input::prepare(db, ctx, input, Some((&current.fields(), &current.steps))).await?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let record = store::update(&mut tx, id, &fields, now)
        .await?
        .ok_or(WorkflowError::NotFound)?;
    tx.commit().await?;
    Ok(complete(db, vec![record]).await?.remove(0))
}

/// Creates a workflow and plans its reminders for the owner's bookings already ahead.
pub async fn create(db: &Db, mailer: &Mailer, ctx: &Context, input: &WorkflowInput) -> Result<Workflow, WorkflowError> {
    let fields = prepare(db, ctx, input, None).await?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let record = store::insert(&mut tx, ctx.owner, &fields, now).await?;
    replan(&mut tx, mailer, &record, &fields.event_type_ids, now).await?;
    tx.commit().await?;
    Ok(complete(db, vec![record]).await?.remove(0))
}

/// Applies a partial update; the workflow's pending reminders are cancelled and planned again.
pub async fn update(
    db: &Db,
    mailer: &Mailer,
    ctx: &Context,
    id: WorkflowId,
    input: &WorkflowInput,
) -> Result<Workflow, WorkflowError> {
    let current = get(db, ctx.owner, WorkflowKind::EventType, id).await?;
    let fields = prepare(db, ctx, input, Some((&current.fields(), &current.steps))).await?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let record = store::update(&mut tx, id, &fields, now)
        .await?
        .ok_or(WorkflowError::NotFound)?;
    store::cancel_pending(&mut tx, ReminderScope::Workflow(id), now).await?;
    replan(&mut tx, mailer, &record, &fields.event_type_ids, now).await?;
    tx.commit().await?;
    Ok(complete(db, vec![record]).await?.remove(0))
}

/// Deletes a workflow, cancelling what it had planned.
pub async fn delete(
    db: &Db,
    owner: WorkflowOwner,
    kind: WorkflowKind,
    id: WorkflowId,
) -> Result<Workflow, WorkflowError> {
    let current = get(db, owner, kind, id).await?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    store::cancel_pending(&mut tx, ReminderScope::Workflow(id), now).await?;
    store::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(current)
}

/// Deletes a team, cancelling first what its workflows planned and did not send yet: deleting the workflows with
/// the team would otherwise orphan their reminders, still queued. One transaction: both happen or neither.
pub async fn delete_team(db: &Db, team_id: TeamId) -> Result<bool, WorkflowError> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    store::cancel_pending(&mut tx, ReminderScope::Team(team_id), now).await?;
    let deleted = convene_store::teams::delete(&mut tx, team_id).await?;
    tx.commit().await?;
    Ok(deleted)
}
