//! Routing forms: `/v2/organizations/{orgId}/routing-forms` and `/v2/organizations/{orgId}/teams/{teamId}/
//! routing-forms`, their responses, and `POST /v2/routing-forms/{routingFormId}/calculate-slots`, as the reference
//! defines them. Organization forms are the organization ADMINs' and OWNERs'; a team's forms are read and answered
//! by its members and written by its (or the organization's) ADMINs and OWNERs.
//!
//! Cal.com's API has no operation that writes a form; convene adds `POST` on both listings and `PATCH` / `DELETE`
//! on `…/routing-forms/{routingFormId}` (documented in the README), in the same envelope.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use super::slots;
use crate::routing_forms::manage::{self, FormInput, Owner};
use crate::routing_forms::model::Action;
use crate::routing_forms::submit::{self, Destination};
use crate::routing_forms::{Form, RoutingFormError};
use crate::state::AppState;
use crate::tenancy::access::OrgAccess;
use crate::time_text::utc_iso;
use axum::extract::State;
use axum::response::Response;
use convene_core::TeamId;
use convene_store::routing_forms::{self as store, FormScope, ListFilter, ResponseRecord};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_forms, create_org_form))
        .routes(routes!(update_org_form, delete_org_form))
        .routes(routes!(list_org_responses, create_org_response))
        .routes(routes!(update_org_response))
        .routes(routes!(list_team_forms, create_team_form))
        .routes(routes!(update_team_form, delete_team_form))
        .routes(routes!(list_team_responses, create_team_response))
        .routes(routes!(update_team_response))
        .routes(routes!(calculate_slots))
}

/// `RoutingFormOutput`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoutingFormOutput {
    id: String,
    name: String,
    description: Option<String>,
    position: i64,
    created_at: String,
    updated_at: String,
    user_id: i64,
    team_id: Option<i64>,
    disabled: bool,
    #[schema(value_type = Object)]
    routes: Value,
    #[schema(value_type = Object)]
    fields: Value,
    #[schema(value_type = Object)]
    settings: Value,
}

impl From<&Form> for RoutingFormOutput {
    fn from(form: &Form) -> Self {
        let r = &form.record;
        let (fields, routes, settings) = form.definition.to_json();
        RoutingFormOutput {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            position: r.position,
            created_at: utc_iso(r.created_at),
            updated_at: utc_iso(r.updated_at),
            user_id: r.user_id.0,
            team_id: r.team_id.map(|id| id.0),
            disabled: r.disabled,
            routes,
            fields,
            settings,
        }
    }
}

/// `RoutingFormResponseOutput`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResponseOutput {
    id: i64,
    form_id: String,
    form_filler_id: String,
    /// Null until a booking is made from the response.
    routed_to_booking_uid: Option<String>,
    #[schema(value_type = Object)]
    response: Value,
    created_at: String,
}

impl From<&ResponseRecord> for ResponseOutput {
    fn from(r: &ResponseRecord) -> Self {
        ResponseOutput {
            id: r.id.0,
            form_id: r.form_id.clone(),
            form_filler_id: r.form_filler_id.clone(),
            routed_to_booking_uid: r.routed_to_booking_uid.clone(),
            response: serde_json::from_str(&r.response).unwrap_or(Value::Null),
            created_at: utc_iso(r.created_at),
        }
    }
}

/// Where the caller stands: an organization form (admins) or a team's (members read and answer, managers write).
enum Place {
    Organization(TeamId),
    /// The team's id and its organization's.
    Team {
        id: TeamId,
        org: Option<TeamId>,
    },
}

impl Place {
    fn scope(&self) -> FormScope {
        match self {
            Place::Organization(id) => FormScope::Organization(*id),
            Place::Team { id, .. } => FormScope::Team(*id),
        }
    }

    fn holds(&self, form: &Form) -> bool {
        match self {
            Place::Organization(id) => form.record.organization_id == Some(*id),
            Place::Team { id, .. } => form.record.team_id == Some(*id),
        }
    }
}

async fn org_place(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<Place, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    access.require_admin()?;
    Ok(Place::Organization(access.org.id))
}

