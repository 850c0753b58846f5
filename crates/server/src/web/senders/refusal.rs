//! Pages that stand instead of the settings page: sign-in, an expired form, a refused or failed request. Every
//! error of the services these pages use maps here, once.

use super::views::page_message;
use crate::email::sender_admin::SenderError;
use crate::tenancy::access::AccessError;
use crate::web::respond::internal;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_store::StoreError;

/// Why a settings request gets a page of its own.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// No live session (or its account is gone).
    SignIn,
    /// Cross-site, or the form's CSRF token is not the session's.
    Expired,
    /// The path names no page (an id that is not a number).
    BadPath,
    /// Shown with the sender service's own words.
    Sender(SenderError),
    Access(AccessError),
    /// Anything else that failed: logged, never shown.
    Failed(String),
}

impl From<SenderError> for Refusal {
    fn from(e: SenderError) -> Self {
        match e {
            SenderError::Access(access) => Refusal::Access(access),
            other => Refusal::Sender(other),
        }
    }
}

impl From<AccessError> for Refusal {
    fn from(e: AccessError) -> Self {
        Refusal::Access(e)
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Failed(e.to_string())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn => Redirect::to("/auth/login").into_response(),
            Refusal::Expired => page_message(
                StatusCode::FORBIDDEN,
                "Session expired",
                "The form expired or came from another site. Please open the page again and retry.",
            ),
            Refusal::BadPath => page_message(StatusCode::NOT_FOUND, "Not found", "There is no such page."),
            Refusal::Sender(SenderError::FeatureOff) => page_message(
                StatusCode::FORBIDDEN,
                "Custom SMTP is not enabled",
                "Custom SMTP is not enabled for this organization, so its emails go out through the platform's server. \
                 An instance admin can turn on the organization's custom-smtp feature.",
            ),
            Refusal::Sender(e @ SenderError::NotFound) => {
                page_message(StatusCode::NOT_FOUND, "Not found", &e.to_string())
            }
            Refusal::Sender(SenderError::Invalid(field)) => {
                page_message(StatusCode::BAD_REQUEST, "Bad request", &field.to_string())
            }
            Refusal::Sender(e) => internal(format!("{e:?}")),
            Refusal::Access(e @ (AccessError::OrganizationNotFound | AccessError::TeamNotFound)) => {
                page_message(StatusCode::NOT_FOUND, "Not found", &e.to_string())
            }
            Refusal::Access(AccessError::Store(e)) => internal(e),
            Refusal::Access(e) => page_message(StatusCode::FORBIDDEN, "Not allowed", &e.to_string()),
            Refusal::Failed(e) => internal(e),
        }
    }
}
