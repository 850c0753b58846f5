//! Turning a routing form response into workflow emails, inside the response's own transaction: `formSubmitted`
//! steps go out at once; `formSubmittedNoEvent` steps become outbox rows due at the offset after the response,
//! linked to it, which a booking made from the response cancels ([`booked`]) in the booking's transaction.
//!
//! The variables a form workflow's text may use: `{FORM_NAME}` (also `{EVENT_NAME}`), `{ORGANIZER}` (the form's
//! owner), `{ATTENDEE_NAME}` / `{ATTENDEE_EMAIL}` (the answers to a "name" field and to the first email field),
//! `{EVENT_DATE}` / `{EVENT_TIME}` (when the form was answered, in the reader's zone and language), and each answer
//! by its field's identifier or label in capitals, spaces and `-` as `_` (`{COMPANY_SIZE}`).
//!
//! `sms_attendee` steps text the number given in the form's first phone field (as booking workflows text the
//! attendee's): rows of their own kind in the same outbox, sent through the same Twilio path (`email::sms`). A
//! response without a usable number gets no text.

use super::WorkflowError;
use super::plan::offset;
use super::render::{Facts, Variables, render, render_text};
use crate::email::Mailer;
use crate::email::sms::{Channel, e164};
use crate::time_text::shifted;
use convene_core::email::EmailKind;
use convene_core::{RoutingResponseId, StepAction, TeamId, UserId, WorkflowId, WorkflowTrigger};
use convene_store::outbox::{self, NewEmail};
use convene_store::workflows::{self as store, ReminderScope, WorkflowOwner};
use convene_store::{StoreError, Tx, users};
use jiff::Timestamp;
use serde_json::{Map, Value};

/// What workflows need to know of one response.
pub struct FormFacts<'a> {
    pub form_id: &'a str,
    pub form_name: &'a str,
    pub team_id: Option<TeamId>,
    pub organization_id: Option<TeamId>,
    pub owner_user_id: UserId,
    pub response_id: i64,
    pub submitted_at: Timestamp,
    /// (identifier or label, the answer as shown), in the form's order.
    pub answers: &'a [(String, String)],
    /// The answer to the form's first email field, if it has one and it was answered.
    pub attendee_email: Option<&'a str>,
    /// The answer to the form's first phone field, as typed, if it has one and it was answered.
    pub attendee_phone: Option<&'a str>,
}

