//! The email delivery log (our addition): every email's fate and each route's replies. Organization admins see
//! their organization's emails; anyone sees the emails of bookings they host and their own account emails.
//! Bodies are never shown (account emails carry codes).

use super::ApiError;
use super::auth::ApiUser;
use super::extract::{PathIds, QueryPairs};
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::time_text::{parse_instant, utc_iso};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_core::{BookingId, EmailAddress, EmailId, EmailStatus, OutboxKind};
use convene_store::outbox::{self, AttemptRecord, EmailRecord, Filter, Scope};
use convene_store::{bookings, memberships};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_deliveries))
        .routes(routes!(list_my_deliveries))
        .routes(routes!(get_delivery))
}

/// One email in the log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailDeliveryOutput {
    pub id: i64,
    /// e.g. `booking_scheduled_attendee`, `password_reset`.
    pub kind: String,
    /// `queued`, `sending`, `sent`, `retrying`, `failed`.
    pub status: String,
    pub recipient: Recipient,
    pub subject: String,
    pub message_id: String,
    pub organization_id: Option<i64>,
    pub team_id: Option<i64>,
    pub booking_id: Option<i64>,
    /// Attempts started so far.
    pub attempts: i64,
    /// The route that delivered it (`platform`, `sender:<id>`).
    pub sent_route: Option<String>,
    pub last_smtp_code: Option<i64>,
    pub last_error: Option<String>,
    pub not_before: String,
    /// When the next attempt is due (while queued or retrying).
    pub next_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Every route tried, oldest first (single-email view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_attempts: Option<Vec<AttemptOutput>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recipient {
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptOutput {
    pub attempt: i64,
    pub route: String,
    /// `sent`, `failed` or `skipped`.
    pub outcome: String,
    pub smtp_code: Option<i64>,
    pub reply: Option<String>,
    pub duration_ms: i64,
    pub started_at: String,
}

impl From<AttemptRecord> for AttemptOutput {
    fn from(a: AttemptRecord) -> Self {
        Self {
            attempt: a.attempt,
            route: a.route,
            outcome: a.outcome,
            smtp_code: a.smtp_code,
            reply: a.reply,
            duration_ms: a.duration_ms,
            started_at: utc_iso(a.started_at),
        }
    }
}

impl From<EmailRecord> for EmailDeliveryOutput {
    fn from(e: EmailRecord) -> Self {
        let pending = e.status.is_pending();
        Self {
            id: e.id.0,
            kind: e.kind.as_str().to_owned(),
            status: e.status.as_str().to_owned(),
            recipient: Recipient {
                email: e.to_email,
                name: e.to_name,
            },
            subject: e.subject,
            message_id: e.message_id,
            organization_id: e.organization_id.map(|id| id.0),
            team_id: e.team_id.map(|id| id.0),
            booking_id: e.booking_id.map(|id| id.0),
            attempts: e.attempts,
            sent_route: e.sent_route,
            last_smtp_code: e.last_code,
            last_error: e.last_error,
            not_before: utc_iso(e.not_before),
            next_attempt_at: pending.then(|| utc_iso(e.next_attempt_at)),
            sent_at: e.sent_at.map(utc_iso),
            created_at: utc_iso(e.created_at),
            updated_at: utc_iso(e.updated_at),
            delivery_attempts: None,
        }
    }
}

/// A page of the log, newest first; pass `nextCursor` back as `cursor` for the next page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveriesPage {
    pub status: &'static str,
    pub data: Vec<EmailDeliveryOutput>,
    pub pagination: CursorPagination,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CursorPagination {
    pub next_cursor: Option<String>,
    pub has_more: bool,
    pub returned_items: usize,
}

/// Reads the filters shared by both listings. Every bad value is a 400 naming the parameter.
async fn filter_of(state: &AppState, q: &QueryPairs) -> Result<(Filter, i64), ApiError> {
    let mut filter = Filter::default();
    if let Some(status) = q.get("status") {
        let known = status.parse::<EmailStatus>().map_err(|_| {
            let words: Vec<&str> = EmailStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::field("status", format!("must be one of {}", words.join(", ")))
        })?;
        filter.status = Some(known);
    }
    if let Some(word) = q.get("kind") {
        // The sender test is never stored: asking for it is refused like any word no row can have.
        let kind = word
            .parse::<OutboxKind>()
            .ok()
            .filter(|kind| *kind != OutboxKind::SenderTest)
            .ok_or_else(|| ApiError::field("kind", "is not a known email kind"))?;
        filter.kind = Some(kind);
    }
    if let Some(recipient) = q.get("recipient") {
        filter.recipient = Some(EmailAddress::parse("recipient", recipient)?.as_str().to_owned());
    }
    if let Some(uid) = q.get("bookingUid") {
        // An unknown booking simply matches nothing (no probing of other people's uids).
        filter.booking_id = Some(
            bookings::find_by_uid(&state.db, uid)
                .await?
                .map_or(BookingId(-1), |b| b.id),
        );
    }
    if let Some(from) = q.get("afterCreatedAt") {
        filter.created_from = Some(parse_instant("afterCreatedAt", from)?);
    }
    if let Some(to) = q.get("beforeCreatedAt") {
        filter.created_to = Some(parse_instant("beforeCreatedAt", to)?);
    }
    if let Some(cursor) = q.get("cursor") {
        let id = cursor
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::field("cursor", "must be a nextCursor value from an earlier page"))?;
        filter.before_id = Some(EmailId(id));
    }
    let take = q.int("take", 1, 250)?.unwrap_or(50);
    Ok((filter, take))
}

async fn page(state: &AppState, scope: Scope, q: &QueryPairs) -> Result<Response, ApiError> {
    let (filter, take) = filter_of(state, q).await?;
    let mut rows = outbox::list(&state.db, scope, &filter, take + 1).await?;
    let has_more = rows.len() as i64 > take;
    rows.truncate(usize::try_from(take).unwrap_or(0));
    let next_cursor = if has_more {
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    let data: Vec<EmailDeliveryOutput> = rows.into_iter().map(EmailDeliveryOutput::from).collect();
    Ok(Json(DeliveriesPage {
        status: "success",
        pagination: CursorPagination {
            next_cursor,
            has_more,
            returned_items: data.len(),
        },
        data,
    })
    .into_response())
}

/// The organization's delivery log (org ADMIN/OWNER): every email of its bookings.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/email-deliveries", tag = "Orgs / Email deliveries",
    security(("bearer" = [])),
    params(("orgId" = i64, Path),
        ("status" = Option<String>, Query, description = "queued, sending, sent, retrying, failed"),
        ("kind" = Option<String>, Query), ("recipient" = Option<String>, Query),
        ("bookingUid" = Option<String>, Query),
        ("afterCreatedAt" = Option<String>, Query), ("beforeCreatedAt" = Option<String>, Query),
        ("cursor" = Option<String>, Query), ("take" = Option<i64>, Query, description = "1–250, default 50")),
    responses((status = 200, body = DeliveriesPage)))]
