//! Workflows: the user's personal workflows (reminders and notices around the bookings of their own event types),
//! listed a page at a time, and the editor of one — trigger, offset, event types, and steps with their template,
//! subject and body, beside the list of variables the text may use. Saving goes through `workflows::manage` with
//! the input the API takes (`WorkflowInput`, or `FormWorkflowInput` for routing-form workflows), so the page and
//! the API accept and refuse the same things; a refusal shows beside its field with what was typed kept.
//!
//! The same pages serve a team's workflows (`team_workflows` checks who may see them): a [`Scope`] says whose
//! workflows they are, which family, and where the pages live.

use super::form::Posted;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use super::workflow_verified::Verified;
use crate::email::sms::{Channel, Channels};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use crate::workflows::WorkflowError;
use crate::workflows::form_input::{FormActivationInput, FormWorkflowInput};
use crate::workflows::input::{
    ActivationInput, Context, MessageInput, OffsetInput, StepInput, TriggerInput, WorkflowInput,
};
use crate::workflows::manage::{self, Workflow};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{OffsetUnit, StepAction, StepTemplate, WorkflowId, WorkflowKind, WorkflowTrigger};
use convene_store::event_types;
use convene_store::routing_forms::{self as forms, FormScope, ListFilter};
use convene_store::workflows::WorkflowOwner;
use serde::Deserialize;
use serde_json::Value;

const PAGE_SIZE: i64 = 20;
/// Text actions go to the attendee's number, or to one of the owner's verified numbers; `email_address` to one of
/// the verified addresses (each step offers the choice, `workflow_verified`).
const ACTIONS: [StepAction; 7] = [
    StepAction::EmailAttendee,
    StepAction::EmailHost,
    StepAction::EmailAddress,
    StepAction::SmsAttendee,
    StepAction::SmsNumber,
    StepAction::WhatsappAttendee,
    StepAction::WhatsappNumber,
];
/// Routing-form workflows have no host to write to, and the API takes no WhatsApp action for them
/// (`workflows::form_input`); `sms_attendee` texts the number given in the form's phone field.
const FORM_ACTIONS: [StepAction; 3] = [
    StepAction::EmailAttendee,
    StepAction::EmailAddress,
    StepAction::SmsAttendee,
];
/// At most this many event types or forms are offered to choose from.
const MAX_TARGETS: i64 = 500;
/// The variables the help list explains, each with its message id.
const VARIABLES: [(&str, &str); 14] = [
    ("EVENT_NAME", "app-wf-var-event-name"),
    ("EVENT_DATE", "app-wf-var-event-date"),
    ("EVENT_TIME", "app-wf-var-event-time"),
    ("EVENT_END_TIME", "app-wf-var-event-end-time"),
    ("TIMEZONE", "app-wf-var-timezone"),
    ("ORGANIZER", "app-wf-var-organizer"),
    ("ATTENDEE", "app-wf-var-attendee"),
    ("ATTENDEE_EMAIL", "app-wf-var-attendee-email"),
    ("LOCATION", "app-wf-var-location"),
    ("MEETING_URL", "app-wf-var-meeting-url"),
    ("ADDITIONAL_NOTES", "app-wf-var-notes"),
    ("CANCEL_URL", "app-wf-var-cancel-url"),
    ("RESCHEDULE_URL", "app-wf-var-reschedule-url"),
    ("EVENT_DATE_ddd, MMM D", "app-wf-var-custom-date"),
];

/// Whose workflows a page shows, of which family, and where its pages live.
#[derive(Clone)]
pub(crate) struct Scope {
    pub owner: WorkflowOwner,
    pub kind: WorkflowKind,
    /// The list's address; a workflow's page is `{base}/{id}`.
    pub base: String,
    pub section: Section,
    /// The heading of the list: the personal title, or the team's.
    pub title: String,
    pub intro: String,
    /// Links to the team's other pages: (id, href, label).
    pub links: Vec<(&'static str, String, String)>,
    /// The editor's words for what a workflow acts on: the legend, the "all" box, the text when there is nothing,
    /// and where to make one.
    pub targets_legend: String,
    pub all_label: String,
    pub no_targets: String,
    pub make_target: Option<String>,
}

impl Scope {
    /// The user's own event-type workflows.
    fn personal(host: &Host) -> Scope {
        Scope {
            owner: WorkflowOwner::User(host.id()),
            kind: WorkflowKind::EventType,
            base: "/workflows".into(),
            section: Section::Workflows,
            title: host.t.text("app-wf-title"),
            intro: host.t.text("app-wf-intro"),
            links: Vec::new(),
            targets_legend: host.t.text("app-wf-event-types"),
            all_label: host.t.text("app-wf-all-event-types"),
            no_targets: host.t.text("app-wf-no-event-types"),
            make_target: Some("/event-types/new".into()),
        }
    }

