//! The structured settings of an event type — locations, booking fields, booking limits,
//! confirmation policy, email settings — validated on the way in and interpreted for booking.

use convene_core::FieldError;
use convene_core::slots::BookingLimits;
use jiff::SignedDuration;
use serde_json::{Map, Value, json};

/// Location kinds of `Input*Location_2024_06_14`, with the field each one needs.
pub const LOCATION_KINDS: [(&str, Option<&str>); 7] = [
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
        return Err(
            FieldError::coded("locations", "refusal-too-many-locations", "at most 20 locations").arg("max", 20),
        );
    }
    for (i, location) in locations.iter().enumerate() {
        let field = format!("locations[{i}]");
        let kind = location
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::coded(format!("{field}.type"), "refusal-required", "is required"))?;
        let Some((_, needs)) = LOCATION_KINDS.iter().find(|(k, _)| *k == kind) else {
            let known: Vec<&str> = LOCATION_KINDS.iter().map(|(k, _)| *k).collect();
            return Err(FieldError::coded(
                format!("{field}.type"),
                "refusal-one-of",
                format!("must be one of {}", known.join(", ")),
            )
            .arg("choices", known.join(", ")));
        };
        if let Some(needed) = needs {
            let ok = location
                .get(*needed)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.trim().is_empty() && v.len() <= 2048);
            if !ok {
                return Err(FieldError::coded(
                    format!("{field}.{needed}"),
                    "refusal-required",
                    "is required",
                ));
            }
        }
    }
    // A JSON array of JSON values always serializes.
    Ok(Value::Array(locations.to_vec()).to_string())
}

/// Cal.com's default booking fields after name and email: slug, type, label.
const DEFAULT_FIELDS: [(&str, &str, &str); 5] = [
    ("title", "text", "What is this meeting about?"),
    ("notes", "textarea", "Additional notes"),
    ("guests", "multiemail", "Add guests"),
    ("location", "radioInput", "Location"),
    ("rescheduleReason", "textarea", "Reason for reschedule"),
];

/// Custom field types whose output carries a `placeholder`.
const WITH_PLACEHOLDER: [&str; 9] = [
    "phone",
    "address",
    "text",
    "number",
    "textarea",
    "select",
    "multiemail",
    "url",
    "email",
];

/// Which default field an input entry overrides, if it is one: the name and email fields are named
/// by `type` (`{type: "email", label, placeholder}`, no slug), the others by `slug` only
/// (`{slug: "guests", hidden: true}`), as the `*DefaultFieldInput_2024_06_14` shapes spell them.
pub(crate) fn default_slug(field: &Value) -> Option<&'static str> {
    let kind = field.get("type").and_then(Value::as_str);
    let slug = field.get("slug").and_then(Value::as_str);
    match (kind, slug) {
        (Some("name") | None, Some("name")) | (Some("name"), None) => Some("name"),
        (Some("email") | None, Some("email")) | (Some("email"), None) => Some("email"),
        (_, Some(slug)) => DEFAULT_FIELDS
            .iter()
            .find(|(s, t, _)| *s == slug && kind.is_none_or(|k| k == *t || k == *s))
            .map(|(s, _, _)| *s),
        // Stored before default fields were read by slug: `{type: "notes", …}`.
        (Some(kind), None) => DEFAULT_FIELDS.iter().find(|(s, _, _)| *s == kind).map(|(s, _, _)| *s),
        (None, None) => None,
    }
}

/// Whether a JSON value has the type a setting needs.
type TypeCheck = fn(&Value) -> bool;

/// What an override of a default field may set, with the JSON type each must have.
const OVERRIDABLE: [(&str, TypeCheck); 5] = [
    ("label", Value::is_string),
    ("placeholder", Value::is_string),
    ("required", Value::is_boolean),
    ("hidden", Value::is_boolean),
    ("disableOnPrefill", Value::is_boolean),
];

/// Validates `bookingFields`: overrides of the default fields (stored as `{slug, isDefault: true,
/// …}`) and custom fields (each needs a type, a unique slug, a label and `required`).
pub fn validate_booking_fields(fields: &[Value]) -> Result<String, FieldError> {
    if fields.len() > 50 {
        return Err(FieldError::coded("bookingFields", "refusal-too-many-fields", "at most 50 fields").arg("max", 50));
    }
    let mut slugs = std::collections::HashSet::new();
    let mut stored = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let at = |name: &str| format!("bookingFields[{i}].{name}");
        if let Some(slug) = default_slug(f) {
            if !slugs.insert(slug.to_owned()) {
                return Err(FieldError::coded(
                    at("slug"),
                    "refusal-used-twice-named",
                    format!("'{slug}' is used twice"),
                )
                .arg("value", slug));
            }
            let mut entry = Map::new();
            entry.insert("slug".into(), json!(slug));
            entry.insert("isDefault".into(), json!(true));
            for (key, valid) in OVERRIDABLE {
                match f.get(key) {
                    None | Some(Value::Null) => {}
                    // Cal.com types the email field's `required` loosely; only a boolean means anything.
                    Some(v) if key == "required" && slug == "email" && !v.is_boolean() => {}
                    Some(v) if valid(v) => {
                        entry.insert(key.into(), v.clone());
                    }
                    Some(_) => return Err(FieldError::coded(at(key), "refusal-wrong-type", "has the wrong type")),
                }
            }
            // The booker's name and email are always asked for.
            if matches!(slug, "name" | "email") {
                entry.remove("required");
                entry.remove("hidden");
            }
            stored.push(Value::Object(entry));
            continue;
        }
        let kind = f
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::coded(at("type"), "refusal-required", "is required"))?;
        if !FIELD_TYPES.contains(&kind) {
            return Err(FieldError::coded(
                at("type"),
                "refusal-field-type",
                format!("'{kind}' is not a booking field type"),
            )
            .arg("value", kind));
        }
        let slug = f
            .get("slug")
            .and_then(Value::as_str)
            .ok_or_else(|| FieldError::coded(at("slug"), "refusal-required", "is required"))?;
        let valid_slug = !slug.is_empty()
            && slug.len() <= 64
            && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_slug {
            return Err(FieldError::coded(
                at("slug"),
                "refusal-identifier",
                "must be letters, digits, '-' or '_'",
            ));
        }
        if matches!(slug, "name" | "email") || DEFAULT_FIELDS.iter().any(|(s, _, _)| *s == slug) {
            return Err(FieldError::coded(
                at("slug"),
                "refusal-default-field",
                format!("'{slug}' is a default field: give it by slug only to change it"),
            )
            .arg("value", slug));
        }
        if !slugs.insert(slug.to_owned()) {
            return Err(FieldError::coded(
                at("slug"),
                "refusal-used-twice-named",
                format!("'{slug}' is used twice"),
            )
            .arg("value", slug));
        }
        if !f.get("label").is_some_and(Value::is_string) {
            return Err(FieldError::coded(at("label"), "refusal-required", "is required"));
        }
        if !f.get("required").is_some_and(Value::is_boolean) {
            return Err(FieldError::coded(
                at("required"),
                "refusal-boolean",
                "must be true or false",
            ));
        }
        stored.push(f.clone());
    }
    Ok(Value::Array(stored).to_string())
}

