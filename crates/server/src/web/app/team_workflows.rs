//! A team's workflows — event-type ones and routing-form ones — on the personal workflow pages' code
//! ([`super::workflows`]) with the team as the owner. Only whoever manages the team (its ADMINs and OWNERs, and the
//! organization's) gets in; for anyone else, a team member included, the pages do not exist ("not found"), as the
//! team's workflows are not theirs to see. `FORMS` picks the family: `false` event-type workflows under
//! `…/workflows`, `true` routing-form workflows under `…/workflows/routing-form`.

use super::org_access::team_manager;
use super::shell::{Host, HostForm, Refusal, Section};
use super::workflows::{self, ListQuery, Scope};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use convene_core::{TeamId, WorkflowKind};
use convene_store::workflows::WorkflowOwner;

/// The team's scope, when `host` manages it.
async fn scope(state: &AppState, host: &Host, org_id: &str, team_id: &str, forms: bool) -> Result<Scope, Refusal> {
    let access = team_manager(state, host, org_id, team_id).await.map_err(|e| match e {
        Refusal::Forbidden(t) => Refusal::NotFound(t),
        other => other,
    })?;
    let t = host.t;
    let team = access.team_id().0;
    let pages = format!("/settings/organizations/{org_id}/teams/{team}");
    let name = &access.team.name;
    let links = vec![
        ("team-page", pages.clone(), name.clone()),
        (
            "team-event-workflows",
            format!("{pages}/workflows"),
            t.text("app-wf-team-event-workflows"),
        ),
        (
            "team-form-workflows",
            format!("{pages}/workflows/routing-form"),
            t.text("app-wf-team-form-workflows"),
        ),
    ];
    let words = |key: &str| t.text_with(key, &[("team", name.as_str())]);
    Ok(if forms {
        Scope {
            owner: WorkflowOwner::Team(TeamId(team)),
            kind: WorkflowKind::RoutingForm,
            base: format!("{pages}/workflows/routing-form"),
            section: Section::Organization,
            title: words("app-wf-team-forms-title"),
            intro: t.text("app-wf-team-forms-intro"),
            links,
            targets_legend: t.text("app-wf-routing-forms"),
            all_label: t.text("app-wf-all-routing-forms"),
            no_targets: t.text("app-wf-no-routing-forms"),
            make_target: None,
        }
    } else {
        Scope {
            owner: WorkflowOwner::Team(TeamId(team)),
            kind: WorkflowKind::EventType,
            base: format!("{pages}/workflows"),
            section: Section::Organization,
            title: words("app-wf-team-title"),
            intro: t.text("app-wf-team-intro"),
            links,
            targets_legend: t.text("app-wf-event-types"),
            all_label: t.text("app-wf-all-team-event-types"),
            no_targets: t.text("app-wf-no-team-event-types"),
            make_target: Some(format!("{pages}/event-types")),
        }
    })
}

/// `GET {ORG}/teams/{teamId}/workflows[/routing-form]?page=`.
pub async fn list<const FORMS: bool>(
    State(state): State<AppState>,
    Path((org, team)): Path<(String, String)>,
    host: Host,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let scope = scope(&state, &host, &org, &team, FORMS).await?;
    workflows::list_in(&state, &host, scope, query).await
}

/// `GET …/new`.
pub async fn new_page<const FORMS: bool>(
    State(state): State<AppState>,
    Path((org, team)): Path<(String, String)>,
    host: Host,
) -> Result<Response, Refusal> {
    let scope = scope(&state, &host, &org, &team, FORMS).await?;
    workflows::new_in(&state, &host, &scope).await
}

/// `POST {ORG}/teams/{teamId}/workflows[/routing-form]`.
pub async fn create<const FORMS: bool>(
    State(state): State<AppState>,
    Path((org, team)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let scope = scope(&state, &post.host, &org, &team, FORMS).await?;
    workflows::create_in(&state, &post, &scope).await
}

/// `GET …/{id}`: only the team's own.
pub async fn edit_page<const FORMS: bool>(
    State(state): State<AppState>,
    Path((org, team, id)): Path<(String, String, String)>,
    host: Host,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let scope = scope(&state, &host, &org, &team, FORMS).await?;
    workflows::edit_in(&state, &host, &scope, &id, query).await
}

/// `POST …/{id}`.
pub async fn update<const FORMS: bool>(
    State(state): State<AppState>,
    Path((org, team, id)): Path<(String, String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let scope = scope(&state, &post.host, &org, &team, FORMS).await?;
    workflows::update_in(&state, &post, &scope, &id).await
}

/// `POST …/{id}/delete`.
pub async fn delete<const FORMS: bool>(
    State(state): State<AppState>,
    Path((org, team, id)): Path<(String, String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let scope = scope(&state, &post.host, &org, &team, FORMS).await?;
    workflows::delete_in(&post, &state, &scope, &id).await
}
