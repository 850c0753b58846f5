//! Event types: the list with each public link, the create and edit form, duplicate and delete. Only the user's
//! own (personal) event types; someone else's is "not found", whoever asks.

use super::event_type_extras::{self as extras, DestinationOf, Extras};
use super::event_type_form::{Fields, input_of};
use super::event_type_questions::{QUESTION_KINDS, questions_of, row_of_own, row_of_refusal};
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::scheduling::event_settings::LOCATION_KINDS;
use crate::scheduling::event_type_input::{EventTypeError, merged_fields};
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{EventTypeId, FieldError};
use convene_store::StoreError;
use convene_store::event_types::{self, EventTypeFields, EventTypeRecord, Owner};
use convene_store::schedules;
use serde::Deserialize;

/// One row of the list.
pub(crate) struct Row {
    pub id: i64,
    pub title: String,
    pub slug: String,
    /// "30 min", in the page's language.
    pub length_text: String,
    pub hidden: bool,
    pub requires_confirmation: bool,
    /// The public booking page's full address.
    pub link: String,
}

#[derive(Template)]
#[template(path = "app/event_types.html")]
struct ListPage {
    nav: Nav,
    t: Lang,
    rows: Vec<Row>,
    notice: Option<String>,
}

/// A schedule in the form's choice.
pub(crate) struct ScheduleChoice {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "app/event_type_form.html")]
struct FormPage {
    nav: Nav,
    t: Lang,
    /// `None` while creating.
    id: Option<i64>,
    f: Fields,
    schedules: Vec<ScheduleChoice>,
    kinds: Vec<(&'static str, String)>,
    /// Booking question types and their names.
    question_kinds: Vec<(&'static str, String)>,
    /// The field refused (its name without an index) and why.
    error_field: String,
    error: Option<String>,
    notice: Option<String>,
    /// Where the public page will be, up to the slug.
    link_base: String,
    /// Private links and the destination calendar.
    x: Extras,
}

#[derive(Template)]
#[template(path = "app/event_type_delete.html")]
struct DeletePage {
    nav: Nav,
    t: Lang,
    id: i64,
    question: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
    /// The private links' page.
    links: Option<i64>,
}

fn notice_of(t: Lang, query: Option<&NoticeQuery>) -> Option<String> {
    let code = query?.notice.as_deref()?;
    let key = match code {
        "created" => "app-et-created",
        "saved" => "app-et-saved",
        "duplicated" => "app-et-duplicated",
        "deleted" => "app-et-deleted",
        "link-created" => "app-et-link-created",
        "link-deleted" => "app-et-link-deleted",
        "welcome" => "onb-welcome",
        _ => return None,
    };
    Some(t.text(key))
}

fn public_base(state: &AppState, host: &Host) -> String {
    format!(
        "{}/{}/",
        state.settings.email.public_url.trim_end_matches('/'),
        host.user.username
    )
}

/// The user's own personal event type `id`.
async fn owned(state: &AppState, host: &Host, id: i64) -> Result<EventTypeRecord, Refusal> {
    event_types::find(&state.db, EventTypeId(id))
        .await?
        .filter(|e| e.owner_id == Some(host.user.id) && e.team_id.is_none())
        .ok_or(Refusal::NotFound(host.t))
}

/// `GET /event-types`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let base = public_base(&state, &host);
    let rows = event_types::list_for_owner(&state.db, host.id(), true)
        .await?
        .into_iter()
        .map(|e| Row {
            link: format!("{base}{}", e.slug),
            id: e.id.0,
            title: e.title,
            slug: e.slug,
            length_text: host
                .t
                .text_with("minutes", &[("minutes", &e.length_minutes.to_string())]),
            hidden: e.hidden,
            requires_confirmation: e.requires_confirmation,
        })
        .collect();
    let page = ListPage {
        nav: host.nav(&state, Section::EventTypes).await?,
        t: host.t,
        rows,
        notice: notice_of(host.t, query.ok().map(|Query(q)| q).as_ref()),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The form page, with `error` beside its field when set.
async fn form_page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    id: Option<i64>,
    mut f: Fields,
    error: Option<FieldError>,
    notice: Option<String>,
) -> Result<Response, Refusal> {
    for d in &mut f.defaults {
        d.label = host.t.text(&format!("app-et-q-default-{}", d.slug));
    }
    for l in &mut f.limits {
        l.label = host.t.text(&format!("app-et-limit-{}", l.period));
    }
    let question_kinds = QUESTION_KINDS
        .iter()
        .map(|k| (*k, host.t.text(&format!("app-et-q-type-{k}"))))
        .collect();
    let schedules = schedules::list(&state.db, host.id())
        .await?
        .into_iter()
        .map(|s| ScheduleChoice {
            id: s.id.to_string(),
            name: s.name,
        })
        .collect();
    let kinds = LOCATION_KINDS
        .iter()
        .map(|(k, _)| (*k, host.t.text(&format!("app-et-location-{k}"))))
        .collect();
    let (error_field, error) = match error {
        Some(e) => (
            e.field.split(['[', '.']).next().unwrap_or_default().to_owned(),
            Some(host.t.refusal(&e)),
        ),
        None => (String::new(), None),
    };
    let event = match id {
        Some(i) => event_types::find(&state.db, EventTypeId(i)).await?,
        None => None,
    };
    let x = extras::load(
        state,
        host,
        event.as_ref(),
        f.links_page,
        f.destination.as_deref(),
        DestinationOf::Personal,
    )
    .await?;
    let page = FormPage {
        nav: host.nav(state, Section::EventTypes).await?,
        t: host.t,
        id,
        x,
        f,
        schedules,
        kinds,
        question_kinds,
        error_field,
        error,
        notice,
        link_base: public_base(state, host),
    };
    Ok(render(status, &page))
}

/// `GET /event-types/new`.
pub async fn new_page(State(state): State<AppState>, host: Host) -> Result<Response, Refusal> {
    form_page(&state, &host, StatusCode::OK, None, Fields::blank(), None, None).await
}

/// Validates a posted form through the event type service (merged over `base` when editing).
async fn fields_of(
    state: &AppState,
    post: &HostForm,
    base: Option<EventTypeFields>,
) -> Result<EventTypeFields, EventTypeError> {
    let input = input_of(&post.form)?;
    let mut fields = merged_fields(&state.db, Some(post.host.id()), input, base).await?;
    // An empty box on the form means "none" (the API's absent field means "unchanged").
    if post.form.text("slotInterval").is_none() {
        fields.slot_interval = None;
    }
    if post.form.text("scheduleId").is_none() {
        fields.schedule_id = None;
    }
    Ok(fields)
}

/// The form again with what was typed and the refusal beside its field.
async fn refused(state: &AppState, post: HostForm, id: Option<i64>, e: EventTypeError) -> Result<Response, Refusal> {
    let error = match e {
        EventTypeError::Invalid(field) => field,
        EventTypeError::Store(StoreError::Conflict(_)) => FieldError::coded(
            "slug",
            "refusal-slug-taken",
            "is already used by another of your event types",
        ),
        EventTypeError::Store(other) => return Err(other.into()),
    };
    let mut f = Fields::posted(&post.form, 0);
    // A question's refusal goes beside its row; the service names it by its place among the fields given.
    let rows: Vec<usize> = questions_of(&post.form)
        .map(|q| q.into_iter().map(|(row, _)| row).collect())
        .unwrap_or_default();
    let at_row = row_of_refusal(&error.field, &rows).or_else(|| row_of_own(&error.field));
    let error = match at_row.and_then(|(row, part)| Some((f.questions.get_mut(row)?, part))) {
        Some((question, part)) => {
            question.error = Some((part, post.host.t.refusal(&error)));
            // The refusal keeps its catalogue id; only where the page shows it changes.
            FieldError {
                field: "question-row".to_owned(),
                ..error
            }
        }
        None => error,
    };
    form_page(state, &post.host, StatusCode::BAD_REQUEST, id, f, Some(error), None).await
}

/// The form again, as posted, with one more blank question row: the "add question" button saves nothing.
async fn with_added_question(state: &AppState, post: &HostForm, id: Option<i64>) -> Result<Response, Refusal> {
    let f = Fields::posted(&post.form, 1);
    form_page(state, &post.host, StatusCode::OK, id, f, None, None).await
}

/// `POST /event-types`: creates, then opens the new event type's page.
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    if post.form.ticked("addQuestion") {
        return with_added_question(&state, &post, None).await;
    }
    let destination = match extras::destination_posted(&state, &post.host, &post.form).await {
        Ok(d) => d,
        Err(Ok(field)) => return refused(&state, post, None, EventTypeError::Invalid(field)).await,
        Err(Err(refusal)) => return Err(refusal),
    };
    let saved = async {
        let fields = fields_of(&state, &post, None).await?;
        Ok::<_, EventTypeError>(event_types::insert(&state.db, Owner::User(post.host.id()), &fields).await?)
    }
    .await;
    match saved {
        Ok(created) => {
            extras::save_destination(&state, &post.host, created.id.0, destination, DestinationOf::Personal).await?;
            Ok(Redirect::to(&format!("/event-types/{}?notice=created", created.id)).into_response())
        }
        Err(e) => refused(&state, post, None, e).await,
    }
}

/// `GET /event-types/{id}`.
pub async fn edit_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let record = owned(&state, &host, path_id(&host, &id)?).await?;
    let query = query.ok().map(|Query(q)| q);
    let notice = notice_of(host.t, query.as_ref());
    let mut f = Fields::of(&record);
    f.links_page = query.and_then(|q| q.links).unwrap_or(1);
    form_page(&state, &host, StatusCode::OK, Some(record.id.0), f, None, notice).await
}