    pub(super) fn forms(&self) -> bool {
        self.kind == WorkflowKind::RoutingForm
    }

    /// The id prefix of the checkboxes choosing what the workflow acts on.
    fn target_id(&self) -> &'static str {
        if self.forms() { "form" } else { "event-type" }
    }

    fn target_name(&self) -> &'static str {
        target_name(self)
    }
}

/// The variables of routing-form workflows (`workflows::form_plan`).
const FORM_VARIABLES: [(&str, &str); 7] = [
    ("FORM_NAME", "app-wf-var-form-name"),
    ("ORGANIZER", "app-wf-var-form-owner"),
    ("ATTENDEE_NAME", "app-wf-var-form-attendee"),
    ("ATTENDEE_EMAIL", "app-wf-var-form-attendee-email"),
    ("EVENT_DATE", "app-wf-var-form-date"),
    ("EVENT_TIME", "app-wf-var-form-time"),
    ("COMPANY_SIZE", "app-wf-var-form-answer"),
];

pub(crate) struct Row {
    pub id: i64,
    pub name: String,
    pub trigger: String,
    /// "2 steps", in the page's language.
    pub steps: String,
}

#[derive(Template)]
#[template(path = "app/workflows.html")]
struct ListPage {
    nav: Nav,
    t: Lang,
    scope: Scope,
    rows: Vec<Row>,
    page: i64,
    more: bool,
    notice: Option<String>,
}

/// One step of the editor (stored, as posted, or the blank one to add).
pub(crate) struct StepForm {
    pub index: usize,
    pub id: String,
    pub action: String,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub ics: bool,
    /// Ticked for removal (kept ticked when the page comes back refused).
    pub removed: bool,
    /// The verified address and number chosen (ids as posted; empty for none).
    pub email_id: String,
    pub phone_id: String,
    pub error: Option<String>,
    /// A refusal of the chosen address or number, shown beside its choice.
    pub email_error: Option<String>,
    pub phone_error: Option<String>,
    /// "Step 2", or "Add a step" for the blank one.
    pub legend: String,
}

impl StepForm {
    /// Whether the step goes to the service: not the blank row to add one, nor one ticked for removal. The
    /// service numbers steps as sent, so its refusals are placed by the same count.
    fn is_sent(&self) -> bool {
        !self.subject.trim().is_empty() && !self.removed
    }
}

/// The editor's values.
pub(crate) struct Fields {
    pub name: String,
    pub trigger: String,
    pub offset: String,
    pub unit: String,
    pub all: bool,
    /// What the workflow may act on — the owner's event types, or the team's routing forms: (id, title, chosen).
    pub targets: Vec<(String, String, bool)>,
    pub steps: Vec<StepForm>,
}

#[derive(Template)]
#[template(path = "app/workflow.html")]
struct EditPage {
    nav: Nav,
    t: Lang,
    scope: Scope,
    /// None for a new workflow.
    id: Option<i64>,
    f: Fields,
    /// A refusal of a field outside the steps: (field, message).
    error: Option<(String, String)>,
    notice: Option<String>,
    has_errors: bool,
    /// (value, label) of each choice, labels in the page's language.
    triggers: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, String)>,
    templates: Vec<(&'static str, String)>,
    units: Vec<(&'static str, String)>,
    /// (`{VARIABLE}`, what it stands for).
    variables: Vec<(String, String)>,
    /// Why text steps would be refused here: no SMS provider on this server. None when texts can be sent.
    texts_missing: Option<String>,
    /// The owner's verified addresses and numbers the steps may choose.
    verified: Verified,
}

impl EditPage {
    /// The message for `field` (or any field under it), if the refusal is about it.
    fn error_of(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field || f.starts_with(&format!("{field}.")) || f.starts_with(&format!("{field}[")))
            .map(|(_, m)| m.as_str())
    }
}

