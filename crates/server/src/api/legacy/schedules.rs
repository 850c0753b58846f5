//! Schedules in their `2024-04-15` shapes, served to requests that do not ask for `2024-06-11`.
//!
//! Legacy schedules count weekdays from 0 = Sunday and carry times as instants on 1970-01-01 whose
//! UTC clock reading is the wall-clock time (`1970-01-01T09:00:00.000Z` is 09:00 in the schedule's
//! zone); the output repeats the rules several ways (`workingHours` in minutes, `schedule` as rows,
//! `availability` per weekday, `dateOverrides` per date), as Cal.com's detailed schedule does.

use crate::api::ApiError;
use crate::scheduling::availability::{AvailabilityRule, OverrideRule};
use crate::scheduling::schedule_input::ScheduleInput;
use convene_store::schedules::ScheduleRecord;
use serde_json::{Map, Value, json};

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// `HH:MM` (24:00 included) → minutes of the day.
fn minutes(hhmm: &str) -> i64 {
    let (h, m) = hhmm.split_once(':').unwrap_or(("0", "0"));
    h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0)
}

/// A wall-clock time as the legacy instant on 1970-01-01 (24:00 is the next midnight).
fn epoch_time(hhmm: &str) -> String {
    let total = minutes(hhmm);
    if total >= 24 * 60 {
        return "1970-01-02T00:00:00.000Z".to_owned();
    }
    format!("1970-01-01T{:02}:{:02}:00.000Z", total / 60, total % 60)
}

fn day_number(name: &str) -> i64 {
    WEEKDAYS.iter().position(|d| *d == name).map_or(0, |i| i as i64)
}

/// The detailed schedule of `2024-04-15`. `count` is how many schedules the owner has.
pub fn output(r: &ScheduleRecord, count: usize) -> Value {
    let rules: Vec<AvailabilityRule> = serde_json::from_str(&r.availability).unwrap_or_default();
    let overrides: Vec<OverrideRule> = serde_json::from_str(&r.overrides).unwrap_or_default();
    let mut rows = Vec::new();
    let mut per_day: Vec<Vec<Value>> = vec![Vec::new(); 7];
    let mut working_hours = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let days: Vec<i64> = rule.days.iter().map(|d| day_number(d)).collect();
        let (start, end) = (epoch_time(&rule.start_time), epoch_time(&rule.end_time));
        for day in &days {
            per_day[*day as usize].push(json!({ "start": start, "end": end }));
        }
        working_hours.push(json!({
            "days": days,
            "startTime": minutes(&rule.start_time),
            "endTime": minutes(&rule.end_time),
            "userId": r.user_id,
        }));
        rows.push(json!({
            "id": i + 1,
            "userId": r.user_id,
            "eventTypeId": null,
            "days": days,
            "startTime": start,
            "endTime": end,
            "date": null,
            "scheduleId": r.id,
        }));
    }
    let mut date_overrides = Vec::new();
    for o in &overrides {
        let at = |hhmm: &str| format!("{}{}", o.date, &epoch_time(hhmm)[10..]);
        // An override whose start equals its end closes the whole day: no ranges.
        let ranges = if o.start_time == o.end_time {
            Vec::new()
        } else {
            vec![json!({ "start": at(&o.start_time), "end": at(&o.end_time) })]
        };
        date_overrides.push(json!({ "ranges": ranges }));
        rows.push(json!({
            "id": rows.len() + 1,
            "userId": r.user_id,
            "eventTypeId": null,
            "days": [],
            "startTime": epoch_time(&o.start_time),
            "endTime": epoch_time(&o.end_time),
            "date": o.date,
            "scheduleId": r.id,
        }));
    }
    json!({
        "id": r.id,
        "name": r.name,
        "isManaged": false,
        "workingHours": working_hours,
        "schedule": rows,
        "availability": per_day,
        "timeZone": r.time_zone,
        "dateOverrides": date_overrides,
        "isDefault": r.is_default,
        "isLastSchedule": count <= 1,
        "readOnly": false,
    })
}

/// The `HH:MM` wall-clock reading of a legacy time (`1970-01-01T09:00:00.000Z`, or any instant: its
/// UTC clock), with the date part. `field` names it in errors.
fn wall_clock(field: &str, value: &Value) -> Result<(String, String), ApiError> {
    let bad = || ApiError::field(field, "must be a date-time such as 1970-01-01T09:00:00.000Z");
    let text = value.as_str().ok_or_else(bad)?;
    let at: jiff::Timestamp = text.trim().parse().map_err(|_| bad())?;
    let utc = at.to_zoned(jiff::tz::TimeZone::UTC);
    Ok((utc.date().to_string(), format!("{:02}:{:02}", utc.hour(), utc.minute())))
}

/// An end reading: midnight of a later day is the end of the day.
fn end_clock(field: &str, start_date: &str, value: &Value) -> Result<String, ApiError> {
    let (date, hhmm) = wall_clock(field, value)?;
    Ok(if hhmm == "00:00" && date.as_str() > start_date {
        "24:00".to_owned()
    } else {
        hhmm
    })
}

