//! Availability: the user's schedules (list, create, delete) and the editor of one — name, time zone, weekly
//! hours with several ranges per day, date overrides, default — checked by `scheduling::schedule_input`, as the
//! API's `/v2/schedules` is.

use super::schedule_form::{ScheduleFieldsView, input_of};
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::scheduling::schedule_input::{ScheduleInput, schedule_fields};
use crate::state::AppState;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::FieldError;
use convene_store::schedules::{self, ScheduleRecord};
use serde::Deserialize;

pub(crate) struct Row {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub is_default: bool,
}

#[derive(Template)]
#[template(path = "app/schedules.html")]
struct ListPage {
    nav: Nav,
    t: Lang,
    av_tab: &'static str,
    rows: Vec<Row>,
    notice: Option<String>,
    /// The create form (kept after a refusal) and its error.
    name: String,
    time_zone: String,
    error_field: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "app/schedule_form.html")]
struct EditPage {
    nav: Nav,
    t: Lang,
    id: i64,
    is_default: bool,
    f: ScheduleFieldsView,
    error_field: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "app/schedule_delete.html")]
struct DeletePage {
    nav: Nav,
    t: Lang,
    id: i64,
    question: String,
    /// Why it can't be deleted now, if so.
    blocked: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_of(t: Lang, query: Result<Query<NoticeQuery>, QueryRejection>) -> Option<String> {
    let key = match query.ok()?.0.notice?.as_str() {
        "created" => "app-av-created",
        "saved" => "app-et-saved",
        "deleted" => "app-av-deleted",
        _ => return None,
    };
    Some(t.text(key))
}

fn split_error(t: Lang, e: Option<FieldError>) -> (String, Option<String>) {
    match e {
        Some(e) => (
            e.field.split(['[', '.']).next().unwrap_or_default().to_owned(),
            Some(t.refusal(&e)),
        ),
        None => (String::new(), None),
    }
}

fn path_id<T: From<i64>>(host: &Host, raw: &str) -> Result<T, Refusal> {
    raw.parse::<i64>().map(T::from).map_err(|_| Refusal::NotFound(host.t))
}

async fn mine(state: &AppState, host: &Host, raw: &str) -> Result<ScheduleRecord, Refusal> {
    schedules::find(&state.db, host.id(), path_id(host, raw)?)
        .await?
        .ok_or(Refusal::NotFound(host.t))
}

async fn list_page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    notice: Option<String>,
    kept: Option<(String, String)>,
    error: Option<FieldError>,
) -> Result<Response, Refusal> {
    let rows = schedules::list(&state.db, host.id())
        .await?
        .into_iter()
        .map(|s| Row {
            id: s.id.0,
            name: s.name,
            time_zone: s.time_zone,
            is_default: s.is_default,
        })
        .collect();
    let (name, time_zone) = kept.unwrap_or_else(|| (String::new(), host.user.time_zone.clone()));
    let (error_field, error) = split_error(host.t, error);
    let page = ListPage {
        nav: host.nav(state, Section::Availability).await?,
        t: host.t,
        av_tab: "schedules",
        rows,
        notice,
        name,
        time_zone,
        error_field,
        error,
    };
    Ok(render(status, &page))
}

/// `GET /availability`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let notice = notice_of(host.t, query);
    list_page(&state, &host, StatusCode::OK, notice, None, None).await
}

/// `POST /availability`: a new schedule (Monday–Friday 09:00–17:00; the first one becomes the default).
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let input = ScheduleInput {
        name: Some(post.form.get("name").trim().to_owned()),
        time_zone: Some(post.form.get("timeZone").trim().to_owned()),
        ..ScheduleInput::default()
    };
    let fields = match schedule_fields(&input, None) {
        Ok(f) => f,
        Err(e) => {
            let kept = (post.form.get("name").to_owned(), post.form.get("timeZone").to_owned());
            return list_page(&state, &post.host, StatusCode::BAD_REQUEST, None, Some(kept), Some(e)).await;
        }
    };
    let mut tx = state.db.begin().await?;
    let first = schedules::find_default(&mut tx, post.host.id()).await?.is_none();
    let created = schedules::insert(&mut tx, post.host.id(), &fields, first).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/availability/{}?notice=created", created.id)).into_response())
}

async fn edit(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    record: &ScheduleRecord,
    f: ScheduleFieldsView,
    error: Option<FieldError>,
    notice: Option<String>,
) -> Result<Response, Refusal> {
    let (error_field, error) = split_error(host.t, error);
    let page = EditPage {
        nav: host.nav(state, Section::Availability).await?,
        t: host.t,
        id: record.id.0,
        is_default: record.is_default,
        f,
        error_field,
        error,
        notice,
    };
    Ok(render(status, &page))
}

/// `GET /availability/{id}`: the weekly editor.
pub async fn edit_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let record = mine(&state, &host, &id).await?;
    let notice = notice_of(host.t, query);
    let f = ScheduleFieldsView::of(&record, host.t);
    edit(&state, &host, StatusCode::OK, &record, f, None, notice).await
}

/// `POST /availability/{id}`: saves the editor.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = mine(&state, &post.host, &id).await?;
    let input = input_of(&post.form);
    let fields = match schedule_fields(&input, Some(&record)) {
        Ok(f) => f,
        Err(e) => {
            let f = ScheduleFieldsView::posted(&post.form, post.host.t);
            return edit(&state, &post.host, StatusCode::BAD_REQUEST, &record, f, Some(e), None).await;
        }
    };
    let mut tx = state.db.begin().await?;
    let saved = schedules::update(
        &mut tx,
        post.host.id(),
        record.id,
        &fields,
        input.is_default == Some(true),
    )
    .await?;
    tx.commit().await?;
    match saved {
        Some(_) => Ok(Redirect::to(&format!("/availability/{}?notice=saved", record.id)).into_response()),
        None => Err(Refusal::NotFound(post.host.t)),
    }
}

/// Why a schedule can't be deleted now: the default one while others exist (as the API refuses it).
async fn blocked(state: &AppState, host: &Host, record: &ScheduleRecord) -> Result<Option<String>, Refusal> {
    let others = schedules::list(&state.db, host.id()).await?.len() > 1;
    Ok((record.is_default && others).then(|| host.t.text("app-av-default-not-deleted")))
}

/// `GET /availability/{id}/delete`: asks for confirmation.
pub async fn delete_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
) -> Result<Response, Refusal> {
    let record = mine(&state, &host, &id).await?;
    let page = DeletePage {
        nav: host.nav(&state, Section::Availability).await?,
        t: host.t,
        id: record.id.0,
        question: host.t.text_with("app-av-delete-question", &[("name", &record.name)]),
        blocked: blocked(&state, &host, &record).await?,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /availability/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = mine(&state, &post.host, &id).await?;
    if blocked(&state, &post.host, &record).await?.is_some() {
        return Ok(Redirect::to(&format!("/availability/{}/delete", record.id)).into_response());
    }
    schedules::delete(&state.db, post.host.id(), record.id).await?;
    Ok(Redirect::to("/availability?notice=deleted").into_response())
}