fn path_id<T: From<i64>>(host: &Host, raw: &str) -> Result<T, Refusal> {
    raw.parse::<i64>().map(T::from).map_err(|_| Refusal::NotFound(host.t))
}

/// `POST /event-types/{id}`: saves the form.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = owned(&state, &post.host, path_id(&post.host, &id)?).await?;
    if post.form.ticked("addQuestion") {
        return with_added_question(&state, &post, Some(record.id.0)).await;
    }
    let destination = match extras::destination_posted(&state, &post.host, &post.form).await {
        Ok(d) => d,
        Err(Ok(field)) => return refused(&state, post, Some(record.id.0), EventTypeError::Invalid(field)).await,
        Err(Err(refusal)) => return Err(refusal),
    };
    let saved = async {
        let fields = fields_of(&state, &post, Some(EventTypeFields::from(&record))).await?;
        Ok::<_, EventTypeError>(event_types::update(&state.db, record.id, &fields).await?)
    }
    .await;
    match saved {
        Ok(Some(_)) => {
            extras::save_destination(&state, &post.host, record.id.0, destination, DestinationOf::Personal).await?;
            Ok(Redirect::to(&format!("/event-types/{}?notice=saved", record.id)).into_response())
        }
        Ok(None) => Err(Refusal::NotFound(post.host.t)),
        Err(e) => refused(&state, post, Some(record.id.0), e).await,
    }
}

