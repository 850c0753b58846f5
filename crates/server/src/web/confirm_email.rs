//! The page an email-change confirmation links to. Opening the link shows a button rather than changing anything,
//! so a mail scanner that fetches links does not confirm on the reader's behalf; the button's POST confirms
//! through the account service ([`crate::accounts::email_change`]), as the API's code does.

use super::limited;
use super::respond::{internal, message, render, same_origin};
use super::session::{self, CSRF_COOKIE, tokens_match};
use crate::accounts::email_change::{Confirmation, EmailChangeError, confirm_email_change};
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
    csrf: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

const EXPIRED: &str = "This link is invalid or has expired. Ask for the change again from your account settings.";

fn confirm_form(state: &AppState, jar: CookieJar, status: StatusCode, token: &str, error: Option<&str>) -> Response {
    let (jar, csrf) = session::login_csrf(state, jar);
    (
        jar,
        render(
            status,
            &ConfirmPage {
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
}

/// `GET /auth/confirm-email?token=…`.
pub async fn confirm_page(
    State(state): State<AppState>,
    jar: CookieJar,
    query: Result<Query<ConfirmQuery>, QueryRejection>,
) -> Response {
    let token = query.ok().and_then(|Query(q)| q.token).unwrap_or_default();
    let token = token.trim();
    if token.is_empty() {
        return message(
            StatusCode::BAD_REQUEST,
            "Incomplete link",
            "This confirmation link is incomplete. Open the link from the email again.",
        );
    }
    confirm_form(&state, jar, StatusCode::OK, token, None)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    token: String,
    csrf: String,
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
        return message(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "The form was incomplete. Please open the link from the email again.",
        );
    };
    let cookie_token = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !same_origin(&headers) || !tokens_match(&cookie_token, &form.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "Session expired",
            "The form expired or came from another site. Please open the link from the email again.",
        );
    }
    let key = LimitKey::Public {
        operation: PublicOperation::VerificationCode,
        client,
    };
    if let Err(refused) = limited::within(&state, key).await {
        return refused.page("Too many attempts from your network.", |status, text| {
            confirm_form(&state, jar, status, &form.token, Some(text))
        });
    }
    match confirm_email_change(&state.db, &state.mailer, Confirmation::Link { token: &form.token }).await {
        Ok(user) => message(
            StatusCode::OK,
            "Email address changed",
            &format!("Your account's email address is now {}.", user.email),
        ),
        Err(EmailChangeError::LinkWrong | EmailChangeError::CodeWrong | EmailChangeError::CodeMissing) => {
            confirm_form(&state, jar, StatusCode::BAD_REQUEST, &form.token, Some(EXPIRED))
        }
        Err(EmailChangeError::Taken) => message(
            StatusCode::CONFLICT,
            "Address already in use",
            "Another account uses this address now, so it can't become yours.",
        ),
        Err(e) => internal(format!("{e:?}")),
    }
}
