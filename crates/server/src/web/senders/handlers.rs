//! The settings page's routes. Each lets [`OrgAdmin`] / [`AdminForm`] check the caller, asks the sender service,
//! and shows the outcome: a redirect with a notice after a change, the page with a test's result, or the page
//! with the failure ([`AdminForm::failed`]).

use super::form::input_of;
use super::gate::{AdminForm, OrgAdmin, PathId};
use super::page::{Extras, Keep, done, notice_text, page};
use super::refusal::Refusal;
use super::views::{DeletePage, base_of, result_view};
use crate::email::probe::TestResult;
use crate::email::sender_admin::{self as service, SenderError};
use crate::state::AppState;
use crate::web::app::{Nav, Section};
use crate::web::respond::render;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_core::SenderId;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `GET /settings/organizations/{orgId}/email-senders`.
pub async fn senders_page(
    State(state): State<AppState>,
    admin: OrgAdmin,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Response {
    let notice = query
        .ok()
        .and_then(|Query(q)| q.notice)
        .and_then(|n| notice_text(admin.t, &n));
    let extras = Extras {
        notice,
        ..Extras::default()
    };
    page(&state, &admin, StatusCode::OK, extras).await
}

/// `POST /settings/organizations/{orgId}/email-senders`: adds a sender.
pub async fn create(State(state): State<AppState>, post: AdminForm) -> Response {
    let org = &post.admin.org;
    let saved = async { service::create(&state.mailer, org, input_of(&post.form, false)?).await }.await;
    match saved {
        Ok(sender) => done(org, "created", Some(sender.id)),
        Err(e) => post.failed(&state, e, Keep::AddForm).await,
    }
}

/// `POST /settings/organizations/{orgId}/email-senders/test-connection`: tests the add form's settings
/// without saving them.
pub async fn test_unsaved(State(state): State<AppState>, post: AdminForm) -> Response {
    let org = &post.admin.org;
    let tested = async { service::test_unsaved_settings(&state.mailer, org, input_of(&post.form, false)?).await }.await;
    match tested {
        Ok(result) => {
            let extras = Extras {
                result: Some(result_view(
                    post.admin.t,
                    post.admin.t.text("senders-result-unsaved"),
                    result,
                )),
                add: Some((post.form, None)),
                ..Extras::default()
            };
            page(&state, &post.admin, StatusCode::OK, extras).await
        }
        Err(e) => post.failed(&state, e, Keep::AddForm).await,
    }
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}`: saves a sender's edit form.
pub async fn update(State(state): State<AppState>, PathId(id): PathId, post: AdminForm) -> Response {
    let org = &post.admin.org;
    let saved = async { service::update(&state.mailer, org, SenderId(id), input_of(&post.form, true)?).await }.await;
    match saved {
        Ok(sender) => done(org, "updated", Some(sender.id)),
        Err(e) => post.failed(&state, e, Keep::EditForm(id)).await,
    }
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/test-connection`.
pub async fn test_saved(State(state): State<AppState>, PathId(id): PathId, post: AdminForm) -> Response {
    let tested = service::test_saved_sender(&state.mailer, &post.admin.org, SenderId(id)).await;
    show_test(&state, post, id, "senders-result-connection", tested).await
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/test-email`.
pub async fn test_email(State(state): State<AppState>, PathId(id): PathId, post: AdminForm) -> Response {
    let org = &post.admin.org;
    let tested = async {
        let to = service::test_recipient(Some(post.form.get("toEmail").trim()))?;
        service::send_test(&state.mailer, org, SenderId(id), &to).await
    }
    .await;
    show_test(&state, post, id, "senders-result-email", tested).await
}

/// Shows the outcome of a test of a saved sender on the page, under the title `what` (a message id naming the
/// sender).
async fn show_test(
    state: &AppState,
    post: AdminForm,
    id: i64,
    what: &str,
    outcome: Result<TestResult, SenderError>,
) -> Response {
    let t = post.admin.t;
    match outcome {
        Ok(result) => {
            let name = match service::get(&state.mailer, &post.admin.org, SenderId(id)).await {
                Ok(s) => s.from_email,
                Err(_) => t.text_with("senders-result-sender", &[("id", &id.to_string())]),
            };
            let extras = Extras {
                result: Some(result_view(t, t.text_with(what, &[("sender", &name)]), result)),
                ..Extras::default()
            };
            page(state, &post.admin, StatusCode::OK, extras).await
        }
        Err(e) => post.failed(state, e, Keep::Nothing).await,
    }
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/default`.
pub async fn make_default(State(state): State<AppState>, PathId(id): PathId, post: AdminForm) -> Response {
    match service::make_default(&state.mailer, &post.admin.org, SenderId(id)).await {
        Ok(sender) => done(&post.admin.org, "default", Some(sender.id)),
        Err(e) => post.failed(&state, e, Keep::Nothing).await,
    }
}

/// `GET /settings/organizations/{orgId}/email-senders/{id}/delete`: asks for confirmation.
pub async fn delete_page(
    State(state): State<AppState>,
    PathId(id): PathId,
    admin: OrgAdmin,
) -> Result<Response, Refusal> {
    let t = admin.t;
    let sender = service::get(&state.mailer, &admin.org, SenderId(id))
        .await
        .map_err(|e| Refusal::sender(t, e))?;
    Ok(render(
        StatusCode::OK,
        &DeletePage {
            nav: Nav::new(&state, &admin.user, admin.csrf.clone(), t, Some(Section::Senders)).await?,
            t,
            tab: "senders",
            org_id: admin.org.id().0,
            org_name: admin.org.name().to_owned(),
            base: base_of(admin.org.id().0),
            csrf: admin.csrf,
            id: sender.id,
            from_name: sender.from_name,
            from_email: sender.from_email,
            is_default: sender.is_default,
        },
    ))
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/delete`: deletes after the confirmation page.
pub async fn delete(State(state): State<AppState>, PathId(id): PathId, post: AdminForm) -> Response {
    match service::delete(&state.mailer, &post.admin.org, SenderId(id)).await {
        Ok(_) => done(&post.admin.org, "deleted", None),
        Err(e) => post.failed(&state, e, Keep::Nothing).await,
    }
}