async fn team_place(state: &AppState, caller: &ApiUser, ids: &PathIds, manage: bool) -> Result<Place, ApiError> {
    let access = OrgAccess::load(&state.db, &caller.user, ids.id("orgId")?).await?;
    let team = access.team(&state.db, ids.id("teamId")?).await?;
    match access.team_role(&state.db, &caller.user, &team).await? {
        Some(role) if !manage || role.can_manage() => Ok(Place::Team {
            id: team.id,
            org: team.parent_id,
        }),
        Some(_) => Err(ApiError::forbidden(
            "This requires the ADMIN or OWNER role in the organization or the team",
        )),
        None => Err(ApiError::forbidden(
            "Only members of the team may use its routing forms",
        )),
    }
}

/// The form named by the path, when it belongs where the caller stands.
async fn form_in(state: &AppState, place: &Place, ids: &PathIds) -> Result<Form, ApiError> {
    let id = ids.text("routingFormId");
    match manage::get(&state.db, id).await {
        Ok(form) if place.holds(&form) => Ok(form),
        Ok(_) | Err(RoutingFormError::NotFound) => Err(ApiError::not_found("Routing form")),
        Err(e) => Err(e.into()),
    }
}

fn instant(q: &QueryPairs, key: &str) -> Result<Option<Timestamp>, ApiError> {
    q.get(key)
        .filter(|v| !v.is_empty())
        .map(|raw| {
            raw.parse::<Timestamp>()
                .map_err(|_| ApiError::field(key, "must be an ISO 8601 date-time with an offset"))
        })
        .transpose()
}

fn order(q: &QueryPairs, key: &str) -> Result<Option<bool>, ApiError> {
    match q.get(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some("asc") => Ok(Some(false)),
        Some("desc") => Ok(Some(true)),
        Some(other) => Err(ApiError::field(key, format!("'{other}' must be 'asc' or 'desc'"))),
    }
}

