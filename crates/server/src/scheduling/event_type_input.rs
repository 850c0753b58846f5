//! The settings of an event type as the API and the host's pages take them: what may be set, merged over the
//! stored values and checked, so `/v2/event-types` and the event type pages accept and refuse the same things.

use crate::scheduling::calendar::MAX_BUFFER_MINUTES;
use crate::scheduling::event_settings;
use crate::scheduling::{recurring, seats};
use convene_core::metadata::metadata_text;
use convene_core::{FieldError, HeaderText, ScheduleId, Slug, UserId};
use convene_store::event_types::EventTypeFields;
use convene_store::{Db, StoreError, schedules};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Why settings were not accepted.
#[derive(Debug, thiserror::Error)]
pub enum EventTypeError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `CreateEventTypeInput_2024_06_14` / `UpdateEventTypeInput_2024_06_14` (the fields that
/// shape booking; others are accepted and ignored, as Cal.com's whitelist validation does).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeInput {
    pub length_in_minutes: Option<i64>,
    pub length_in_minutes_options: Option<Vec<i64>>,
    pub title: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub locations: Option<Vec<Value>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub booking_fields: Option<Vec<Value>>,
    pub disable_guests: Option<bool>,
    pub slot_interval: Option<i64>,
    pub minimum_booking_notice: Option<i64>,
    pub before_event_buffer: Option<i64>,
    pub after_event_buffer: Option<i64>,
    pub schedule_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub booking_limits_count: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub booking_limits_duration: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub confirmation_policy: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub email_settings: Option<Value>,
    pub hidden: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    /// `Seats_2024_06_14` or `{disabled: true}`.
    #[schema(value_type = Option<Object>)]
    pub seats: Option<Value>,
    /// `Recurrence_2024_06_14` or `{disabled: true}`.
    #[schema(value_type = Option<Object>)]
    pub recurrence: Option<Value>,
}

fn invalid(e: FieldError) -> EventTypeError {
    EventTypeError::Invalid(e)
}

fn minutes(field: &str, value: Option<i64>, min: i64) -> Result<Option<i64>, FieldError> {
    bounded_minutes(field, value, min, 525_600)
}

fn bounded_minutes(field: &str, value: Option<i64>, min: i64, max: i64) -> Result<Option<i64>, FieldError> {
    match value {
        Some(v) if v < min || v > max => Err(FieldError::coded(
            field,
            "refusal-minutes-between",
            format!("must be between {min} and {max} minutes"),
        )
        .arg("min", min)
        .arg("max", max)),
        other => Ok(other),
    }
}

