//! Schedules as the API spells them (`{days, startTime, endTime}`, `{date, startTime, endTime}`)
//! and their conversion into the core's [`WeeklySchedule`].

use convene_core::FieldError;
use convene_core::schedule::{DateOverride, WeeklyAvailability, WeeklySchedule};
use convene_store::schedules::ScheduleRecord;
use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `ScheduleAvailabilityInput_2024_06_11`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityRule {
    /// Weekday names, e.g. `Monday`.
    pub days: Vec<String>,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`; `24:00` (or `00:00`) means the end of the day.
    pub end_time: String,
}

/// `ScheduleOverrideInput_2024_06_11`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideRule {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub start_time: String,
    /// Equal to `startTime` (e.g. `00:00`–`00:00`): unavailable all day.
    pub end_time: String,
}

/// Monday to Friday, 09:00–17:00: Cal.com's default availability.
pub fn default_availability() -> Vec<AvailabilityRule> {
    vec![AvailabilityRule {
        days: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
            .map(String::from)
            .to_vec(),
        start_time: "09:00".into(),
        end_time: "17:00".into(),
    }]
}

fn weekday(field: &str, name: &str) -> Result<Weekday, FieldError> {
    Ok(match name {
        "Monday" => Weekday::Monday,
        "Tuesday" => Weekday::Tuesday,
        "Wednesday" => Weekday::Wednesday,
        "Thursday" => Weekday::Thursday,
        "Friday" => Weekday::Friday,
        "Saturday" => Weekday::Saturday,
        "Sunday" => Weekday::Sunday,
        _ => {
            return Err(FieldError::coded(
                field,
                "refusal-weekday",
                format!("'{name}' is not a weekday (Monday … Sunday)"),
            ));
        }
    })
}

/// `HH:MM` → time; `24:00` is accepted (as midnight) only where `end_of_day` is allowed.
fn clock(field: &str, raw: &str, end_of_day: bool) -> Result<Time, FieldError> {
    let bad = || {
        FieldError::coded(
            field,
            "refusal-time",
            format!("'{raw}' must be a time in HH:MM format, e.g. 09:30"),
        )
        .arg("value", raw)
    };
    let (h, m) = raw.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if end_of_day && h == 24 && m == 0 {
        return Ok(Time::midnight());
    }
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

fn date(field: &str, raw: &str) -> Result<Date, FieldError> {
    raw.parse::<Date>().map_err(|_| {
        FieldError::coded(
            field,
            "refusal-date",
            format!("'{raw}' must be a date in YYYY-MM-DD format"),
        )
        .arg("value", raw)
    })
}

impl AvailabilityRule {
    pub fn validate(&self, field: &str) -> Result<WeeklyAvailability, FieldError> {
        if self.days.is_empty() {
            return Err(FieldError::coded(
                format!("{field}.days"),
                "refusal-no-days",
                "must name at least one day",
            ));
        }
        let days = self
            .days
            .iter()
            .map(|d| weekday(&format!("{field}.days"), d))
            .collect::<Result<Vec<_>, _>>()?;
        let start = clock(&format!("{field}.startTime"), &self.start_time, false)?;
        let end = clock(&format!("{field}.endTime"), &self.end_time, true)?;
        if end != Time::midnight() && end <= start {
            return Err(FieldError::coded(
                format!("{field}.endTime"),
                "refusal-end-after-start",
                "must be after startTime",
            ));
        }
        Ok(WeeklyAvailability { days, start, end })
    }
}

impl OverrideRule {
    pub fn validate(&self, field: &str) -> Result<DateOverride, FieldError> {
        let day = date(&format!("{field}.date"), &self.date)?;
        let start = clock(&format!("{field}.startTime"), &self.start_time, false)?;
        let end = clock(&format!("{field}.endTime"), &self.end_time, true)?;
        if end != Time::midnight() && end < start {
            return Err(FieldError::coded(
                format!("{field}.endTime"),
                "refusal-end-not-before-start",
                "must not be before startTime",
            ));
        }
        Ok(DateOverride { date: day, start, end })
    }
}

/// The core model of a stored schedule. Stored rules were validated on the way in; a rule that
/// no longer parses (e.g. hand-edited) is skipped rather than failing every slot query.
pub fn weekly_schedule(record: &ScheduleRecord) -> WeeklySchedule {
    let rules: Vec<AvailabilityRule> = serde_json::from_str(&record.availability).unwrap_or_default();
    let overrides: Vec<OverrideRule> = serde_json::from_str(&record.overrides).unwrap_or_default();
    WeeklySchedule {
        time_zone: jiff::tz::TimeZone::get(&record.time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
        availability: rules.iter().filter_map(|r| r.validate("availability").ok()).collect(),
        overrides: overrides.iter().filter_map(|r| r.validate("overrides").ok()).collect(),
    }
}

/// The schedule used when a host has none: Cal.com's default hours in the host's time zone.
pub fn fallback_schedule(time_zone: &str) -> WeeklySchedule {
    WeeklySchedule {
        time_zone: jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
        availability: default_availability()
            .iter()
            .filter_map(|r| r.validate("availability").ok())
            .collect(),
        overrides: Vec::new(),
    }
}
