//! An organization's bookings: all of them (`/v2/organizations/{orgId}/bookings`), one member's
//! (`/users/{userId}/bookings`) and one team's (`/teams/{teamId}/bookings`), with the filters of `/v2/bookings`
//! and its current shapes. The organization's ADMINs and OWNERs read them all; a team's ADMINs and OWNERs read
//! its bookings.

use super::list::{OrgScope, org_bookings};
use super::output::BookingList;
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::extract::{PathIds, QueryPairs};
use crate::state::AppState;
use crate::tenancy::access::{OrgAccess, TeamAccess};
use axum::extract::State;
use axum::response::Response;
use convene_core::UserId;
use convene_store::memberships;

/// The organization's bookings (ADMIN or OWNER): its members' and its teams' event types'.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/bookings", tag = "Orgs / Bookings", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("status" = Option<String>, Query), ("attendeeEmail" = Option<String>, Query),
        ("attendeeName" = Option<String>, Query), ("bookingUid" = Option<String>, Query),
        ("eventTypeIds" = Option<String>, Query), ("eventTypeId" = Option<String>, Query),
        ("teamsIds" = Option<String>, Query), ("teamId" = Option<String>, Query), ("userIds" = Option<String>, Query),
        ("afterStart" = Option<String>, Query), ("beforeEnd" = Option<String>, Query),
        ("afterCreatedAt" = Option<String>, Query), ("beforeCreatedAt" = Option<String>, Query),
        ("sortStart" = Option<String>, Query), ("sortEnd" = Option<String>, Query), ("sortCreated" = Option<String>, Query),
        ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = BookingList)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_org_bookings(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load_admin(&state.db, &caller.user, ids.id("orgId")?).await?;
    org_bookings(&state, OrgScope::Organization(access.org_id()), &q).await
}

/// The bookings a member of the organization hosts (organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/users/{userId}/bookings", tag = "Orgs / Users / Bookings",
    security(("bearer" = [])),
    params(("orgId" = i64, Path), ("userId" = i64, Path), ("status" = Option<String>, Query),
        ("attendeeEmail" = Option<String>, Query), ("bookingUid" = Option<String>, Query),
        ("eventTypeIds" = Option<String>, Query), ("afterStart" = Option<String>, Query), ("beforeEnd" = Option<String>, Query),
        ("sortStart" = Option<String>, Query), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = BookingList)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_org_user_bookings(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load_admin(&state.db, &caller.user, ids.id("orgId")?).await?;
    let user = ids.id("userId")?;
    if memberships::of_user(&state.db, access.org_id(), UserId(user))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("User"));
    }
    org_bookings(&state, OrgScope::User(access.org_id(), user), &q).await
}

/// The bookings of a team's event types (the team's or the organization's ADMINs and OWNERs).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/bookings", tag = "Orgs / Teams / Bookings",
    security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("status" = Option<String>, Query),
        ("attendeeEmail" = Option<String>, Query), ("bookingUid" = Option<String>, Query),
        ("eventTypeIds" = Option<String>, Query), ("afterStart" = Option<String>, Query), ("beforeEnd" = Option<String>, Query),
        ("sortStart" = Option<String>, Query), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = BookingList)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_team_bookings(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = TeamAccess::load(&state.db, &caller.user, Some(ids.id("orgId")?), ids.id("teamId")?).await?;
    access.require_manager()?;
    org_bookings(&state, OrgScope::Team(access.team_id()), &q).await
}
