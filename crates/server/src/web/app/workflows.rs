//! Workflows: the user's personal workflows (reminders and notices around the bookings of their own event types),
//! listed a page at a time, and the editor of one — trigger, offset, event types, and steps with their template,
//! subject and body, beside the list of variables the text may use. Saving goes through `workflows::manage` with
//! the input the API takes (`WorkflowInput`), so the page and the API accept and refuse the same things; a refusal
//! shows beside its field with what was typed kept.

use super::form::Posted;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::email::sms::Channels;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use crate::workflows::WorkflowError;
use crate::workflows::input::{
    ActivationInput, Context, MessageInput, OffsetInput, StepInput, TriggerInput, WorkflowInput,
};
use crate::workflows::manage::{self, Kind, Workflow};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_store::event_types;
use convene_store::workflows::WorkflowOwner;
use serde::Deserialize;

const PAGE_SIZE: i64 = 20;
const TRIGGERS: [&str; 8] = [
    "beforeEvent",
    "afterEvent",
    "newEvent",
    "eventCancelled",
    "rescheduleEvent",
    "bookingRequested",
    "bookingRejected",
    "bookingNoShowUpdated",
];
const ACTIONS: [&str; 2] = ["email_attendee", "email_host"];
const TEMPLATES: [&str; 6] = ["reminder", "custom", "rescheduled", "completed", "rating", "cancelled"];
const UNITS: [&str; 3] = ["minute", "hour", "day"];
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
    pub error: Option<String>,
    /// "Step 2", or "Add a step" for the blank one.
    pub legend: String,
}

/// The editor's values.
pub(crate) struct Fields {
    pub name: String,
    pub trigger: String,
    pub offset: String,
    pub unit: String,
    pub all: bool,
    /// The user's event types: (id, title, chosen).
    pub event_types: Vec<(i64, String, bool)>,
    pub steps: Vec<StepForm>,
}

#[derive(Template)]
#[template(path = "app/workflow.html")]
struct EditPage {
    nav: Nav,
    t: Lang,
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
        error: None,
        legend: String::new(),
    }
}

async fn own_event_types(state: &AppState, host: &Host, chosen: &[i64]) -> Result<Vec<(i64, String, bool)>, Refusal> {
    Ok(event_types::list_for_owner(&state.db, host.id(), true)
        .await?
        .into_iter()
        .map(|e| (e.id, e.title, chosen.contains(&e.id)))
        .collect())
}

