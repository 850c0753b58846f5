//! The organization's delivery log: the latest emails on the settings page, and one email with every route
//! tried (never its body). For the organization's admins, like the API's delivery log.

use super::gate::{OrgId, PathId, SignedIn};
use super::refusal::Refusal;
use super::views::{dash, page_message, when_ms};
use crate::AppState;
use crate::email::sender_admin::{self as service, SenderOrg, SenderOutput};
use crate::tenancy::access::OrgAccess;
use crate::web::pages::render;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use convene_store::outbox::{self, EmailRecord};

/// One email of the log on the settings page.
pub(super) struct DeliveryRow {
    pub(super) id: i64,
    pub(super) created: String,
    pub(super) kind: String,
    pub(super) recipient: String,
    pub(super) status: String,
    pub(super) route: String,
    pub(super) last_error: String,
}

/// One attempt on one route, on an email's page.
pub(super) struct AttemptRow {
    pub(super) attempt: i64,
    pub(super) started: String,
    pub(super) route: String,
    pub(super) outcome: String,
    pub(super) smtp_code: String,
    pub(super) reply: String,
    pub(super) duration_ms: i64,
}

/// One email with every route tried.
#[derive(Template)]
#[template(path = "email_delivery.html")]
pub(super) struct DeliveryPage {
    pub(super) org_id: i64,
    pub(super) org_name: String,
    pub(super) id: i64,
    pub(super) kind: String,
    pub(super) recipient: String,
    pub(super) subject: String,
    pub(super) status: String,
    pub(super) attempts: i64,
    pub(super) route: String,
    pub(super) last_code: String,
    pub(super) last_error: String,
    pub(super) created: String,
    pub(super) sent: String,
    pub(super) rows: Vec<AttemptRow>,
}

/// A route of the delivery log, with the sender's address when it is one of the organization's.
pub(super) fn route_label(route: &str, senders: &[SenderOutput]) -> String {
    let id = route
        .strip_prefix("sender:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.parse::<i64>().ok());
    match id.and_then(|id| senders.iter().find(|s| s.id == id)) {
        Some(s) => format!("{route} ({})", s.from_email),
        None => route.to_owned(),
    }
}

/// The settings page's rows for `emails`.
pub(super) fn delivery_rows(emails: Vec<EmailRecord>, senders: &[SenderOutput]) -> Vec<DeliveryRow> {
    emails
        .into_iter()
        .map(|e| DeliveryRow {
            id: e.id,
            created: when_ms(Some(e.created_at)),
            kind: e.kind,
            recipient: e.to_email,
            status: e.status,
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
    SignedIn { user, .. }: SignedIn,
) -> Result<Response, Refusal> {
    let access = OrgAccess::load_admin(&state.db, &user, org_id).await?;
    let email = match outbox::find(&state.db, id).await? {
        Some(e) if e.organization_id == Some(access.org.id) => e,
        _ => {
            return Ok(page_message(
                StatusCode::NOT_FOUND,
                "Not found",
                "Email delivery not found",
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
            started: when_ms(Some(a.started_at)),
            route: route_label(&a.route, &senders),
            outcome: a.outcome,
            smtp_code: a.smtp_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
            reply: dash(a.reply),
            duration_ms: a.duration_ms,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &DeliveryPage {
            org_id: access.org.id,
            org_name: access.org.name,
            id: email.id,
            kind: email.kind,
            recipient: email.to_email,
            subject: email.subject,
            status: email.status,
            attempts: email.attempts,
            route: email
                .sent_route
                .as_deref()
                .map_or_else(|| "—".to_owned(), |r| route_label(r, &senders)),
            last_code: email.last_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
            last_error: dash(email.last_error),
            created: when_ms(Some(email.created_at)),
            sent: when_ms(email.sent_at),
            rows,
        },
    ))
}
