//! The weekly editor's fields: the stored rules as rows per weekday (several ranges each) and date overrides,
//! and the service's input built from what was posted.

use super::form::Posted;
use crate::i18n::Lang;
use crate::scheduling::availability::{AvailabilityRule, OverrideRule};
use crate::scheduling::schedule_input::ScheduleInput;
use convene_store::schedules::ScheduleRecord;

pub(super) const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One time range, as text (`HH:MM`).
pub(crate) struct Range {
    pub start: String,
    pub end: String,
}

/// A weekday and its ranges (one blank row to add another).
pub(crate) struct DayRows {
    pub day: &'static str,
    pub label: String,
    pub ranges: Vec<Range>,
}

/// A date override row.
pub(crate) struct OverrideRow {
    pub date: String,
    pub start: String,
    pub end: String,
}

pub(crate) struct ScheduleFieldsView {
    pub name: String,
    pub time_zone: String,
    pub days: Vec<DayRows>,
    pub overrides: Vec<OverrideRow>,
}

fn blank() -> Range {
    Range {
        start: String::new(),
        end: String::new(),
    }
}

fn blank_override() -> OverrideRow {
    OverrideRow {
        date: String::new(),
        start: String::new(),
        end: String::new(),
    }
}

impl ScheduleFieldsView {
    pub(super) fn of(r: &ScheduleRecord, t: Lang) -> Self {
        let rules: Vec<AvailabilityRule> = serde_json::from_str(&r.availability).unwrap_or_default();
        let overrides: Vec<OverrideRule> = serde_json::from_str(&r.overrides).unwrap_or_default();
        let days = DAYS
            .iter()
            .enumerate()
            .map(|(i, day)| {
                let mut ranges: Vec<Range> = rules
                    .iter()
                    .filter(|rule| rule.days.iter().any(|d| d == day))
                    .map(|rule| Range {
                        start: rule.start_time.clone(),
                        end: rule.end_time.clone(),
                    })
                    .collect();
                ranges.push(blank());
                DayRows {
                    day,
                    label: t.text(&format!("wd-{}", i + 1)),
                    ranges,
                }
            })
            .collect();
        let mut overrides: Vec<OverrideRow> = overrides
            .into_iter()
            .map(|o| OverrideRow {
                date: o.date,
                start: o.start_time,
                end: o.end_time,
            })
            .collect();
        overrides.push(blank_override());
        ScheduleFieldsView {
            name: r.name.clone(),
            time_zone: r.time_zone.clone(),
            days,
            overrides,
        }
    }

    /// The fields as posted, to show the editor again.
    pub(super) fn posted(form: &Posted, t: Lang) -> Self {
        let days = DAYS
            .iter()
            .enumerate()
            .map(|(i, day)| {
                let mut ranges: Vec<Range> = ranges_of(form, day)
                    .into_iter()
                    .map(|(start, end)| Range {
                        start: start.to_owned(),
                        end: end.to_owned(),
                    })
                    .collect();
                ranges.push(blank());
                DayRows {
                    day,
                    label: t.text(&format!("wd-{}", i + 1)),
                    ranges,
                }
            })
            .collect();
        let mut overrides: Vec<OverrideRow> = overrides_of(form)
            .map(|(date, start, end)| OverrideRow {
                date: date.to_owned(),
                start: start.to_owned(),
                end: end.to_owned(),
            })
            .collect();
        overrides.push(blank_override());
        ScheduleFieldsView {
            name: form.get("name").to_owned(),
            time_zone: form.get("timeZone").to_owned(),
            days,
            overrides,
        }
    }
}

/// A day's posted ranges, blank rows left out.
fn ranges_of<'a>(form: &'a Posted, day: &str) -> Vec<(&'a str, &'a str)> {
    let (start, end) = (format!("{day}-start"), format!("{day}-end"));
    form.all(&start)
        .zip(form.all(&end))
        .map(|(s, e)| (s.trim(), e.trim()))
        .filter(|(s, e)| !s.is_empty() || !e.is_empty())
        .collect()
}

fn overrides_of(form: &Posted) -> impl Iterator<Item = (&str, &str, &str)> {
    form.all("overrideDate")
        .zip(form.all("overrideStart"))
        .zip(form.all("overrideEnd"))
        .map(|((d, s), e)| (d.trim(), s.trim(), e.trim()))
        .filter(|(d, s, e)| !d.is_empty() || !s.is_empty() || !e.is_empty())
}

/// The service's input from the editor: every field it shows is set; "default" only when ticked (a default
/// schedule stops being one only when another becomes it).
pub(super) fn input_of(form: &Posted) -> ScheduleInput {
    let availability = DAYS
        .iter()
        .flat_map(|day| {
            ranges_of(form, day).into_iter().map(|(start, end)| AvailabilityRule {
                days: vec![(*day).to_owned()],
                start_time: start.to_owned(),
                end_time: end.to_owned(),
            })
        })
        .collect();
    let overrides = overrides_of(form)
        .map(|(date, start, end)| OverrideRule {
            date: date.to_owned(),
            // An empty range reads as "unavailable all day", as `00:00`–`00:00` does in the API.
            start_time: if start.is_empty() {
                "00:00".to_owned()
            } else {
                start.to_owned()
            },
            end_time: if end.is_empty() {
                "00:00".to_owned()
            } else {
                end.to_owned()
            },
        })
        .collect();
    ScheduleInput {
        name: Some(form.get("name").trim().to_owned()),
        time_zone: Some(form.get("timeZone").trim().to_owned()),
        availability: Some(availability),
        is_default: form.ticked("isDefault").then_some(true),
        overrides: Some(overrides),
    }
}
