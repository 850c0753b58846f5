//! Password reset pages: asking for the reset email, and choosing a new password with the link from it.
//!
//! Both forms work without a session, so they carry the pre-sign-in double-submit CSRF token like the
//! sign-in form. The work is the account service's ([`crate::accounts::password_reset`]), as for the API.

use super::limited;
use super::respond::{internal, message, render, same_origin};
use super::session::{self, CSRF_COOKIE, tokens_match};
use crate::accounts::password_reset::{ResetError, request_reset, reset_password};
use crate::limits::{ClientAddress, LimitKey, PublicOperation};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use convene_core::EmailAddress;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage<'a> {
    csrf: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset_done.html")]
struct ResetDonePage;

/// The answer to every well-formed request for a reset email, whether or not the address has an account.
const SENT_TITLE: &str = "Check your email";
const SENT_MESSAGE: &str = "If an account exists for that address, we sent an email with a link to reset the password.";

/// Same origin, and the form's token matches the CSRF cookie.
fn genuine(headers: &HeaderMap, jar: &CookieJar, form_token: &str) -> bool {
    let cookie_token = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    same_origin(headers) && tokens_match(&cookie_token, form_token)
}

fn forgot_form(state: &AppState, jar: CookieJar, status: StatusCode, email: &str, error: Option<&str>) -> Response {
    let (jar, csrf) = session::login_csrf(state, jar);
    (
        jar,
        render(
            status,
            &ForgotPage {
                csrf: &csrf,
                email,
                error,
            },
        ),
    )
        .into_response()
}

fn reset_form(state: &AppState, jar: CookieJar, status: StatusCode, token: &str, error: Option<&str>) -> Response {
    let (jar, csrf) = session::login_csrf(state, jar);
    (
        jar,
        render(
            status,
            &ResetPage {
                csrf: &csrf,
                token,
                error,
            },
        ),
    )
        .into_response()
}

/// `GET /auth/forgot-password`.
pub async fn forgot_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    forgot_form(&state, jar, StatusCode::OK, "", None)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
    csrf: String,
}

/// `POST /auth/forgot-password`: queues the reset email (when the address has an account) and answers the
/// same either way.
pub async fn forgot_submit(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<ForgotForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return message(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "The form was incomplete. Please try again.",
        );
    };
    if !genuine(&headers, &jar, &form.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "Session expired",
            "The form expired or came from another site. Please try again.",
        );
    }
    let typed = form.email.trim();
    let Ok(email) = EmailAddress::parse("email", typed) else {
        return forgot_form(
            &state,
            jar,
            StatusCode::BAD_REQUEST,
            typed,
            Some("Please enter a valid email address."),
        );
    };
    // The same allowances as `POST /v2/auth/password-reset`: per client address, and per address asked about.
    for key in [
        LimitKey::Public {
            operation: PublicOperation::PasswordReset,
            client,
        },
        LimitKey::PasswordResetEmail(email.clone()),
    ] {
        if let Err(refused) = limited::within(&state, key).await {
            return refused.page("Too many requests for this address.", |status, text| {
                forgot_form(&state, jar, status, typed, Some(text))
            });
        }
    }
    if let Err(e) = request_reset(&state.db, &state.mailer, &email).await {
        return internal(format!("{e:?}"));
    }
    message(StatusCode::OK, SENT_TITLE, SENT_MESSAGE)
}

#[derive(Deserialize)]
pub struct ResetQuery {
    token: Option<String>,
}

/// `GET /auth/reset-password?token=…`: the page the reset email links to.
pub async fn reset_page(
    State(state): State<AppState>,
    jar: CookieJar,
    query: Result<Query<ResetQuery>, QueryRejection>,
) -> Response {
    let token = query.ok().and_then(|Query(q)| q.token).unwrap_or_default();
    let token = token.trim();
    if token.is_empty() {
        return message(
            StatusCode::BAD_REQUEST,
            "Incomplete link",
            "This password reset link is incomplete. Open the link from the email again, or ask for a new one.",
        );
    }
    reset_form(&state, jar, StatusCode::OK, token, None)
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
    confirm: String,
    csrf: String,
}

/// `POST /auth/reset-password`: sets the new password; on errors shows the form again (never the password).
pub async fn reset_submit(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<ResetForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return message(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "The form was incomplete. Please open the link from the email again.",
        );
    };
    if !genuine(&headers, &jar, &form.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "Session expired",
            "The form expired or came from another site. Please open the link from the email again.",
        );
    }
    let key = LimitKey::Public {
        operation: PublicOperation::PasswordReset,
        client,
    };
    if let Err(refused) = limited::within(&state, key).await {
        return refused.page("Too many attempts from your network.", |status, text| {
            reset_form(&state, jar, status, &form.token, Some(text))
        });
    }
    if form.password != form.confirm {
        return reset_form(
            &state,
            jar,
            StatusCode::BAD_REQUEST,
            &form.token,
            Some("The two passwords do not match."),
        );
    }
    match reset_password(&state.db, &form.token, form.password).await {
        Ok(()) => render(StatusCode::OK, &ResetDonePage),
        Err(ResetError::Password(rule)) => reset_form(
            &state,
            jar,
            StatusCode::BAD_REQUEST,
            &form.token,
            Some(&format!("The new password {rule}.")),
        ),
        Err(ResetError::Token(_)) => reset_form(
            &state,
            jar,
            StatusCode::BAD_REQUEST,
            &form.token,
            Some("This reset link is invalid or has expired. Please ask for a new reset email."),
        ),
        Err(e) => internal(format!("{e:?}")),
    }
}
