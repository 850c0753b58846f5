//! What the API sends for a workflow (`CreateEventTypeWorkflowDto` / `UpdateEventTypeWorkflowDto`), checked into
//! complete settings. Every refusal names its field.

use super::WorkflowError;
use crate::email::sms::{Channel, Channels};
use convene_core::{
    EventTypeId, FieldError, HeaderText, OffsetUnit, StepAction, StepRecipient, StepTemplate, UserId, VerifiedEmailId,
    VerifiedPhoneId, WorkflowKind, WorkflowStepId, WorkflowTrigger,
};
use convene_store::workflows::{StepFields, StepRecord, WorkflowFields, WorkflowOwner};
use convene_store::{Db, event_types, verified_emails, verified_phones};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowInput {
    pub name: Option<String>,
    pub activation: Option<ActivationInput>,
    pub trigger: Option<TriggerInput>,
    pub steps: Option<Vec<StepInput>>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivationInput {
    pub is_active_on_all_event_types: Option<bool>,
    pub active_on_event_type_ids: Option<Vec<i64>>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TriggerInput {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub offset: Option<OffsetInput>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OffsetInput {
    pub value: Option<i64>,
    pub unit: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepInput {
    /// An existing step to update (PATCH); absent for a new step.
    pub id: Option<i64>,
    pub action: Option<String>,
    pub step_number: Option<i64>,
    pub recipient: Option<String>,
    pub template: Option<String>,
    pub sender: Option<String>,
    pub verified_email_id: Option<i64>,
    pub verified_phone_id: Option<i64>,
    pub include_calendar_event: Option<bool>,
    pub phone_required: Option<bool>,
    pub message: Option<MessageInput>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageInput {
    pub subject: Option<String>,
    pub html: Option<String>,
    pub text: Option<String>,
}

/// The longest offset: a year.
const MAX_OFFSET_MS: i64 = 366 * 86_400_000;

/// Who is asking and for whom: event types and forms must be the owner's, a verified address the caller's.
pub struct Context {
    pub owner: WorkflowOwner,
    pub caller_id: UserId,
    /// The text channels the instance can send on (text actions are refused on the others).
    pub texts: Channels,
}

/// The actions of event-type workflows: all of them.
const EVENT_TYPE_ACTIONS: [StepAction; 7] = StepAction::ALL;
/// The longest text message body (Twilio's limit on `Body`).
const MAX_TEXT_CHARS: usize = 1600;

/// Checks `input` onto `current` (None for a create, where every required part must be there).
pub async fn prepare(
    db: &Db,
    ctx: &Context,
    input: &WorkflowInput,
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

    let (active_on_all, event_type_ids) = match (&input.activation, current) {
        (Some(a), _) => activation(db, ctx, a).await?,
        (None, Some((c, _))) => (c.active_on_all, c.event_type_ids.clone()),
        (None, None) => return Err(required("activation").into()),
    };

    let steps = match (&input.steps, current) {
        (Some(s), _) => {
            let stored = current.map_or(&[][..], |(_, s)| s);
            let mut out = Vec::with_capacity(s.len());
            for (i, step) in s.iter().enumerate() {
                out.push(self::step(db, ctx, i, step, stored, &EVENT_TYPE_ACTIONS).await?);
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
        event_type_ids,
        form_ids: Vec::new(),
        steps,
    })
}

fn trigger(t: &TriggerInput) -> Result<(WorkflowTrigger, Option<i64>, Option<OffsetUnit>), FieldError> {
    let raw = t
        .kind
        .as_deref()
        .ok_or_else(|| FieldError::coded("trigger.type", "refusal-required", "is required"))?;
    let parsed = raw.parse::<WorkflowTrigger>().ok();
    let Some(trigger) = parsed.filter(|t| t.kind() == WorkflowKind::EventType) else {
        let never = [
            "afterHostsCalVideoNoShow",
            "afterGuestsCalVideoNoShow",
            "bookingPaymentInitiated",
            "bookingPaid",
        ];
        let why = if never.contains(&raw) {
            format!("'{raw}' is not available: convene has no video meetings or payments, so it would never fire")
        } else {
            format!("'{raw}' is not a trigger of event-type workflows")
        };
        return Err(FieldError::new("trigger.type", why));
    };
    if !trigger.is_scheduled() {
        return Ok((trigger, None, None));
    }
    let (value, unit) = offset(t, raw)?;
    Ok((trigger, Some(value), Some(unit)))
}

/// The trigger's offset (required for `raw`), checked: a whole number of minutes, hours or days up to a year.
pub(super) fn offset(t: &TriggerInput, raw: &str) -> Result<(i64, OffsetUnit), FieldError> {
    let offset = t
        .offset
        .as_ref()
        .ok_or_else(|| FieldError::coded("trigger.offset", "refusal-required", format!("is required for {raw}")))?;
    let value = offset
        .value
        .ok_or_else(|| FieldError::coded("trigger.offset.value", "refusal-required", "is required"))?;
    let unit = offset
        .unit
        .as_deref()
        .ok_or_else(|| FieldError::coded("trigger.offset.unit", "refusal-required", "is required"))?;
    let unit: OffsetUnit = unit.parse().map_err(|_| {
        FieldError::coded(
            "trigger.offset.unit",
            "refusal-offset-unit",
            "must be minute, hour or day",
        )
    })?;
    if value < 0 || value.saturating_mul(unit.millis()) > MAX_OFFSET_MS {
        return Err(FieldError::coded(
            "trigger.offset.value",
            "refusal-offset-range",
            "must be between 0 and a year's worth of the unit",
        ));
    }
    Ok((value, unit))
}

async fn activation(db: &Db, ctx: &Context, a: &ActivationInput) -> Result<(bool, Vec<EventTypeId>), WorkflowError> {
    let all = a
        .is_active_on_all_event_types
        .ok_or_else(|| FieldError::coded("activation.isActiveOnAllEventTypes", "refusal-required", "is required"))?;
    if all {
        return Ok((true, Vec::new()));
    }
    let mut ids: Vec<EventTypeId> = a
        .active_on_event_type_ids
        .iter()
        .flatten()
        .copied()
        .map(EventTypeId)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 500 {
        return Err(FieldError::coded(
            "activation.activeOnEventTypeIds",
            "refusal-too-many-event-types",
            "at most 500 event types",
        )
        .arg("max", 500)
        .into());
    }
    for (i, id) in ids.iter().enumerate() {
        let theirs = event_types::find(db, *id).await?.is_some_and(|e| match ctx.owner {
            WorkflowOwner::Team(team) => e.team_id == Some(team),
            WorkflowOwner::User(user) => e.team_id.is_none() && e.owner_id == Some(user),
        });
        if !theirs {
            let whose = match ctx.owner {
                WorkflowOwner::Team(_) => "this team's",
                WorkflowOwner::User(_) => "your own",
            };
            return Err(FieldError::coded(
                format!("activation.activeOnEventTypeIds[{i}]"),
                "refusal-not-your-event-type",
                format!("event type {id} is not one of {whose}"),
            )
            .into());
        }
    }
    Ok((false, ids))
}

/// One step, checked; `allowed` are the email actions of the workflow's kind.
pub(super) async fn step(
    db: &Db,
    ctx: &Context,
    i: usize,
    s: &StepInput,
    stored: &[StepRecord],
    allowed: &[StepAction],
) -> Result<StepFields, WorkflowError> {
    let field = |name: &str| format!("steps[{i}].{name}");
    let raw = s
        .action
        .as_deref()
        .ok_or_else(|| FieldError::coded(field("action"), "refusal-required", "is required"))?;
    if let Some(Err(missing)) = Channel::of_action(raw).map(|c| ctx.texts.check(c)) {
        return Err(FieldError::coded(
            field("action"),
            "refusal-sms-unavailable",
            format!("'{raw}' needs an SMS provider (Twilio) on this server; set {missing}"),
        )
        .arg("value", raw)
        .arg("missing", missing)
        .into());
    }
    let known = raw.parse::<StepAction>().ok();
    let Some(action) = known.filter(|a| allowed.contains(a)) else {
        let choices = allowed.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
        return Err(FieldError::coded(
            field("action"),
            "refusal-action-unsupported",
            format!("'{raw}' is not supported here; use {choices}"),
        )
        .arg("value", raw)
        .arg("choices", choices)
        .into());
    };
    let channel = Channel::of_step(action);
    let previous = match s.id.map(WorkflowStepId) {
        Some(id) => Some(stored.iter().find(|p| p.id == id).ok_or_else(|| {
            FieldError::coded(
                field("id"),
                "refusal-not-your-step",
                format!("step {id} is not one of this workflow's"),
            )
        })?),
        None => None,
    };
    let step_number = s.step_number.unwrap_or(i as i64 + 1);
    if !(1..=100).contains(&step_number) {
        return Err(
            FieldError::coded(field("stepNumber"), "refusal-between", "must be between 1 and 100")
                .arg("min", 1)
                .arg("max", 100)
                .into(),
        );
    }
    let recipient = match s.recipient.as_deref() {
        Some(word) => word.parse().map_err(|_| {
            FieldError::coded(
                field("recipient"),
                "refusal-recipient",
                "must be const, attendee, email or phone_number",
            )
        })?,
        None if action.is_to_attendee() => StepRecipient::Attendee,
        None if action == StepAction::EmailAddress => StepRecipient::Email,
        None => StepRecipient::Const,
    };
    let template: StepTemplate = s
        .template
        .as_deref()
        .ok_or_else(|| FieldError::coded(field("template"), "refusal-required", "is required"))?
        .parse()
        .map_err(|_| {
            FieldError::coded(
                field("template"),
                "refusal-template-kind",
                "must be reminder, custom, rescheduled, completed, rating or cancelled",
            )
        })?;
    let sender = s
        .sender
        .as_deref()
        .ok_or_else(|| FieldError::coded(field("sender"), "refusal-required", "is required"))?;
    let sender = HeaderText::parse(&field("sender"), sender)?.as_str().to_owned();
    let message = s
        .message
        .as_ref()
        .ok_or_else(|| FieldError::coded(field("message"), "refusal-required", "is required"))?;
    let subject = message
        .subject
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| FieldError::coded(field("message.subject"), "refusal-required", "is required"))?;
    if subject.chars().count() > 500 {
        return Err(FieldError::coded(
            field("message.subject"),
            "refusal-too-long",
            "must be at most 500 characters",
        )
        .arg("max", 500)
        .into());
    }
    let html = if channel.is_some() {
        // A text message's body is its `text`, kept in the step's one body column.
        let text = message
            .text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                FieldError::coded(
                    field("message.text"),
                    "refusal-required",
                    "is required for a text message",
                )
            })?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(FieldError::coded(
                field("message.text"),
                "refusal-too-long",
                "must be at most 1,600 characters",
            )
            .arg("max", 1600)
            .into());
        }
        text.to_owned()
    } else {
        message.html.as_deref().unwrap_or_default().to_owned()
    };
    let html = if html.trim().is_empty() {
        default_body(template).ok_or_else(|| {
            FieldError::coded(
                field("message.html"),
                "refusal-required",
                "is required for a custom template",
            )
        })?
    } else {
        html
    };
    if html.len() > 100_000 {
        return Err(FieldError::coded(
            field("message.html"),
            "refusal-too-large",
            "must be at most 100,000 bytes",
        )
        .arg("max", 100000)
        .into());
    }
    let (verified_email_id, email) = if action == StepAction::EmailAddress {
        let id = s.verified_email_id.map(VerifiedEmailId).ok_or_else(|| {
            FieldError::coded(
                field("verifiedEmailId"),
                "refusal-required",
                "is required for email_address",
            )
        })?;
        match previous.filter(|p| p.verified_email_id == Some(id)) {
            // Unchanged: keep the address chosen when the step was made, whoever edits it now.
            Some(p) => (Some(id), p.email.clone()),
            None => {
                let found = verified_emails::find(db, ctx.caller_id, id).await?.ok_or_else(|| {
                    FieldError::coded(
                        field("verifiedEmailId"),
                        "refusal-not-verified-email",
                        "is not one of your verified email addresses",
                    )
                })?;
                (Some(id), Some(found.email))
            }
        }
    } else {
        (None, None)
    };
    let (verified_phone_id, phone) = if action.is_to_number() {
        let id = s.verified_phone_id.map(VerifiedPhoneId).ok_or_else(|| {
            FieldError::coded(
                field("verifiedPhoneId"),
                "refusal-required",
                format!("is required for {action}"),
            )
        })?;
        match previous.filter(|p| p.verified_phone_id == Some(id)) {
            // Unchanged: keep the number chosen when the step was made.
            Some(p) => (Some(id), p.phone.clone()),
            None => {
                // A team's workflow texts the team's verified numbers; a personal one its owner's.
                let (found, whose) = match ctx.owner {
                    WorkflowOwner::Team(team) => (
                        verified_phones::find_for_team(db, team, id).await?,
                        "the team's verified phone numbers",
                    ),
                    WorkflowOwner::User(user) => (
                        verified_phones::find_for_user(db, user, id).await?,
                        "your verified phone numbers",
                    ),
                };
                let found = found.ok_or_else(|| {
                    FieldError::coded(
                        field("verifiedPhoneId"),
                        "refusal-not-yours",
                        format!("is not one of {whose}"),
                    )
                })?;
                (Some(id), Some(found.phone_number))
            }
        }
    } else {
        (None, None)
    };
    Ok(StepFields {
        id: s.id.map(WorkflowStepId),
        step_number,
        action,
        recipient,
        template,
        sender_name: sender,
        verified_email_id,
        email,
        verified_phone_id,
        phone,
        include_calendar_event: channel.is_none() && s.include_calendar_event.unwrap_or(false),
        subject: subject.to_owned(),
        html,
    })
}

/// The body used when a step gives none, for the templates that have one.
fn default_body(template: StepTemplate) -> Option<String> {
    let body = match template {
        StepTemplate::Reminder => {
            "<p>Hi {ATTENDEE},</p><p>This is a reminder about {EVENT_NAME} with {ORGANIZER} on {EVENT_DATE} at \
             {EVENT_TIME} ({TIMEZONE}).</p><p>{LOCATION}</p>"
        }
        StepTemplate::Completed => "<p>Hi {ATTENDEE},</p><p>Thank you for attending {EVENT_NAME} with {ORGANIZER}.</p>",
        StepTemplate::Rating => {
            "<p>Hi {ATTENDEE},</p><p>How was {EVENT_NAME} with {ORGANIZER}? Reply to this email to tell us.</p>"
        }
        StepTemplate::Rescheduled => {
            "<p>{EVENT_NAME} with {ORGANIZER} now takes place on {EVENT_DATE} at {EVENT_TIME}.</p>"
        }
        StepTemplate::Cancelled => {
            "<p>{EVENT_NAME} with {ORGANIZER} on {EVENT_DATE} at {EVENT_TIME} was cancelled.</p>"
        }
        StepTemplate::Custom => return None,
    };
    Some(body.to_owned())
}