/// One rule from `{days, <start>, <end>}`; `keys` names the time fields (`startTime`/`endTime` in
/// a create, `start`/`end` in an update's week).
fn availability_input(field: &str, item: &Value, keys: (&str, &str)) -> Result<AvailabilityRule, ApiError> {
    let days = item.get("days").and_then(Value::as_array).ok_or_else(|| {
        ApiError::field(
            &format!("{field}.days"),
            "must be a list of weekday numbers (0 = Sunday)",
        )
    })?;
    let mut names = Vec::new();
    for (j, d) in days.iter().enumerate() {
        let name = d
            .as_u64()
            .and_then(|n| WEEKDAYS.get(n as usize))
            .ok_or_else(|| ApiError::field(&format!("{field}.days[{j}]"), "must be 0 (Sunday) to 6 (Saturday)"))?;
        names.push((*name).to_owned());
    }
    let start = item.get(keys.0).cloned().unwrap_or(Value::Null);
    let (start_date, start_time) = wall_clock(&format!("{field}.{}", keys.0), &start)?;
    let end = item.get(keys.1).cloned().unwrap_or(Value::Null);
    let end_time = end_clock(&format!("{field}.{}", keys.1), &start_date, &end)?;
    Ok(AvailabilityRule {
        days: names,
        start_time,
        end_time,
    })
}

/// A legacy create body (`{name, timeZone, availabilities?: [{days, startTime, endTime}], isDefault}`)
/// or update body (`{name?, timeZone?, isDefault?, schedule?: [7 × [{start, end}]], dateOverrides?:
/// [{start, end}]}`) as the current input.
pub fn input(body: &Map<String, Value>) -> Result<ScheduleInput, ApiError> {
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::field(key, "must be a string")),
        }
    };
    let is_default = match body.get("isDefault") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_bool()
                .ok_or_else(|| ApiError::field("isDefault", "must be true or false"))?,
        ),
    };
    let mut availability = None;
    if let Some(list) = body.get("availabilities") {
        let list = list
            .as_array()
            .ok_or_else(|| ApiError::field("availabilities", "must be a list"))?;
        let mut rules = Vec::new();
        for (i, item) in list.iter().enumerate() {
            rules.push(availability_input(
                &format!("availabilities[{i}]"),
                item,
                ("startTime", "endTime"),
            )?);
        }
        availability = Some(rules);
    }
    if let Some(week) = body.get("schedule") {
        let week = week
            .as_array()
            .filter(|w| w.len() <= 7)
            .ok_or_else(|| ApiError::field("schedule", "must be a list of up to 7 lists of ranges (0 = Sunday)"))?;
        let mut rules = Vec::new();
        for (day, ranges) in week.iter().enumerate() {
            let ranges = ranges
                .as_array()
                .ok_or_else(|| ApiError::field(&format!("schedule[{day}]"), "must be a list of ranges"))?;
            for (j, range) in ranges.iter().enumerate() {
                let mut item = range.clone();
                if let Value::Object(item) = &mut item {
                    item.insert("days".into(), json!([day]));
                }
                rules.push(availability_input(
                    &format!("schedule[{day}][{j}]"),
                    &item,
                    ("start", "end"),
                )?);
            }
        }
        availability = Some(rules);
    }
    let mut overrides = None;
    if let Some(list) = body.get("dateOverrides") {
        let list = list
            .as_array()
            .ok_or_else(|| ApiError::field("dateOverrides", "must be a list of {start, end}"))?;
        let mut rules = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let field = format!("dateOverrides[{i}]");
            let start = item.get("start").cloned().unwrap_or(Value::Null);
            let (date, start_time) = wall_clock(&format!("{field}.start"), &start)?;
            let end = item.get("end").cloned().unwrap_or(Value::Null);
            let end_time = end_clock(&format!("{field}.end"), &date, &end)?;
            rules.push(OverrideRule {
                date,
                start_time,
                end_time,
            });
        }
        overrides = Some(rules);
    }
    Ok(ScheduleInput {
        name: text("name")?,
        time_zone: text("timeZone")?,
        availability,
        is_default,
        overrides,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_times_read_as_wall_clock_and_midnight_ends_the_day() {
        let body = json!({
            "name": "Week",
            "timeZone": "Europe/Paris",
            "isDefault": true,
            "availabilities": [{ "days": [1, 3], "startTime": "1970-01-01T09:00:00.000Z", "endTime": "1970-01-02T00:00:00.000Z" }],
        });
        let input = input(body.as_object().expect("object")).expect("valid");
        let rules = input.availability.expect("rules");
        assert_eq!(rules[0].days, ["Monday", "Wednesday"]);
        assert_eq!(
            (rules[0].start_time.as_str(), rules[0].end_time.as_str()),
            ("09:00", "24:00")
        );
        assert_eq!(epoch_time("24:00"), "1970-01-02T00:00:00.000Z");
        assert_eq!(epoch_time("09:30"), "1970-01-01T09:30:00.000Z");
    }

    #[test]
    fn a_bad_weekday_is_named() {
        let body = json!({ "availabilities": [{ "days": [7], "startTime": "1970-01-01T09:00:00Z", "endTime": "1970-01-01T10:00:00Z" }] });
        let err = input(body.as_object().expect("object")).expect_err("7 is no weekday");
        assert!(format!("{err:?}").contains("availabilities[0].days[0]"), "{err:?}");
    }
}
