//! The routing form builder: a new form or one the user may edit — name, description, the off switch, its fields, its
//! ordered routes with their conditions, the fallback — and deleting it. Saving goes through
//! `routing_forms::manage` with the input the API takes, so the page and the API accept and refuse the same
//! things; a refusal shows beside its row with what was typed kept. Who may edit a form is the API's rule
//! ([`form_for`]).

use super::form::Posted;
use super::org_access::refusal;
use super::routing_form_rows::{
    ACTIONS, FIELD_KINDS, NEW_FIELD, OPERATORS, Origins, Rows, SEND_UPDATES_TO, input_of, settings,
};
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::routing_forms::manage::{self, Owner};
use crate::routing_forms::{Form, RoutingFormError};
use crate::state::AppState;
use crate::tenancy::access::{AccessError, OrgAccess, TeamAccess};
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{TeamId, UserId};
use convene_store::routing_forms as store;
use convene_store::{event_types, teams};
use serde::Deserialize;

/// The builder's values outside the rows.
pub(crate) struct Head {
    pub name: String,
    pub description: String,
    pub disabled: bool,
    /// The response email: to the form's owner, and to these addresses (one a line, as typed).
    pub email_owner: bool,
    pub send_updates_to: String,
}

impl Head {
    fn of(form: Option<&Form>) -> Head {
        let Some(form) = form else {
            return Head {
                name: String::new(),
                description: String::new(),
                disabled: false,
                email_owner: true,
                send_updates_to: String::new(),
            };
        };
        let settings = &form.definition.settings;
        Head {
            name: form.record.name.clone(),
            description: form.record.description.clone().unwrap_or_default(),
            disabled: form.record.disabled,
            email_owner: settings.email_owner_on_submission,
            send_updates_to: settings.send_updates_to.join("\n"),
        }
    }
}

#[derive(Template)]
#[template(path = "app/routing_form.html")]
struct EditPage {
    nav: Nav,
    t: Lang,
    /// None for a new form.
    id: Option<String>,
    /// (id, name) of the team a new form is made for.
    new_for: Option<(i64, String)>,
    /// A new form's heading, naming its team if it has one.
    new_title: String,
    head: Head,
    rows: Rows,
    /// A refusal that belongs to no row: (field, message).
    error: Option<(String, String)>,
    notice: Option<String>,
    has_errors: bool,
    /// (value, label) of the questions rules may name: the saved ones by id, and the ones being added by their row
    /// (`new:{row}`), so a question and a route using it need one save.
    rule_fields: Vec<(String, String)>,
    /// (id, title) of the event types routes may lead to.
    event_types: Vec<(String, String)>,
    kinds: Vec<(&'static str, String)>,
    operators: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, String)>,
}

impl EditPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

/// The event types a form's routes may lead to: its team's, else its owner's own.
async fn targets(state: &AppState, user: i64, team: Option<i64>) -> Result<Vec<(String, String)>, Refusal> {
    let found = match team {
        Some(team) => event_types::list_for_team(&state.db, TeamId(team)).await?,
        None => event_types::list_for_owner(&state.db, UserId(user), true).await?,
    };
    Ok(found.into_iter().map(|e| (e.id.to_string(), e.title)).collect())
}

/// A form `host` may edit (`Use::Edit`) or read the responses of (`Use::Read`), by the API's rule
/// (`api/routing_forms.rs`): a team's form is written by the team's (or its organization's) ADMINs and OWNERs and
/// read by its members — its maker included only while they hold such a role; a form outside teams is its
/// maker's (the app's own "new form" makes those) and, inside an organization, also its ADMINs' and OWNERs'.
/// A member without the role is refused (403); anyone outside finds nothing (404), so ids can't be probed.
pub(super) async fn form_for(state: &AppState, host: &Host, id: &str, purpose: Use) -> Result<Form, Refusal> {
    let record = store::find_form(&state.db, id)
        .await?
        .ok_or(Refusal::NotFound(host.t))?;
    // Outsiders of the team or organization are told nothing; members lacking the role are told so.
    let hidden = |e: AccessError| match e {
        AccessError::NotMember
        | AccessError::NotAccepted
        | AccessError::OrganizationNotFound
        | AccessError::TeamNotFound
        | AccessError::NotTeamMember => Refusal::NotFound(host.t),
        other => refusal(host, other),
    };
    if let Some(team) = record.team_id {
        let access = TeamAccess::load(&state.db, &host.user, record.organization_id, team)
            .await
            .map_err(hidden)?;
        match purpose {
            Use::Edit => access.require_manager(),
            Use::Read => access.require_member(),
        }
        .map_err(hidden)?;
    } else if record.user_id != host.id() {
        let org = record.organization_id.ok_or(Refusal::NotFound(host.t))?;
        OrgAccess::load_admin(&state.db, &host.user, org)
            .await
            .map_err(hidden)?;
    }
    Ok(Form::from_record(record))
}

