//! Settings → Email address: the account's address, a change waiting for confirmation, and asking for a new one.
//! The change goes through `accounts::email_change`, as `PATCH /v2/me` does: a code and a link go to the new address
//! and the account keeps the old one until the link (or code) comes back; the same limits count the emails sent
//! (`accounts::verification_limits`).

use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::accounts::email_change::{self, ChangeRequested, EmailChangeError};
use crate::accounts::verification_limits;
use crate::i18n::Lang;
use crate::limits::ClientAddress;
use crate::state::AppState;
use crate::web::limited::{Refused, wait_text, with_retry_after};
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::EmailAddress;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "app/email_settings.html")]
struct EmailPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    email: String,
    verified: bool,
    pending: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    typed: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

async fn email_page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed: String,
) -> Result<Response, Refusal> {
    let pending = email_change::pending_email(&state.db, host.user.id.0).await?;
    let page = EmailPage {
        nav: host.nav(state, Section::Settings).await?,
        t: host.t,
        tab: "email",
        email: host.user.email.clone(),
        verified: host.user.verified_email().is_some(),
        pending,
        notice,
        error,
        typed,
    };
    Ok(render(status, &page))
}

/// `GET /settings/email`.
pub async fn show(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let key = match query.ok().and_then(|Query(q)| q.notice).as_deref() {
        Some("pending") => Some("app-email-pending-notice"),
        Some("changed") => Some("app-email-changed-notice"),
        Some("unchanged") => Some("app-email-unchanged-notice"),
        _ => None,
    };
    let notice = key.map(|k| host.t.text(k));
    email_page(&state, &host, StatusCode::OK, notice, None, String::new()).await
}

/// `POST /settings/email`: asks for the change (or, for an address the user already proved, makes it).
pub async fn change(State(state): State<AppState>, client: ClientAddress, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let typed = post.form.get("email").trim().to_owned();
    let new_email = match EmailAddress::parse("email", &typed) {
        Ok(e) => e,
        Err(e) => {
            return email_page(
                &state,
                host,
                StatusCode::BAD_REQUEST,
                None,
                Some(host.t.refusal(&e)),
                typed,
            )
            .await;
        }
    };
    if new_email.as_str() != host.user.email {
        let limited = verification_limits::email_code(&state.limits, host.id(), client, &new_email)
            .await
            .map_err(Refused::from);
        match limited {
            Ok(()) => {}
            Err(Refused::Wait(wait)) => {
                let text = format!(
                    "{} Please try again in {}.",
                    host.t.text("app-email-too-many"),
                    wait_text(wait.retry_after_secs)
                );
                let page = email_page(&state, host, StatusCode::TOO_MANY_REQUESTS, None, Some(text), typed).await?;
                return Ok(with_retry_after(page, wait.retry_after_secs));
            }
            Err(Refused::Broken(e)) => return Err(Refusal::Failed(e.to_string())),
        }
    }
    match email_change::request_email_change(&state.db, &state.mailer, &host.user, &new_email).await {
        Ok(ChangeRequested::Pending { .. }) => Ok(Redirect::to("/settings/email?notice=pending").into_response()),
        Ok(ChangeRequested::Changed(_)) => Ok(Redirect::to("/settings/email?notice=changed").into_response()),
        Ok(ChangeRequested::Unchanged) => Ok(Redirect::to("/settings/email?notice=unchanged").into_response()),
        Err(e @ EmailChangeError::Taken) => {
            email_page(
                &state,
                host,
                StatusCode::CONFLICT,
                None,
                Some(format!("email: {e}")),
                typed,
            )
            .await
        }
        Err(e) => Err(Refusal::Failed(e.to_string())),
    }
}
