//! Answers every page shares: a template rendered (never cached: pages carry CSRF tokens and personal data), the
//! plain message page, the answer to an unexpected failure, and the same-origin check of form posts. Kept apart
//! from the page handlers so any page can use them without depending on the others.

use crate::i18n::Lang;
use askama::Template;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    t: Lang,
    title: &'a str,
    message: &'a str,
}

pub(super) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>Something went wrong</h1>".to_owned()),
            )
                .into_response()
        }
    }
}

pub(super) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    message_in(Lang::En, status, title, text)
}

/// The message page with its title and text already in `t`'s language.
pub(super) fn message_in(t: Lang, status: StatusCode, title: &str, text: &str) -> Response {
    render(
        status,
        &MessagePage {
            t,
            title,
            message: text,
        },
    )
}

/// The message page of the message ids `title` and `text`.
pub(super) fn said(t: Lang, status: StatusCode, title: &str, text: &str) -> Response {
    message_in(t, status, &t.text(title), &t.text(text))
}

/// The language of a page without a session: `?lang=` (or a form's `lang`), then `Accept-Language`, then English.
pub(super) fn visitor_lang(chosen: Option<&str>, headers: &HeaderMap) -> Lang {
    Lang::negotiate(
        chosen,
        headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    )
}

pub(super) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}

/// A cross-site POST carries a foreign Origin; refuse it before looking at anything else.
pub(super) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| !host.is_empty() && rest == host)
}

/// Where sign-in sends the user back to: the page asked for (GET only; a form's target may have no page).
pub(super) fn back_to(parts: &Parts) -> Option<String> {
    (parts.method == Method::GET)
        .then(|| parts.uri.path_and_query().map(ToString::to_string))
        .flatten()
}

/// To the sign-in page, asking it to come back to `back` afterwards (sign-in checks it is a page of this site).
pub(super) fn to_sign_in(back: Option<&str>) -> Response {
    let to = match back {
        Some(path) => format!(
            "/auth/login?next={}",
            form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
        ),
        None => "/auth/login".to_owned(),
    };
    Redirect::to(&to).into_response()
}