/// What the builder edits: a new form — the user's own, or one for a team they manage — or a saved one.
#[derive(Clone, Copy)]
pub(super) enum Subject<'a> {
    New(Option<&'a TeamAccess>),
    Saved(&'a Form),
}

impl<'a> Subject<'a> {
    fn form(self) -> Option<&'a Form> {
        match self {
            Subject::Saved(form) => Some(form),
            Subject::New(_) => None,
        }
    }
}

/// The team a new form is made for (`?team=` on the page, `team` in its post), when `host` manages it; none
/// asked, none given. A team the user does not manage is not found, so ids can't be probed.
async fn new_for_team(state: &AppState, host: &Host, team: Option<&str>) -> Result<Option<TeamAccess>, Refusal> {
    let Some(team) = team.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let id: i64 = team.parse().map_err(|_| Refusal::NotFound(host.t))?;
    let record = teams::find(&state.db, TeamId(id))
        .await?
        .filter(|t| !t.is_organization)
        .ok_or(Refusal::NotFound(host.t))?;
    let access = TeamAccess::load(&state.db, &host.user, record.parent_id, record.id)
        .await
        .map_err(|_| Refusal::NotFound(host.t))?;
    access.require_manager().map_err(|_| Refusal::NotFound(host.t))?;
    Ok(Some(access))
}

/// What the form is wanted for: the API lets a team's members read what only its managers may write.
#[derive(Clone, Copy)]
pub(super) enum Use {
    Edit,
    Read,
}

#[allow(clippy::too_many_arguments)] // one page's parts, each shown once
async fn editor(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    subject: Subject<'_>,
    head: Head,
    mut rows: Rows,
    error: Option<(String, String)>,
    notice: Option<String>,
) -> Result<Response, Refusal> {
    let error = error.filter(|(field, message)| !rows.place(field, message));
    let t = host.t;
    let labelled = |values: &[&'static str], prefix: &str| -> Vec<(&'static str, String)> {
        values.iter().map(|v| (*v, t.text(&format!("{prefix}{v}")))).collect()
    };
    let has_errors = error.is_some()
        || rows.fields.iter().any(|r| r.error.is_some())
        || rows.fallback.error.is_some()
        || rows
            .routes
            .iter()
            .any(|r| r.error.is_some() || r.rules.iter().any(|k| k.error.is_some()));
    let rule_fields = rows
        .fields
        .iter()
        .map(|f| {
            if !f.id.is_empty() {
                return (f.id.clone(), f.label.clone());
            }
            let label = match f.label.trim() {
                "" => t.text("app-rf-rule-new-field"),
                typed => t.text_with("app-rf-rule-new-labelled", &[("label", typed)]),
            };
            (format!("{NEW_FIELD}{}", f.index), label)
        })
        .collect();
    let (user, team) = match subject {
        Subject::Saved(f) => (f.record.user_id.0, f.record.team_id),
        Subject::New(team) => (host.id().0, team.map(TeamAccess::team_id)),
    };
    let new_for = match subject {
        Subject::New(Some(team)) => Some((team.team_id().0, team.team.name.clone())),
        _ => None,
    };
    let page = EditPage {
        nav: host.nav(state, Section::RoutingForms).await?,
        t,
        id: subject.form().map(|f| f.record.id.clone()),
        new_title: match &new_for {
            Some((_, team)) => t.text_with("app-rf-new-for-team", &[("team", team)]),
            None => t.text("app-rf-new"),
        },
        new_for,
        head,
        rows,
        error,
        notice,
        has_errors,
        rule_fields,
        event_types: targets(state, user, team.map(|id| id.0)).await?,
        kinds: labelled(&FIELD_KINDS, "app-rf-kind-"),
        operators: labelled(&OPERATORS, "app-rf-op-"),
        actions: labelled(&ACTIONS, "app-rf-action-"),
    };
    Ok(render(status, &page))
}

fn head_posted(form: &Posted) -> Head {
    Head {
        name: form.get("name").to_owned(),
        description: form.get("description").to_owned(),
        disabled: form.ticked("disabled"),
        email_owner: form.ticked("emailOwnerOnSubmission"),
        send_updates_to: form.get(SEND_UPDATES_TO).to_owned(),
    }
}

