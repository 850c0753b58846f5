//! The public routing form page, `/forms/{formId}`: the form's questions as a plain HTML form (no script needed),
//! and on submit a 303 to where the answers lead — the event type's booker with the answers prefilled, an external
//! page, or this page again showing the route's message. Like the booking pages it may be framed (embedding) and
//! carries `?embed=` along. Submissions go through the routing forms service as the API's do.

use super::limited::within;
use super::respond::{render, same_origin};
use crate::i18n::Lang;
use crate::limits::{ClientAddress, LimitKey, PublicOperation};
use crate::routing_forms::model::{Action, FieldKind};
use crate::routing_forms::submit::{self, Destination};
use crate::routing_forms::{Form, RoutingFormError, manage};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use convene_core::FieldError;
use serde_json::{Map, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/{form_id}", get(form_page).post(submit_form))
        .route("/forms/{form_id}/embed", get(form_page).post(submit_form))
}

struct Choice {
    value: String,
    label: String,
    checked: bool,
}

struct FieldView {
    html_id: String,
    name: String,
    label: String,
    kind: &'static str,
    input_type: &'static str,
    required: bool,
    value: String,
    options: Vec<Choice>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "forms/form.html")]
struct FormPage {
    t: Lang,
    title: String,
    description: Option<String>,
    action: String,
    hidden: Vec<(String, String)>,
    fields: Vec<FieldView>,
    has_errors: bool,
    notice: Option<String>,
    langs: Vec<(&'static str, &'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "forms/message.html")]
struct MessagePage<'a> {
    t: Lang,
    title: &'a str,
    text: &'a str,
}

fn message(status: StatusCode, t: Lang, title: &str, text: &str) -> Response {
    render(status, &MessagePage { t, title, text })
}

fn not_found(t: Lang) -> Response {
    message(
        StatusCode::NOT_FOUND,
        t,
        &t.text("not-found-title"),
        &t.text("not-found"),
    )
}

fn failed(t: Lang, e: &RoutingFormError) -> Response {
    tracing::error!(error = %e, "routing form page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        t,
        &t.text("error-title"),
        &t.text("error-retry"),
    )
}

/// The pairs of a query string or form body, in order.
fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).into_owned().take(500).collect()
}

fn first<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

fn lang_of(pairs: &[(String, String)], headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::negotiate(first(pairs, "lang"), accept)
}

/// The page's own settings carried from page to page: language and the embed namespace (possibly empty).
fn carried(pairs: &[(String, String)], lang: Lang) -> Vec<(String, String)> {
    let mut out = vec![("lang".to_owned(), lang.code().to_owned())];
    if let Some((_, ns)) = pairs.iter().find(|(k, _)| k == "embed") {
        out.push(("embed".to_owned(), ns.chars().take(100).collect()));
    }
    out
}

fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

