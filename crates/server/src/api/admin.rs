//! Instance-admin endpoints (our addition, in Cal.com's conventions):
//! `/v2/admin/organizations` and per-organization feature flags.

use super::ApiError;
use super::auth::{ApiUser, require_instance_admin};
use super::dto::{TeamOutput, iso};
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs, from_value, split_off};
use super::team_input::TeamInput;
use crate::state::AppState;
use crate::tenancy;
use axum::extract::State;
use axum::response::Response;
use convene_core::{FeatureFlag, TeamId, UserId};
use convene_store::{features, teams, users};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(get_organization))
        .routes(routes!(list_features))
        .routes(routes!(get_feature, set_feature, delete_feature))
}

/// A new organization: the team fields plus who owns it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrganizationInput {
    #[serde(flatten)]
    pub team: TeamInput,
    #[serde(flatten)]
    pub owner: OwnerInput,
}

/// Who owns a new organization.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnerInput {
    /// The user who becomes the OWNER; the caller when absent.
    pub owner_id: Option<i64>,
}

impl CreateOrganizationInput {
    /// Splits the body so each field error keeps its name (serde's flatten loses it).
    fn parse(mut body: Map<String, Value>) -> Result<Self, ApiError> {
        let owner = split_off(&mut body, &["ownerId"]);
        Ok(Self {
            team: from_value(Value::Object(body))?,
            owner: from_value(owner)?,
        })
    }
}

/// List organizations (instance admins).
#[utoipa::path(get, path = "/v2/admin/organizations", tag = "Admin", security(("bearer" = [])),
    params(("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = Envelope<Vec<TeamOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_organizations(
    State(state): State<AppState>,
    caller: ApiUser,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    require_instance_admin(&caller)?;
    let paging = Paging::from_query(&q, 250, 1000)?;
    let list = teams::list_organizations(&state.db, paging.skip, paging.take).await?;
    Ok(envelope::ok(list.iter().map(TeamOutput::from).collect::<Vec<_>>()))
}

/// Create an organization (instance admins). Its OWNER is `ownerId`, else the caller.
#[utoipa::path(post, path = "/v2/admin/organizations", tag = "Admin", security(("bearer" = [])),
    request_body = CreateOrganizationInput, responses((status = 201, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_organization(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    require_instance_admin(&caller)?;
    let input = CreateOrganizationInput::parse(body)?;
    let owner = match input.owner.owner_id {
        Some(id) if id > 0 => UserId(id),
        Some(_) => return Err(ApiError::field("ownerId", "must be a positive integer")),
        None => caller.id(),
    };
    if users::find(&state.db, owner).await?.is_none() {
        return Err(ApiError::field("ownerId", format!("user {owner} not found")));
    }
    let fields = input.team.for_create()?;
    let org = tenancy::create_organization(&state.db, &fields, owner).await?;
    Ok(envelope::created(TeamOutput::from(&org)))
}

/// Get an organization (instance admins).
#[utoipa::path(get, path = "/v2/admin/organizations/{orgId}", tag = "Admin", security(("bearer" = [])),
    params(("orgId" = i64, Path)), responses((status = 200, body = Envelope<TeamOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_organization(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    require_instance_admin(&caller)?;
    let org = org_or_404(&state, ids.id("orgId")?).await?;
    Ok(envelope::ok(TeamOutput::from(&org)))
}

async fn org_or_404(state: &AppState, id: i64) -> Result<teams::TeamRecord, ApiError> {
    teams::find_organization(&state.db, TeamId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("Organization"))
}

fn parse_flag(ids: &PathIds) -> Result<FeatureFlag, ApiError> {
    let raw = ids.text("flag");
    raw.parse::<FeatureFlag>().map_err(|()| {
        ApiError::NotFound(format!(
            "Unknown feature flag '{raw}'; known flags: {}",
            FeatureFlag::known_names()
        ))
    })
}

/// A feature flag's state for one organization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeatureOutput {
    pub flag: String,
    pub enabled: bool,
    pub updated_at: Option<String>,
}

/// Every known flag for the organization, set or not.
#[utoipa::path(get, path = "/v2/admin/organizations/{orgId}/features", tag = "Admin", security(("bearer" = [])),
    params(("orgId" = i64, Path)), responses((status = 200, body = Envelope<Vec<FeatureOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_features(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    require_instance_admin(&caller)?;
    let org = org_or_404(&state, ids.id("orgId")?).await?;
    let stored = features::list(&state.db, org.team_id()).await?;
    let out: Vec<FeatureOutput> = FeatureFlag::ALL
        .iter()
        .map(|flag| {
            let row = stored.iter().find(|r| r.flag == flag.as_str());
            FeatureOutput {
                flag: flag.as_str().to_owned(),
                enabled: row.is_some_and(|r| r.enabled),
                updated_at: row.map(|r| iso(r.updated_at)),
            }
        })
        .collect();
    Ok(envelope::ok(out))
}

/// One flag's state (off unless set).
#[utoipa::path(get, path = "/v2/admin/organizations/{orgId}/features/{flag}", tag = "Admin", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("flag" = String, Path)), responses((status = 200, body = Envelope<FeatureOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_feature(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    require_instance_admin(&caller)?;
    let org = org_or_404(&state, ids.id("orgId")?).await?;
    let flag = parse_flag(&ids)?;
    let row = features::find(&state.db, org.team_id(), flag.as_str()).await?;
    Ok(envelope::ok(FeatureOutput {
        flag: flag.as_str().to_owned(),
        enabled: row.as_ref().is_some_and(|r| r.enabled),
        updated_at: row.map(|r| iso(r.updated_at)),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetFeatureInput {
    /// Defaults to true: `PUT` with an empty body enables the flag.
    pub enabled: Option<bool>,
}

/// Enable (or explicitly disable) a flag for an organization.
#[utoipa::path(put, path = "/v2/admin/organizations/{orgId}/features/{flag}", tag = "Admin", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("flag" = String, Path)), request_body = SetFeatureInput,
    responses((status = 200, body = Envelope<FeatureOutput>)))]
#[tracing::instrument(skip_all)]
async fn set_feature(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<SetFeatureInput>,
) -> Result<Response, ApiError> {
    require_instance_admin(&caller)?;
    let org = org_or_404(&state, ids.id("orgId")?).await?;
    let flag = parse_flag(&ids)?;
    let row = features::set(
        &state.db,
        org.team_id(),
        flag.as_str(),
        input.enabled.unwrap_or(true),
        Some(caller.id()),
    )
    .await?;
    // Routing reads the flag through the sender cache; this process sees the change at once.
    state.mailer.directory.invalidate(org.team_id());
    Ok(envelope::ok(FeatureOutput {
        flag: row.flag,
        enabled: row.enabled,
        updated_at: Some(iso(row.updated_at)),
    }))
}

/// Remove a flag: the organization is back to the default (off).
#[utoipa::path(delete, path = "/v2/admin/organizations/{orgId}/features/{flag}", tag = "Admin", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("flag" = String, Path)), responses((status = 200, body = Envelope<FeatureOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_feature(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    require_instance_admin(&caller)?;
    let org = org_or_404(&state, ids.id("orgId")?).await?;
    let flag = parse_flag(&ids)?;
    features::delete(&state.db, org.team_id(), flag.as_str()).await?;
    state.mailer.directory.invalidate(org.team_id());
    Ok(envelope::ok(FeatureOutput {
        flag: flag.as_str().to_owned(),
        enabled: false,
        updated_at: None,
    }))
}
