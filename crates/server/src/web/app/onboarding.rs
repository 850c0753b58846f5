//! The form a newcomer fills in before they land in the app — by invitation ([`super::invitations`]) or open
//! sign-up ([`super::signup`]): name, username, password and time zone (the browser's zone filled in by the app
//! script; without it the person types or picks one). Before sign-in, so it carries the double-submit CSRF token
//! of the sign-in form, and speaks the browser's language.

use super::form::Posted;
use crate::accounts::onboarding::Onboarding;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::booker::month::zone_names;
use crate::web::respond::{render, same_origin};
use crate::web::session::{self, CSRF_COOKIE, tokens_match};
use askama::Template;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use convene_core::FieldError;

/// What the person typed, kept when the form comes back with a message (never the password).
#[derive(Debug, Default)]
pub(super) struct Typed {
    pub email: String,
    pub name: String,
    pub username: String,
    pub time_zone: String,
    /// The zone came from the person (a form sent back): the script leaves it alone.
    pub zone_typed: bool,
}

impl Typed {
    pub(super) fn from_form(form: &Posted) -> Self {
        Typed {
            email: form.get("email").trim().to_owned(),
            name: form.get("name").to_owned(),
            username: form.get("username").to_owned(),
            time_zone: form.get("timeZone").trim().to_owned(),
            zone_typed: true,
        }
    }

    pub(super) fn onboarding(&self, form: &Posted) -> Onboarding {
        Onboarding {
            name: self.name.clone(),
            username: self.username.clone(),
            password: form.get("password").to_owned(),
            time_zone: self.time_zone.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "app/onboarding.html")]
struct OnboardingPage<'a> {
    t: Lang,
    heading: String,
    intro: String,
    action: &'a str,
    csrf: &'a str,
    token: &'a str,
    needs_profile: bool,
    ask_email: bool,
    submit: String,
    f: &'a Typed,
    zones: &'static [String],
    error: Option<String>,
    error_field: String,
}

/// One way in: where the form posts, what it says, and whether it asks for the address.
pub(super) struct Form<'a> {
    pub action: &'a str,
    pub heading: String,
    pub intro: String,
    pub submit: String,
    pub token: &'a str,
    pub needs_profile: bool,
    pub ask_email: bool,
}

/// The page's language: the browser's.
pub(super) fn browser_lang(headers: &HeaderMap) -> Lang {
    Lang::negotiate(None, headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The form with a fresh CSRF cookie, `typed` kept and `error` beside its field.
pub(super) fn page(
    state: &AppState,
    jar: CookieJar,
    t: Lang,
    status: StatusCode,
    form: &Form<'_>,
    typed: &Typed,
    error: Option<FieldError>,
) -> Response {
    let (jar, csrf) = session::login_csrf(state, jar);
    let (error, error_field) = match error {
        Some(e) => (Some(t.refusal(&e)), e.field),
        None => (None, String::new()),
    };
    let page = OnboardingPage {
        t,
        heading: form.heading.clone(),
        intro: form.intro.clone(),
        action: form.action,
        csrf: &csrf,
        token: form.token,
        needs_profile: form.needs_profile,
        ask_email: form.ask_email,
        submit: form.submit.clone(),
        f: typed,
        zones: zone_names(),
        error,
        error_field,
    };
    (jar, render(status, &page)).into_response()
}

/// Same origin, and the form's token matches the pre-sign-in CSRF cookie.
pub(super) fn genuine(headers: &HeaderMap, jar: &CookieJar, form: &Posted) -> bool {
    let cookie = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    same_origin(headers) && tokens_match(&cookie, form.get("csrf"))
}
