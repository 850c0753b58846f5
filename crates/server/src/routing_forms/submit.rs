//! Taking a response: its answers are checked, its route chosen, and in one transaction it is stored with the
//! FORM_SUBMITTED webhooks and the response emails, and its FORM_SUBMITTED_NO_EVENT planned as a due time on the
//! row. A booking made from it records itself on the row ([`link_booking`]), which calls that notice off.

use super::model::{Action, Answers, Route};
use super::{Form, NO_EVENT_AFTER_MS, RoutingFormError};
use crate::email::Mailer;
use crate::email::queue::{FormResponseFacts, form_response_emails};
use crate::time_text::{shifted, utc_iso};
use crate::webhooks::{Trigger, enqueue_form_event};
use crate::workflows::form_plan::{FormFacts, booked, on_form_response};
use convene_core::{EventTypeId, RoutingResponseId};
use convene_store::routing_forms::{self as store, NewResponse, ResponseRecord};
use convene_store::{Db, StoreError, Tx, event_types, teams, users};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

/// Where a response sends the visitor.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// The event type's booker, at `path` (site-relative, answers prefilled, the response id carried along).
    EventType {
        event_type_id: EventTypeId,
        title: String,
        path: String,
    },
    ExternalUrl(String),
    Message(String),
    /// No route matched and the form has no fallback.
    Nothing,
}

/// A stored response and where it leads.
#[derive(Debug, Clone)]
pub struct Submission {
    pub response: ResponseRecord,
    pub destination: Destination,
}

/// What the answers would do, without storing anything (calculate-slots).
#[derive(Debug, Clone)]
pub struct Routed {
    pub answers: Answers,
    pub route: Option<Route>,
}

pub fn route(form: &Form, raw: &Map<String, Value>) -> Result<Routed, RoutingFormError> {
    let answers = form.definition.answers(raw)?;
    let route = form.definition.route(&answers).cloned();
    Ok(Routed { answers, route })
}

/// The booker of an event type, relative to the site: `/{username}/{slug}` or `/team/{slug}/{slug}`.
async fn booker_path(tx: &mut Tx, event_type_id: EventTypeId) -> Result<Option<(String, String)>, StoreError> {
    let Some(event) = event_types::find(&mut *tx, event_type_id).await? else {
        return Ok(None);
    };
    let base = match (event.team_id, event.owner_id) {
        (Some(team), _) => teams::find(&mut *tx, team)
            .await?
            .map(|t| t.slug)
            .map(|slug| format!("/team/{slug}")),
        (None, Some(owner)) => users::find(&mut *tx, owner).await?.map(|u| format!("/{}", u.username)),
        (None, None) => None,
    };
    Ok(base.map(|base| (format!("{base}/{}", event.slug), event.title)))
}

fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

/// Stores a response to `form` and queues what it causes. `filler_id` names the visitor (a new one when absent).
pub async fn submit(
    db: &Db,
    mailer: &Mailer,
    form: &Form,
    raw: &Map<String, Value>,
    filler_id: Option<&str>,
) -> Result<Submission, RoutingFormError> {
    if form.record.disabled {
        return Err(RoutingFormError::Disabled);
    }
    let Routed { answers, route } = route(form, raw)?;
    let now = Timestamp::now();
    let filler = filler_id.map_or_else(crate::credentials::new_uid, str::to_owned);
    let response_json = form.definition.response_json(&answers).to_string();
    let routed_event_type_id = match route.as_ref().map(|r| &r.action) {
        Some(Action::EventType { event_type_id }) => Some(*event_type_id),
        _ => None,
    };
    let mut tx = db.begin().await?;
    let booker = match routed_event_type_id {
        Some(id) => booker_path(&mut tx, EventTypeId(id)).await?,
        None => None,
    };
    let response = store::insert_response(
        &mut tx,
        &NewResponse {
            form_id: &form.record.id,
            form_filler_id: &filler,
            response: &response_json,
            route_id: route.as_ref().map(|r| r.id.as_str()),
            route_action: route.as_ref().map(|r| r.action.type_name()),
            // An event type deleted since the form was saved: the response is stored, not linked to it.
            routed_event_type_id: routed_event_type_id.filter(|_| booker.is_some()).map(EventTypeId),
            no_event_due_at: Some(shifted(now, SignedDuration::from_millis(NO_EVENT_AFTER_MS))),
        },
        now,
    )
    .await?;
    let destination = match (route.as_ref().map(|r| &r.action), booker) {
        (Some(Action::EventType { event_type_id }), Some((path, title))) => {
            let mut prefill = form.definition.prefill(&answers);
            prefill.push(("routingFormResponseId".to_owned(), response.id.to_string()));
            Destination::EventType {
                event_type_id: EventTypeId(*event_type_id),
                title,
                path: with_query(&path, &prefill),
            }
        }
        (Some(Action::ExternalUrl { value }), _) => Destination::ExternalUrl(value.clone()),
        (Some(Action::Message { value }), _) => Destination::Message(value.clone()),
        _ => Destination::Nothing,
    };
    let payload = webhook_payload(form, &response, &answers);
    enqueue_form_event(&mut tx, form.record.user_id, Trigger::FormSubmitted, &payload)
        .await
        .map_err(RoutingFormError::Webhook)?;
    queue_emails(&mut tx, mailer, form, &answers, &destination).await?;
    run_workflows(&mut tx, mailer, form, &answers, &response).await?;
    tx.commit().await?;
    Ok(Submission { response, destination })
}

