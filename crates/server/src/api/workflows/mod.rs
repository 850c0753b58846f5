//! `/v2/organizations/{orgId}/teams/{teamId}/workflows`: a team's event-type workflows (reminders and notices
//! around its bookings). Members of the team (and the organization's admins) read them; the team's or the
//! organization's ADMINs and OWNERs change them.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use crate::email::sms::{Channel, Channels};
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::time_text::utc_iso;
use crate::workflows::input::{Context, WorkflowInput};
use crate::workflows::manage::{self, Workflow};
use axum::extract::State;
use axum::response::Response;
use convene_core::WorkflowKind;
use convene_store::teams::TeamRecord;
use convene_store::workflows::{WorkflowOwner, WorkflowRecord};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

mod routing_form;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workflows, create_workflow))
        .routes(routes!(get_workflow, update_workflow, delete_workflow))
        .merge(routing_form::router())
}

/// `EventTypeWorkflowOutput`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowOutput {
    id: i64,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<i64>,
    created_at: String,
    updated_at: String,
    #[serde(rename = "type")]
    kind: &'static str,
    activation: ActivationOutput,
    trigger: TriggerOutput,
    steps: Vec<StepOutput>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ActivationOutput {
    is_active_on_all_event_types: bool,
    active_on_event_type_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TriggerOutput {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<OffsetOutput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct OffsetOutput {
    value: i64,
    unit: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct StepOutput {
    id: i64,
    step_number: i64,
    recipient: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// The verified number of an sms_number / whatsapp_number step.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    template: &'static str,
    include_calendar_event: bool,
    sender: String,
    message: MessageOutput,
    action: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MessageOutput {
    subject: String,
    /// The body of an email step.
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    /// The body of a text-message (SMS, WhatsApp) step.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

impl From<&Workflow> for WorkflowOutput {
    fn from(w: &Workflow) -> Self {
        let r = &w.record;
        WorkflowOutput {
            id: r.id.0,
            name: r.name.clone(),
            user_id: r.user_id.map(|id| id.0),
            team_id: r.team_id.map(|id| id.0),
            created_at: utc_iso(r.created_at),
            updated_at: utc_iso(r.updated_at),
            kind: "event-type",
            activation: ActivationOutput {
                is_active_on_all_event_types: r.active_on_all,
                active_on_event_type_ids: w.event_type_ids.iter().map(|id| id.0).collect(),
            },
            trigger: trigger_output(r),
            steps: steps_output(w),
        }
    }
}

/// The trigger as stored: its type and, for the timed ones, the offset.
pub(super) fn trigger_output(r: &WorkflowRecord) -> TriggerOutput {
    TriggerOutput {
        kind: r.trigger.as_str(),
        offset: match (r.offset_value, r.offset_unit) {
            (Some(value), Some(unit)) => Some(OffsetOutput {
                value,
                unit: unit.as_str(),
            }),
            _ => None,
        },
    }
}

pub(super) fn steps_output(w: &Workflow) -> Vec<StepOutput> {
    w.steps
        .iter()
        .map(|s| StepOutput {
            id: s.id.0,
            step_number: s.step_number,
            recipient: s.recipient.as_str(),
            email: s.email.clone(),
            phone: s.phone.clone(),
            template: s.template.as_str(),
            include_calendar_event: s.include_calendar_event,
            sender: s.sender_name.clone(),
            message: {
                let text = Channel::of_step(s.action).is_some();
                MessageOutput {
                    subject: s.subject.clone(),
                    html: (!text).then(|| s.html.clone()),
                    text: text.then(|| s.html.clone()),
                }
            },
            action: s.action.as_str(),
        })
        .collect()
}

/// The team named by the path, once the caller may read it (`manage`: may change its workflows).
pub(super) async fn team_for(
    state: &AppState,
    caller: &ApiUser,
    ids: &PathIds,
    manage: bool,
) -> Result<TeamRecord, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let team = access.team(&state.db, ids.id("teamId")?).await?;
    let role = access.team_role(&state.db, &caller.user, &team).await?;
    match role {
        Some(role) if !manage || role.can_manage() => Ok(team),
        Some(_) => Err(ApiError::forbidden(
            "This requires the ADMIN or OWNER role in the organization or the team",
        )),
        None => Err(ApiError::forbidden("Only members of the team may see its workflows")),
    }
}

pub(super) fn context(state: &AppState, team: &TeamRecord, caller: &ApiUser) -> Context {
    Context {
        owner: WorkflowOwner::Team(team.id),
        caller_id: caller.id(),
        texts: Channels::of(state.mailer.settings.sms.as_ref()),
    }
}

/// Get the team's workflows (team members; organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows", tag = "Orgs / Teams / Workflows",
    security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<WorkflowOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_workflows(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, false).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = manage::list(
        &state.db,
        WorkflowOwner::Team(team.id),
        WorkflowKind::EventType,
        paging.skip,
        paging.take,
    )
    .await?;
    Ok(envelope::ok(list.iter().map(WorkflowOutput::from).collect::<Vec<_>>()))
}

/// Create a workflow (team or organization ADMIN/OWNER). Its reminders are planned for the bookings already
/// ahead. Text-message actions need the instance's SMS provider (Twilio) configured.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows", tag = "Orgs / Teams / Workflows",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("teamId" = i64, Path)), request_body = WorkflowInput,
    responses((status = 201, body = Envelope<WorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_workflow(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<WorkflowInput>,
) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, true).await?;
    let workflow = manage::create(&state.db, &state.mailer, &context(&state, &team, &caller), &input).await?;
    Ok(envelope::created(WorkflowOutput::from(&workflow)))
}

/// Get a workflow (team members; organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("workflowId" = i64, Path)),
    responses((status = 200, body = Envelope<WorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_workflow(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, false).await?;
    let workflow = manage::get(
        &state.db,
        WorkflowOwner::Team(team.id),
        WorkflowKind::EventType,
        ids.id("workflowId")?,
    )
    .await?;
    Ok(envelope::ok(WorkflowOutput::from(&workflow)))
}

/// Update a workflow (team or organization ADMIN/OWNER): fields left out keep their values; steps with an `id`
/// are updated, without one added, and steps not listed removed. Pending reminders are planned again.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("workflowId" = i64, Path)), request_body = WorkflowInput,
    responses((status = 200, body = Envelope<WorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_workflow(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<WorkflowInput>,
) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, true).await?;
    let id = ids.id("workflowId")?;
    let workflow = manage::update(&state.db, &state.mailer, &context(&state, &team, &caller), id, &input).await?;
    Ok(envelope::ok(WorkflowOutput::from(&workflow)))
}

/// Delete a workflow (team or organization ADMIN/OWNER); what it planned and did not send yet is cancelled.
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("workflowId" = i64, Path)),
    responses((status = 200, body = Envelope<WorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_workflow(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, true).await?;
    let id = ids.id("workflowId")?;
    let workflow = manage::delete(&state.db, WorkflowOwner::Team(team.id), WorkflowKind::EventType, id).await?;
    Ok(envelope::ok(WorkflowOutput::from(&workflow)))
}