fn blank_step(index: usize) -> StepForm {
    StepForm {
        index,
        id: String::new(),
        action: "email_attendee".into(),
        template: "reminder".into(),
        subject: String::new(),
        body: String::new(),
        ics: false,
        removed: false,
        email_id: String::new(),
        phone_id: String::new(),
        error: None,
        email_error: None,
        phone_error: None,
        legend: String::new(),
    }
}

/// The owner's event types, or (routing-form workflows) the owner's forms, with those in `chosen` ticked.
async fn targets(state: &AppState, scope: &Scope, chosen: &[String]) -> Result<Vec<(String, String, bool)>, Refusal> {
    let found: Vec<(String, String)> = match (scope.kind, scope.owner) {
        (WorkflowKind::EventType, WorkflowOwner::User(user)) => event_types::list_for_owner(&state.db, user, true)
            .await?
            .into_iter()
            .map(|e| (e.id.to_string(), e.title))
            .collect(),
        (WorkflowKind::EventType, WorkflowOwner::Team(team)) => event_types::list_for_team(&state.db, team)
            .await?
            .into_iter()
            .map(|e| (e.id.to_string(), e.title))
            .collect(),
        (WorkflowKind::RoutingForm, owner) => {
            let scope = match owner {
                WorkflowOwner::Team(team) => FormScope::Team(team),
                WorkflowOwner::User(user) => FormScope::User(user),
            };
            let filter = ListFilter {
                take: MAX_TARGETS,
                ..ListFilter::default()
            };
            forms::list_forms(&state.db, scope, &filter)
                .await?
                .into_iter()
                .filter(|f| matches!(owner, WorkflowOwner::Team(_)) || f.team_id.is_none())
                .map(|f| (f.id, f.name))
                .collect()
        }
    };
    Ok(found
        .into_iter()
        .map(|(id, title)| {
            let on = chosen.contains(&id);
            (id, title, on)
        })
        .collect())
}

impl Fields {
    async fn of(state: &AppState, scope: &Scope, w: Option<&Workflow>) -> Result<Fields, Refusal> {
        let Some(w) = w else {
            return Ok(Fields {
                name: String::new(),
                trigger: if scope.forms() { "formSubmitted" } else { "beforeEvent" }.into(),
                offset: "24".into(),
                unit: "hour".into(),
                all: true,
                targets: targets(state, scope, &[]).await?,
                steps: vec![blank_step(0)],
            });
        };
        let mut steps: Vec<StepForm> = w
            .steps
            .iter()
            .enumerate()
            .map(|(index, s)| StepForm {
                index,
                id: s.id.to_string(),
                action: s.action.as_str().to_owned(),
                template: s.template.as_str().to_owned(),
                subject: s.subject.clone(),
                body: s.html.clone(),
                ics: s.include_calendar_event,
                removed: false,
                email_id: s.verified_email_id.map(|v| v.to_string()).unwrap_or_default(),
                phone_id: s.verified_phone_id.map(|v| v.to_string()).unwrap_or_default(),
                error: None,
                email_error: None,
                phone_error: None,
                legend: String::new(),
            })
            .collect();
        steps.push(blank_step(steps.len()));
        let r = &w.record;
        let chosen: Vec<String> = match scope.kind {
            WorkflowKind::EventType => w.event_type_ids.iter().map(ToString::to_string).collect(),
            WorkflowKind::RoutingForm => w.form_ids.clone(),
        };
        Ok(Fields {
            name: r.name.clone(),
            trigger: r.trigger.as_str().to_owned(),
            offset: r.offset_value.map(|v| v.to_string()).unwrap_or_default(),
            unit: r.offset_unit.unwrap_or(OffsetUnit::Hour).as_str().to_owned(),
            all: r.active_on_all,
            targets: targets(state, scope, &chosen).await?,
            steps,
        })
    }

    /// What was posted, kept for the page shown again after a refusal.
    async fn posted(state: &AppState, scope: &Scope, form: &Posted) -> Result<Fields, Refusal> {
        let chosen: Vec<String> = form.all(target_name(scope)).map(str::to_owned).collect();
        let count: usize = form.get("stepCount").parse().unwrap_or(0).min(21);
        let steps = (0..count)
            .map(|i| StepForm {
                index: i,
                id: form.get(&format!("step{i}-id")).to_owned(),
                action: form.get(&format!("step{i}-action")).to_owned(),
                template: form.get(&format!("step{i}-template")).to_owned(),
                subject: form.get(&format!("step{i}-subject")).to_owned(),
                body: form.get(&format!("step{i}-body")).to_owned(),
                ics: form.ticked(&format!("step{i}-ics")),
                removed: form.ticked(&format!("step{i}-remove")),
                email_id: form.get(&format!("step{i}-verifiedEmail")).to_owned(),
                phone_id: form.get(&format!("step{i}-verifiedPhone")).to_owned(),
                error: None,
                email_error: None,
                phone_error: None,
                legend: String::new(),
            })
            .collect();
        Ok(Fields {
            name: form.get("name").to_owned(),
            trigger: form.get("trigger").to_owned(),
            offset: form.get("offset").to_owned(),
            unit: form.get("unit").to_owned(),
            all: form.ticked("all"),
            targets: targets(state, scope, &chosen).await?,
            steps,
        })
    }