/// Merges `input` over `base` (all fields for a create) and validates the result.
pub async fn merged_fields(
    db: &Db,
    owner: Option<UserId>,
    input: EventTypeInput,
    base: Option<EventTypeFields>,
) -> Result<EventTypeFields, EventTypeError> {
    let creating = base.is_none();
    let require = |field: &str| FieldError::coded(field, "refusal-required", "is required");
    let length = minutes("lengthInMinutes", input.length_in_minutes, 1)?;
    let title = input
        .title
        .as_deref()
        .map(|t| HeaderText::parse("title", t))
        .transpose()?;
    let slug = input.slug.as_deref().map(|s| Slug::parse("slug", s)).transpose()?;
    let mut f = match base {
        Some(b) => b,
        None => EventTypeFields {
            slug: slug.as_ref().ok_or_else(|| require("slug"))?.as_str().to_owned(),
            title: title.as_ref().ok_or_else(|| require("title"))?.as_str().to_owned(),
            description: String::new(),
            length_minutes: length.ok_or_else(|| require("lengthInMinutes"))?,
            length_options: "[]".into(),
            locations: "[]".into(),
            booking_fields: "[]".into(),
            disable_guests: false,
            slot_interval: None,
            minimum_booking_notice: 0,
            before_event_buffer: 0,
            after_event_buffer: 0,
            requires_confirmation: false,
            hidden: false,
            schedule_id: None,
            booking_limits_count: None,
            booking_limits_duration: None,
            email_settings: None,
            metadata: "{}".into(),
            seats_per_time_slot: None,
            seats_show_attendees: false,
            seats_show_availability_count: true,
            recurrence: None,
        },
    };
    if let Some(t) = title {
        f.title = t.as_str().to_owned();
    }
    if let Some(s) = slug {
        f.slug = s.as_str().to_owned();
    }
    if let Some(l) = length {
        f.length_minutes = l;
    }
    if let Some(d) = input.description {
        if d.chars().count() > 10_000 {
            return Err(invalid(
                FieldError::coded("description", "refusal-too-long", "must be at most 10000 characters")
                    .arg("max", 10000),
            ));
        }
        f.description = d;
    }
    if let Some(options) = input.length_in_minutes_options {
        for (i, o) in options.iter().enumerate() {
            minutes(&format!("lengthInMinutesOptions[{i}]"), Some(*o), 1)?;
        }
        if !options.is_empty() && !options.contains(&f.length_minutes) {
            return Err(invalid(FieldError::coded(
                "lengthInMinutesOptions",
                "refusal-options-include-length",
                "must include lengthInMinutes",
            )));
        }
        f.length_options = format!("[{}]", options.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    } else if creating {
        f.length_options = "[]".into();
    }
    if let Some(locations) = input.locations {
        f.locations = event_settings::validate_locations(&locations)?;
    }
    if let Some(fields) = input.booking_fields {
        f.booking_fields = event_settings::validate_booking_fields(&fields)?;
    }
    if let Some(v) = input.disable_guests {
        f.disable_guests = v;
    }
    if input.slot_interval.is_some() {
        f.slot_interval = minutes("slotInterval", input.slot_interval, 1)?;
    }
    if let Some(v) = minutes("minimumBookingNotice", input.minimum_booking_notice, 0)? {
        f.minimum_booking_notice = v;
    }
    if let Some(v) = bounded_minutes("beforeEventBuffer", input.before_event_buffer, 0, MAX_BUFFER_MINUTES)? {
        f.before_event_buffer = v;
    }
    if let Some(v) = bounded_minutes("afterEventBuffer", input.after_event_buffer, 0, MAX_BUFFER_MINUTES)? {
        f.after_event_buffer = v;
    }
    if let Some(id) = input.schedule_id {
        // Team event types use each host's own default schedule.
        let Some(owner) = owner else {
            return Err(invalid(FieldError::coded(
                "scheduleId",
                "refusal-team-schedule",
                "team event types use each host's default schedule",
            )));
        };
        if schedules::find(db, owner, ScheduleId(id)).await?.is_none() {
            return Err(invalid(FieldError::coded(
                "scheduleId",
                "refusal-not-your-schedule",
                format!("schedule {id} not found among your schedules"),
            )));
        }
        f.schedule_id = Some(ScheduleId(id));
    }
    if let Some(v) = input.booking_limits_count {
        f.booking_limits_count = event_settings::validate_limits("bookingLimitsCount", &v, 1_000_000)?;
    }
    if let Some(v) = input.booking_limits_duration {
        f.booking_limits_duration = event_settings::validate_limits("bookingLimitsDuration", &v, 525_600)?;
    }
    if let Some(v) = input.confirmation_policy {
        f.requires_confirmation = event_settings::requires_confirmation(&v)?;
    }
    if let Some(v) = input.email_settings {
        f.email_settings = Some(event_settings::validate_email_settings(&v)?);
    }
    if let Some(v) = input.hidden {
        f.hidden = v;
    }
    if let Some(m) = input.metadata {
        f.metadata = metadata_text("metadata", &m)?;
    }
    if let Some(v) = input.seats {
        let seats = seats::parse_setting(&v)?;
        f.seats_per_time_slot = seats.map(|s| s.per_start);
        if let Some(s) = seats {
            f.seats_show_attendees = s.show_attendees;
            f.seats_show_availability_count = s.show_availability_count;
        }
    }
    if let Some(v) = input.recurrence {
        f.recurrence = recurring::parse_setting(&v)?.map(recurring::Recurrence::to_json);
    }
    // Cal.com offers neither with seats: one seat can't repeat alone, nor wait for approval alone.
    if f.seats_per_time_slot.is_some() && f.recurrence.is_some() {
        return Err(invalid(FieldError::coded(
            "seats",
            "refusal-seats-recurring",
            "a seated event type can't be recurring",
        )));
    }
    if f.seats_per_time_slot.is_some() && f.requires_confirmation {
        return Err(invalid(FieldError::coded(
            "seats",
            "refusal-seats-confirmation",
            "a seated event type can't require confirmation",
        )));
    }
    Ok(f)
}