/// Output booking fields: the default fields (with their stored overrides) then the custom ones,
/// each with what the `*FieldOutput_2024_06_14` schemas require (`isDefault`, `hidden`, and a
/// `placeholder` for the text-like fields).
pub type BookingFieldsOutput = Vec<Value>;

pub fn booking_fields_output(stored: &str) -> BookingFieldsOutput {
    let stored: Vec<Value> = serde_json::from_str(stored).unwrap_or_default();
    let override_of = |slug: &str| stored.iter().find(|f| default_slug(f) == Some(slug));
    let with_override = |mut base: Value, slug: &str| {
        if let (Value::Object(out), Some(Value::Object(o))) = (&mut base, override_of(slug)) {
            for (key, _) in OVERRIDABLE {
                if let Some(v) = o.get(key) {
                    out.insert(key.into(), v.clone());
                }
            }
        }
        base
    };
    let mut out = vec![
        with_override(
            json!({ "type": "name", "slug": "name", "label": "Your name", "placeholder": "", "required": true, "isDefault": true }),
            "name",
        ),
        with_override(
            json!({ "type": "email", "slug": "email", "label": "Your email", "placeholder": "", "required": true, "isDefault": true }),
            "email",
        ),
    ];
    for (slug, kind, label) in DEFAULT_FIELDS {
        // Listed when the event type changes them; their defaults need no mention.
        if override_of(slug).is_none() {
            continue;
        }
        let mut base = json!({ "type": kind, "slug": slug, "label": label, "required": false, "hidden": false, "isDefault": true });
        if slug != "location" {
            base["placeholder"] = json!("");
        }
        out.push(with_override(base, slug));
    }
    for f in stored.iter().filter(|f| default_slug(f).is_none()) {
        let mut field = f.clone();
        if let Value::Object(o) = &mut field {
            o.insert("isDefault".into(), json!(false));
            o.entry("hidden").or_insert(json!(false));
            let kind = o.get("type").and_then(Value::as_str).unwrap_or_default();
            if WITH_PLACEHOLDER.contains(&kind) {
                o.entry("placeholder").or_insert(json!(""));
            }
        }
        out.push(field);
    }
    out
}

/// `{day, week, month, year}` or `{disabled: true}` (→ none).
pub fn validate_limits(field: &str, value: &Value, max: i64) -> Result<Option<String>, FieldError> {
    let Some(map) = value.as_object() else {
        return Err(FieldError::coded(
            field,
            "refusal-object",
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
            return Err(FieldError::coded(
                format!("{field}.{key}"),
                "refusal-period",
                "must be one of day, week, month, year",
            ));
        }
        match v.as_i64() {
            Some(n) if (1..=max).contains(&n) => {
                kept.insert(key.clone(), json!(n));
            }
            _ => {
                return Err(FieldError::coded(
                    format!("{field}.{key}"),
                    "refusal-whole-number-between",
                    format!("must be a whole number from 1 to {max}"),
                )
                .arg("min", 1)
                .arg("max", max));
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
        _ => Err(FieldError::coded(
            "confirmationPolicy.type",
            "refusal-confirmation-policy",
            "must be \"always\" or \"time\" (or pass {\"disabled\": true})",
        )),
    }
}

/// `emailSettings`: `{disableEmailsToAttendees?, disableEmailsToHosts?}`.
pub fn validate_email_settings(value: &Value) -> Result<String, FieldError> {
    let Some(map) = value.as_object() else {
        return Err(FieldError::coded(
            "emailSettings",
            "refusal-object",
            "must be an object",
        ));
    };
    let mut kept = Map::new();
    for key in ["disableEmailsToAttendees", "disableEmailsToHosts"] {
        match map.get(key) {
            None => {}
            Some(Value::Bool(b)) => {
                kept.insert(key.to_owned(), json!(b));
            }
            Some(_) => {
                return Err(FieldError::coded(
                    format!("emailSettings.{key}"),
                    "refusal-boolean",
                    "must be true or false",
                ));
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
