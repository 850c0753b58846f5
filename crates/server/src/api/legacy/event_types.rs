//! Event types in their `2024-04-15` shapes, served to requests that do not ask for `2024-06-14`.
//!
//! The legacy output is Cal.com's internal event type (`length`, `hidden`, `requiresConfirmation`,
//! locations as `{type: "inPerson", address}` …); the legacy list groups event types by owner
//! (`data.eventTypeGroups[]`, each with its `profile`, then `data.profiles[]`). Input takes `length`
//! and internal location types and is translated into the current input before validation.

use crate::api::ApiError;
use crate::api::extract::from_value;
use crate::scheduling::event_settings;
use crate::scheduling::event_type_input::EventTypeInput;
use convene_store::event_types::EventTypeRecord;
use convene_store::teams::TeamRecord;
use convene_store::users::UserRecord;
use serde_json::{Map, Value, json};

/// Internal location types of Cal.com for the current `integration` names.
const INTEGRATIONS: [(&str, &str); 4] = [
    ("cal-video", "integrations:daily"),
    ("google-meet", "integrations:google:meet"),
    ("zoom", "integrations:zoom"),
    ("office365-video", "integrations:office365_video"),
];

fn stored(text: Option<&str>) -> Value {
    text.and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null)
}

/// One stored (current-shape) location as Cal.com stores it internally.
fn legacy_location(location: &Value) -> Value {
    let text = |k: &str| location.get(k).cloned().unwrap_or(Value::Null);
    let public = location.get("public").and_then(Value::as_bool).unwrap_or(false);
    match location.get("type").and_then(Value::as_str).unwrap_or_default() {
        "address" => json!({ "type": "inPerson", "address": text("address"), "displayLocationPublicly": public }),
        "link" => json!({ "type": "link", "link": text("link"), "displayLocationPublicly": public }),
        "phone" => json!({ "type": "userPhone", "hostPhoneNumber": text("phone"), "displayLocationPublicly": public }),
        "attendeeAddress" => json!({ "type": "attendeeInPerson" }),
        "attendeePhone" => json!({ "type": "phone" }),
        "attendeeDefined" => json!({ "type": "somewhereElse" }),
        "integration" => {
            let name = location.get("integration").and_then(Value::as_str).unwrap_or_default();
            let kind = INTEGRATIONS
                .iter()
                .find(|(n, _)| *n == name)
                .map_or_else(|| format!("integrations:{name}"), |(_, k)| (*k).to_owned());
            json!({ "type": kind })
        }
        _ => location.clone(),
    }
}

/// A legacy location as the current input spells it; `None` for a type convene does not know.
fn current_location(location: &Value) -> Option<Value> {
    let text = |k: &str| location.get(k).cloned().unwrap_or(Value::Null);
    let public = location
        .get("displayLocationPublicly")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let kind = location.get("type").and_then(Value::as_str)?;
    Some(match kind {
        "inPerson" => json!({ "type": "address", "address": text("address"), "public": public }),
        "link" => json!({ "type": "link", "link": text("link"), "public": public }),
        "userPhone" => json!({ "type": "phone", "phone": text("hostPhoneNumber"), "public": public }),
        "attendeeInPerson" => json!({ "type": "attendeeAddress" }),
        "phone" => json!({ "type": "attendeePhone" }),
        "somewhereElse" => json!({ "type": "attendeeDefined" }),
        other => {
            let name = INTEGRATIONS
                .iter()
                .find(|(_, k)| *k == other)
                .map(|(n, _)| (*n).to_owned())
                .or_else(|| other.strip_prefix("integrations:").map(str::to_owned))?;
            json!({ "type": "integration", "integration": name })
        }
    })
}

/// Booking fields as Cal.com keeps them internally (`name` is the slug; defaults flagged).
fn legacy_booking_fields(stored: &str) -> Vec<Value> {
    event_settings::booking_fields_output(stored)
        .into_iter()
        .map(|f| {
            let mut out = Map::new();
            out.insert("name".into(), f.get("slug").cloned().unwrap_or(Value::Null));
            for key in ["type", "label", "placeholder", "required", "hidden", "options"] {
                if let Some(v) = f.get(key) {
                    out.insert(key.into(), v.clone());
                }
            }
            let default = f.get("isDefault").and_then(Value::as_bool).unwrap_or(false);
            out.insert("editable".into(), json!(if default { "system" } else { "user" }));
            Value::Object(out)
        })
        .collect()
}

