//! What every booking page shares: the language, zone and clock it shows, the language switch, and its
//! messages for people (not found, link problems, failures).

use super::params::{Params, href};
use crate::i18n::Lang;
use crate::limits::LimitKey;
use crate::scheduling::slot_work::SlotWorkError;
use crate::scheduling::slots::FreeStartsError;
use crate::state::AppState;
use crate::web::limited::{Refused, within};
use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;

/// The invitee's view: language, time zone and 12/24 h clock.
pub struct View {
    pub lang: Lang,
    pub zone: String,
    pub tz: TimeZone,
    pub h24: bool,
}

impl View {
    /// From `?lang`, `?tz` and `?clock`; the zone and clock default to `default_zone` and `default_h24` (the
    /// host's, or the attendee's). An unknown zone falls back to the default rather than failing the page.
    pub fn of(params: &Params, headers: &HeaderMap, default_zone: &str, default_h24: bool) -> View {
        let lang = params.lang(headers);
        let (zone, tz) = [params.get("tz"), Some(default_zone), Some("UTC")]
            .into_iter()
            .flatten()
            .find_map(|z| TimeZone::get(z).ok().map(|tz| (z.to_owned(), tz)))
            .unwrap_or_else(|| ("UTC".to_owned(), TimeZone::UTC));
        let h24 = match params.get("clock") {
            Some("12") => false,
            Some("24") => true,
            _ => default_h24,
        };
        View { lang, zone, tz, h24 }
    }
}

/// One entry of the language switch.
pub struct LangLink {
    pub name: &'static str,
    pub code: &'static str,
    pub href: String,
    pub current: bool,
}

/// Links to the same page in every language.
pub fn lang_links(path: &str, params: &Params, current: Lang) -> Vec<LangLink> {
    let mut pairs: Vec<(String, String)> = params.carried(true);
    for extra in ["month", "date"] {
        if let Some(v) = params.get(extra) {
            pairs.push((extra.to_owned(), v.to_owned()));
        }
    }
    Lang::ALL
        .into_iter()
        .map(|l| LangLink {
            name: l.own_name(),
            code: l.code(),
            href: href(path, &pairs, &[("lang", l.code())]),
            current: l == current,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "booker/message.html")]
struct MessagePage<'a> {
    t: Lang,
    status_code: u16,
    title: &'a str,
    text: &'a str,
    link: Option<(&'a str, &'a str)>,
}

/// Renders a booking page: HTML, never cached (slots change), or a plain failure page — as every page.
pub(super) use crate::web::respond::render;

/// A page with a heading, a sentence and perhaps one link onwards.
pub fn message(status: StatusCode, t: Lang, title: &str, text: &str, link: Option<(&str, &str)>) -> Response {
    render(
        status,
        &MessagePage {
            t,
            status_code: status.as_u16(),
            title,
            text,
            link,
        },
    )
}

pub fn not_found(t: Lang) -> Response {
    message(
        StatusCode::NOT_FOUND,
        t,
        &t.text("not-found-title"),
        &t.text("not-found"),
        None,
    )
}

/// Counts one request against `key`; a refusal is the page saying to wait (429 with `Retry-After`).
pub async fn within_limit(state: &AppState, t: Lang, key: LimitKey) -> Result<(), Response> {
    match within(state, key).await {
        Ok(()) => Ok(()),
        Err(Refused::Broken(e)) => Err(internal(t, e)),
        Err(wait) => Err(wait.page("", |status, _| {
            message(status, t, &t.text("error-title"), &t.text("too-many"), None)
        })),
    }
}

pub fn internal(t: Lang, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "booking page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        t,
        &t.text("error-title"),
        &t.text("error-retry"),
        None,
    )
}

/// Free times could not be listed: too many listings in flight (503, retry soon) or more start times than one
/// answer may hold (the event type's own settings; only its host can change that).
pub fn slots_unavailable(t: Lang, e: FreeStartsError) -> Response {
    match e {
        FreeStartsError::Store(e) => internal(t, e),
        FreeStartsError::Work(SlotWorkError::Busy { retry_after_secs }) => {
            let page = message(
                StatusCode::SERVICE_UNAVAILABLE,
                t,
                &t.text("busy-title"),
                &t.text("error-retry"),
                None,
            );
            crate::web::limited::with_retry_after(page, retry_after_secs)
        }
        FreeStartsError::Work(too_many @ SlotWorkError::TooManyStarts { .. }) => {
            tracing::warn!(error = %too_many, "booking page asked for more slots than one answer may hold");
            message(
                StatusCode::UNPROCESSABLE_ENTITY,
                t,
                &t.text("error-title"),
                &t.text("too-many-times"),
                None,
            )
        }
    }
}

/// For paths that belong to the API or other pages (`/v2/…`): a bare 404 the API's envelope then renders.
pub fn not_ours() -> Response {
    StatusCode::NOT_FOUND.into_response()
}
