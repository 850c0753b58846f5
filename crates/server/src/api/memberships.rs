//! Memberships: `/v2/organizations/{orgId}/memberships` and
//! `/v2/organizations/{orgId}/teams/{teamId}/memberships`. The team operations also serve
//! `/v2/teams/{teamId}/memberships` (teams outside organizations, routed in [`super::teams`]).

use super::ApiError;
use super::auth::ApiUser;
use super::dto::MembershipOutput;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use crate::state::AppState;
use crate::tenancy::access::{OrgAccess, TeamAccess};
use crate::tenancy::members;
use axum::extract::State;
use axum::response::Response;
use convene_core::{MembershipId, Role, TeamId, UserId};
use convene_store::memberships::{self, MembershipPatch, MembershipRecord};
use convene_store::users;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_memberships, create_org_membership))
        .routes(routes!(
            get_org_membership,
            update_org_membership,
            delete_org_membership
        ))
        .routes(routes!(list_team_memberships, create_team_membership))
        .routes(routes!(
            get_team_membership,
            update_team_membership,
            delete_team_membership
        ))
}

/// `CreateOrgMembershipDto` / `UpdateOrgMembershipDto` (and their team twins).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipInput {
    /// Create only.
    pub user_id: Option<i64>,
    pub accepted: Option<bool>,
    /// `MEMBER`, `ADMIN` or `OWNER`.
    pub role: Option<String>,
    pub disable_impersonation: Option<bool>,
}

impl MembershipInput {
    fn role(&self) -> Result<Option<Role>, ApiError> {
        self.role
            .as_deref()
            .map(|r| {
                r.parse::<Role>()
                    .map_err(|()| ApiError::field("role", "must be one of MEMBER, ADMIN, OWNER"))
            })
            .transpose()
    }

    fn user_id(&self) -> Result<UserId, ApiError> {
        match self.user_id {
            Some(id) if id > 0 => Ok(UserId(id)),
            Some(_) => Err(ApiError::field("userId", "must be a positive integer")),
            None => Err(ApiError::field("userId", "is required")),
        }
    }

    fn patch(&self) -> Result<MembershipPatch, ApiError> {
        Ok(MembershipPatch {
            role: self.role()?,
            accepted: self.accepted,
            disable_impersonation: self.disable_impersonation,
        })
    }
}

async fn membership_or_404(state: &AppState, team: TeamId, id: i64) -> Result<MembershipRecord, ApiError> {
    memberships::find(&state.db, team, MembershipId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("Membership"))
}

// ---- organization memberships ----

/// Get all memberships (ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/memberships", tag = "Orgs / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<MembershipOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_org_memberships(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = memberships::list(&state.db, access.org_id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(
        list.iter().map(MembershipOutput::for_org).collect::<Vec<_>>(),
    ))
}

/// Create a membership (ADMIN or OWNER; only an OWNER grants OWNER). A user belongs to at most
/// one organization.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/memberships", tag = "Orgs / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path)), request_body = MembershipInput,
    responses((status = 201, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_org_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<MembershipInput>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let user_id = input.user_id()?;
    let role = input.role()?.unwrap_or(Role::Member);
    access.require_can_grant(role)?;
    let org = access.org_id();
    let mut tx = state.db.begin().await?;
    if users::find(&mut tx, user_id).await?.is_none() {
        return Err(ApiError::field("userId", format!("user {user_id} not found")));
    }
    if !users::join_organization(&mut tx, user_id, org).await? {
        return Err(ApiError::Conflict(
            "The user already belongs to another organization".into(),
        ));
    }
    let id = memberships::insert(
        &mut tx,
        org,
        user_id,
        role,
        input.accepted.unwrap_or(false),
        input.disable_impersonation.unwrap_or(false),
    )
    .await?;
    tx.commit().await?;
    let created = membership_or_404(&state, org, id.0).await?;
    Ok(envelope::created(MembershipOutput::for_org(&created)))
}

/// Get a membership (ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/memberships/{membershipId}", tag = "Orgs / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("membershipId" = i64, Path)),
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_org_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let membership = membership_or_404(&state, access.org_id(), ids.id("membershipId")?).await?;
    Ok(envelope::ok(MembershipOutput::for_org(&membership)))
}

