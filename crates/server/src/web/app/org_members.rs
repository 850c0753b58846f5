//! Organization → Members (OWNER and ADMIN): everyone with their role and whether they joined yet, a page at a
//! time; invite by email with a role ([`crate::accounts::invitations`]); change a role and remove someone through
//! [`crate::tenancy::members`], as `/v2/organizations/{orgId}/memberships` does (only an OWNER touches OWNERs; the
//! last OWNER stays).

use super::form::Posted;
use super::org_access::{PAGE_SIZE, member_problem, org_admin};
use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::accounts::invitations::{InviteError, InviteTo, invite};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::tenancy::members;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::{EmailAddress, MembershipId, Role};
use convene_store::memberships::{self, MembershipPatch};
use serde::Deserialize;

pub(super) struct MemberRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub joined: bool,
    /// The viewer may change this member's role and remove them.
    pub manageable: bool,
}

#[derive(Template)]
#[template(path = "app/org_members.html")]
struct MembersPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    org_id: i64,
    org_name: String,
    rows: Vec<MemberRow>,
    /// Roles the viewer may grant.
    roles: Vec<&'static str>,
    page: i64,
    more: bool,
    notice: Option<String>,
    error: Option<String>,
    error_field: String,
    email: String,
    role: String,
}

#[derive(Default, Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
    notice: Option<String>,
}

/// The roles `access` may grant, lowest first.
pub(super) fn grantable(access_role: Role) -> Vec<&'static str> {
    [Role::Member, Role::Admin, Role::Owner]
        .into_iter()
        .filter(|r| access_role.can_grant(*r))
        .map(Role::as_str)
        .collect()
}

struct Shown {
    status: StatusCode,
    page: i64,
    notice: Option<String>,
    error: Option<(String, String)>,
    kept: (String, String),
}

async fn members_page(state: &AppState, host: &Host, access: &OrgAccess, shown: Shown) -> Result<Response, Refusal> {
    let org = access.org_id();
    let page = shown.page.clamp(1, 10_000);
    let mut found = memberships::list(&state.db, org, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(usize::try_from(PAGE_SIZE).unwrap_or(25));
    let rows = found
        .into_iter()
        .map(|m| MemberRow {
            id: m.id.0,
            name: m.user_name.clone().unwrap_or_else(|| m.user_username.clone()),
            email: m.user_email.clone(),
            role: m.role().as_str(),
            joined: m.accepted,
            manageable: access.role.can_grant(m.role()) && m.user_id != host.user.id,
        })
        .collect();
    let (error, error_field) = shown.error.unwrap_or_default();
    let view = MembersPage {
        nav: host.nav(state, Section::Organization).await?,
        t: host.t,
        tab: "members",
        org_id: org.0,
        org_name: access.org.name.clone(),
        rows,
        roles: grantable(access.role),
        page,
        more,
        notice: shown.notice,
        error: (!error.is_empty()).then_some(error),
        error_field,
        email: shown.kept.0,
        role: shown.kept.1,
    };
    Ok(render(shown.status, &view))
}

fn notice_text(t: Lang, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "invited" => "org-invited",
        "role" => "org-role-changed",
        "removed" => "org-removed",
        _ => return None,
    };
    Some(t.text(key))
}

/// `GET /settings/organizations/{org_id}/members?page=`.
pub async fn list(
    State(state): State<AppState>,
    Path(org_id): Path<String>,
    host: Host,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let access = org_admin(&state, &host, &org_id).await?;
    let q = query.map_or_else(|_| ListQuery::default(), |Query(q)| q);
    let shown = Shown {
        status: StatusCode::OK,
        page: q.page.unwrap_or(1),
        notice: notice_text(host.t, q.notice.as_deref()),
        error: None,
        kept: (String::new(), Role::Member.as_str().to_owned()),
    };
    members_page(&state, &host, &access, shown).await
}

