//! Settings → Webhooks: the user's own subscriptions (fired for every booking they host), a new one, the editor of one
//! (URL, triggers, active, secret, payload template), a test ping, and its recent deliveries with the subscriber's
//! answers. Saving goes through `webhooks::manage`, as `/v2/webhooks` does; the ping is a delivery like any other,
//! sent by the worker. Secrets are write-only: the page says whether one is set, never what it is.

use super::booking_page::local_minute;
use super::form::Posted;
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::respond::render;
use crate::webhooks::Trigger;
use crate::webhooks::manage::{self, ManageError, WebhookChange};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{WebhookDeliveryStatus, WebhookId};
use convene_store::webhooks::deliveries;
use convene_store::webhooks::{self, WebhookOwner, WebhookRecord};
use jiff::tz::TimeZone;
use secrecy::SecretString;
use serde::Deserialize;

/// How many deliveries the editor lists.
const RECENT: usize = 10;

/// The form's values (stored, or as posted after a refusal).
pub(crate) struct Fields {
    pub url: String,
    pub triggers: Vec<(&'static str, bool)>,
    pub active: bool,
    pub template: String,
    pub has_secret: bool,
}

impl Fields {
    fn blank() -> Fields {
        Fields {
            url: String::new(),
            triggers: Trigger::ALL.iter().map(|t| (t.as_str(), false)).collect(),
            active: true,
            template: String::new(),
            has_secret: false,
        }
    }

    fn of(r: &WebhookRecord) -> Fields {
        let on = Trigger::list_from_stored(&r.triggers);
        Fields {
            url: r.subscriber_url.clone(),
            triggers: Trigger::ALL.iter().map(|t| (t.as_str(), on.contains(t))).collect(),
            active: r.active,
            template: r.payload_template.clone().unwrap_or_default(),
            has_secret: r.secret_sealed.is_some(),
        }
    }

    fn posted(form: &Posted, has_secret: bool) -> Fields {
        Fields {
            url: form.get("subscriberUrl").to_owned(),
            triggers: Trigger::ALL
                .iter()
                .map(|t| (t.as_str(), form.all("triggers").any(|n| n == t.as_str())))
                .collect(),
            active: form.ticked("active"),
            template: form.get("payloadTemplate").to_owned(),
            has_secret,
        }
    }
}

pub(crate) struct HookRow {
    pub id: i64,
    pub url: String,
    pub triggers: String,
    pub active: bool,
}

pub(crate) struct DeliveryRow {
    pub id: i64,
    pub trigger: String,
    pub when: String,
    pub status: WebhookDeliveryStatus,
    pub code: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "app/webhooks.html")]
struct ListPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    rows: Vec<HookRow>,
    f: Fields,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "app/webhook.html")]
struct EditPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    id: i64,
    f: Fields,
    deliveries: Vec<DeliveryRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_of(t: Lang, query: Result<Query<NoticeQuery>, QueryRejection>) -> Option<String> {
    let key = match query.ok()?.0.notice?.as_str() {
        "created" => "app-hook-created",
        "saved" => "app-et-saved",
        "pinged" => "app-hook-pinged",
        "deleted" => "app-hook-deleted",
        _ => return None,
    };
    Some(t.text(key))
}

/// The change a posted form asks for. A blank secret keeps the stored one unless "remove" is ticked.
fn change_of(form: &Posted) -> WebhookChange {
    let secret = match form.get("secret") {
        "" if form.ticked("clearSecret") => Some(None),
        "" => None,
        s => Some(Some(SecretString::from(s))),
    };
    WebhookChange {
        subscriber_url: Some(form.get("subscriberUrl").to_owned()),
        triggers: Some(form.all("triggers").map(str::to_owned).collect()),
        active: Some(form.ticked("active")),
        payload_template: Some(Some(form.get("payloadTemplate").to_owned())),
        version: None,
        secret,
    }
}

fn owner(host: &Host) -> WebhookOwner {
    WebhookOwner::User(host.user.id)
}

async fn mine(state: &AppState, host: &Host, raw: &str) -> Result<WebhookRecord, Refusal> {
    let id: i64 = raw.parse().map_err(|_| Refusal::NotFound(host.t))?;
    webhooks::find_owned(&state.db, owner(host), WebhookId(id))
        .await?
        .ok_or(Refusal::NotFound(host.t))
}