#[tracing::instrument(skip_all)]
async fn list_org_deliveries(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    page(&state, Scope::Organization(access.org_id()), &q).await
}

/// My emails: those of bookings I host and my account emails.
#[utoipa::path(get, path = "/v2/email-deliveries", tag = "Email deliveries", security(("bearer" = [])),
    params(("status" = Option<String>, Query), ("kind" = Option<String>, Query),
        ("recipient" = Option<String>, Query), ("bookingUid" = Option<String>, Query),
        ("afterCreatedAt" = Option<String>, Query), ("beforeCreatedAt" = Option<String>, Query),
        ("cursor" = Option<String>, Query), ("take" = Option<i64>, Query)),
    responses((status = 200, body = DeliveriesPage)))]
#[tracing::instrument(skip_all)]
async fn list_my_deliveries(
    State(state): State<AppState>,
    caller: ApiUser,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    page(&state, Scope::User { id: caller.user.id }, &q).await
}

/// One email with every route tried. Visible to its organization's admins and to the user it concerns;
/// anyone else gets 404.
#[utoipa::path(get, path = "/v2/email-deliveries/{id}", tag = "Email deliveries", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = super::envelope::Envelope<EmailDeliveryOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_delivery(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("Email delivery");
    let email = outbox::find(&state.db, ids.id("id")?).await?.ok_or_else(not_found)?;
    if !may_see(&state, &caller, &email).await? {
        return Err(not_found());
    }
    let attempts = outbox::attempts(&state.db, email.id).await?;
    let mut out = EmailDeliveryOutput::from(email);
    out.delivery_attempts = Some(attempts.into_iter().map(AttemptOutput::from).collect());
    Ok(super::envelope::ok(out))
}

async fn may_see(state: &AppState, caller: &ApiUser, email: &EmailRecord) -> Result<bool, ApiError> {
    if caller.is_instance_admin() || email.user_id == Some(caller.user.id) {
        return Ok(true);
    }
    if let Some(booking_id) = email.booking_id {
        let hosts = bookings::co_hosts(&state.db, &[booking_id]).await?;
        if hosts.iter().any(|(_, user)| *user == caller.user.id) {
            return Ok(true);
        }
    }
    if let Some(org) = email.organization_id
        && let Some(membership) = memberships::of_user(&state.db, org, caller.id()).await?
    {
        return Ok(membership.accepted && membership.role().can_manage());
    }
    Ok(false)
}