fn role_of(form: &Posted) -> Option<Role> {
    form.get("role").parse::<Role>().ok()
}

fn back_to(org: i64, notice: &str) -> Response {
    Redirect::to(&format!("/settings/organizations/{org}/members?notice={notice}")).into_response()
}

/// `POST /settings/organizations/{org_id}/members/invite`: an invitation email to the address, with a role.
pub async fn invite_member(
    State(state): State<AppState>,
    Path(org_id): Path<String>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = org_admin(&state, host, &org_id).await?;
    let kept = (
        post.form.get("email").trim().to_owned(),
        post.form.get("role").to_owned(),
    );
    let refuse = |status, field: &str, text: String| Shown {
        status,
        page: 1,
        notice: None,
        error: Some((text, field.to_owned())),
        kept: kept.clone(),
    };
    let email = match EmailAddress::parse("email", &kept.0) {
        Ok(e) => e,
        Err(e) => {
            return members_page(
                &state,
                host,
                &access,
                refuse(StatusCode::BAD_REQUEST, "email", host.t.refusal(&e)),
            )
            .await;
        }
    };
    let Some(role) = role_of(&post.form) else {
        let text = host.t.text("org-role-invalid");
        return members_page(&state, host, &access, refuse(StatusCode::BAD_REQUEST, "role", text)).await;
    };
    let to = InviteTo {
        group: &access.org,
        organization: Some(access.org_id()),
        inviter_role: access.role,
    };
    match invite(&state.db, &state.mailer, &host.user, &to, &email, role).await {
        Ok(_) => Ok(back_to(access.org_id().0, "invited")),
        Err(InviteError::CannotGrant(_)) => {
            let text = host.t.text("org-only-owner");
            members_page(&state, host, &access, refuse(StatusCode::FORBIDDEN, "role", text)).await
        }
        Err(InviteError::AlreadyMember) => {
            let text = host.t.text("org-already-member");
            members_page(&state, host, &access, refuse(StatusCode::CONFLICT, "email", text)).await
        }
        Err(InviteError::OtherOrganization) => {
            let text = host.t.text("org-other-org");
            members_page(&state, host, &access, refuse(StatusCode::CONFLICT, "email", text)).await
        }
        Err(e) => Err(Refusal::Failed(e.to_string())),
    }
}

async fn problem(
    state: &AppState,
    host: &Host,
    access: &OrgAccess,
    e: members::MemberError,
) -> Result<Response, Refusal> {
    let text = member_problem(host, e)?;
    let shown = Shown {
        status: StatusCode::CONFLICT,
        page: 1,
        notice: None,
        error: Some((text, String::new())),
        kept: (String::new(), Role::Member.as_str().to_owned()),
    };
    members_page(state, host, access, shown).await
}

/// `POST /settings/organizations/{org_id}/members/{id}/role`.
pub async fn change_role(
    State(state): State<AppState>,
    Path((org_id, id)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = org_admin(&state, host, &org_id).await?;
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound(host.t))?;
    let Some(role) = role_of(&post.form) else {
        return Err(Refusal::NotFound(host.t));
    };
    let patch = MembershipPatch {
        role: Some(role),
        ..MembershipPatch::default()
    };
    match members::update_in_org(&state.db, &access, MembershipId(id), &patch).await {
        Ok(_) => Ok(back_to(access.org_id().0, "role")),
        Err(e) => problem(&state, host, &access, e).await,
    }
}

/// `POST /settings/organizations/{org_id}/members/{id}/remove`: they leave the organization and its teams.
pub async fn remove(
    State(state): State<AppState>,
    Path((org_id, id)): Path<(String, String)>,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let access = org_admin(&state, host, &org_id).await?;
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound(host.t))?;
    match members::remove_from_org(&state.db, &access, MembershipId(id)).await {
        Ok(_) => Ok(back_to(access.org_id().0, "removed")),
        Err(e) => problem(&state, host, &access, e).await,
    }
}
