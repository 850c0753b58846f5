//! The structured settings of an event type — locations, booking fields, booking limits,
//! confirmation policy, email settings — validated on the way in and interpreted for booking.

use convene_core::FieldError;
use convene_core::slots::BookingLimits;
use jiff::SignedDuration;
use serde_json::{Map, Value, json};

/// Location kinds of `Input*Location_2024_06_14`, with the field each one needs.
const LOCATION_KINDS: [(&str, Option<&str>); 7] = [
    ("address", Some("address")),
    ("link", Some("link")),
    ("integration", Some("integration")),
    ("phone", Some("phone")),
    ("attendeeAddress", None),
    ("attendeePhone", None),
    ("attendeeDefined", None),
];

/// Custom booking field types of `*FieldInput_2024_06_14`.
const FIELD_TYPES: [&str; 13] = [
    "phone",
    "address",
    "text",
    "number",
    "textarea",
    "select",
    "multiselect",
    "multiemail",
    "checkbox",
    "radio",
    "boolean",
    "url",
    "email",
];

/// Validates `locations` and returns their stored text.
pub fn validate_locations(locations: &[Value]) -> Result<String, FieldError> {
    if locations.len() > 20 {
        return Err(FieldError::new("locations", "at most 20 locations"));
    }
    for (i, location) in locations.iter().enumerate() {
        let field = format!("locations[{i}]");
        let kind = location
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::new(format!("{field}.type"), "is required"))?;
        let Some((_, needs)) = LOCATION_KINDS.iter().find(|(k, _)| *k == kind) else {
            let known: Vec<&str> = LOCATION_KINDS.iter().map(|(k, _)| *k).collect();
            return Err(FieldError::new(
                format!("{field}.type"),
                format!("must be one of {}", known.join(", ")),
            ));
        };
        if let Some(needed) = needs {
            let ok = location
                .get(*needed)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.trim().is_empty() && v.len() <= 2048);
            if !ok {
                return Err(FieldError::new(format!("{field}.{needed}"), "is required"));
            }
        }
    }
    // A JSON array of JSON values always serializes.
    Ok(Value::Array(locations.to_vec()).to_string())
}

/// Validates custom `bookingFields` (each needs a type, a unique slug, a label and `required`).
pub fn validate_booking_fields(fields: &[Value]) -> Result<String, FieldError> {
    if fields.len() > 50 {
        return Err(FieldError::new("bookingFields", "at most 50 fields"));
    }
    let mut slugs = std::collections::HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = |name: &str| format!("bookingFields[{i}].{name}");
        let kind = f
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::new(at("type"), "is required"))?;
        if matches!(
            kind,
            "name" | "title" | "location" | "notes" | "guests" | "rescheduleReason"
        ) {
            continue; // default fields: shape only, nothing to enforce here
        }
        if !FIELD_TYPES.contains(&kind) {
            return Err(FieldError::new(
                at("type"),
                format!("'{kind}' is not a booking field type"),
            ));
        }
        let slug = f
            .get("slug")
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::new(at("slug"), "is required"))?;
        let valid_slug = !slug.is_empty()
            && slug.len() <= 64
            && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_slug {
            return Err(FieldError::new(at("slug"), "must be letters, digits, '-' or '_'"));
        }
        if !slugs.insert(slug.to_owned()) {
            return Err(FieldError::new(at("slug"), format!("'{slug}' is used twice")));
        }
        if !f.get("label").is_some_and(Value::is_string) {
            return Err(FieldError::new(at("label"), "is required"));
        }
        if !f.get("required").is_some_and(Value::is_boolean) {
            return Err(FieldError::new(at("required"), "must be true or false"));
        }
    }
    Ok(Value::Array(fields.to_vec()).to_string())
}

/// Output booking fields: the default name and email fields, then the custom ones.
pub type BookingFieldsOutput = Vec<Value>;