    /// The API's input for these values. A step without a subject is left out (the blank row to add one), and
    /// so is one marked for removal. Numbers that do not parse are sent as none, which the service refuses by name.
    fn input(&self, forms: bool) -> Input {
        let timed = self
            .trigger
            .parse::<WorkflowTrigger>()
            .is_ok_and(WorkflowTrigger::is_scheduled);
        let steps = self
            .steps
            .iter()
            .filter(|s| s.is_sent())
            .enumerate()
            .map(|(n, s)| {
                // A text message's body is the API's `message.text`; it carries no calendar file.
                let text = Channel::of_action(&s.action).is_some();
                StepInput {
                    id: s.id.parse().ok(),
                    action: Some(s.action.clone()),
                    step_number: Some(n as i64 + 1),
                    template: Some(s.template.clone()),
                    sender: Some("convene".into()),
                    include_calendar_event: Some(s.ics && !text),
                    // The service reads these only for the actions that send to a verified item.
                    verified_email_id: s.email_id.trim().parse().ok(),
                    verified_phone_id: s.phone_id.trim().parse().ok(),
                    message: Some(MessageInput {
                        subject: Some(s.subject.clone()),
                        html: (!text).then(|| s.body.clone()),
                        text: text.then(|| s.body.clone()),
                    }),
                    ..StepInput::default()
                }
            })
            .collect();
        let trigger = Some(TriggerInput {
            kind: Some(self.trigger.clone()),
            offset: timed.then(|| OffsetInput {
                value: self.offset.trim().parse().ok(),
                unit: Some(self.unit.clone()),
            }),
        });
        let chosen = self.targets.iter().filter(|e| e.2).map(|e| e.0.clone());
        if forms {
            return Input::Form(FormWorkflowInput {
                name: Some(self.name.clone()),
                activation: Some(FormActivationInput {
                    is_active_on_all_routing_forms: Some(self.all),
                    active_on_routing_form_ids: Some(chosen.map(Value::String).collect()),
                }),
                trigger,
                steps: Some(steps),
            });
        }
        Input::EventType(WorkflowInput {
            name: Some(self.name.clone()),
            activation: Some(ActivationInput {
                is_active_on_all_event_types: Some(self.all),
                active_on_event_type_ids: Some(chosen.filter_map(|id| id.parse().ok()).collect()),
            }),
            trigger,
            steps: Some(steps),
        })
    }
}

/// What the editor sends to the service, by the workflow's family.
enum Input {
    EventType(WorkflowInput),
    Form(FormWorkflowInput),
}

/// The name of the checkboxes choosing what the workflow acts on.
fn target_name(scope: &Scope) -> &'static str {
    if scope.forms() { "forms" } else { "eventTypes" }
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
    notice: Option<String>,
}

/// `GET /workflows?page=`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let scope = Scope::personal(&host);
    list_in(&state, &host, scope, query).await
}

/// The list of `scope`'s workflows, a page at a time.
pub(super) async fn list_in(
    state: &AppState,
    host: &Host,
    scope: Scope,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let (page, notice) = match query {
        Ok(Query(q)) => (q.page.unwrap_or(1).clamp(1, 10_000), q.notice),
        Err(_) => (1, None),
    };
    // One more than shown tells whether a next page exists.
    let mut found = manage::list(
        &state.db,
        scope.owner,
        scope.kind,
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE + 1,
    )
    .await
    .map_err(failed)?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    let notice = match notice.as_deref() {
        Some("deleted") => Some(host.t.text("app-wf-deleted")),
        _ => None,
    };
    let page = ListPage {
        nav: host.nav(state, scope.section).await?,
        t: host.t,
        scope,
        rows: found
            .iter()
            .map(|w| Row {
                id: w.record.id.0,
                name: w.record.name.clone(),
                trigger: host.t.text(&format!("app-wf-trigger-{}", w.record.trigger)),
                steps: host
                    .t
                    .text_with("app-wf-step-count", &[("count", &w.steps.len().to_string())]),
            })
            .collect(),
        page,
        more,
        notice,
    };
    Ok(render(StatusCode::OK, &page))
}

