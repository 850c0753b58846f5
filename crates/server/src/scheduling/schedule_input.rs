//! A schedule's settings as the API and the availability pages take them — name, time zone, weekly hours, date
//! overrides — checked and merged over the stored values, so both accept and refuse the same things.

use crate::scheduling::availability::{AvailabilityRule, OverrideRule, default_availability};
use convene_core::{FieldError, HeaderText, TimeZoneId};
use convene_store::schedules::{ScheduleFields, ScheduleRecord};
use serde::Deserialize;
use utoipa::ToSchema;

/// `CreateScheduleInput_2024_06_11` / `UpdateScheduleInput_2024_06_11`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInput {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub availability: Option<Vec<AvailabilityRule>>,
    pub is_default: Option<bool>,
    pub overrides: Option<Vec<OverrideRule>>,
}

/// Validates and serializes the fields, starting from `base` for an update.
pub fn schedule_fields(input: &ScheduleInput, base: Option<&ScheduleRecord>) -> Result<ScheduleFields, FieldError> {
    let name = match (&input.name, base) {
        (Some(n), _) => HeaderText::parse("name", n)?.as_str().to_owned(),
        (None, Some(b)) => b.name.clone(),
        (None, None) => return Err(FieldError::coded("name", "refusal-required", "is required")),
    };
    let time_zone = match (&input.time_zone, base) {
        (Some(z), _) => TimeZoneId::parse("timeZone", z)?.as_str().to_owned(),
        (None, Some(b)) => b.time_zone.clone(),
        (None, None) => return Err(FieldError::coded("timeZone", "refusal-required", "is required")),
    };
    let availability = match (&input.availability, base) {
        (Some(rules), _) => {
            for (i, rule) in rules.iter().enumerate() {
                rule.validate(&format!("availability[{i}]"))?;
            }
            serde_json::to_string(rules).map_err(|e| FieldError::new("availability", e.to_string()))?
        }
        (None, Some(b)) => b.availability.clone(),
        (None, None) => serde_json::to_string(&default_availability())
            .map_err(|e| FieldError::new("availability", e.to_string()))?,
    };
    let overrides = match (&input.overrides, base) {
        (Some(rules), _) => {
            if rules.len() > 500 {
                return Err(
                    FieldError::coded("overrides", "refusal-too-many-overrides", "at most 500 overrides")
                        .arg("max", 500),
                );
            }
            for (i, rule) in rules.iter().enumerate() {
                rule.validate(&format!("overrides[{i}]"))?;
            }
            serde_json::to_string(rules).map_err(|e| FieldError::new("overrides", e.to_string()))?
        }
        (None, Some(b)) => b.overrides.clone(),
        (None, None) => "[]".to_owned(),
    };
    Ok(ScheduleFields {
        name,
        time_zone,
        availability,
        overrides,
    })
}
