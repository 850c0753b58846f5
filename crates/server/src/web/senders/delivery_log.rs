//! The organization's delivery log: the latest emails on the settings page, and one email with every route
//! tried (never its body). For the organization's admins, like the API's delivery log.

use super::gate::{OrgId, PathId, SignedIn};
use super::labels;
use super::refusal::Refusal;
use super::views::{AttemptRow, DeliveryPage, DeliveryRow, dash, page_message, route_label, when};
use crate::email::sender_admin::{self as service, SenderOrg, SenderOutput};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::web::app::{Nav, Section};
use crate::web::respond::render;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use convene_core::{EmailId, TeamId};
use convene_store::outbox::{self, EmailRecord};

/// The settings page's rows for `emails`.
pub(super) fn delivery_rows(t: Lang, emails: Vec<EmailRecord>, senders: &[SenderOutput]) -> Vec<DeliveryRow> {
    emails
        .into_iter()
        .map(|e| DeliveryRow {
            id: e.id.0,
            created: when(Some(e.created_at)),
            kind_words: labels::email_kind(t, e.kind),
            kind: e.kind.as_str(),
            recipient: e.to_email,
            status: labels::email_status(t, e.status),
            status_code: e.status.as_str(),
            route: e
                .sent_route
                .as_deref()
                .map_or_else(|| "—".to_owned(), |r| route_label(r, senders)),
            last_error: dash(e.last_error),
        })
        .collect()
}

/// `GET /settings/organizations/{orgId}/email-deliveries/{id}`: one email of the organization with every route
/// tried. Its admins see it whether or not the custom-smtp feature is on.
pub async fn delivery_page(
    State(state): State<AppState>,
    OrgId(org_id): OrgId,
    PathId(id): PathId,
    SignedIn { user, session, t }: SignedIn,
) -> Result<Response, Refusal> {
    let access = OrgAccess::load_admin(&state.db, &user, TeamId(org_id))
        .await
        .map_err(|e| Refusal::Access(e, t))?;
    let email = match outbox::find(&state.db, EmailId(id)).await? {
        Some(e) if e.organization_id == Some(access.org.id) => e,
        _ => {
            return Ok(page_message(
                StatusCode::NOT_FOUND,
                t,
                &t.text("app-not-found-title"),
                &t.text("senders-no-email"),
            ));
        }
    };
    let attempts = outbox::attempts(&state.db, email.id).await?;
    // Sender names for the routes, when the feature is on (the list is the feature's).
    let senders = match SenderOrg::from_access(&state.mailer, access.clone()).await {
        Ok(org) => service::list(&state.mailer, &org).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let rows = attempts
        .into_iter()
        .map(|a| AttemptRow {
            attempt: a.attempt,
            started: when(Some(a.started_at)),
            route: route_label(&a.route, &senders),
            outcome: labels::outcome(t, &a.outcome),
            outcome_code: a.outcome,
            smtp_code: a.smtp_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
            reply: dash(a.reply),
            duration_ms: a.duration_ms,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &DeliveryPage {
            nav: Nav::new(&state, &user, session.csrf_token, t, Some(Section::Senders)).await?,
            t,
            tab: "senders",
            title: t.text_with("senders-email-title", &[("id", &email.id.0.to_string())]),
            org_id: access.org.id.0,
            org_name: access.org.name,
            kind_words: labels::email_kind(t, email.kind),
            kind: email.kind.as_str(),
            recipient: email.to_email,
            subject: email.subject,
            status: labels::email_status(t, email.status),
            status_code: email.status.as_str(),
            attempts: email.attempts,
            route: email
                .sent_route
                .as_deref()
                .map_or_else(|| "—".to_owned(), |r| route_label(r, &senders)),
            last_code: email.last_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
            last_error: dash(email.last_error),
            created: when(Some(email.created_at)),
            sent: when(email.sent_at),
            rows,
        },
    ))
}
