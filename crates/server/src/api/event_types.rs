//! `/v2/event-types` (`cal-api-version: 2024-06-14`): the caller's bookable event types. Any other
//! version (or none) gets the legacy `2024-04-15` shapes of [`super::legacy::event_types`].

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::event_type_output::{EventTypeOutput, destination_input};
use super::extract::{ApiJson, PathIds, QueryPairs, from_value};
use super::legacy::event_types as legacy;
use super::version::Requested;
pub use crate::scheduling::event_type_input::{EventTypeError, EventTypeInput, merged_fields};
use crate::state::AppState;
use crate::tenancy::access::{AccessError, TeamAccess};
use axum::extract::State;
use axum::response::Response;
use convene_store::event_types::{self, EventTypeFields, EventTypeRecord, Owner};
use convene_store::{memberships, teams, users};
use serde_json::{Map, Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The version whose shapes this module speaks; others get the legacy ones.
pub const CURRENT: &str = "2024-06-14";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_event_types, create_event_type))
        .routes(routes!(get_event_type, update_event_type, delete_event_type))
}

impl From<EventTypeError> for ApiError {
    fn from(e: EventTypeError) -> Self {
        match e {
            EventTypeError::Invalid(f) => ApiError::Validation(f),
            EventTypeError::Store(s) => s.into(),
        }
    }
}