/// The enabled form named by the path.
async fn load(state: &AppState, id: &str) -> Result<Option<Form>, RoutingFormError> {
    match manage::get(&state.db, id).await {
        Ok(form) if !form.record.disabled => Ok(Some(form)),
        Ok(_) | Err(RoutingFormError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A person-readable sentence for a refused answer, in the page's language.
fn error_text(t: Lang, kind: FieldKind, e: &FieldError) -> String {
    let id = if e.message == "is required" {
        "error-required"
    } else {
        match kind {
            FieldKind::Email => "error-email",
            FieldKind::Number => "error-number",
            FieldKind::Phone => "error-phone",
            FieldKind::Select | FieldKind::Multiselect => "error-option",
            FieldKind::Text | FieldKind::Textarea => "error-too-long",
        }
    };
    t.text(id)
}

fn page(
    form: &Form,
    t: Lang,
    sent: &[(String, String)],
    settings: &[(String, String)],
    error: Option<&FieldError>,
) -> FormPage {
    let fields = form
        .definition
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let values: Vec<&str> = sent
                .iter()
                .filter(|(k, _)| *k == f.id)
                .map(|(_, v)| v.as_str())
                .collect();
            let (kind, input_type) = match f.kind {
                FieldKind::Text => ("text", "text"),
                FieldKind::Textarea => ("textarea", "text"),
                FieldKind::Number => ("number", "number"),
                FieldKind::Email => ("email", "email"),
                FieldKind::Phone => ("phone", "tel"),
                FieldKind::Select => ("select", "radio"),
                FieldKind::Multiselect => ("multiselect", "checkbox"),
            };
            FieldView {
                html_id: format!("q{i}"),
                name: f.id.clone(),
                label: f.label.clone(),
                kind,
                input_type,
                required: f.required,
                value: values.first().copied().unwrap_or_default().to_owned(),
                options: f
                    .options
                    .iter()
                    .map(|o| Choice {
                        value: o.id.clone(),
                        label: o.label.clone(),
                        checked: values.contains(&o.id.as_str()),
                    })
                    .collect(),
                error: error.filter(|e| e.field == f.name()).map(|e| error_text(t, f.kind, e)),
            }
        })
        .collect();
    let path = format!("/forms/{}", form.record.id);
    let langs = Lang::ALL
        .into_iter()
        .map(|l| {
            let mut carried = settings.to_vec();
            carried.retain(|(k, _)| k != "lang");
            carried.push(("lang".to_owned(), l.code().to_owned()));
            (l.own_name(), l.code(), with_query(&path, &carried), l == t)
        })
        .collect();
    FormPage {
        t,
        title: form.record.name.clone(),
        description: form.record.description.clone(),
        action: path,
        hidden: settings.to_vec(),
        fields,
        has_errors: error.is_some(),
        notice: None,
        langs,
    }
}

/// `GET /forms/{formId}`: the questions, or (`?routed=<route id>`) the message a route ended on.
async fn form_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let t = lang_of(&query, &headers);
    let form = match load(&state, &id).await {
        Ok(Some(form)) => form,
        Ok(None) => return not_found(t),
        Err(e) => return failed(t, &e),
    };
    if let Some(routed) = query.iter().find(|(k, _)| k == "routed").map(|(_, v)| v.as_str()) {
        let text = form.definition.routes.iter().find_map(|r| match &r.action {
            Action::Message { value } if r.id == routed => Some(value.clone()),
            _ => None,
        });
        let text = text.unwrap_or_else(|| t.text("routing-form-thanks"));
        return message(StatusCode::OK, t, &form.record.name, &text);
    }
    render(StatusCode::OK, &page(&form, t, &[], &carried(&query, t), None))
}

/// The answers of a form body: one value per field, a list for multi-selects.
fn answers(form: &Form, body: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in &form.definition.fields {
        let values: Vec<&String> = body.iter().filter(|(k, _)| *k == f.id).map(|(_, v)| v).collect();
        let value = if f.kind == FieldKind::Multiselect {
            Value::from(values.into_iter().cloned().collect::<Vec<_>>())
        } else {
            values.first().map_or(Value::Null, |v| Value::from((*v).clone()))
        };
        out.insert(f.id.clone(), value);
    }
    out
}

/// `POST /forms/{formId}`: stores the response and sends the visitor where it leads (303).
async fn submit_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = pairs(&body);
    let t = lang_of(&body, &headers);
    if !same_origin(&headers) {
        return message(
            StatusCode::FORBIDDEN,
            t,
            &t.text("error-title"),
            &t.text("form-expired"),
        );
    }
    let form = match load(&state, &id).await {
        Ok(Some(form)) => form,
        Ok(None) => return not_found(t),
        Err(e) => return failed(t, &e),
    };
    let settings = carried(&body, t);
    let key = LimitKey::Public {
        operation: PublicOperation::Booking,
        client,
    };
    if let Err(refused) = within(&state, key).await {
        return refused.page("", |status, _| {
            let mut again = page(&form, t, &body, &settings, None);
            again.notice = Some(t.text("too-many"));
            render(status, &again)
        });
    }
    let submitted = submit::submit(&state.db, &state.mailer, &form, &answers(&form, &body), None).await;
    let submission = match submitted {
        Ok(s) => s,
        Err(RoutingFormError::Invalid(e)) => {
            return render(StatusCode::BAD_REQUEST, &page(&form, t, &body, &settings, Some(&e)));
        }
        Err(RoutingFormError::Disabled) => return not_found(t),
        Err(e) => return failed(t, &e),
    };
    let to = match submission.destination {
        Destination::EventType { path, .. } => {
            let mut extra: Vec<(String, String)> = settings;
            extra.retain(|(k, _)| k == "embed" || k == "lang");
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &extra {
                query.append_pair(k, v);
            }
            format!("{path}&{}", query.finish())
        }
        Destination::ExternalUrl(url) => url,
        Destination::Message(_) | Destination::Nothing => {
            let mut back = settings;
            if let Some(route) = &submission.response.route_id {
                back.push(("routed".to_owned(), route.clone()));
            } else {
                back.push(("routed".to_owned(), String::new()));
            }
            with_query(&format!("/forms/{}", form.record.id), &back)
        }
    };
    Redirect::to(&to).into_response()
}