/// Shows the builder again with the refusal beside its row, or fails the page for anything else.
async fn refused(
    state: &AppState,
    host: &Host,
    subject: Subject<'_>,
    posted: &Posted,
    origins: &Origins,
    e: RoutingFormError,
) -> Result<Response, Refusal> {
    match e {
        RoutingFormError::Invalid(e) => {
            let error = Some((origins.own_name(&e.field), host.t.refusal(&e)));
            let rows = Rows::posted(posted);
            editor(
                state,
                host,
                StatusCode::BAD_REQUEST,
                subject,
                head_posted(posted),
                rows,
                error,
                None,
            )
            .await
        }
        RoutingFormError::NotFound => Err(Refusal::NotFound(host.t)),
        other => Err(Refusal::Failed(other.to_string())),
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    team: Option<String>,
}

/// `GET /routing-forms/new[?team=]`: the user's own form, or one for a team they manage.
pub async fn new_page(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NewQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let asked = query.ok().and_then(|Query(q)| q.team);
    let team = new_for_team(&state, &host, asked.as_deref()).await?;
    editor(
        &state,
        &host,
        StatusCode::OK,
        Subject::New(team.as_ref()),
        Head::of(None),
        Rows::of(None),
        None,
        None,
    )
    .await
}

/// Reads the post into the API's input; a row the builder itself cannot read is refused beside it.
async fn read(
    state: &AppState,
    host: &Host,
    subject: Subject<'_>,
    posted: &Posted,
) -> Result<Result<(manage::FormInput, Origins), Response>, Refusal> {
    let rows = Rows::posted(posted);
    let head = head_posted(posted);
    let read = input_of(posted, &rows, subject.form().map(|f| &f.definition), host.t)
        .and_then(|read| Ok((read, settings(head.email_owner, &head.send_updates_to, host.t)?)));
    match read {
        Ok(((mut input, origins), settings)) => {
            input.name = Some(head.name);
            input.description = Some(head.description);
            input.disabled = Some(head.disabled);
            input.settings = Some(settings);
            Ok(Ok((input, origins)))
        }
        Err(e) => {
            let error = Some((e.field.clone(), host.t.refusal(&e)));
            let page = editor(state, host, StatusCode::BAD_REQUEST, subject, head, rows, error, None);
            Ok(Err(page.await?))
        }
    }
}

/// `POST /routing-forms`: a new form of the user's own (inside their organization, if any), or of the team named
/// by `team`, which the user must manage (checked again here: the page's choice is only a hint).
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let team = new_for_team(&state, host, Some(post.form.get("team"))).await?;
    let subject = Subject::New(team.as_ref());
    let (input, origins) = match read(&state, host, subject, &post.form).await? {
        Ok(read) => read,
        Err(page) => return Ok(page),
    };
    let owner = match &team {
        Some(team) => Owner {
            user_id: host.id(),
            team_id: Some(team.team_id()),
            organization_id: team.team.parent_id,
        },
        None => Owner {
            user_id: host.id(),
            team_id: None,
            organization_id: host.user.organization_id,
        },
    };
    match manage::create(&state.db, owner, &input).await {
        Ok(form) => Ok(Redirect::to(&format!("/routing-forms/{}?notice=saved", form.record.id)).into_response()),
        Err(e) => refused(&state, host, subject, &post.form, &origins, e).await,
    }
}

#[derive(Deserialize)]
pub struct EditQuery {
    notice: Option<String>,
}

/// `GET /routing-forms/{id}`: only the user's own.
pub async fn edit_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
    query: Result<Query<EditQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let form = form_for(&state, &host, &id, Use::Edit).await?;
    let notice = query
        .ok()
        .and_then(|Query(q)| q.notice)
        .filter(|n| n == "saved")
        .map(|_| host.t.text("app-rf-saved"));
    let head = Head::of(Some(&form));
    let rows = Rows::of(Some(&form.definition));
    editor(
        &state,
        &host,
        StatusCode::OK,
        Subject::Saved(&form),
        head,
        rows,
        None,
        notice,
    )
    .await
}

/// `POST /routing-forms/{id}`: saves the builder.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let form = form_for(&state, host, &id, Use::Edit).await?;
    let (input, origins) = match read(&state, host, Subject::Saved(&form), &post.form).await? {
        Ok(read) => read,
        Err(page) => return Ok(page),
    };
    match manage::update(&state.db, &form, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/routing-forms/{id}?notice=saved")).into_response()),
        Err(e) => refused(&state, host, Subject::Saved(&form), &post.form, &origins, e).await,
    }
}

/// `POST /routing-forms/{id}/delete`: the form and its responses.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let form = form_for(&state, host, &id, Use::Edit).await?;
    match manage::delete(&state.db, &form).await {
        Ok(()) => Ok(Redirect::to("/routing-forms?notice=deleted").into_response()),
        Err(e) => Err(Refusal::Failed(e.to_string())),
    }
}
