//! What `/v2/event-types` and the team event types' routes share: the `EventTypeOutput_2024_06_14` shape (a team
//! event type's output builds on it) and the `destinationCalendar` input. Kept apart from both handlers' files so
//! `event_types.rs` (whose get-by-id answers a team event type in the team shape) can import `team_event_types.rs`
//! without an import cycle.

use super::ApiError;
use super::dto::metadata_value;
use crate::scheduling::event_settings::{self, BookingFieldsOutput};
use crate::scheduling::recurring::Recurrence;
use crate::scheduling::seats;
use crate::state::AppState;
use convene_core::{EventTypeId, UserId};
use convene_store::calendars::CalendarRecord;
use convene_store::event_types::EventTypeRecord;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// `EventTypeOutput_2024_06_14`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOutput {
    pub id: i64,
    pub length_in_minutes: i64,
    pub length_in_minutes_options: Vec<i64>,
    pub title: String,
    pub slug: String,
    pub description: String,
    #[schema(value_type = Vec<Object>)]
    pub locations: Value,
    #[schema(value_type = Vec<Object>)]
    pub booking_fields: BookingFieldsOutput,
    pub disable_guests: bool,
    pub slot_interval: Option<i64>,
    pub minimum_booking_notice: i64,
    pub before_event_buffer: i64,
    pub after_event_buffer: i64,
    #[schema(value_type = Option<Object>)]
    pub recurrence: Option<Value>,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub price: i64,
    pub currency: &'static str,
    pub lock_time_zone_toggle_on_booking_page: bool,
    pub seats_per_time_slot: Option<i64>,
    /// `Seats_2024_06_14`, for a seated event type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub seats: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats_show_availability_count: Option<bool>,
    pub forward_params_success_redirect: Option<bool>,
    pub success_redirect_url: Option<String>,
    pub is_instant_event: bool,
    pub schedule_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub booking_limits_count: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub booking_limits_duration: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub confirmation_policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub email_settings: Option<Value>,
    pub hidden: bool,
    pub booking_requires_authentication: bool,
    pub owner_id: Option<i64>,
    pub users: Vec<String>,
    /// `DestinationCalendar_2024_06_14`: where this event type's bookings are written, when not the owner's
    /// default destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub destination_calendar: Option<Value>,
}

fn json_of(stored: Option<&str>) -> Option<Value> {
    stored.and_then(|s| serde_json::from_str(s).ok())
}

impl EventTypeOutput {
    pub fn new(r: &EventTypeRecord, owner_username: Option<String>) -> Self {
        EventTypeOutput {
            id: r.id.0,
            length_in_minutes: r.length_minutes,
            length_in_minutes_options: serde_json::from_str(&r.length_options).unwrap_or_default(),
            title: r.title.clone(),
            slug: r.slug.clone(),
            description: r.description.clone(),
            locations: serde_json::from_str(&r.locations).unwrap_or_else(|_| json!([])),
            booking_fields: event_settings::booking_fields_output(&r.booking_fields),
            disable_guests: r.disable_guests,
            slot_interval: r.slot_interval,
            minimum_booking_notice: r.minimum_booking_notice,
            before_event_buffer: r.before_event_buffer,
            after_event_buffer: r.after_event_buffer,
            recurrence: Recurrence::stored(r.recurrence.as_deref()).map(Recurrence::value),
            metadata: metadata_value(&r.metadata),
            price: 0,
            currency: "usd",
            lock_time_zone_toggle_on_booking_page: false,
            seats_per_time_slot: seats::per_start(r),
            seats: seats::setting(r).map(|s| {
                json!({
                    "seatsPerTimeSlot": s.per_start,
                    "showAttendeeInfo": s.show_attendees,
                    "showAvailabilityCount": s.show_availability_count,
                })
            }),
            seats_show_availability_count: seats::setting(r).map(|s| s.show_availability_count),
            forward_params_success_redirect: None,
            success_redirect_url: None,
            is_instant_event: false,
            schedule_id: r.schedule_id.map(|id| id.0),
            booking_limits_count: json_of(r.booking_limits_count.as_deref()),
            booking_limits_duration: json_of(r.booking_limits_duration.as_deref()),
            confirmation_policy: r
                .requires_confirmation
                .then(|| json!({ "type": "always", "blockUnconfirmedBookingsInBooker": true })),
            email_settings: json_of(r.email_settings.as_deref()),
            hidden: r.hidden,
            booking_requires_authentication: false,
            owner_id: r.owner_id.map(|id| id.0),
            users: owner_username.into_iter().collect(),
            destination_calendar: None,
        }
    }

    /// Adds the event type's own destination calendar (stored by the calendar service).
    pub(super) async fn with_destination(mut self, state: &AppState, user_id: UserId) -> Result<Self, ApiError> {
        self.destination_calendar = state
            .calendars
            .event_type_destination(user_id, EventTypeId(self.id))
            .await?
            .map(|(kind, c)| json!({ "integration": kind.integration(), "externalId": c.external_id }));
        Ok(self)
    }
}

/// `destinationCalendar` of a create or update: absent (`None`), `null` (`Some(None)`: back to the user's
/// default), or a calendar, checked to be the caller's and writable.
pub(super) async fn destination_input(
    state: &AppState,
    user_id: i64,
    body: &mut Map<String, Value>,
) -> Result<Option<Option<CalendarRecord>>, ApiError> {
    let Some(raw) = body.remove("destinationCalendar") else {
        return Ok(None);
    };
    if raw.is_null() {
        return Ok(Some(None));
    }
    let text = |key: &str| -> Result<String, ApiError> {
        raw.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| ApiError::field(&format!("destinationCalendar.{key}"), "is required"))
    };
    let (integration, external_id) = (text("integration")?, text("externalId")?);
    let calendar = state
        .calendars
        .destination_choice(UserId(user_id), &integration, &external_id)
        .await?;
    Ok(Some(Some(calendar)))
}
