//! The event type form: its fields as the page shows them (from the stored record, or as posted, kept after a
//! refusal), and the service's input built from what was posted.

use super::form::Posted;
use crate::scheduling::event_settings::LOCATION_KINDS;
use crate::scheduling::event_type_input::EventTypeInput;
use convene_core::FieldError;
use convene_store::event_types::EventTypeRecord;
use serde_json::{Value, json};

/// One location row.
pub(crate) struct LocationRow {
    pub kind: String,
    pub value: String,
}

/// The form's fields as text, ready for the page.
#[derive(Default)]
pub(crate) struct Fields {
    pub title: String,
    pub slug: String,
    pub description: String,
    pub length: String,
    /// Other durations offered, comma-separated.
    pub options: String,
    pub locations: Vec<LocationRow>,
    pub notice: String,
    pub before: String,
    pub after: String,
    pub interval: String,
    pub requires_confirmation: bool,
    pub hidden: bool,
    /// "" for the user's default schedule.
    pub schedule_id: String,
}

impl Fields {
    /// A new event type's form: 30 minutes, no notice or buffers.
    pub(super) fn blank() -> Fields {
        Fields {
            length: "30".into(),
            notice: "0".into(),
            before: "0".into(),
            after: "0".into(),
            locations: vec![blank_location()],
            ..Fields::default()
        }
    }

    pub(super) fn of(r: &EventTypeRecord) -> Fields {
        let options: Vec<i64> = serde_json::from_str(&r.length_options).unwrap_or_default();
        let stored: Vec<Value> = serde_json::from_str(&r.locations).unwrap_or_default();
        let mut locations: Vec<LocationRow> = stored
            .iter()
            .filter_map(|l| {
                let kind = l.get("type")?.as_str()?.to_owned();
                let value = LOCATION_KINDS
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .and_then(|(_, needs)| *needs)
                    .and_then(|needed| l.get(needed)?.as_str())
                    .unwrap_or_default()
                    .to_owned();
                Some(LocationRow { kind, value })
            })
            .collect();
        locations.push(blank_location());
        Fields {
            title: r.title.clone(),
            slug: r.slug.clone(),
            description: r.description.clone(),
            length: r.length_minutes.to_string(),
            options: options.iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
            locations,
            notice: r.minimum_booking_notice.to_string(),
            before: r.before_event_buffer.to_string(),
            after: r.after_event_buffer.to_string(),
            interval: r.slot_interval.map(|i| i.to_string()).unwrap_or_default(),
            requires_confirmation: r.requires_confirmation,
            hidden: r.hidden,
            schedule_id: r.schedule_id.map(|i| i.to_string()).unwrap_or_default(),
        }
    }

    /// The fields as posted, to show the form again.
    pub(super) fn posted(form: &Posted) -> Fields {
        let mut locations: Vec<LocationRow> = form
            .all("locationType")
            .zip(form.all("locationValue"))
            .filter(|(kind, _)| !kind.is_empty())
            .map(|(kind, value)| LocationRow {
                kind: kind.to_owned(),
                value: value.to_owned(),
            })
            .collect();
        locations.push(blank_location());
        Fields {
            title: form.get("title").to_owned(),
            slug: form.get("slug").to_owned(),
            description: form.get("description").to_owned(),
            length: form.get("lengthInMinutes").to_owned(),
            options: form.get("lengthInMinutesOptions").to_owned(),
            locations,
            notice: form.get("minimumBookingNotice").to_owned(),
            before: form.get("beforeEventBuffer").to_owned(),
            after: form.get("afterEventBuffer").to_owned(),
            interval: form.get("slotInterval").to_owned(),
            requires_confirmation: form.ticked("requiresConfirmation"),
            hidden: form.ticked("hidden"),
            schedule_id: form.get("scheduleId").to_owned(),
        }
    }
}

fn blank_location() -> LocationRow {
    LocationRow {
        kind: String::new(),
        value: String::new(),
    }
}

fn number(form: &Posted, name: &str) -> Result<Option<i64>, FieldError> {
    form.text(name)
        .map(|raw| {
            raw.parse::<i64>()
                .map_err(|_| FieldError::new(name, "must be a whole number of minutes"))
        })
        .transpose()
}

/// The service's input from a posted form: every field the form shows is set (an empty slot interval means
/// the duration; an empty schedule the default one).
pub(super) fn input_of(form: &Posted) -> Result<EventTypeInput, FieldError> {
    let options = match form.text("lengthInMinutesOptions") {
        None => Vec::new(),
        Some(raw) => raw
            .split([',', ' '])
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| FieldError::new("lengthInMinutesOptions", "must be minutes separated by commas"))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let mut locations = Vec::new();
    for (kind, value) in form.all("locationType").zip(form.all("locationValue")) {
        if kind.is_empty() {
            continue;
        }
        let mut location = json!({ "type": kind });
        if let Some((_, Some(needed))) = LOCATION_KINDS.iter().find(|(k, _)| *k == kind) {
            location[*needed] = Value::String(value.trim().to_owned());
        }
        locations.push(location);
    }
    let schedule_id = match form.text("scheduleId") {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| FieldError::new("scheduleId", "is not one of your schedules"))?,
        ),
    };
    let requires_confirmation = form.ticked("requiresConfirmation");
    Ok(EventTypeInput {
        title: Some(form.get("title").trim().to_owned()),
        slug: Some(form.get("slug").trim().to_lowercase()),
        description: Some(form.get("description").trim().to_owned()),
        length_in_minutes: Some(
            number(form, "lengthInMinutes")?.ok_or_else(|| FieldError::new("lengthInMinutes", "is required"))?,
        ),
        length_in_minutes_options: Some(options),
        locations: Some(locations),
        minimum_booking_notice: Some(number(form, "minimumBookingNotice")?.unwrap_or(0)),
        before_event_buffer: Some(number(form, "beforeEventBuffer")?.unwrap_or(0)),
        after_event_buffer: Some(number(form, "afterEventBuffer")?.unwrap_or(0)),
        slot_interval: number(form, "slotInterval")?,
        confirmation_policy: Some(if requires_confirmation {
            json!({ "type": "always" })
        } else {
            json!({ "disabled": true })
        }),
        hidden: Some(form.ticked("hidden")),
        schedule_id,
        ..EventTypeInput::default()
    })
}