fn failed(e: WorkflowError) -> Refusal {
    Refusal::Failed(e.to_string())
}

#[allow(clippy::too_many_arguments)] // one page's parts, each shown once
async fn editor(
    state: &AppState,
    host: &Host,
    scope: &Scope,
    status: StatusCode,
    id: Option<i64>,
    mut f: Fields,
    error: Option<(String, String)>,
    notice: Option<String>,
) -> Result<Response, Refusal> {
    // A step's refusal goes beside that step (its chosen address or number beside that choice); the steps are
    // numbered as sent (blank rows and removed steps left out).
    let mut error = error;
    if let Some((field, message)) = &error
        && let Some(rest) = field.strip_prefix("steps[")
        && let Some((n, name)) = rest.split_once(']')
        && let Ok(n) = n.parse::<usize>()
        && let Some(step) = f.steps.iter_mut().filter(|s| s.is_sent()).nth(n)
    {
        let slot = match name {
            ".verifiedEmailId" => &mut step.email_error,
            ".verifiedPhoneId" => &mut step.phone_error,
            _ => &mut step.error,
        };
        *slot = Some(message.clone());
        error = None;
    }
    // What stored steps chose stays offered (`workflow_verified`).
    let stored = match id {
        Some(id) => manage::get(&state.db, scope.owner, scope.kind, WorkflowId(id))
            .await
            .map(|w| w.steps)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let verified = Verified::load(state, host.t, scope.owner, host.id(), &stored).await?;
    let t = host.t;
    for s in &mut f.steps {
        s.legend = if s.id.is_empty() {
            t.text("app-wf-add-step")
        } else {
            t.text_with("app-wf-step", &[("n", &(s.index + 1).to_string())])
        };
    }
    let labelled = |values: &[&'static str], prefix: &str| -> Vec<(&'static str, String)> {
        values.iter().map(|v| (*v, t.text(&format!("{prefix}{v}")))).collect()
    };
    let triggers: Vec<&'static str> = WorkflowTrigger::ALL
        .iter()
        .filter(|trigger| trigger.kind() == scope.kind)
        .map(|trigger| trigger.as_str())
        .collect();
    let page = EditPage {
        nav: host.nav(state, scope.section).await?,
        t,
        scope: scope.clone(),
        id,
        has_errors: error.is_some()
            || f.steps
                .iter()
                .any(|s| s.error.is_some() || s.email_error.is_some() || s.phone_error.is_some()),
        f,
        error,
        notice,
        triggers: labelled(&triggers, "app-wf-trigger-"),
        actions: if scope.forms() {
            labelled(&FORM_ACTIONS.map(StepAction::as_str), "app-wf-action-")
        } else {
            labelled(&ACTIONS.map(StepAction::as_str), "app-wf-action-")
        },
        templates: labelled(&StepTemplate::ALL.map(StepTemplate::as_str), "app-wf-template-"),
        units: labelled(&OffsetUnit::ALL.map(OffsetUnit::as_str), "app-wf-unit-"),
        variables: if scope.forms() {
            &FORM_VARIABLES[..]
        } else {
            &VARIABLES[..]
        }
        .iter()
        .map(|(token, key)| (format!("{{{token}}}"), t.text(key)))
        .collect(),
        texts_missing: Channels::of(state.mailer.settings.sms.as_ref())
            .sms
            .err()
            .map(|_| t.text("app-wf-texts-missing")),
        verified,
    };
    Ok(render(status, &page))
}

/// `GET /workflows/new`.
pub async fn new_page(State(state): State<AppState>, host: Host) -> Result<Response, Refusal> {
    let scope = Scope::personal(&host);
    new_in(&state, &host, &scope).await
}

pub(super) async fn new_in(state: &AppState, host: &Host, scope: &Scope) -> Result<Response, Refusal> {
    let f = Fields::of(state, scope, None).await?;
    editor(state, host, scope, StatusCode::OK, None, f, None, None).await
}

fn context(state: &AppState, host: &Host, scope: &Scope) -> Context {
    Context {
        owner: scope.owner,
        caller_id: host.id(),
        texts: Channels::of(state.mailer.settings.sms.as_ref()),
    }
}

/// Shows the editor again with the refusal beside its field, or fails the page for anything else.
async fn refused(
    state: &AppState,
    host: &Host,
    scope: &Scope,
    id: Option<i64>,
    f: Fields,
    e: WorkflowError,
) -> Result<Response, Refusal> {
    match e {
        WorkflowError::Invalid(field) => {
            let error = Some((field.field.clone(), host.t.refusal(&field)));
            editor(state, host, scope, StatusCode::BAD_REQUEST, id, f, error, None).await
        }
        WorkflowError::NotFound => Err(Refusal::NotFound(host.t)),
        other => Err(failed(other)),
    }
}

/// `POST /workflows`: a new personal workflow; its reminders are planned for the bookings ahead.
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let scope = Scope::personal(&post.host);
    create_in(&state, &post, &scope).await
}