async fn queue_emails(
    tx: &mut Tx,
    mailer: &Mailer,
    form: &Form,
    answers: &Answers,
    destination: &Destination,
) -> Result<usize, RoutingFormError> {
    let settings = &form.definition.settings;
    let owner = users::find(&mut *tx, form.record.user_id).await?;
    let locale = owner.as_ref().map_or_else(|| "en".to_owned(), |o| o.locale.clone());
    let mut recipients = Vec::new();
    if settings.email_owner_on_submission
        && let Some(owner) = &owner
    {
        recipients.push((owner.email.clone(), owner.name.clone(), owner.locale.clone()));
    }
    for address in &settings.send_updates_to {
        if !recipients.iter().any(|(a, _, _)| a.eq_ignore_ascii_case(address)) {
            recipients.push((address.clone(), None, locale.clone()));
        }
    }
    if recipients.is_empty() {
        return Ok(0);
    }
    let rows = form.definition.readable(answers);
    let routed_to = match destination {
        Destination::EventType { title, .. } => Some(title.as_str()),
        Destination::ExternalUrl(url) => Some(url.as_str()),
        Destination::Message(text) => Some(text.as_str()),
        Destination::Nothing => None,
    };
    // Replies reach the visitor when the form asked for an email address.
    let reply_to = first_email(form, answers);
    let facts = FormResponseFacts {
        form_name: &form.record.name,
        organization_id: form.record.organization_id,
        team_id: form.record.team_id,
        owner_user_id: form.record.user_id,
        answers: &rows,
        routed_to,
        reply_to,
    };
    form_response_emails(tx, mailer, &facts, &recipients)
        .await
        .map_err(RoutingFormError::Email)
}

/// Runs the routing-form workflows active on `form` for a new response.
async fn run_workflows(
    tx: &mut Tx,
    mailer: &Mailer,
    form: &Form,
    answers: &Answers,
    response: &ResponseRecord,
) -> Result<usize, RoutingFormError> {
    let shown = form.definition.readable(answers);
    // Every field is a variable; one left unanswered reads as nothing rather than as its `{NAME}`.
    let keyed: Vec<(String, String)> = form
        .definition
        .fields
        .iter()
        .map(|f| {
            let text = shown
                .iter()
                .find(|(label, _)| *label == f.label)
                .map(|(_, text)| text.clone())
                .unwrap_or_default();
            (f.identifier.clone().unwrap_or_else(|| f.label.clone()), text)
        })
        .collect();
    let facts = FormFacts {
        form_id: &form.record.id,
        form_name: &form.record.name,
        team_id: form.record.team_id,
        organization_id: form.record.organization_id,
        owner_user_id: form.record.user_id,
        response_id: response.id.0,
        submitted_at: response.created_at,
        answers: &keyed,
        attendee_email: first_email(form, answers),
        attendee_phone: first_answer(form, answers, super::model::FieldKind::Phone),
    };
    on_form_response(tx, mailer, &facts)
        .await
        .map_err(RoutingFormError::Workflow)
}

