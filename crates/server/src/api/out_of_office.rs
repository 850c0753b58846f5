//! Out-of-office entries, which block availability: organization-managed
//! (`/v2/organizations/{orgId}/users/{userId}/ooo`, `/v2/organizations/{orgId}/ooo`) and the
//! caller's own (`/v2/me/ooo`, our addition in the same shapes).

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
pub use crate::scheduling::ooo_input::OooInput;
use crate::scheduling::ooo_input::{self, OooInputError};
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::time_text::utc_iso;
use axum::extract::State;
use axum::response::Response;
use convene_core::{OutOfOfficeId, TeamId, UserId};
use convene_store::memberships;
use convene_store::out_of_office::{self, OooFields, OooRecord};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_member_ooo, create_member_ooo))
        .routes(routes!(update_member_ooo, delete_member_ooo))
        .routes(routes!(list_org_ooo))
        .routes(routes!(list_my_ooo, create_my_ooo))
        .routes(routes!(update_my_ooo, delete_my_ooo))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OooOutput {
    pub id: i64,
    pub user_id: i64,
    pub to_user_id: Option<i64>,
    pub start: String,
    pub end: String,
    pub notes: Option<String>,
    pub reason: String,
}

impl From<&OooRecord> for OooOutput {
    fn from(r: &OooRecord) -> Self {
        OooOutput {
            id: r.id.0,
            user_id: r.user_id.0,
            to_user_id: r.to_user_id.map(|id| id.0),
            start: utc_iso(r.start_at),
            end: utc_iso(r.end_at),
            notes: r.notes.clone(),
            reason: r.reason.clone(),
        }
    }
}

async fn fields(
    state: &AppState,
    user: UserId,
    org: Option<TeamId>,
    input: OooInput,
    base: Option<&OooRecord>,
) -> Result<OooFields, ApiError> {
    ooo_input::fields(&state.db, user, org, input, base)
        .await
        .map_err(|e| match e {
            OooInputError::Invalid(field) => ApiError::Validation(field),
            OooInputError::Store(store) => store.into(),
        })
}

/// The organization and the member whose entries are addressed: org admins reach every member,
/// others only themselves. Non-members of the organization are 404.
async fn member(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<(TeamId, UserId), ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let user = UserId(ids.id("userId")?);
    if user != caller.id() {
        access.require_admin()?;
    }
    if memberships::of_user(&state.db, access.org_id(), user).await?.is_none() {
        return Err(ApiError::not_found("User"));
    }
    Ok((access.org_id(), user))
}

/// A member's out-of-office entries (org ADMIN/OWNER, or the member).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/users/{userId}/ooo", tag = "Orgs / Users / OOO", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("userId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<OooOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_member_ooo(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let (_, user) = member(&state, &caller, &ids).await?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = out_of_office::list_for_user(&state.db, user, paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(OooOutput::from).collect::<Vec<_>>()))
}

/// Create an entry for a member.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/users/{userId}/ooo", tag = "Orgs / Users / OOO", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("userId" = i64, Path)), request_body = OooInput,
    responses((status = 201, body = Envelope<OooOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_member_ooo(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<OooInput>,
) -> Result<Response, ApiError> {
    let (org, user) = member(&state, &caller, &ids).await?;
    let f = fields(&state, user, Some(org), input, None).await?;
    Ok(envelope::created(OooOutput::from(
        &out_of_office::insert(&state.db, user, &f).await?,
    )))
}

/// Update a member's entry.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/users/{userId}/ooo/{oooId}", tag = "Orgs / Users / OOO", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("userId" = i64, Path), ("oooId" = i64, Path)), request_body = OooInput,
    responses((status = 200, body = Envelope<OooOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_member_ooo(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<OooInput>,
) -> Result<Response, ApiError> {
    let (org, user) = member(&state, &caller, &ids).await?;
    update(&state, user, Some(org), ids.id("oooId")?, input).await
}

/// Delete a member's entry.
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/users/{userId}/ooo/{oooId}", tag = "Orgs / Users / OOO", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("userId" = i64, Path), ("oooId" = i64, Path)),
    responses((status = 200, body = Envelope<OooOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_member_ooo(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let (_, user) = member(&state, &caller, &ids).await?;
    delete(&state, user, ids.id("oooId")?).await
}

/// Every member's entries (org ADMIN/OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/ooo", tag = "Orgs / Users / OOO", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<OooOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_org_ooo(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = out_of_office::list_for_organization(&state.db, access.org_id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(OooOutput::from).collect::<Vec<_>>()))
}

/// My out-of-office entries.
#[utoipa::path(get, path = "/v2/me/ooo", tag = "Me", security(("bearer" = [])),
    params(("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<OooOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_my_ooo(State(state): State<AppState>, caller: ApiUser, q: QueryPairs) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = out_of_office::list_for_user(&state.db, caller.id(), paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(OooOutput::from).collect::<Vec<_>>()))
}

/// Create an entry for myself.
#[utoipa::path(post, path = "/v2/me/ooo", tag = "Me", security(("bearer" = [])), request_body = OooInput,
    responses((status = 201, body = Envelope<OooOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_my_ooo(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<OooInput>,
) -> Result<Response, ApiError> {
    let f = fields(&state, caller.id(), caller.user.organization(), input, None).await?;
    Ok(envelope::created(OooOutput::from(
        &out_of_office::insert(&state.db, caller.id(), &f).await?,
    )))
}

/// Update one of my entries.
#[utoipa::path(patch, path = "/v2/me/ooo/{oooId}", tag = "Me", security(("bearer" = [])),
    params(("oooId" = i64, Path)), request_body = OooInput, responses((status = 200, body = Envelope<OooOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_my_ooo(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<OooInput>,
) -> Result<Response, ApiError> {
    update(&state, caller.id(), caller.user.organization(), ids.id("oooId")?, input).await
}

/// Delete one of my entries.
#[utoipa::path(delete, path = "/v2/me/ooo/{oooId}", tag = "Me", security(("bearer" = [])),
    params(("oooId" = i64, Path)), responses((status = 200, body = Envelope<OooOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_my_ooo(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    delete(&state, caller.id(), ids.id("oooId")?).await
}

async fn update(
    state: &AppState,
    user: UserId,
    org: Option<TeamId>,
    id: i64,
    input: OooInput,
) -> Result<Response, ApiError> {
    let current = out_of_office::find(&state.db, user, OutOfOfficeId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("Out-of-office entry"))?;
    let f = fields(state, user, org, input, Some(&current)).await?;
    let updated = out_of_office::update(&state.db, user, OutOfOfficeId(id), &f)
        .await?
        .ok_or_else(|| ApiError::not_found("Out-of-office entry"))?;
    Ok(envelope::ok(OooOutput::from(&updated)))
}

async fn delete(state: &AppState, user: UserId, id: i64) -> Result<Response, ApiError> {
    let current = out_of_office::find(&state.db, user, OutOfOfficeId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("Out-of-office entry"))?;
    out_of_office::delete(&state.db, user, OutOfOfficeId(id)).await?;
    Ok(envelope::ok(OooOutput::from(&current)))
}