pub(super) async fn create_in(state: &AppState, post: &HostForm, scope: &Scope) -> Result<Response, Refusal> {
    let host = &post.host;
    let f = Fields::posted(state, scope, &post.form).await?;
    let ctx = context(state, host, scope);
    let made = match f.input(scope.forms()) {
        Input::EventType(input) => manage::create(&state.db, &state.mailer, &ctx, &input).await,
        Input::Form(input) => manage::create_form(&state.db, &ctx, &input).await,
    };
    match made {
        Ok(w) => Ok(Redirect::to(&format!("{}/{}?notice=saved", scope.base, w.record.id)).into_response()),
        Err(e) => refused(state, host, scope, None, f, e).await,
    }
}

fn parse_id(raw: &str, t: Lang) -> Result<i64, Refusal> {
    raw.parse().map_err(|_| Refusal::NotFound(t))
}

/// `GET /workflows/{id}`: only the user's own.
pub async fn edit_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let scope = Scope::personal(&host);
    edit_in(&state, &host, &scope, &id, query).await
}

pub(super) async fn edit_in(
    state: &AppState,
    host: &Host,
    scope: &Scope,
    id: &str,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let id = parse_id(id, host.t)?;
    let w = match manage::get(&state.db, scope.owner, scope.kind, WorkflowId(id)).await {
        Ok(w) => w,
        Err(WorkflowError::NotFound) => return Err(Refusal::NotFound(host.t)),
        Err(e) => return Err(failed(e)),
    };
    let notice = query
        .ok()
        .and_then(|Query(q)| q.notice)
        .filter(|n| n == "saved")
        .map(|_| host.t.text("app-wf-saved"));
    let f = Fields::of(state, scope, Some(&w)).await?;
    editor(state, host, scope, StatusCode::OK, Some(id), f, None, notice).await
}

/// `POST /workflows/{id}`: saves the editor; pending reminders are planned again.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let scope = Scope::personal(&post.host);
    update_in(&state, &post, &scope, &id).await
}

pub(super) async fn update_in(state: &AppState, post: &HostForm, scope: &Scope, id: &str) -> Result<Response, Refusal> {
    let host = &post.host;
    let id = parse_id(id, host.t)?;
    let f = Fields::posted(state, scope, &post.form).await?;
    let ctx = context(state, host, scope);
    let saved = match f.input(scope.forms()) {
        Input::EventType(input) => manage::update(&state.db, &state.mailer, &ctx, WorkflowId(id), &input).await,
        Input::Form(input) => manage::update_form(&state.db, &ctx, WorkflowId(id), &input).await,
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("{}/{id}?notice=saved", scope.base)).into_response()),
        Err(e) => refused(state, host, scope, Some(id), f, e).await,
    }
}

/// `POST /workflows/{id}/delete`: what it planned and did not send yet is cancelled.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let scope = Scope::personal(&post.host);
    delete_in(&post, &state, &scope, &id).await
}

pub(super) async fn delete_in(post: &HostForm, state: &AppState, scope: &Scope, id: &str) -> Result<Response, Refusal> {
    let host = &post.host;
    let id = parse_id(id, host.t)?;
    match manage::delete(&state.db, scope.owner, scope.kind, WorkflowId(id)).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?notice=deleted", scope.base)).into_response()),
        Err(WorkflowError::NotFound) => Err(Refusal::NotFound(host.t)),
        Err(e) => Err(failed(e)),
    }
}
