//! Password reset pages: asking for the reset email, and choosing a new password with the link from it.
//!
//! Both forms work without a session, so they carry the pre-sign-in double-submit CSRF token like the
//! sign-in form. The work is the account service's ([`crate::accounts::password_reset`]), as for the API.

use super::limited;
use super::respond::{internal, render, said, same_origin, visitor_lang};
use super::session::{self, CSRF_COOKIE, tokens_match};
use crate::accounts::password_reset::{ResetError, request_reset, reset_password};
use crate::i18n::Lang;
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
    t: Lang,
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage<'a> {
    t: Lang,
    csrf: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset_done.html")]
struct ResetDonePage {
    t: Lang,
}

/// Same origin, and the form's token matches the CSRF cookie.
fn genuine(headers: &HeaderMap, jar: &CookieJar, form_token: &str) -> bool {
    let cookie_token = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    same_origin(headers) && tokens_match(&cookie_token, form_token)
}

fn forgot_form(
    state: &AppState,
    jar: CookieJar,
    t: Lang,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Response {
    let (jar, csrf) = session::login_csrf(state, jar);
    (
        jar,
        render(
            status,
            &ForgotPage {
                t,
                csrf: &csrf,
                email,
                error,
            },
        ),
    )
        .into_response()
}

fn reset_form(
    state: &AppState,
    jar: CookieJar,
    t: Lang,
    status: StatusCode,
    token: &str,
    error: Option<&str>,
) -> Response {
    let (jar, csrf) = session::login_csrf(state, jar);
    (
        jar,
        render(
            status,
            &ResetPage {
                t,
                csrf: &csrf,
                token,
                error,
            },
        ),
    )
        .into_response()
}

/// `GET /auth/forgot-password`.
pub async fn forgot_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    query: Result<Query<LangQuery>, QueryRejection>,
) -> Response {
    let t = visitor_lang(query.ok().and_then(|Query(q)| q.lang).as_deref(), &headers);
    forgot_form(&state, jar, t, StatusCode::OK, "", None)
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
    csrf: String,
    /// The language the form was shown in.
    #[serde(default)]
    lang: Option<String>,
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
        let t = visitor_lang(None, &headers);
        return said(t, StatusCode::BAD_REQUEST, "auth-bad-request", "auth-form-incomplete");
    };
    let t = visitor_lang(form.lang.as_deref(), &headers);
    if !genuine(&headers, &jar, &form.csrf) {
        return said(t, StatusCode::FORBIDDEN, "auth-expired-title", "auth-expired-retry");
    }
    let typed = form.email.trim();
    let Ok(email) = EmailAddress::parse("email", typed) else {
        let error = t.text("auth-invalid-email");
        return forgot_form(&state, jar, t, StatusCode::BAD_REQUEST, typed, Some(&error));
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
            return refused.page_in(t, &t.text("auth-too-many-address"), |status, text| {
                forgot_form(&state, jar, t, status, typed, Some(text))
            });
        }
    }
    if let Err(e) = request_reset(&state.db, &state.mailer, &email).await {
        return internal(format!("{e:?}"));
    }
    // The same answer whether or not the address has an account.
    said(t, StatusCode::OK, "auth-sent-title", "auth-sent-text")
}

#[derive(Deserialize)]
pub struct ResetQuery {
    token: Option<String>,
    lang: Option<String>,
}

/// `GET /auth/reset-password?token=…`: the page the reset email links to.
pub async fn reset_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    query: Result<Query<ResetQuery>, QueryRejection>,
) -> Response {
    let (token, lang) = query.map_or((None, None), |Query(q)| (q.token, q.lang));
    let t = visitor_lang(lang.as_deref(), &headers);
    let token = token.unwrap_or_default();
    let token = token.trim();
    if token.is_empty() {
        return said(
            t,
            StatusCode::BAD_REQUEST,
            "auth-incomplete-link",
            "auth-reset-incomplete",
        );
    }
    reset_form(&state, jar, t, StatusCode::OK, token, None)
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
    confirm: String,
    csrf: String,
    /// The language the form was shown in.
    #[serde(default)]
    lang: Option<String>,
}

/// The password rule's refusal (an English phrase from the account service) in `t`'s language.
fn password_refusal(t: Lang, rule: &str) -> String {
    if rule.contains("at least") {
        t.text("auth-reset-too-short")
    } else if rule.contains("at most") {
        t.text("auth-reset-too-long")
    } else {
        format!("The new password {rule}.")
    }
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
        let t = visitor_lang(None, &headers);
        return said(
            t,
            StatusCode::BAD_REQUEST,
            "auth-bad-request",
            "auth-form-incomplete-link",
        );
    };
    let t = visitor_lang(form.lang.as_deref(), &headers);
    if !genuine(&headers, &jar, &form.csrf) {
        return said(t, StatusCode::FORBIDDEN, "auth-expired-title", "auth-expired-link");
    }
    let key = LimitKey::Public {
        operation: PublicOperation::PasswordReset,
        client,
    };
    if let Err(refused) = limited::within(&state, key).await {
        return refused.page_in(t, &t.text("auth-too-many-network"), |status, text| {
            reset_form(&state, jar, t, status, &form.token, Some(text))
        });
    }
    let refuse =
        |jar: CookieJar, error: &str| reset_form(&state, jar, t, StatusCode::BAD_REQUEST, &form.token, Some(error));
    if form.password != form.confirm {
        return refuse(jar, &t.text("auth-reset-mismatch"));
    }
    match reset_password(&state.db, &form.token, form.password).await {
        Ok(()) => render(StatusCode::OK, &ResetDonePage { t }),
        Err(ResetError::Password(rule)) => refuse(jar, &password_refusal(t, rule)),
        Err(ResetError::Token(_)) => refuse(jar, &t.text("auth-reset-invalid")),
        Err(e) => internal(format!("{e:?}")),
    }
}