impl Fields {
    async fn of(state: &AppState, host: &Host, w: Option<&Workflow>) -> Result<Fields, Refusal> {
        let Some(w) = w else {
            return Ok(Fields {
                name: String::new(),
                trigger: "beforeEvent".into(),
                offset: "24".into(),
                unit: "hour".into(),
                all: true,
                event_types: own_event_types(state, host, &[]).await?,
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
                action: s.action.clone(),
                template: s.template.clone(),
                subject: s.subject.clone(),
                body: s.html.clone(),
                ics: s.include_calendar_event,
                error: None,
                legend: String::new(),
            })
            .collect();
        steps.push(blank_step(steps.len()));
        let r = &w.record;
        Ok(Fields {
            name: r.name.clone(),
            trigger: r.trigger_type.clone(),
            offset: r.offset_value.map(|v| v.to_string()).unwrap_or_default(),
            unit: r.offset_unit.clone().unwrap_or_else(|| "hour".into()),
            all: r.active_on_all,
            event_types: own_event_types(state, host, &w.event_type_ids).await?,
            steps,
        })
    }

    /// What was posted, kept for the page shown again after a refusal.
    async fn posted(state: &AppState, host: &Host, form: &Posted) -> Result<Fields, Refusal> {
        let chosen: Vec<i64> = form.all("eventTypes").filter_map(|v| v.parse().ok()).collect();
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
                error: None,
                legend: String::new(),
            })
            .collect();
        Ok(Fields {
            name: form.get("name").to_owned(),
            trigger: form.get("trigger").to_owned(),
            offset: form.get("offset").to_owned(),
            unit: form.get("unit").to_owned(),
            all: form.ticked("all"),
            event_types: own_event_types(state, host, &chosen).await?,
            steps,
        })
    }

    /// The API's input for these values. A step without a subject is left out (the blank row to add one), and
    /// so is one marked for removal. Numbers that do not parse are sent as none, which the service refuses by name.
    fn input(&self, form: &Posted) -> WorkflowInput {
        let timed = matches!(self.trigger.as_str(), "beforeEvent" | "afterEvent");
        let steps = self
            .steps
            .iter()
            .filter(|s| !s.subject.trim().is_empty() && !form.ticked(&format!("step{}-remove", s.index)))
            .enumerate()
            .map(|(n, s)| StepInput {
                id: s.id.parse().ok(),
                action: Some(s.action.clone()),
                step_number: Some(n as i64 + 1),
                template: Some(s.template.clone()),
                sender: Some("convene".into()),
                include_calendar_event: Some(s.ics),
                message: Some(MessageInput {
                    subject: Some(s.subject.clone()),
                    html: Some(s.body.clone()),
                    text: None,
                }),
                ..StepInput::default()
            })
            .collect();
        WorkflowInput {
            name: Some(self.name.clone()),
            activation: Some(ActivationInput {
                is_active_on_all_event_types: Some(self.all),
                active_on_event_type_ids: Some(self.event_types.iter().filter(|e| e.2).map(|e| e.0).collect()),
            }),
            trigger: Some(TriggerInput {
                kind: Some(self.trigger.clone()),
                offset: timed.then(|| OffsetInput {
                    value: self.offset.trim().parse().ok(),
                    unit: Some(self.unit.clone()),
                }),
            }),
            steps: Some(steps),
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
    notice: Option<String>,
}

fn owner(host: &Host) -> WorkflowOwner {
    WorkflowOwner::User(host.id().0)
}

/// `GET /workflows?page=`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let (page, notice) = match query {
        Ok(Query(q)) => (q.page.unwrap_or(1).clamp(1, 10_000), q.notice),
        Err(_) => (1, None),
    };
    // One more than shown tells whether a next page exists.
    let mut found = manage::list(
        &state.db,
        owner(&host),
        Kind::EventType,
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
        nav: host.nav(&state, Section::Workflows).await?,
        t: host.t,
        rows: found
            .iter()
            .map(|w| Row {
                id: w.record.id,
                name: w.record.name.clone(),
                trigger: host.t.text(&format!("app-wf-trigger-{}", w.record.trigger_type)),
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

async fn editor(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    id: Option<i64>,
    mut f: Fields,
    error: Option<(String, String)>,
    notice: Option<String>,
) -> Result<Response, Refusal> {
    // A step's refusal goes beside that step; the steps are numbered as sent (blank rows left out).
    let mut error = error;
    if let Some((field, message)) = &error
        && let Some(rest) = field.strip_prefix("steps[")
        && let Some(n) = rest.split(']').next().and_then(|n| n.parse::<usize>().ok())
        && let Some(step) = f.steps.iter_mut().filter(|s| !s.subject.trim().is_empty()).nth(n)
    {
        step.error = Some(message.clone());
        error = None;
    }
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
    let page = EditPage {
        nav: host.nav(state, Section::Workflows).await?,
        t,
        id,
        has_errors: error.is_some() || f.steps.iter().any(|s| s.error.is_some()),
        f,
        error,
        notice,
        triggers: labelled(&TRIGGERS, "app-wf-trigger-"),
        actions: labelled(&ACTIONS, "app-wf-action-"),
        templates: labelled(&TEMPLATES, "app-wf-template-"),
        units: labelled(&UNITS, "app-wf-unit-"),
        variables: VARIABLES
            .iter()
            .map(|(token, key)| (format!("{{{token}}}"), t.text(key)))
            .collect(),
    };
    Ok(render(status, &page))
}

/// `GET /workflows/new`.
pub async fn new_page(State(state): State<AppState>, host: Host) -> Result<Response, Refusal> {
    let f = Fields::of(&state, &host, None).await?;
    editor(&state, &host, StatusCode::OK, None, f, None, None).await
}

fn context(state: &AppState, host: &Host) -> Context {
    Context {
        owner: owner(host),
        caller_id: host.id().0,
        texts: Channels::of(state.mailer.settings.sms.as_ref()),
    }
}

/// Shows the editor again with the refusal beside its field, or fails the page for anything else.
async fn refused(
    state: &AppState,
    host: &Host,
    id: Option<i64>,
    f: Fields,
    e: WorkflowError,
) -> Result<Response, Refusal> {
    match e {
        WorkflowError::Invalid(field) => {
            let error = Some((field.field.clone(), field.message.clone()));
            editor(state, host, StatusCode::BAD_REQUEST, id, f, error, None).await
        }
        WorkflowError::NotFound => Err(Refusal::NotFound(host.t)),
        other => Err(failed(other)),
    }
}

/// `POST /workflows`: a new personal workflow; its reminders are planned for the bookings ahead.
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let f = Fields::posted(&state, host, &post.form).await?;
    let input = f.input(&post.form);
    match manage::create(&state.db, &state.mailer, &context(&state, host), &input).await {
        Ok(w) => Ok(Redirect::to(&format!("/workflows/{}?notice=saved", w.record.id)).into_response()),
        Err(e) => refused(&state, host, None, f, e).await,
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
    let id = parse_id(&id, host.t)?;
    let w = match manage::get(&state.db, owner(&host), Kind::EventType, id).await {
        Ok(w) => w,
        Err(WorkflowError::NotFound) => return Err(Refusal::NotFound(host.t)),
        Err(e) => return Err(failed(e)),
    };
    let notice = query
        .ok()
        .and_then(|Query(q)| q.notice)
        .filter(|n| n == "saved")
        .map(|_| host.t.text("app-wf-saved"));
    let f = Fields::of(&state, &host, Some(&w)).await?;
    editor(&state, &host, StatusCode::OK, Some(id), f, None, notice).await
}

/// `POST /workflows/{id}`: saves the editor; pending reminders are planned again.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let id = parse_id(&id, host.t)?;
    let f = Fields::posted(&state, host, &post.form).await?;
    let input = f.input(&post.form);
    match manage::update(&state.db, &state.mailer, &context(&state, host), id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/workflows/{id}?notice=saved")).into_response()),
        Err(e) => refused(&state, host, Some(id), f, e).await,
    }
}

/// `POST /workflows/{id}/delete`: what it planned and did not send yet is cancelled.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let id = parse_id(&id, host.t)?;
    match manage::delete(&state.db, owner(host), Kind::EventType, id).await {
        Ok(_) => Ok(Redirect::to("/workflows?notice=deleted").into_response()),
        Err(WorkflowError::NotFound) => Err(Refusal::NotFound(host.t)),
        Err(e) => Err(failed(e)),
    }
}