pub fn booking_fields_output(stored: &str) -> BookingFieldsOutput {
    let mut out = vec![
        json!({ "type": "name", "slug": "name", "label": "Your name", "required": true, "isDefault": true }),
        json!({ "type": "email", "slug": "email", "label": "Your email", "required": true, "isDefault": true }),
    ];
    out.extend(serde_json::from_str::<Vec<Value>>(stored).unwrap_or_default());
    out
}

/// Slugs of custom fields that must be answered when booking.
pub fn required_field_slugs(stored: &str) -> Vec<String> {
    serde_json::from_str::<Vec<Value>>(stored)
        .unwrap_or_default()
        .iter()
        .filter(|f| {
            f.get("required").and_then(Value::as_bool) == Some(true)
                && f.get("hidden").and_then(Value::as_bool) != Some(true)
        })
        .filter_map(|f| f.get("slug").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// `{day, week, month, year}` or `{disabled: true}` (→ none).
pub fn validate_limits(field: &str, value: &Value, max: i64) -> Result<Option<String>, FieldError> {
    let Some(map) = value.as_object() else {
        return Err(FieldError::new(
            field,
            "must be an object like {\"day\": 2} or {\"disabled\": true}",
        ));
    };
    if map.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let mut kept = Map::new();
    for (key, v) in map {
        if key == "disabled" {
            continue;
        }
        if !matches!(key.as_str(), "day" | "week" | "month" | "year") {
            return Err(FieldError::new(
                format!("{field}.{key}"),
                "must be one of day, week, month, year",
            ));
        }
        match v.as_i64() {
            Some(n) if (1..=max).contains(&n) => {
                kept.insert(key.clone(), json!(n));
            }
            _ => {
                return Err(FieldError::new(
                    format!("{field}.{key}"),
                    format!("must be a whole number from 1 to {max}"),
                ));
            }
        }
    }
    Ok(if kept.is_empty() {
        None
    } else {
        Some(Value::Object(kept).to_string())
    })
}

/// `confirmationPolicy`: `{type: "always" | "time", …}` requires confirmation; `{disabled: true}` not.
pub fn requires_confirmation(value: &Value) -> Result<bool, FieldError> {
    if value.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Ok(false);
    }
    match value.get("type").and_then(Value::as_str) {
        Some("always" | "time") => Ok(true),
        _ => Err(FieldError::new(
            "confirmationPolicy.type",
            "must be \"always\" or \"time\" (or pass {\"disabled\": true})",
        )),
    }
}

/// `emailSettings`: `{disableEmailsToAttendees?, disableEmailsToHosts?}`.
pub fn validate_email_settings(value: &Value) -> Result<String, FieldError> {
    let Some(map) = value.as_object() else {
        return Err(FieldError::new("emailSettings", "must be an object"));
    };
    let mut kept = Map::new();
    for key in ["disableEmailsToAttendees", "disableEmailsToHosts"] {
        match map.get(key) {
            None => {}
            Some(Value::Bool(b)) => {
                kept.insert(key.to_owned(), json!(b));
            }
            Some(_) => {
                return Err(FieldError::new(format!("emailSettings.{key}"), "must be true or false"));
            }
        }
    }
    Ok(Value::Object(kept).to_string())
}

/// The core's booking limits from an event type's stored settings.
pub fn booking_limits(count: Option<&str>, duration: Option<&str>) -> BookingLimits {
    let read = |stored: Option<&str>, key: &str| -> Option<i64> {
        stored
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .and_then(|v| v.get(key).and_then(Value::as_i64))
    };
    let count_of = |key| read(count, key).and_then(|n| u32::try_from(n).ok());
    let minutes_of = |key| read(duration, key).map(SignedDuration::from_mins);
    BookingLimits {
        count_per_day: count_of("day"),
        count_per_week: count_of("week"),
        count_per_month: count_of("month"),
        count_per_year: count_of("year"),
        duration_per_day: minutes_of("day"),
        duration_per_week: minutes_of("week"),
        duration_per_month: minutes_of("month"),
        duration_per_year: minutes_of("year"),
    }
}