async fn owned(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<EventTypeRecord, ApiError> {
    let id = ids.id("eventTypeId")?;
    event_types::find(&state.db, id)
        .await?
        .filter(|e| e.owner_id == Some(caller.user.id))
        .ok_or_else(|| ApiError::not_found("Event type"))
}

/// Whether `caller` may read a team event type: as on the team's own routes, any accepted member of
/// its organization, the team's members for a team outside organizations (and instance admins).
async fn team_member(state: &AppState, caller: &ApiUser, record: &EventTypeRecord) -> Result<bool, ApiError> {
    let Some(team_id) = record.team_id else {
        return Ok(false);
    };
    let Some(team) = teams::find(&state.db, team_id).await? else {
        return Ok(false);
    };
    match TeamAccess::load(&state.db, &caller.user, team.parent_id, team.id).await {
        Ok(_) => Ok(true),
        Err(AccessError::Store(e)) => Err(e.into()),
        Err(_) => Ok(false),
    }
}

/// Get event types: mine, or a user's public ones with `username` (hidden ones only to their owner).
#[utoipa::path(get, path = "/v2/event-types", tag = "Event Types", security(("bearer" = [])),
    params(("cal-api-version" = String, Header, description = "2024-06-14; another version or none gets the 2024-04-15 shapes"), ("username" = Option<String>, Query), ("eventSlug" = Option<String>, Query)),
    responses((status = 200, body = Envelope<Vec<EventTypeOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_event_types(
    State(state): State<AppState>,
    version: Requested,
    caller: Option<ApiUser>,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    if !version.is_current(CURRENT) {
        return legacy_list(&state, caller.as_ref(), &q).await;
    }
    let (owner, username) = match (q.get("username"), &caller) {
        (Some(name), _) => {
            let user = users::find_by_username(&state.db, &name.to_lowercase())
                .await?
                .ok_or_else(|| ApiError::not_found("User"))?;
            (user.user_id(), user.username)
        }
        (None, Some(c)) => (c.id(), c.user.username.clone()),
        (None, None) => {
            return Err(ApiError::field(
                "username",
                "is required without an Authorization header",
            ));
        }
    };
    let is_owner = caller.as_ref().is_some_and(|c| c.id() == owner);
    let mut list = event_types::list_for_owner(&state.db, owner, is_owner).await?;
    if let Some(slug) = q.get("eventSlug") {
        list.retain(|e| e.slug == slug);
    }
    Ok(envelope::ok(
        list.iter()
            .map(|e| EventTypeOutput::new(e, Some(username.clone())))
            .collect::<Vec<_>>(),
    ))
}

/// The legacy list: `{eventTypeGroups, profiles}`, one group for the user and, for the caller's own
/// list, one per team of theirs. With `username` (Cal.com's legacy list ignores it; the agent guide
/// sends it) the named user's group, public event types only unless it is the caller.
async fn legacy_list(state: &AppState, caller: Option<&ApiUser>, q: &QueryPairs) -> Result<Response, ApiError> {
    let user = match (q.get("username"), caller) {
        (Some(name), _) => users::find_by_username(&state.db, &name.to_lowercase())
            .await?
            .ok_or_else(|| ApiError::not_found("User"))?,
        (None, Some(c)) => c.user.clone(),
        (None, None) => {
            return Err(ApiError::Unauthorized(
                "Missing Authorization header: send `Authorization: Bearer cal_…`",
            ));
        }
    };
    let is_self = caller.is_some_and(|c| c.id() == user.user_id());
    let mut list = event_types::list_for_owner(&state.db, user.user_id(), is_self).await?;
    if let Some(slug) = q.get("eventSlug") {
        list.retain(|e| e.slug == slug);
    }
    let (group, profile) = legacy::user_group(&user, &list);
    let (mut groups, mut profiles) = (vec![group], vec![profile]);
    if let (true, Some(org)) = (is_self, user.organization()) {
        for team in teams::list_teams_of_user(&state.db, org, user.user_id(), 0, 1_000).await? {
            let Some(membership) = memberships::of_user(&state.db, team.team_id(), user.user_id()).await? else {
                continue;
            };
            let members = memberships::list(&state.db, team.team_id(), 0, 10_000).await?.len();
            let list = event_types::list_for_team(&state.db, team.team_id()).await?;
            let (group, profile) = legacy::team_group(&team, &membership.role, members, &list);
            groups.push(group);
            profiles.push(profile);
        }
    }
    Ok(envelope::ok(json!({ "eventTypeGroups": groups, "profiles": profiles })))
}

/// Create an event type.
#[utoipa::path(post, path = "/v2/event-types", tag = "Event Types", security(("bearer" = [])),
    params(("cal-api-version" = String, Header, description = "2024-06-14; another version or none gets the 2024-04-15 shapes")),
    request_body = EventTypeInput, responses((status = 201, body = Envelope<EventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_event_type(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ApiJson(mut body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let current = version.is_current(CURRENT);
    let destination = if current {
        destination_input(&state, caller.user.id.0, &mut body).await?
    } else {
        None
    };
    let input = if current {
        from_value(Value::Object(body))?
    } else {
        legacy::input(body)?
    };
    let fields = merged_fields(&state.db, Some(caller.id()), input, None).await?;
    let created = event_types::insert(&state.db, Owner::User(caller.id()), &fields).await?;
    if !current {
        return Ok(envelope::created(legacy::output(&created)));
    }
    if let Some(choice) = destination {
        state
            .calendars
            .set_event_type_destination(caller.user.id, created.id, choice.as_ref())
            .await?;
    }
    let output = EventTypeOutput::new(&created, Some(caller.user.username.clone()));
    Ok(envelope::created(
        output.with_destination(&state, caller.user.id).await?,
    ))
}

/// Get one of my event types, or a team event type of my organization (in the team shape).
#[utoipa::path(get, path = "/v2/event-types/{eventTypeId}", tag = "Event Types", security(("bearer" = [])),
    params(("eventTypeId" = i64, Path), ("cal-api-version" = String, Header, description = "2024-06-14; another version or none gets the 2024-04-15 shapes")),
    responses((status = 200, body = Envelope<EventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_event_type(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let id = ids.id("eventTypeId")?;
    let record = event_types::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Event type"))?;
    let readable = record.owner_id == Some(caller.user.id) || team_member(&state, &caller, &record).await?;
    if !readable {
        return Err(ApiError::not_found("Event type"));
    }
    if !version.is_current(CURRENT) {
        return Ok(envelope::ok(legacy::output(&record)));
    }
    if record.team_id.is_some() {
        return Ok(envelope::ok(super::team_event_types::output(&state, &record).await?));
    }
    let output = EventTypeOutput::new(&record, Some(caller.user.username.clone()));
    Ok(envelope::ok(output.with_destination(&state, caller.user.id).await?))
}

/// Update one of my event types (absent fields keep their values).
#[utoipa::path(patch, path = "/v2/event-types/{eventTypeId}", tag = "Event Types", security(("bearer" = [])),
    params(("eventTypeId" = i64, Path), ("cal-api-version" = String, Header, description = "2024-06-14; another version or none gets the 2024-04-15 shapes")),
    request_body = EventTypeInput, responses((status = 200, body = Envelope<EventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_event_type(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(mut body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let current = version.is_current(CURRENT);
    let record = owned(&state, &caller, &ids).await?;
    let destination = if current {
        destination_input(&state, caller.user.id.0, &mut body).await?
    } else {
        None
    };
    let input = if current {
        from_value(Value::Object(body))?
    } else {
        legacy::input(body)?
    };
    let fields = merged_fields(
        &state.db,
        Some(caller.id()),
        input,
        Some(EventTypeFields::from(&record)),
    )
    .await?;
    let updated = event_types::update(&state.db, record.id, &fields)
        .await?
        .ok_or_else(|| ApiError::not_found("Event type"))?;
    if !current {
        return Ok(envelope::ok(legacy::output(&updated)));
    }
    if let Some(choice) = destination {
        state
            .calendars
            .set_event_type_destination(caller.user.id, updated.id, choice.as_ref())
            .await?;
    }
    let output = EventTypeOutput::new(&updated, Some(caller.user.username.clone()));
    Ok(envelope::ok(output.with_destination(&state, caller.user.id).await?))
}

/// Delete one of my event types. Its bookings stay (they keep their times and attendees).
#[utoipa::path(delete, path = "/v2/event-types/{eventTypeId}", tag = "Event Types", security(("bearer" = [])),
    params(("eventTypeId" = i64, Path), ("cal-api-version" = String, Header, description = "2024-06-14; another version or none gets the 2024-04-15 shapes")),
    responses((status = 200, body = Envelope<EventTypeOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_event_type(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let record = owned(&state, &caller, &ids).await?;
    event_types::delete(&state.db, record.id).await?;
    if !version.is_current(CURRENT) {
        return Ok(envelope::ok(legacy::deleted(&record)));
    }
    Ok(envelope::ok(EventTypeOutput::new(
        &record,
        Some(caller.user.username.clone()),
    )))
}
