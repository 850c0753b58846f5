//! The page an email-change confirmation links to. Opening the link shows a button rather than changing anything,
//! so a mail scanner that fetches links does not confirm on the reader's behalf; the button's POST confirms
//! through the account service ([`crate::accounts::email_change`]), as the API's code does.

use super::limited;
use super::respond::{internal, message_in, render, said, same_origin, visitor_lang};
use super::session::{self, CSRF_COOKIE, tokens_match};
use crate::accounts::email_change::{Confirmation, EmailChangeError, confirm_email_change};
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
use serde::Deserialize;

#[derive(Template)]
#[template(path = "confirm_email.html")]
struct ConfirmPage<'a> {
    t: Lang,
    csrf: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

fn confirm_form(
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
            &ConfirmPage {
                t,
                csrf: &csrf,
                token,
                error,
            },
        ),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    token: Option<String>,
    lang: Option<String>,
}

/// `GET /auth/confirm-email?token=…`.
pub async fn confirm_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    query: Result<Query<ConfirmQuery>, QueryRejection>,
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
            "auth-confirm-incomplete",
        );
    }
    confirm_form(&state, jar, t, StatusCode::OK, token, None)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    token: String,
    csrf: String,
    /// The language the form was shown in.
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /auth/confirm-email`: makes the new address the account's.
pub async fn confirm_submit(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<ConfirmForm>, FormRejection>,
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
    let cookie_token = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !same_origin(&headers) || !tokens_match(&cookie_token, &form.csrf) {
        return said(t, StatusCode::FORBIDDEN, "auth-expired-title", "auth-expired-link");
    }
    let key = LimitKey::Public {
        operation: PublicOperation::VerificationCode,
        client,
    };
    if let Err(refused) = limited::within(&state, key).await {
        return refused.page_in(t, &t.text("auth-too-many-network"), |status, text| {
            confirm_form(&state, jar, t, status, &form.token, Some(text))
        });
    }
    match confirm_email_change(&state.db, &state.mailer, Confirmation::Link { token: &form.token }).await {
        Ok(user) => message_in(
            t,
            StatusCode::OK,
            &t.text("auth-confirm-done-title"),
            &t.text_with("auth-confirm-done-text", &[("email", &user.email)]),
        ),
        Err(EmailChangeError::LinkWrong | EmailChangeError::CodeWrong | EmailChangeError::CodeMissing) => {
            let error = t.text("auth-confirm-expired");
            confirm_form(&state, jar, t, StatusCode::BAD_REQUEST, &form.token, Some(&error))
        }
        Err(EmailChangeError::Taken) => said(
            t,
            StatusCode::CONFLICT,
            "auth-confirm-taken-title",
            "auth-confirm-taken-text",
        ),
        Err(e) => internal(format!("{e:?}")),
    }
}
