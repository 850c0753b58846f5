//! Storing forms. Cal.com's API has no operation that writes a form; convene's own ones (see `api/routing_forms`)
//! and the host's pages call these.

use super::model::{Action, Definition};
use super::{Form, RoutingFormError};
use crate::credentials::new_uid;
use convene_core::{EventTypeId, FieldError, TeamId, UserId};
use convene_store::routing_forms::{self as store, FormFields, FormScope, ListFilter};
use convene_store::{Db, event_types};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A form as the API writes it; on an update, what is left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i64>,
    pub disabled: Option<bool>,
    /// `[{id, type: text|textarea|number|email|phone|select|multiselect, label, identifier?, required?, options?}]`
    #[schema(value_type = Option<Vec<Object>>)]
    pub fields: Option<Value>,
    /// `[{id, action: {type, eventTypeId | value}, conditions?: {combinator: all|any, rules: [{field, operator,
    /// value}]}, isFallback?}]`
    #[schema(value_type = Option<Vec<Object>>)]
    pub routes: Option<Value>,
    /// `{emailOwnerOnSubmission?, sendUpdatesTo?: [email]}`
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Value>,
}

/// Who a new form belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    pub organization_id: Option<TeamId>,
}

fn fields_of(input: &FormInput, current: Option<&Form>) -> Result<(FormFields, Definition), FieldError> {
    let name = match (&input.name, current) {
        (Some(name), _) => name.trim().to_owned(),
        (None, Some(form)) => form.record.name.clone(),
        (None, None) => return Err(FieldError::coded("name", "refusal-required", "is required")),
    };
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(FieldError::coded(
            "name",
            "refusal-length-plain",
            "must be 1 to 200 characters, without control characters",
        )
        .arg("min", 1)
        .arg("max", 200));
    }
    let description = match (&input.description, current) {
        (Some(d), _) => Some(d.clone()).filter(|d| !d.trim().is_empty()),
        (None, Some(form)) => form.record.description.clone(),
        (None, None) => None,
    };
    if description.as_ref().is_some_and(|d| d.chars().count() > 5_000) {
        return Err(
            FieldError::coded("description", "refusal-too-long", "must be at most 5000 characters").arg("max", 5000),
        );
    }
    let (old_fields, old_routes, old_settings) = current.map(|f| f.definition.to_json()).unwrap_or_default();
    let definition = Definition::parse(
        input.fields.as_ref().unwrap_or(&old_fields),
        input.routes.as_ref().unwrap_or(&old_routes),
        input.settings.as_ref().unwrap_or(&old_settings),
    )?;
    let (fields, routes, settings) = definition.to_json();
    Ok((
        FormFields {
            name,
            description,
            position: input.position.or(current.map(|f| f.record.position)).unwrap_or(0),
            disabled: input.disabled.or(current.map(|f| f.record.disabled)).unwrap_or(false),
            fields: fields.to_string(),
            routes: routes.to_string(),
            settings: settings.to_string(),
        },
        definition,
    ))
}

/// Routes may only lead to event types of the form's owner or of its team.
async fn check_event_types(db: &Db, owner: Owner, definition: &Definition) -> Result<(), RoutingFormError> {
    for (i, route) in definition.routes.iter().enumerate() {
        if let Action::EventType { event_type_id } = route.action {
            let found = event_types::find(db, EventTypeId(event_type_id)).await?;
            let ours = found.is_some_and(|e| match owner.team_id {
                Some(team) => e.team_id == Some(team),
                None => e.owner_id == Some(owner.user_id),
            });
            if !ours {
                return Err(FieldError::coded(
                    format!("routes[{i}].action.eventTypeId"),
                    "refusal-not-your-event-type",
                    "names no event type of the form's owner or team",
                )
                .into());
            }
        }
    }
    Ok(())
}

pub async fn create(db: &Db, owner: Owner, input: &FormInput) -> Result<Form, RoutingFormError> {
    let (fields, definition) = fields_of(input, None)?;
    check_event_types(db, owner, &definition).await?;
    let record = store::insert_form(
        db,
        &new_uid(),
        owner.user_id,
        owner.team_id,
        owner.organization_id,
        &fields,
        Timestamp::now(),
    )
    .await?;
    Ok(Form::from_record(record))
}

pub async fn get(db: &Db, id: &str) -> Result<Form, RoutingFormError> {
    let record = store::find_form(db, id).await?.ok_or(RoutingFormError::NotFound)?;
    Ok(Form::from_record(record))
}

pub async fn update(db: &Db, form: &Form, input: &FormInput) -> Result<Form, RoutingFormError> {
    let (fields, definition) = fields_of(input, Some(form))?;
    let owner = Owner {
        user_id: form.record.user_id,
        team_id: form.record.team_id,
        organization_id: form.record.organization_id,
    };
    check_event_types(db, owner, &definition).await?;
    let record = store::update_form(db, &form.record.id, &fields, Timestamp::now())
        .await?
        .ok_or(RoutingFormError::NotFound)?;
    Ok(Form::from_record(record))
}

pub async fn delete(db: &Db, form: &Form) -> Result<(), RoutingFormError> {
    store::delete_form(db, &form.record.id).await?;
    Ok(())
}

pub async fn list(db: &Db, scope: FormScope, filter: &ListFilter) -> Result<Vec<Form>, RoutingFormError> {
    Ok(store::list_forms(db, scope, filter)
        .await?
        .into_iter()
        .map(Form::from_record)
        .collect())
}
