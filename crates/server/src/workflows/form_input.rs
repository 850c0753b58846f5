//! What the API sends for a routing-form workflow (`CreateFormWorkflowDto` / `UpdateFormWorkflowDto`), checked into
//! complete settings. Every refusal names its field.

use super::WorkflowError;
use super::input::{Context, StepInput, TriggerInput, offset, step};
use convene_core::{FieldError, HeaderText, OffsetUnit, StepAction, WorkflowKind, WorkflowTrigger};
use convene_store::Db;
use convene_store::routing_forms;
use convene_store::workflows::{StepRecord, WorkflowFields, WorkflowOwner};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FormWorkflowInput {
    pub name: Option<String>,
    pub activation: Option<FormActivationInput>,
    pub trigger: Option<TriggerInput>,
    pub steps: Option<Vec<StepInput>>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FormActivationInput {
    pub is_active_on_all_routing_forms: Option<bool>,
    /// Form ids are strings (UUIDs); the reference types the items as numbers, so both are read.
    #[schema(value_type = Option<Vec<String>>)]
    pub active_on_routing_form_ids: Option<Vec<Value>>,
}

/// The actions of routing-form workflows: there is no host to write to, only the person who answered (by email
/// when the form asked for an address, by SMS when it asked for a phone number) and a verified address. The
/// reference's routing-form step has no WhatsApp action (`RoutingFormWorkflowStepOutputDto.action`), so none here.
const FORM_ACTIONS: [StepAction; 3] = [
    StepAction::EmailAttendee,
    StepAction::EmailAddress,
    StepAction::SmsAttendee,
];

/// Checks `input` onto `current` (None for a create, where every required part must be there).
pub async fn prepare(
    db: &Db,
    ctx: &Context,
    input: &FormWorkflowInput,
    current: Option<(&WorkflowFields, &[StepRecord])>,
) -> Result<WorkflowFields, WorkflowError> {
    let required = |field: &str| FieldError::coded(field, "refusal-required", "is required");
    let name = match (&input.name, current) {
        (Some(n), _) => {
            let n = HeaderText::parse("name", n)?;
            if n.as_str().chars().count() > 120 {
                return Err(
                    FieldError::coded("name", "refusal-too-long", "must be at most 120 characters")
                        .arg("max", 120)
                        .into(),
                );
            }
            n.as_str().to_owned()
        }
        (None, Some((c, _))) => c.name.clone(),
        (None, None) => return Err(required("name").into()),
    };
    let (trigger, offset_value, offset_unit) = match (&input.trigger, current) {
        (Some(t), _) => trigger(t)?,
        (None, Some((c, _))) => (c.trigger, c.offset_value, c.offset_unit),
        (None, None) => return Err(required("trigger").into()),
    };
    let (active_on_all, form_ids) = match (&input.activation, current) {
        (Some(a), _) => activation(db, ctx, a).await?,
        (None, Some((c, _))) => (c.active_on_all, c.form_ids.clone()),
        (None, None) => return Err(required("activation").into()),
    };
    let steps = match (&input.steps, current) {
        (Some(s), _) => {
            let stored = current.map_or(&[][..], |(_, s)| s);
            let mut out = Vec::with_capacity(s.len());
            for (i, one) in s.iter().enumerate() {
                out.push(step(db, ctx, i, one, stored, &FORM_ACTIONS).await?);
            }
            out
        }
        (None, Some((c, _))) => c.steps.clone(),
        (None, None) => return Err(required("steps").into()),
    };
    if steps.len() > 20 {
        return Err(FieldError::coded("steps", "refusal-too-many-steps", "at most 20 steps")
            .arg("max", 20)
            .into());
    }
    Ok(WorkflowFields {
        name,
        trigger,
        offset_value,
        offset_unit,
        active_on_all,
        event_type_ids: Vec::new(),
        form_ids,
        steps,
    })
}

fn trigger(t: &TriggerInput) -> Result<(WorkflowTrigger, Option<i64>, Option<OffsetUnit>), FieldError> {
    let raw = t
        .kind
        .as_deref()
        .ok_or_else(|| FieldError::coded("trigger.type", "refusal-required", "is required"))?;
    let parsed = raw.parse::<WorkflowTrigger>().ok();
    match parsed.filter(|t| t.kind() == WorkflowKind::RoutingForm) {
        Some(trigger) if trigger.is_scheduled() => {
            let (value, unit) = offset(t, raw)?;
            Ok((trigger, Some(value), Some(unit)))
        }
        Some(trigger) => Ok((trigger, None, None)),
        None => Err(FieldError::coded(
            "trigger.type",
            "refusal-form-trigger",
            format!("'{raw}' is not a trigger of routing-form workflows; use formSubmitted or formSubmittedNoEvent"),
        )
        .arg("value", raw)),
    }
}

async fn activation(db: &Db, ctx: &Context, a: &FormActivationInput) -> Result<(bool, Vec<String>), WorkflowError> {
    let all = a.is_active_on_all_routing_forms.ok_or_else(|| {
        FieldError::coded(
            "activation.isActiveOnAllRoutingForms",
            "refusal-required",
            "is required",
        )
    })?;
    if all {
        return Ok((true, Vec::new()));
    }
    let raw = a.active_on_routing_form_ids.clone().unwrap_or_default();
    if raw.len() > 500 {
        return Err(FieldError::coded(
            "activation.activeOnRoutingFormIds",
            "refusal-too-many-forms",
            "at most 500 routing forms",
        )
        .arg("max", 500)
        .into());
    }
    let mut ids = Vec::with_capacity(raw.len());
    for (i, value) in raw.iter().enumerate() {
        let field = format!("activation.activeOnRoutingFormIds[{i}]");
        let id = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(FieldError::coded(field, "refusal-positive-id", "must be a routing form id").into()),
        };
        let theirs = routing_forms::find_form(db, &id)
            .await?
            .is_some_and(|f| match ctx.owner {
                WorkflowOwner::Team(team) => f.team_id == Some(team),
                WorkflowOwner::User(user) => f.team_id.is_none() && f.user_id == user,
            });
        if !theirs {
            let whose = match ctx.owner {
                WorkflowOwner::Team(_) => "this team's",
                WorkflowOwner::User(_) => "your own",
            };
            return Err(FieldError::coded(
                field,
                "refusal-not-your-form",
                format!("routing form {id} is not one of {whose}"),
            )
            .into());
        }
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((false, ids))
}
