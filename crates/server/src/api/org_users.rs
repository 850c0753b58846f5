//! `/v2/organizations/{orgId}/users`: accounts managed by an organization's admins.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::OrgUserOutput;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs, from_value, split_off};
use super::profile_input::ProfileInput;
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use axum::extract::State;
use axum::response::Response;
use convene_core::{EmailAddress, Locale, Role, TimeZoneId, UserId, Username, WeekStart};
use convene_store::memberships::{self, MembershipRecord};
use convene_store::users::{self, NewUser, UserRecord};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, delete_user))
}

/// `CreateOrganizationUserInput` (plus `name`): the profile fields and the membership's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrgUserInput {
    #[serde(flatten)]
    pub profile: ProfileInput,
    #[serde(flatten)]
    pub membership: OrgUserMembershipInput,
}

/// The membership part of [`CreateOrgUserInput`].
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgUserMembershipInput {
    /// `MEMBER` (default), `ADMIN` or `OWNER`.
    pub organization_role: Option<String>,
    /// Whether the organization membership starts accepted (default true).
    pub auto_accept: Option<bool>,
}

impl CreateOrgUserInput {
    /// Splits the body into its two parts so each field error keeps its name.
    fn parse(mut body: Map<String, Value>) -> Result<Self, ApiError> {
        let membership = split_off(&mut body, &["organizationRole", "autoAccept"]);
        Ok(Self {
            profile: from_value(Value::Object(body))?,
            membership: from_value(membership)?,
        })
    }
}

