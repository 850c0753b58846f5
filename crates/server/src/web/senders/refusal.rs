//! Pages that stand instead of the settings page: sign-in, an expired form, a refused or failed request. Every
//! error of the services these pages use maps here, once, into the page's language (each refusal carries it: it is
//! known before the error is).

use super::views::page_message;
use crate::email::sender_admin::SenderError;
use crate::i18n::Lang;
use crate::tenancy::access::AccessError;
use crate::web::respond::{internal, to_sign_in};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convene_store::StoreError;

/// Why a settings request gets a page of its own.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// No live session (or its account is gone): to sign-in, then back to this page.
    SignIn(Option<String>),
    /// Cross-site, or the form's CSRF token is not the session's.
    Expired(Lang),
    /// The path names no page (an id that is not a number).
    BadPath(Lang),
    /// Shown with the sender service's own words, in the page's language.
    Sender(SenderError, Lang),
    Access(AccessError, Lang),
    /// Anything else that failed: logged, never shown.
    Failed(String),
}

impl Refusal {
    /// The refusal of a sender operation, said in `t`.
    pub(crate) fn sender(t: Lang, e: SenderError) -> Self {
        match e {
            SenderError::Access(access) => Refusal::Access(access, t),
            other => Refusal::Sender(other, t),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Failed(e.to_string())
    }
}

/// The message id that explains an access refusal (the same cases, and statuses, as the API's).
fn access_text(e: &AccessError) -> (StatusCode, &'static str) {
    match e {
        AccessError::OrganizationNotFound => (StatusCode::NOT_FOUND, "senders-org-not-found"),
        AccessError::TeamNotFound => (StatusCode::NOT_FOUND, "app-not-found-text"),
        AccessError::NotMember => (StatusCode::FORBIDDEN, "senders-not-member"),
        AccessError::NotAccepted => (StatusCode::FORBIDDEN, "senders-not-accepted"),
        // The rest need a higher role; on these pages only the organization's ADMIN or OWNER is ever asked for.
        AccessError::NotAdmin
        | AccessError::CannotGrant(_)
        | AccessError::NotTeamMember
        | AccessError::NotTeamAdmin
        | AccessError::NotTeamOwner
        | AccessError::Store(_) => (StatusCode::FORBIDDEN, "org-forbidden-text"),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn(back) => to_sign_in(back.as_deref()),
            Refusal::Expired(t) => page_message(
                StatusCode::FORBIDDEN,
                t,
                &t.text("app-expired-title"),
                &t.text("app-expired-text"),
            ),
            Refusal::BadPath(t) => page_message(
                StatusCode::NOT_FOUND,
                t,
                &t.text("app-not-found-title"),
                &t.text("senders-no-page"),
            ),
            Refusal::Sender(SenderError::FeatureOff, t) => page_message(
                StatusCode::FORBIDDEN,
                t,
                &t.text("senders-feature-off-title"),
                &t.text("senders-feature-off-text"),
            ),
            Refusal::Sender(SenderError::NotFound, t) => page_message(
                StatusCode::NOT_FOUND,
                t,
                &t.text("app-not-found-title"),
                &t.text("senders-no-sender"),
            ),
            Refusal::Sender(SenderError::Invalid(field), t) => page_message(
                StatusCode::BAD_REQUEST,
                t,
                &t.text("auth-bad-request"),
                &t.refusal(&field),
            ),
            Refusal::Sender(e, _) => internal(format!("{e:?}")),
            Refusal::Access(AccessError::Store(e), _) => internal(e),
            Refusal::Access(e, t) => {
                let (status, text) = access_text(&e);
                let title = if status == StatusCode::NOT_FOUND {
                    "app-not-found-title"
                } else {
                    "org-forbidden-title"
                };
                page_message(status, t, &t.text(title), &t.text(text))
            }
            Refusal::Failed(e) => internal(e),
        }
    }
}