/// Update a membership (ADMIN or OWNER; only an OWNER touches the OWNER role).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/memberships/{membershipId}", tag = "Orgs / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("membershipId" = i64, Path)), request_body = MembershipInput,
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_org_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<MembershipInput>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let patch = input.patch()?;
    let updated = members::update_in_org(&state.db, &access, MembershipId(ids.id("membershipId")?), &patch).await?;
    Ok(envelope::ok(MembershipOutput::for_org(&updated)))
}

/// Delete a membership: the user leaves the organization and its teams.
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/memberships/{membershipId}", tag = "Orgs / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("membershipId" = i64, Path)),
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_org_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let membership = members::remove_from_org(&state.db, &access, MembershipId(ids.id("membershipId")?)).await?;
    Ok(envelope::ok(MembershipOutput::for_org(&membership)))
}

// ---- team memberships ----

/// The team in the path (inside the organization of `orgId`, or outside organizations when the path has
/// none) and the caller's role there; only its members (and organization admins) read its memberships.
async fn team_for_read(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<(TeamAccess, Role), ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, ids.optional_id("orgId")?, ids.id("teamId")?).await?;
    let role = access.require_member()?;
    Ok((access, role))
}

/// As [`team_for_read`], and the caller must manage the team.
async fn team_for_write(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<(TeamAccess, Role), ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, ids.optional_id("orgId")?, ids.id("teamId")?).await?;
    let role = access.require_manager()?;
    Ok((access, role))
}

fn require_team_grant(role: Role, target: Role) -> Result<(), ApiError> {
    if role.can_grant(target) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "Only an OWNER can grant or change the {} role",
            target.as_str()
        )))
    }
}

/// Get all memberships of a team (its members, or organization admins).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/memberships", tag = "Orgs / Teams / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<MembershipOutput>>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_team_memberships(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let (access, _) = team_for_read(&state, &caller, &ids).await?;
    let team = &access.team;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = memberships::list(&state.db, team.team_id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(
        list.iter().map(MembershipOutput::for_team).collect::<Vec<_>>(),
    ))
}

/// Add a member of the organization to a team (team or organization ADMIN/OWNER).
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/memberships", tag = "Orgs / Teams / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path)), request_body = MembershipInput,
    responses((status = 201, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn create_team_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<MembershipInput>,
) -> Result<Response, ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, ids.optional_id("orgId")?, ids.id("teamId")?).await?;
    access.require_manager()?;
    let user_id = input.user_id()?;
    let role = input.role()?.unwrap_or(Role::Member);
    let created = members::add_to_team(
        &state.db,
        &access,
        user_id,
        role,
        input.accepted.unwrap_or(false),
        input.disable_impersonation.unwrap_or(false),
    )
    .await?;
    Ok(envelope::created(MembershipOutput::for_team(&created)))
}

/// Get a team membership.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/memberships/{membershipId}", tag = "Orgs / Teams / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("membershipId" = i64, Path)),
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn get_team_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (access, _) = team_for_read(&state, &caller, &ids).await?;
    let team = &access.team;
    let membership = membership_or_404(&state, team.team_id(), ids.id("membershipId")?).await?;
    Ok(envelope::ok(MembershipOutput::for_team(&membership)))
}

/// Update a team membership (team or organization ADMIN/OWNER).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}/memberships/{membershipId}", tag = "Orgs / Teams / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("membershipId" = i64, Path)), request_body = MembershipInput,
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn update_team_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<MembershipInput>,
) -> Result<Response, ApiError> {
    let (access, role) = team_for_write(&state, &caller, &ids).await?;
    let team = &access.team;
    let current = membership_or_404(&state, team.team_id(), ids.id("membershipId")?).await?;
    let patch = input.patch()?;
    if let Some(new_role) = patch.role.filter(|r| *r != current.role()) {
        require_team_grant(role, new_role)?;
        require_team_grant(role, current.role())?;
    }
    memberships::update(&state.db, team.team_id(), current.id, &patch).await?;
    let updated = membership_or_404(&state, team.team_id(), current.id.0).await?;
    Ok(envelope::ok(MembershipOutput::for_team(&updated)))
}

/// Remove a member from a team (team or organization ADMIN/OWNER).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/teams/{teamId}/memberships/{membershipId}", tag = "Orgs / Teams / Memberships", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("membershipId" = i64, Path)),
    responses((status = 200, body = Envelope<MembershipOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn delete_team_membership(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, ids.optional_id("orgId")?, ids.id("teamId")?).await?;
    let membership = members::remove_from_team(&state.db, &access, MembershipId(ids.id("membershipId")?)).await?;
    Ok(envelope::ok(MembershipOutput::for_team(&membership)))
}