/// `EventTypeOutput` of `2024-04-15`.
pub fn output(r: &EventTypeRecord) -> Value {
    let locations: Vec<Value> = serde_json::from_str::<Vec<Value>>(&r.locations)
        .unwrap_or_default()
        .iter()
        .map(legacy_location)
        .collect();
    let mut out = json!({
        "id": r.id,
        "length": r.length_minutes,
        "slug": r.slug,
        "title": r.title,
        "description": r.description,
        "hidden": r.hidden,
        "locations": locations,
        "position": 0,
        "offsetStart": 0,
        "userId": r.owner_id,
        "profileId": null,
        "teamId": r.team_id,
        "eventName": null,
        "parentId": null,
        "bookingFields": legacy_booking_fields(&r.booking_fields),
        "timeZone": null,
        "periodType": "UNLIMITED",
        "periodStartDate": null,
        "periodEndDate": null,
        "periodDays": null,
        "periodCountCalendarDays": null,
        "lockTimeZoneToggleOnBookingPage": false,
        "requiresConfirmation": r.requires_confirmation,
    });
    // Two halves: one `json!` of every field exceeds the macro's recursion limit.
    let rest = json!({
        "requiresBookerEmailVerification": false,
        "recurringEvent": null,
        "disableGuests": r.disable_guests,
        "hideCalendarNotes": false,
        "minimumBookingNotice": r.minimum_booking_notice,
        "beforeEventBuffer": r.before_event_buffer,
        "afterEventBuffer": r.after_event_buffer,
        "seatsPerTimeSlot": null,
        "onlyShowFirstAvailableSlot": false,
        "seatsShowAttendees": false,
        "seatsShowAvailabilityCount": true,
        "schedulingType": r.scheduling_type,
        "scheduleId": r.schedule_id,
        "price": 0,
        "currency": "usd",
        "slotInterval": r.slot_interval,
        "metadata": crate::api::dto::metadata_value(&r.metadata),
        "successRedirectUrl": null,
        "bookingLimits": stored(r.booking_limits_count.as_deref()),
        "durationLimits": stored(r.booking_limits_duration.as_deref()),
        "isInstantEvent": false,
        "assignAllTeamMembers": false,
        "useEventTypeDestinationCalendarEmail": false,
        "secondaryEmailId": null,
    });
    if let (Value::Object(out), Value::Object(rest)) = (&mut out, rest) {
        out.extend(rest);
    }
    out
}

/// `DeleteEventTypeOutput` of `2024-04-15`: the deleted event type's identity.
pub fn deleted(r: &EventTypeRecord) -> Value {
    json!({ "id": r.id, "length": r.length_minutes, "slug": r.slug, "title": r.title })
}

/// One group of `data.eventTypeGroups`, for a user's own event types.
pub fn user_group(user: &UserRecord, list: &[EventTypeRecord]) -> (Value, Value) {
    let name = user.name.clone().unwrap_or_else(|| user.username.clone());
    let image = user.avatar_url.clone().unwrap_or_default();
    group(Value::Null, Value::Null, &user.username, &name, &image, 1, list)
}

/// One group of `data.eventTypeGroups`, for a team's event types seen by a member with `role`.
pub fn team_group(team: &TeamRecord, role: &str, members: usize, list: &[EventTypeRecord]) -> (Value, Value) {
    let image = team.logo_url.clone().unwrap_or_default();
    let read_only = !matches!(role, "ADMIN" | "OWNER");
    let (mut g, mut p) = group(
        json!(team.id),
        json!(role),
        &team.slug,
        &team.name,
        &image,
        members,
        list,
    );
    g["metadata"]["readOnly"] = json!(read_only);
    p["readOnly"] = json!(read_only);
    (g, p)
}

/// A group and its entry of `data.profiles`.
fn group(
    team_id: Value,
    role: Value,
    slug: &str,
    name: &str,
    image: &str,
    members: usize,
    list: &[EventTypeRecord],
) -> (Value, Value) {
    let group = json!({
        "teamId": team_id,
        "membershipRole": role,
        "profile": { "slug": slug, "name": name, "image": image, "eventTypesLockedByOrg": false },
        "metadata": { "membershipCount": members, "readOnly": false },
        "eventTypes": list.iter().map(output).collect::<Vec<_>>(),
    });
    let profile = json!({
        "teamId": team_id,
        "membershipRole": role,
        "slug": slug,
        "name": name,
        "image": image,
        "membershipCount": members,
        "readOnly": false,
    });
    (group, profile)
}

/// A legacy create/update body as the current input: `length` → `lengthInMinutes`, internal
/// location types → current ones, `requiresConfirmation` → a confirmation policy. Fields the two
/// versions share pass as they are; unknown ones are ignored as in the current version.
pub fn input(mut body: Map<String, Value>) -> Result<EventTypeInput, ApiError> {
    if let Some(length) = body.remove("length") {
        body.insert("lengthInMinutes".into(), length);
    }
    if let Some(Value::Array(locations)) = body.remove("locations") {
        let mut current = Vec::with_capacity(locations.len());
        for (i, location) in locations.iter().enumerate() {
            current.push(current_location(location).ok_or_else(|| {
                ApiError::field(&format!("locations[{i}].type"), "is not a location type convene knows")
            })?);
        }
        body.insert("locations".into(), Value::Array(current));
    }
    if let Some(requires) = body.remove("requiresConfirmation") {
        let policy = match requires.as_bool() {
            Some(true) => json!({ "type": "always" }),
            Some(false) => json!({ "disabled": true }),
            None => return Err(ApiError::field("requiresConfirmation", "must be true or false")),
        };
        body.insert("confirmationPolicy".into(), policy);
    }
    // Legacy booking fields are Cal.com's internal ones; they are not translated.
    body.remove("bookingFields");
    from_value(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_round_trip_between_the_two_versions() {
        for current in [
            json!({ "type": "address", "address": "1 Main St", "public": true }),
            json!({ "type": "link", "link": "https://meet.example/x", "public": false }),
            json!({ "type": "phone", "phone": "+15555550100", "public": false }),
            json!({ "type": "integration", "integration": "cal-video" }),
            json!({ "type": "attendeePhone" }),
        ] {
            let legacy = legacy_location(&current);
            assert_eq!(current_location(&legacy).as_ref(), Some(&current), "{legacy}");
        }
        assert_eq!(
            legacy_location(&json!({ "type": "address", "address": "x" }))["type"],
            "inPerson"
        );
        assert_eq!(current_location(&json!({ "type": "nonsense" })), None);
    }
}