/// The answer to the form's first email field.
fn first_email<'a>(form: &Form, answers: &'a Answers) -> Option<&'a str> {
    first_answer(form, answers, super::model::FieldKind::Email)
}

/// The answer to the form's first field of `kind` that was answered.
fn first_answer<'a>(form: &Form, answers: &'a Answers, kind: super::model::FieldKind) -> Option<&'a str> {
    form.definition
        .fields
        .iter()
        .filter(|f| f.kind == kind)
        .find_map(|f| match answers.0.get(&f.id) {
            Some(super::model::Answer::Text(address)) => Some(address.as_str()),
            _ => None,
        })
}

/// The body of FORM_SUBMITTED and FORM_SUBMITTED_NO_EVENT: the form, the response, and the answers by label
/// (`{label: {value, response}}`, as Cal.com sends them).
pub(super) fn webhook_payload(form: &Form, response: &ResponseRecord, answers: &Answers) -> Map<String, Value> {
    let stored = form.definition.response_json(answers);
    let mut by_label = Map::new();
    for (label, shown) in form.definition.readable(answers) {
        let raw = form
            .definition
            .fields
            .iter()
            .find(|f| f.label == label)
            .and_then(|f| stored.get(&f.id))
            .and_then(|entry| entry.get("value").cloned())
            .unwrap_or(Value::Null);
        by_label.insert(label, json!({"value": raw, "response": shown}));
    }
    let mut payload = Map::new();
    payload.insert("formId".into(), Value::from(form.record.id.clone()));
    payload.insert("formName".into(), Value::from(form.record.name.clone()));
    payload.insert("teamId".into(), json!(form.record.team_id));
    payload.insert("responseId".into(), Value::from(response.id.0));
    payload.insert("routedToBookingUid".into(), json!(response.routed_to_booking_uid));
    payload.insert("submittedAt".into(), Value::from(utc_iso(response.created_at)));
    payload.insert("responses".into(), Value::Object(by_label));
    payload
}

/// Records that `booking_uid` (of `event_type_id`) was booked from response `response_id` — the route taken stays
/// on the response — and calls off its FORM_SUBMITTED_NO_EVENT and its `formSubmittedNoEvent` workflow emails. Call
/// inside the booking's transaction. A response
/// that is unknown, already booked or routed to another event type is left alone: the booking stands either way.
pub async fn link_booking(
    tx: &mut Tx,
    response_id: i64,
    booking_uid: &str,
    event_type_id: EventTypeId,
) -> Result<bool, StoreError> {
    let linked = store::link_booking(
        tx,
        RoutingResponseId(response_id),
        booking_uid,
        event_type_id,
        Timestamp::now(),
    )
    .await?;
    if linked {
        booked(tx, response_id).await?;
    }
    Ok(linked)
}

/// Replaces a response's answers (the route it took stays as recorded).
pub async fn update_answers(
    db: &Db,
    form: &Form,
    response_id: i64,
    raw: &Map<String, Value>,
) -> Result<ResponseRecord, RoutingFormError> {
    let current = store::find_response(db, RoutingResponseId(response_id))
        .await?
        .filter(|r| r.form_id == form.record.id)
        .ok_or(RoutingFormError::ResponseNotFound)?;
    // Answers not sent keep their stored values; the merged set is checked as a whole.
    let stored: Value = serde_json::from_str(&current.response).unwrap_or(Value::Null);
    let mut merged = Map::new();
    for field in &form.definition.fields {
        if let Some(value) = stored.get(&field.id).and_then(|e| e.get("value")) {
            merged.insert(field.id.clone(), value.clone());
        }
    }
    for (key, value) in raw {
        // A key may be a field's id, identifier or label; it replaces the stored answer of that field.
        if let Some(field) = form
            .definition
            .fields
            .iter()
            .find(|f| f.id == *key || f.identifier.as_deref() == Some(key.as_str()) || f.label == *key)
        {
            merged.insert(field.id.clone(), value.clone());
        }
    }
    let answers = form.definition.answers(&merged)?;
    let json = form.definition.response_json(&answers).to_string();
    store::update_answers(db, RoutingResponseId(response_id), &json, Timestamp::now())
        .await?
        .ok_or(RoutingFormError::ResponseNotFound)
}