fn filter(q: &QueryPairs, team_ids: bool) -> Result<ListFilter, ApiError> {
    let paging = Paging::from_query(q, 250, 250)?;
    let teams = if team_ids {
        q.all("teamIds")
            .iter()
            .map(|raw| {
                raw.parse::<i64>()
                    .map(TeamId)
                    .map_err(|_| ApiError::field("teamIds", "must be team ids"))
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    Ok(ListFilter {
        skip: paging.skip,
        take: paging.take,
        created_desc: order(q, "sortCreatedAt")?,
        updated_desc: order(q, "sortUpdatedAt")?,
        after_created: instant(q, "afterCreatedAt")?,
        before_created: instant(q, "beforeCreatedAt")?,
        after_updated: instant(q, "afterUpdatedAt")?,
        before_updated: instant(q, "beforeUpdatedAt")?,
        routed_to_booking_uid: q.get("routedToBookingUid").filter(|v| !v.is_empty()).map(str::to_owned),
        team_ids: teams,
    })
}

async fn list_forms(state: &AppState, place: &Place, q: &QueryPairs) -> Result<Response, ApiError> {
    let filter = filter(q, matches!(place, Place::Organization(_)))?;
    let forms = manage::list(&state.db, place.scope(), &filter).await?;
    Ok(envelope::ok(
        forms.iter().map(RoutingFormOutput::from).collect::<Vec<_>>(),
    ))
}

async fn create_form(
    state: &AppState,
    caller: &ApiUser,
    place: &Place,
    input: &FormInput,
) -> Result<Response, ApiError> {
    let owner = match place {
        Place::Organization(org) => Owner {
            user_id: caller.id(),
            team_id: None,
            organization_id: Some(*org),
        },
        Place::Team { id, org } => Owner {
            user_id: caller.id(),
            team_id: Some(*id),
            organization_id: *org,
        },
    };
    let form = manage::create(&state.db, owner, input).await?;
    Ok(envelope::created(RoutingFormOutput::from(&form)))
}

async fn list_responses(state: &AppState, place: &Place, ids: &PathIds, q: &QueryPairs) -> Result<Response, ApiError> {
    let form = form_in(state, place, ids).await?;
    let filter = filter(q, false)?;
    let list = store::list_responses(&state.db, &form.record.id, &filter).await?;
    Ok(envelope::ok(list.iter().map(ResponseOutput::from).collect::<Vec<_>>()))
}

/// The answers a request carries: its JSON body, an object.
fn answers(body: Value) -> Result<Map<String, Value>, ApiError> {
    match body {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::BadRequest("The body must be a JSON object of answers".into())),
    }
}

/// Stores a response and answers where it leads, with the routed event type's slots.
async fn create_response(
    state: &AppState,
    place: &Place,
    ids: &PathIds,
    q: &QueryPairs,
    body: Value,
) -> Result<Response, ApiError> {
    let form = form_in(state, place, ids).await?;
    for key in ["start", "end"] {
        if q.get(key).is_none_or(str::is_empty) {
            return Err(ApiError::field(key, "is required"));
        }
    }
    let submission = submit::submit(&state.db, &state.mailer, &form, &answers(body)?, None).await?;
    let mut data = Map::new();
    data.insert(
        "routing".into(),
        json!({"responseId": submission.response.id, "teamMemberIds": []}),
    );
    match &submission.destination {
        Destination::EventType { event_type_id, .. } => {
            data.insert("eventTypeId".into(), Value::from(event_type_id.0));
            data.insert("slots".into(), slots::for_event_type(state, event_type_id.0, q).await?);
        }
        Destination::ExternalUrl(url) => {
            data.insert("routingExternalRedirectUrl".into(), Value::from(url.clone()));
        }
        Destination::Message(text) => {
            data.insert("routingCustomMessage".into(), Value::from(text.clone()));
        }
        Destination::Nothing => {}
    }
    Ok(envelope::created(Value::Object(data)))
}

async fn update_response(state: &AppState, place: &Place, ids: &PathIds, body: Value) -> Result<Response, ApiError> {
    let form = form_in(state, place, ids).await?;
    let raw = match body.get("response") {
        Some(Value::Object(map)) => map.clone(),
        None => Map::new(),
        Some(_) => return Err(ApiError::field("response", "must be an object of answers")),
    };
    let record = submit::update_answers(&state.db, &form, ids.id("responseId")?, &raw).await?;
    Ok(envelope::ok(ResponseOutput::from(&record)))
}

/// Get the organization's routing forms (organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/routing-forms", tag = "Orgs / Routing forms",
    security(("bearer" = [])),
    params(("orgId" = i64, Path), ("skip" = Option<i64>, Query), ("take" = Option<i64>, Query),
        ("sortCreatedAt" = Option<String>, Query), ("sortUpdatedAt" = Option<String>, Query),
        ("afterCreatedAt" = Option<String>, Query), ("beforeCreatedAt" = Option<String>, Query),
        ("afterUpdatedAt" = Option<String>, Query), ("beforeUpdatedAt" = Option<String>, Query),
        ("routedToBookingUid" = Option<String>, Query), ("teamIds" = Option<Vec<i64>>, Query)),
    responses((status = 200, body = Envelope<Vec<RoutingFormOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_org_forms(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let place = org_place(&state, &caller, &ids).await?;
    list_forms(&state, &place, &q).await
}

/// Create an organization routing form, owned by the caller (convene's addition; organization ADMIN or OWNER).
#[utoipa::path(post, path = "/v2/organizations/{orgId}/routing-forms", tag = "Orgs / Routing forms",
    security(("bearer" = [])), params(("orgId" = i64, Path)), request_body = FormInput,
    responses((status = 201, body = Envelope<RoutingFormOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_org_form(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<FormInput>,
) -> Result<Response, ApiError> {
    let place = org_place(&state, &caller, &ids).await?;
    create_form(&state, &caller, &place, &input).await
}

/// Update an organization routing form (convene's addition): what is left out keeps its value.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/routing-forms/{routingFormId}", tag = "Orgs / Routing forms",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("routingFormId" = String, Path)), request_body = FormInput,
    responses((status = 200, body = Envelope<RoutingFormOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_org_form(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<FormInput>,
) -> Result<Response, ApiError> {
    let place = org_place(&state, &caller, &ids).await?;
    let form = form_in(&state, &place, &ids).await?;
    let form = manage::update(&state.db, &form, &input).await?;
    Ok(envelope::ok(RoutingFormOutput::from(&form)))
}

/// Delete an organization routing form and its responses (convene's addition).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/routing-forms/{routingFormId}", tag = "Orgs / Routing forms",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("routingFormId" = String, Path)),
    responses((status = 200, body = Envelope<RoutingFormOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_org_form(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let place = org_place(&state, &caller, &ids).await?;
    let form = form_in(&state, &place, &ids).await?;
    manage::delete(&state.db, &form).await?;
    Ok(envelope::ok(RoutingFormOutput::from(&form)))
}

/// Get the responses to an organization routing form.
#[utoipa::path(get, path = "/v2/organizations/{orgId}/routing-forms/{routingFormId}/responses",
    tag = "Orgs / Routing forms / Responses", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("routingFormId" = String, Path), ("skip" = Option<i64>, Query),
        ("take" = Option<i64>, Query), ("sortCreatedAt" = Option<String>, Query), ("sortUpdatedAt" = Option<String>, Query),
        ("afterCreatedAt" = Option<String>, Query), ("beforeCreatedAt" = Option<String>, Query),
        ("afterUpdatedAt" = Option<String>, Query), ("beforeUpdatedAt" = Option<String>, Query),
        ("routedToBookingUid" = Option<String>, Query)),
    responses((status = 200, body = Envelope<Vec<ResponseOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_org_responses(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let place = org_place(&state, &caller, &ids).await?;
    list_responses(&state, &place, &ids, &q).await
}

/// Answer an organization routing form: the body is the answers, keyed by field id, identifier or label. The
/// response is stored (webhooks and emails follow) and the answer says where it leads, with the routed event
/// type's slots between `start` and `end`.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/routing-forms/{routingFormId}/responses",
    tag = "Orgs / Routing forms / Responses", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("routingFormId" = String, Path), ("start" = String, Query), ("end" = String, Query),
        ("timeZone" = Option<String>, Query), ("duration" = Option<i64>, Query), ("format" = Option<String>, Query),
        ("bookingUidToReschedule" = Option<String>, Query), ("queueResponse" = Option<bool>, Query)),
    request_body = Object, responses((status = 201, body = Object)))]
#[tracing::instrument(skip_all)]
async fn create_org_response(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let place = org_place(&state, &caller, &ids).await?;
    create_response(&state, &place, &ids, &q, body).await
}

/// Change a response's answers (`{response: {…}}`); answers left out keep their values.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/routing-forms/{routingFormId}/responses/{responseId}",
    tag = "Orgs / Routing forms / Responses", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("routingFormId" = String, Path), ("responseId" = i64, Path)),
    request_body = Object, responses((status = 200, body = Envelope<ResponseOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_org_response(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let place = org_place(&state, &caller, &ids).await?;
    update_response(&state, &place, &ids, body).await
}

/// Get a team's routing forms (team members; organization ADMIN or OWNER).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/routing-forms", tag = "Orgs / Teams / Routing forms",
    security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("skip" = Option<i64>, Query), ("take" = Option<i64>, Query),
        ("sortCreatedAt" = Option<String>, Query), ("sortUpdatedAt" = Option<String>, Query),
        ("afterCreatedAt" = Option<String>, Query), ("beforeCreatedAt" = Option<String>, Query),
        ("afterUpdatedAt" = Option<String>, Query), ("beforeUpdatedAt" = Option<String>, Query),
        ("routedToBookingUid" = Option<String>, Query)),
    responses((status = 200, body = Envelope<Vec<RoutingFormOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_team_forms(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let place = team_place(&state, &caller, &ids, false).await?;
    list_forms(&state, &place, &q).await
}

/// Create a team routing form, owned by the caller (convene's addition; team or organization ADMIN/OWNER).
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/routing-forms", tag = "Orgs / Teams / Routing forms",
    security(("bearer" = [])), params(("orgId" = i64, Path), ("teamId" = i64, Path)), request_body = FormInput,
    responses((status = 201, body = Envelope<RoutingFormOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_team_form(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<FormInput>,
) -> Result<Response, ApiError> {
    let place = team_place(&state, &caller, &ids, true).await?;
    create_form(&state, &caller, &place, &input).await
}

/// Update a team routing form (convene's addition): what is left out keeps its value.
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}",
    tag = "Orgs / Teams / Routing forms", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("routingFormId" = String, Path)), request_body = FormInput,
    responses((status = 200, body = Envelope<RoutingFormOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_team_form(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<FormInput>,
) -> Result<Response, ApiError> {
    let place = team_place(&state, &caller, &ids, true).await?;
    let form = form_in(&state, &place, &ids).await?;
    let form = manage::update(&state.db, &form, &input).await?;
    Ok(envelope::ok(RoutingFormOutput::from(&form)))
}

/// Delete a team routing form and its responses (convene's addition).
#[utoipa::path(delete, path = "/v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}",
    tag = "Orgs / Teams / Routing forms", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("routingFormId" = String, Path)),
    responses((status = 200, body = Envelope<RoutingFormOutput>)))]
#[tracing::instrument(skip_all)]
async fn delete_team_form(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let place = team_place(&state, &caller, &ids, true).await?;
    let form = form_in(&state, &place, &ids).await?;
    manage::delete(&state.db, &form).await?;
    Ok(envelope::ok(RoutingFormOutput::from(&form)))
}

/// Get the responses to a team routing form (team members).
#[utoipa::path(get, path = "/v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}/responses",
    tag = "Orgs / Teams / Routing forms / Responses", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("routingFormId" = String, Path), ("skip" = Option<i64>, Query),
        ("take" = Option<i64>, Query), ("sortCreatedAt" = Option<String>, Query), ("sortUpdatedAt" = Option<String>, Query),
        ("afterCreatedAt" = Option<String>, Query), ("beforeCreatedAt" = Option<String>, Query),
        ("afterUpdatedAt" = Option<String>, Query), ("beforeUpdatedAt" = Option<String>, Query),
        ("routedToBookingUid" = Option<String>, Query)),
    responses((status = 200, body = Envelope<Vec<ResponseOutput>>)))]
#[tracing::instrument(skip_all)]
async fn list_team_responses(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let place = team_place(&state, &caller, &ids, false).await?;
    list_responses(&state, &place, &ids, &q).await
}

/// Answer a team routing form (team members), as for organization forms.
#[utoipa::path(post, path = "/v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}/responses",
    tag = "Orgs / Teams / Routing forms / Responses", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("routingFormId" = String, Path), ("start" = String, Query),
        ("end" = String, Query), ("timeZone" = Option<String>, Query), ("duration" = Option<i64>, Query),
        ("format" = Option<String>, Query), ("bookingUidToReschedule" = Option<String>, Query),
        ("queueResponse" = Option<bool>, Query)),
    request_body = Object, responses((status = 201, body = Object)))]
#[tracing::instrument(skip_all)]
async fn create_team_response(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let place = team_place(&state, &caller, &ids, false).await?;
    create_response(&state, &place, &ids, &q, body).await
}

/// Change a team form response's answers (team members).
#[utoipa::path(patch, path = "/v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}/responses/{responseId}",
    tag = "Orgs / Teams / Routing forms / Responses", security(("bearer" = [])),
    params(("orgId" = i64, Path), ("teamId" = i64, Path), ("routingFormId" = String, Path), ("responseId" = i64, Path)),
    request_body = Object, responses((status = 200, body = Envelope<ResponseOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_team_response(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let place = team_place(&state, &caller, &ids, false).await?;
    update_response(&state, &place, &ids, body).await
}

/// The slots the answers in the body would be offered, without storing a response: `{eventTypeId, slots}`. Answers
/// that route elsewhere than an event type are a 400.
#[utoipa::path(post, path = "/v2/routing-forms/{routingFormId}/calculate-slots", tag = "Routing forms",
    security(("bearer" = [])),
    params(("routingFormId" = String, Path), ("start" = String, Query), ("end" = String, Query),
        ("timeZone" = Option<String>, Query), ("duration" = Option<i64>, Query), ("format" = Option<String>, Query),
        ("bookingUidToReschedule" = Option<String>, Query)),
    request_body = Object, responses((status = 200, body = Object)))]
#[tracing::instrument(skip_all)]
async fn calculate_slots(
    State(state): State<AppState>,
    _caller: ApiUser,
    ids: PathIds,
    q: QueryPairs,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let form = manage::get(&state.db, ids.text("routingFormId")).await?;
    let routed = submit::route(&form, &answers(body)?)?;
    let Some(Action::EventType { event_type_id }) = routed.route.map(|r| r.action) else {
        return Err(ApiError::BadRequest(
            "These answers do not lead to an event type, so there are no slots to calculate".into(),
        ));
    };
    let slots = slots::for_event_type(&state, event_type_id, &q).await?;
    Ok(envelope::ok(json!({"eventTypeId": event_type_id, "slots": slots})))
}
