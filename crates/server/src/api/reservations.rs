//! `/v2/slots/reservations` (`cal-api-version: 2024-09-04`): hold a free slot for a few minutes
//! so nobody else can take it while someone completes a booking.

use super::ApiError;
use super::auth::ApiUser;
use super::caller::Caller;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, PathIds};
use super::version::{VersionRule, enforce};
use crate::limits::PublicOperation;
use crate::scheduling::calendar::Exclusions;
use crate::scheduling::hold::{self, HoldError};
use crate::scheduling::resolve::{self, EventTypeRef};
use crate::state::AppState;
use crate::time_text::{parse_instant, utc_iso};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convene_store::reservations::{self, ReservationRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

const VERSION: VersionRule = VersionRule::Required {
    version: "2024-09-04",
    missing: StatusCode::BAD_REQUEST,
};
/// How long a hold lasts by default, and at most (authenticated callers may choose).
const DEFAULT_HOLD_MINUTES: i64 = 5;
const MAX_HOLD_MINUTES: i64 = 60;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reserve))
        .routes(routes!(get_reservation, update_reservation, delete_reservation))
        .route_layer(axum::middleware::from_fn(|r, n| enforce(VERSION, r, n)))
}

/// `ReserveSlotInput_2024_09_04`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReserveSlotInput {
    pub event_type_id: Option<i64>,
    pub slot_start: Option<String>,
    pub slot_duration: Option<i64>,
    /// Minutes to hold the slot; authenticated callers only (default 5, at most 60).
    pub reservation_duration: Option<i64>,
}

/// `ReserveSlotOutput_2024_09_04`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReserveSlotOutput {
    pub event_type_id: i64,
    pub slot_start: String,
    pub slot_end: String,
    pub slot_duration: i64,
    pub reservation_uid: String,
    pub reservation_duration: i64,
    pub reservation_until: String,
}

impl From<&ReservationRecord> for ReserveSlotOutput {
    fn from(r: &ReservationRecord) -> Self {
        let now = jiff::Timestamp::now();
        ReserveSlotOutput {
            event_type_id: r.event_type_id.0,
            slot_start: utc_iso(r.start_at),
            slot_end: utc_iso(r.end_at),
            slot_duration: r.end_at.duration_since(r.start_at).as_mins(),
            reservation_uid: r.uid.clone(),
            reservation_duration: ((r.expires_at.as_millisecond() - now.as_millisecond()).max(0) + 59_999) / 60_000,
            reservation_until: utc_iso(r.expires_at),
        }
    }
}

/// Validates the request and holds the slot if it is free (409 otherwise). `existing` is the
/// caller's own hold being moved, which must not block itself.
async fn hold_slot(
    state: &AppState,
    caller: Option<&ApiUser>,
    input: ReserveSlotInput,
    existing: Option<&str>,
) -> Result<ReservationRecord, ApiError> {
    let event_type_id = input
        .event_type_id
        .ok_or_else(|| ApiError::field("eventTypeId", "is required"))?;
    let start = parse_instant(
        "slotStart",
        input
            .slot_start
            .as_deref()
            .ok_or_else(|| ApiError::field("slotStart", "is required"))?,
    )?;
    let hold_minutes = match (input.reservation_duration, caller) {
        (None, _) => DEFAULT_HOLD_MINUTES,
        (Some(_), None) => {
            return Err(ApiError::field(
                "reservationDuration",
                "may only be set by authenticated callers",
            ));
        }
        (Some(m), Some(_)) if (1..=MAX_HOLD_MINUTES).contains(&m) => m,
        (Some(_), Some(_)) => {
            return Err(ApiError::field(
                "reservationDuration",
                format!("must be 1 to {MAX_HOLD_MINUTES} minutes"),
            ));
        }
    };
    let hosted = resolve::event_type(
        &state.db,
        EventTypeRef {
            id: Some(event_type_id),
            ..EventTypeRef::default()
        },
    )
    .await?;
    let length = resolve::length(&hosted.event, "slotDuration", input.slot_duration)?;
    let record = hold::hold(
        &state.db,
        &hosted,
        start,
        length,
        hold_minutes,
        Exclusions {
            booking_uid: None,
            reservation_uid: existing,
        },
    )
    .await
    .map_err(|e| match e {
        HoldError::SlotUnavailable => ApiError::Conflict(e.to_string()),
        HoldError::NotHoldable => {
            ApiError::field("eventTypeId", "holding slots of team event types is not supported yet")
        }
        HoldError::OutOfRange => ApiError::field("slotStart", "is out of range"),
        HoldError::Store(e) => e.into(),
    })?;
    Ok(record)
}

/// Reserve a slot.
#[utoipa::path(post, path = "/v2/slots/reservations", tag = "Slots",
    params(("cal-api-version" = String, Header, description = "2024-09-04")),
    request_body = ReserveSlotInput, responses((status = 201, body = Envelope<ReserveSlotOutput>)))]
#[tracing::instrument(skip_all)]
async fn reserve(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ReserveSlotInput>,
) -> Result<Response, ApiError> {
    caller.limit(&state, PublicOperation::Reservation).await?;
    let record = hold_slot(&state, caller.user(), input, None).await?;
    Ok(envelope::created(ReserveSlotOutput::from(&record)))
}

async fn live(state: &AppState, ids: &PathIds) -> Result<ReservationRecord, ApiError> {
    reservations::find_live(&state.db, ids.text("uid"))
        .await?
        .ok_or_else(|| ApiError::not_found("Reservation"))
}

/// Get a reservation (expired ones are gone).
#[utoipa::path(get, path = "/v2/slots/reservations/{uid}", tag = "Slots",
    params(("uid" = String, Path), ("cal-api-version" = String, Header, description = "2024-09-04")),
    responses((status = 200, body = Envelope<ReserveSlotOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_reservation(State(state): State<AppState>, ids: PathIds) -> Result<Response, ApiError> {
    Ok(envelope::ok(ReserveSlotOutput::from(&live(&state, &ids).await?)))
}

/// Move or extend a reservation (its uid is the capability, as in Cal.com).
#[utoipa::path(patch, path = "/v2/slots/reservations/{uid}", tag = "Slots",
    params(("uid" = String, Path), ("cal-api-version" = String, Header, description = "2024-09-04")),
    request_body = ReserveSlotInput, responses((status = 200, body = Envelope<ReserveSlotOutput>)))]
#[tracing::instrument(skip_all)]
async fn update_reservation(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    ApiJson(input): ApiJson<ReserveSlotInput>,
) -> Result<Response, ApiError> {
    caller.limit(&state, PublicOperation::Reservation).await?;
    let current = live(&state, &ids).await?;
    let record = hold_slot(&state, caller.user(), input, Some(&current.uid)).await?;
    Ok(envelope::ok(ReserveSlotOutput::from(&record)))
}

/// Release a reservation.
#[utoipa::path(delete, path = "/v2/slots/reservations/{uid}", tag = "Slots",
    params(("uid" = String, Path), ("cal-api-version" = String, Header, description = "2024-09-04")),
    responses((status = 200, body = Object)))]
#[tracing::instrument(skip_all)]
async fn delete_reservation(State(state): State<AppState>, ids: PathIds) -> Result<Response, ApiError> {
    if !reservations::delete(&state.db, ids.text("uid")).await? {
        return Err(ApiError::not_found("Reservation"));
    }
    Ok(axum::Json(json!({ "status": "success" })).into_response())
}
