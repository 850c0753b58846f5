//! `/v2/organizations/{orgId}/teams/{teamId}/workflows/routing-form` and `…/workflows/{workflowId}/routing-form`:
//! a team's routing-form workflows (emails when one of its forms is answered, or when no booking followed). The
//! same roles as event-type workflows: members read, the team's or organization's ADMINs and OWNERs change.

use super::{StepOutput, TriggerOutput, context, steps_output, team_for, trigger_output};
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, Paging, PathIds, QueryPairs};
use crate::state::AppState;
use crate::time_text::utc_iso;
use crate::workflows::form_input::FormWorkflowInput;
use crate::workflows::manage::{self, Workflow};
use axum::extract::State;
use axum::response::Response;
use convene_core::WorkflowKind;
use convene_store::workflows::WorkflowOwner;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_form_workflows, create_form_workflow))
        .routes(routes!(get_form_workflow, update_form_workflow, delete_form_workflow))
}

/// `RoutingFormWorkflowOutput`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FormWorkflowOutput {
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
    activation: FormActivationOutput,
    trigger: TriggerOutput,
    steps: Vec<StepOutput>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct FormActivationOutput {
    is_active_on_all_routing_forms: bool,
    active_on_routing_form_ids: Vec<String>,
}

impl From<&Workflow> for FormWorkflowOutput {
    fn from(w: &Workflow) -> Self {
        let r = &w.record;
        FormWorkflowOutput {
            id: r.id.0,
            name: r.name.clone(),
            user_id: r.user_id.map(|id| id.0),
            team_id: r.team_id.map(|id| id.0),
            created_at: utc_iso(r.created_at),
            updated_at: utc_iso(r.updated_at),
            kind: "routing-form",
            activation: FormActivationOutput {
                is_active_on_all_routing_forms: r.active_on_all,
                active_on_routing_form_ids: w.form_ids.clone(),
            },
            trigger: trigger_output(r),
            steps: steps_output(w),
        }
    }
}

/// Get the team's routing-form workflows (team members; organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/routing-form",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<FormWorkflowOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_form_workflows(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, false).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let owner = WorkflowOwner::Team(team.id);
    let list = manage::list(&state.db, owner, WorkflowKind::RoutingForm, paging.skip, paging.take).await?;
    Ok(envelope::ok(
        list.iter().map(FormWorkflowOutput::from).collect::<Vec<_>>(),
    ))
}

/// Create a routing-form workflow (team or organization ADMIN/OWNER): `formSubmitted` emails go out with each
/// response to the team's forms it is active on; `formSubmittedNoEvent` ones the offset later, unless a booking
/// was made from the response first.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/routing-form",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])), params(("orgId" = i64, Path), ("teamId" = i64, Path)),
    request_body = FormWorkflowInput, responses((status = 201, body = Envelope<FormWorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_form_workflow(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<FormWorkflowInput>,
) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, true).await?;
    let workflow = manage::create_form(&state.db, &context(&state, &team, &caller), &input).await?;
    Ok(envelope::created(FormWorkflowOutput::from(&workflow)))
}

/// Get a routing-form workflow (team members; organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}/routing-form",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("workflowId" = i64, Path)),
    responses((status = 200, body = Envelope<FormWorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_form_workflow(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, false).await?;
    let id = ids.id("workflowId")?;
    let workflow = manage::get(&state.db, WorkflowOwner::Team(team.id), WorkflowKind::RoutingForm, id).await?;
    Ok(envelope::ok(FormWorkflowOutput::from(&workflow)))
}

/// Update a routing-form workflow (team or organization ADMIN/OWNER): fields left out keep their values; steps
/// with an `id` are updated, without one added, and steps not listed removed. Emails already planned for past
/// responses stay as they were.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}/routing-form",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("workflowId" = i64, Path)),
    request_body = FormWorkflowInput, responses((status = 200, body = Envelope<FormWorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_form_workflow(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<FormWorkflowInput>,
) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, true).await?;
    let id = ids.id("workflowId")?;
    let workflow = manage::update_form(&state.db, &context(&state, &team, &caller), id, &input).await?;
    Ok(envelope::ok(FormWorkflowOutput::from(&workflow)))
}

/// Delete a routing-form workflow (team or organization ADMIN/OWNER); what it planned and did not send yet is
/// cancelled.
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}/routing-form",
    tag = "Orgs / Teams / Workflows", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("workflowId" = i64, Path)),
    responses((status = 200, body = Envelope<FormWorkflowOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_form_workflow(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let team = team_for(&state, &caller, &ids, true).await?;
    let id = ids.id("workflowId")?;
    let workflow = manage::delete(&state.db, WorkflowOwner::Team(team.id), WorkflowKind::RoutingForm, id).await?;
    Ok(envelope::ok(FormWorkflowOutput::from(&workflow)))
}