/// Queues what the workflows of the form's owner (its team, or its user for a form outside teams) do for a new
/// response. Call inside the response's transaction. Returns how many emails were queued.
pub async fn on_form_response(tx: &mut Tx, mailer: &Mailer, facts: &FormFacts<'_>) -> Result<usize, WorkflowError> {
    let owner = match facts.team_id {
        Some(team) => WorkflowOwner::Team(team),
        None => WorkflowOwner::User(facts.owner_user_id),
    };
    let workflows = store::active_for_form(&mut *tx, owner, facts.form_id).await?;
    if workflows.is_empty() {
        return Ok(0);
    }
    // The owner is a foreign key of the form: always there while the form is.
    let owner_user = users::find(&mut *tx, facts.owner_user_id)
        .await?
        .ok_or(StoreError::NotFound("the routing form's owner"))?;
    let organizer_name = owner_user.name.clone().unwrap_or_else(|| owner_user.username.clone());
    let attendee_name = facts
        .answers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("name"))
        .map_or("", |(_, shown)| shown.as_str());
    let mut answers = Map::new();
    answers.insert("form-name".into(), Value::from(facts.form_name));
    for (key, shown) in facts.answers {
        answers.insert(key.replace(' ', "-"), Value::from(shown.as_str()));
    }
    let ids: Vec<WorkflowId> = workflows.iter().map(|w| w.id).collect();
    let steps = store::steps(&mut *tx, &ids).await?;
    let now = Timestamp::now();
    let mut queued = 0;
    for workflow in &workflows {
        let send_at = match workflow.trigger {
            WorkflowTrigger::FormSubmitted => None,
            WorkflowTrigger::FormSubmittedNoEvent => Some(shifted(facts.submitted_at, offset(workflow))),
            // Not a routing-form workflow's.
            _ => continue,
        };
        for step in steps.iter().filter(|s| s.workflow_id == workflow.id) {
            let vars = || {
                Variables::new(&Facts {
                    event_name: facts.form_name,
                    organizer_name: &organizer_name,
                    organizer_email: &owner_user.email,
                    attendee_name,
                    attendee_email: facts.attendee_email.unwrap_or_default(),
                    start: facts.submitted_at,
                    end: facts.submitted_at,
                    location: None,
                    notes: None,
                    cancel_url: "",
                    reschedule_url: "",
                    answers: &answers,
                    // Nobody's zone is known for the person who answered: the owner's is the form's clock.
                    time_zone: &owner_user.time_zone,
                    twelve_hour: owner_user.time_format == 12,
                    locale: &owner_user.locale,
                })
            };
            if let Some(channel) = Channel::of_step(step.action) {
                // Only the person who answered is texted here; a step to a verified number is not theirs.
                let to_attendee = step.action.is_to_attendee();
                let Some(phone) = facts.attendee_phone.and_then(e164).filter(|_| to_attendee) else {
                    continue;
                };
                let (subject, text) = render_text(&step.subject, &step.html, &vars());
                let row = NewEmail {
                    message_id: mailer.new_message_id(),
                    organization_id: facts.organization_id,
                    team_id: facts.team_id,
                    user_id: Some(facts.owner_user_id),
                    to_email: phone,
                    to_name: Some(attendee_name.to_owned()).filter(|n| !n.is_empty()),
                    subject,
                    body_text: text,
                    not_before: send_at,
                    ..NewEmail::of(channel.kind())
                };
                let id = outbox::enqueue(&mut *tx, &row, now).await?;
                if send_at.is_some() {
                    store::link_form_reminder(&mut *tx, id, workflow.id, RoutingResponseId(facts.response_id)).await?;
                }
                queued += 1;
                continue;
            }
            // (to, replies go to): the person who answered hears back from the owner; an address, from them.
            let (to, reply_to) = match step.action {
                StepAction::EmailAttendee => match facts.attendee_email {
                    Some(address) => (address, (owner_user.email.as_str(), organizer_name.as_str())),
                    None => continue,
                },
                StepAction::EmailAddress => match step.email.as_deref() {
                    Some(address) => (
                        address,
                        facts
                            .attendee_email
                            .map_or((owner_user.email.as_str(), organizer_name.as_str()), |a| {
                                (a, attendee_name)
                            }),
                    ),
                    None => continue,
                },
                _ => continue,
            };
            let rendered = render(&step.subject, &step.html, &vars()).map_err(WorkflowError::Render)?;
            let email = NewEmail {
                message_id: mailer.new_message_id(),
                from_name: Some(step.sender_name.clone()),
                organization_id: facts.organization_id,
                team_id: facts.team_id,
                user_id: Some(facts.owner_user_id),
                to_email: to.to_owned(),
                to_name: Some(
                    if to == facts.attendee_email.unwrap_or_default() && !attendee_name.is_empty() {
                        attendee_name.to_owned()
                    } else {
                        to.to_owned()
                    },
                ),
                reply_to_email: Some(reply_to.0.to_owned()),
                reply_to_name: Some(reply_to.1.to_owned()),
                subject: rendered.subject,
                body_text: rendered.text,
                body_html: rendered.html,
                not_before: send_at,
                ..NewEmail::of(EmailKind::WorkflowEmail)
            };
            let id = outbox::enqueue(&mut *tx, &email, now).await?;
            if send_at.is_some() {
                store::link_form_reminder(&mut *tx, id, workflow.id, RoutingResponseId(facts.response_id)).await?;
            }
            queued += 1;
        }
    }
    Ok(queued)
}

/// A booking was made from response `response_id`: its `formSubmittedNoEvent` emails not sent yet are cancelled.
/// Call inside the booking's transaction.
pub async fn booked(tx: &mut Tx, response_id: i64) -> Result<u64, StoreError> {
    store::cancel_pending(
        &mut *tx,
        ReminderScope::Response(RoutingResponseId(response_id)),
        Timestamp::now(),
    )
    .await
}