/// A refusal of the service as the page shows it: the field's problem (400), or a refusal of its own.
fn refused(t: Lang, e: ManageError) -> Result<String, Refusal> {
    match e {
        ManageError::Invalid(field) => Ok(t.refusal(&field)),
        ManageError::NotFound => Err(Refusal::NotFound(t)),
        other => Err(Refusal::Failed(other.to_string())),
    }
}

async fn list_page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    f: Fields,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, Refusal> {
    let rows = webhooks::list(&state.db, owner(host), 250, 0)
        .await?
        .into_iter()
        .map(|r| HookRow {
            id: r.id.0,
            triggers: Trigger::list_from_stored(&r.triggers)
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            url: r.subscriber_url,
            active: r.active,
        })
        .collect();
    let page = ListPage {
        nav: host.nav(state, Section::Settings).await?,
        t: host.t,
        tab: "webhooks",
        rows,
        f,
        notice,
        error,
    };
    Ok(render(status, &page))
}

/// `GET /settings/webhooks`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let notice = notice_of(host.t, query);
    list_page(&state, &host, StatusCode::OK, Fields::blank(), notice, None).await
}

/// `POST /settings/webhooks`.
pub async fn create(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let policy = state.settings.webhooks.private_policy();
    match manage::create(&state.db, &state.keyring, policy, owner(host), change_of(&post.form)).await {
        Ok(created) => Ok(Redirect::to(&format!("/settings/webhooks/{}?notice=created", created.id)).into_response()),
        Err(e) => {
            let why = refused(host.t, e)?;
            let f = Fields::posted(&post.form, false);
            list_page(&state, host, StatusCode::BAD_REQUEST, f, None, Some(why)).await
        }
    }
}

async fn edit_page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    record: &WebhookRecord,
    f: Fields,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, Refusal> {
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let deliveries = deliveries::for_webhook(&state.db, record.id)
        .await?
        .into_iter()
        .rev()
        .take(RECENT)
        .map(|d| DeliveryRow {
            id: d.id.0,
            trigger: d.trigger_event,
            when: local_minute(d.created_at, &zone),
            status: d.status,
            code: d.last_status_code.map(|c| c.to_string()).unwrap_or_default(),
            error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let page = EditPage {
        nav: host.nav(state, Section::Settings).await?,
        t: host.t,
        tab: "webhooks",
        id: record.id.0,
        f,
        deliveries,
        notice,
        error,
    };
    Ok(render(status, &page))
}

/// `GET /settings/webhooks/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let record = mine(&state, &host, &id).await?;
    let notice = notice_of(host.t, query);
    edit_page(
        &state,
        &host,
        StatusCode::OK,
        &record,
        Fields::of(&record),
        notice,
        None,
    )
    .await
}

/// `POST /settings/webhooks/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let record = mine(&state, host, &id).await?;
    let policy = state.settings.webhooks.private_policy();
    match manage::update(&state.db, &state.keyring, policy, &record, change_of(&post.form)).await {
        Ok(saved) => Ok(Redirect::to(&format!("/settings/webhooks/{}?notice=saved", saved.id)).into_response()),
        Err(e) => {
            let why = refused(host.t, e)?;
            let f = Fields::posted(&post.form, record.secret_sealed.is_some());
            edit_page(&state, host, StatusCode::BAD_REQUEST, &record, f, None, Some(why)).await
        }
    }
}

/// `POST /settings/webhooks/{id}/ping`: queues a test delivery.
pub async fn ping(State(state): State<AppState>, Path(id): Path<String>, post: HostForm) -> Result<Response, Refusal> {
    let record = mine(&state, &post.host, &id).await?;
    manage::ping(&state.db, &record).await?;
    Ok(Redirect::to(&format!("/settings/webhooks/{}?notice=pinged", record.id)).into_response())
}

/// `POST /settings/webhooks/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let record = mine(&state, &post.host, &id).await?;
    webhooks::delete(&state.db, owner(&post.host), record.id).await?;
    Ok(Redirect::to("/settings/webhooks?notice=deleted").into_response())
}