/// Get all users (ADMIN or OWNER). Filter with `emails`.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/users", tag = "Orgs / Users", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query), ("emails" = Option<Vec<String>>, Query)),
    responses((status = 200, body = Envelope<Vec<OrgUserOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_users(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let emails = q
        .all("emails")
        .iter()
        .map(|e| EmailAddress::parse("emails", e).map(|e| e.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    if emails.len() > 100 {
        return Err(ApiError::field("emails", "at most 100 addresses"));
    }
    let org = access.org_id();
    let list = users::list_in_organization(&state.db, org, &emails, paging.skip, paging.take).await?;
    let mut out = Vec::with_capacity(list.len());
    for user in &list {
        let membership_id = memberships::of_user(&state.db, org, user.user_id())
            .await?
            .map_or(0, |m| m.id.0);
        out.push(OrgUserOutput::new(user, org.0, membership_id));
    }
    Ok(envelope::ok(out))
}

/// Create a user in the organization (ADMIN or OWNER; only an OWNER creates OWNERs). A
/// `defaultScheduleId` is accepted and ignored: the new user has no schedule yet.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/users", tag = "Orgs / Users", security(("bearer" = [])),
    params(("orgId" = i64, Path)), request_body = CreateOrgUserInput,
    responses((status = 201, body = Envelope<OrgUserOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_user(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let input = CreateOrgUserInput::parse(body)?;
    // `defaultScheduleId` is part of CreateOrganizationUserInput, so it is accepted; but a user who is
    // only being created owns no schedule it could name, so it is ignored: their first schedule
    // becomes their default, as for everyone.
    let role = match input.membership.organization_role.as_deref() {
        Some(r) => r
            .parse::<Role>()
            .map_err(|()| ApiError::field("organizationRole", "must be one of MEMBER, ADMIN, OWNER"))?,
        None => Role::Member,
    };
    access.require_can_grant(role)?;
    let Some(raw_email) = input.profile.email.clone() else {
        return Err(ApiError::field("email", "is required"));
    };
    let email = EmailAddress::parse("email", &raw_email)?;
    let patch = input.profile.into_patch()?;
    let derived_username = match patch.username.clone() {
        Some(_) => None,
        None => Some(
            Username::from_email(&email)
                .map(|u| u.as_str().to_owned())
                .ok_or_else(|| {
                    ApiError::field("username", "could not be derived from the email; please provide one")
                })?,
        ),
    };
    let mut new_user = NewUser {
        email: email.as_str().to_owned(),
        username: patch.username.clone().unwrap_or_default(),
        name: patch.name.flatten(),
        bio: patch.bio.flatten(),
        avatar_url: patch.avatar_url.flatten(),
        time_zone: patch
            .time_zone
            .unwrap_or_else(|| TimeZoneId::default().as_str().to_owned()),
        locale: patch.locale.unwrap_or_else(|| Locale::default().as_str().to_owned()),
        week_start: patch
            .week_start
            .unwrap_or_else(|| WeekStart::default().as_str().to_owned()),
        time_format: patch.time_format.unwrap_or(12),
        metadata: patch.metadata.unwrap_or_else(|| "{}".to_owned()),
        password_hash: None,
        is_instance_admin: false,
    };
    let org = access.org_id();
    let mut tx = state.db.begin().await?;
    // A username we derived must not collide; one the admin chose collides with a 409.
    if let Some(base) = derived_username {
        new_user.username = users::free_username(&mut tx, &base).await?;
    }
    let user = users::insert(&mut tx, &new_user).await?;
    users::join_organization(&mut tx, user.user_id(), org).await?;
    let membership = memberships::insert(
        &mut tx,
        org,
        user.user_id(),
        role,
        input.membership.auto_accept.unwrap_or(true),
        false,
    )
    .await?;
    tx.commit().await?;
    let user = users::find(&state.db, user.user_id())
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    Ok(envelope::created(OrgUserOutput::new(&user, org.0, membership.0)))
}

/// The user and their membership, when they belong to this organization.
async fn member_or_404(
    state: &AppState,
    access: &OrgAccess,
    user_id: i64,
) -> Result<(UserRecord, MembershipRecord), ApiError> {
    let not_found = || ApiError::not_found("User");
    let membership = memberships::of_user(&state.db, access.org_id(), UserId(user_id))
        .await?
        .ok_or_else(not_found)?;
    let user = users::find(&state.db, UserId(user_id)).await?.ok_or_else(not_found)?;
    Ok((user, membership))
}

/// Update a user of the organization (ADMIN or OWNER; an OWNER's profile only by an OWNER).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/users/{userId}", tag = "Orgs / Users", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("userId" = i64, Path)), request_body = ProfileInput,
    responses((status = 200, body = Envelope<OrgUserOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_user(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<ProfileInput>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let (user, membership) = member_or_404(&state, &access, ids.id("userId")?).await?;
    access.require_can_grant(membership.role())?;
    if user.is_instance_admin && !caller.is_instance_admin() && user.id != caller.user.id {
        return Err(ApiError::forbidden("Instance admins manage their own accounts"));
    }
    if input.default_schedule_id.is_some() {
        return Err(ApiError::field(
            "defaultScheduleId",
            "is set by the user through PATCH /v2/me",
        ));
    }
    let patch = input.into_patch()?;
    let user = users::update(&state.db, user.user_id(), &patch)
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    Ok(envelope::ok(OrgUserOutput::new(
        &user,
        access.org_id().0,
        membership.id.0,
    )))
}

/// Delete a user of the organization: the account itself, as Cal.com does (ADMIN or OWNER;
/// OWNERs only by an OWNER; never yourself, never an instance admin, never the last OWNER).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/users/{userId}", tag = "Orgs / Users", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("userId" = i64, Path)),
    responses((status = 200, body = Envelope<OrgUserOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_user(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    let (user, membership) = member_or_404(&state, &access, ids.id("userId")?).await?;
    if user.id == caller.user.id {
        return Err(ApiError::forbidden("You can't delete your own account here"));
    }
    if user.is_instance_admin {
        return Err(ApiError::forbidden(
            "Instance admin accounts can't be deleted by an organization",
        ));
    }
    access.require_can_grant(membership.role())?;
    if membership.role() == Role::Owner && memberships::count_owners(&state.db, access.org_id()).await? <= 1 {
        return Err(ApiError::Conflict(
            "An organization must keep at least one OWNER".into(),
        ));
    }
    users::delete(&state.db, user.user_id()).await?;
    Ok(envelope::ok(OrgUserOutput::new(
        &user,
        access.org_id().0,
        membership.id.0,
    )))
}