/// `POST /event-types/{id}/duplicate`: a copy under a free slug (`…-copy`, `…-copy-2`, …), opened for editing.
pub async fn duplicate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = owned(&state, &post.host, path_id(&post.host, &id)?).await?;
    let mut fields = EventTypeFields::from(&record);
    fields.title = format!("{} ({})", record.title, post.host.t.text("app-et-copy"));
    for n in 1..=20 {
        let suffix = if n == 1 {
            "-copy".to_owned()
        } else {
            format!("-copy-{n}")
        };
        fields.slug = format!("{}{suffix}", record.slug);
        match event_types::insert(&state.db, Owner::User(post.host.id()), &fields).await {
            Ok(copy) => return Ok(Redirect::to(&format!("/event-types/{}?notice=duplicated", copy.id)).into_response()),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Refusal::Failed(format!(
        "no free slug for a copy of event type {}",
        record.id
    )))
}

/// `GET /event-types/{id}/delete`: asks for confirmation.
pub async fn delete_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
) -> Result<Response, Refusal> {
    let record = owned(&state, &host, path_id(&host, &id)?).await?;
    let page = DeletePage {
        nav: host.nav(&state, Section::EventTypes).await?,
        t: host.t,
        id: record.id.0,
        question: host.t.text_with("app-et-delete-question", &[("title", &record.title)]),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /event-types/{id}/delete`: deletes (its bookings stay, as with the API).
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = owned(&state, &post.host, path_id(&post.host, &id)?).await?;
    event_types::delete(&state.db, record.id).await?;
    Ok(Redirect::to("/event-types?notice=deleted").into_response())
}

/// `POST /event-types/{id}/private-links`: a new private link, or the page again with the refusal beside its box.
pub async fn create_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = owned(&state, &post.host, path_id(&post.host, &id)?).await?;
    match extras::create_link(&state, &post.host, &record, &post.form).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/event-types/{}?notice=link-created#private-links", record.id)).into_response())
        }
        Err(Ok(field)) => {
            let mut f = Fields::of(&record);
            f.link_expires = post.form.get("expiresAt").to_owned();
            f.link_uses = post.form.get("maxUsageCount").to_owned();
            form_page(
                &state,
                &post.host,
                StatusCode::BAD_REQUEST,
                Some(record.id.0),
                f,
                Some(field),
                None,
            )
            .await
        }
        Err(Err(refusal)) => Err(refusal),
    }
}

/// `POST /event-types/{id}/private-links/{linkId}/delete`: the link stops working at once.
pub async fn delete_link(
    State(state): State<AppState>,
    Path((id, link_id)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = owned(&state, &post.host, path_id(&post.host, &id)?).await?;
    extras::delete_link(&state, &post.host, &record, &link_id).await?;
    Ok(Redirect::to(&format!("/event-types/{}?notice=link-deleted#private-links", record.id)).into_response())
}
