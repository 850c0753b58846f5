//! The event type form: its fields as the page shows them (from the stored record, or as posted, kept after a
//! refusal), and the service's input built from what was posted.

use super::event_type_questions::{DefaultRow, QuestionRow, questions_of, rows_of, rows_posted};
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
    /// Custom booking questions, the last one blank.
    pub questions: Vec<QuestionRow>,
    /// The default fields' switches.
    pub defaults: Vec<DefaultRow>,
    /// Booking limits, one row a period.
    pub limits: Vec<LimitRow>,
    pub no_emails_to_attendees: bool,
    pub no_emails_to_hosts: bool,
    /// The destination calendar as posted (`None`: show the stored one).
    pub destination: Option<String>,
    /// The private link form's boxes, kept after a refusal.
    pub link_expires: String,
    pub link_uses: String,
    /// The private links' page shown (0 or 1: the first).
    pub links_page: i64,
}

/// The periods of `bookingLimitsCount` and `bookingLimitsDuration`.
pub(crate) const PERIODS: [&str; 4] = ["day", "week", "month", "year"];

/// One period's booking limits as text ("" for none).
pub(crate) struct LimitRow {
    pub period: &'static str,
    /// Filled in by the page, in its language.
    pub label: String,
    pub count: String,
    pub duration: String,
}

fn limits_of(count: Option<&str>, duration: Option<&str>) -> Vec<LimitRow> {
    let read = |stored: Option<&str>, period: &str| {
        stored
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .and_then(|v| v.get(period).and_then(Value::as_i64))
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    PERIODS
        .iter()
        .map(|period| LimitRow {
            period,
            label: String::new(),
            count: read(count, period),
            duration: read(duration, period),
        })
        .collect()
}

fn email_flag(stored: Option<&str>, key: &str) -> bool {
    stored
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .and_then(|v| v.get(key).and_then(Value::as_bool))
        == Some(true)
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
            questions: rows_of("[]").0,
            defaults: rows_of("[]").1,
            limits: limits_of(None, None),
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
        let (questions, defaults) = rows_of(&r.booking_fields);
        let emails = r.email_settings.as_deref();
        Fields {
            questions,
            defaults,
            limits: limits_of(r.booking_limits_count.as_deref(), r.booking_limits_duration.as_deref()),
            no_emails_to_attendees: email_flag(emails, "disableEmailsToAttendees"),
            no_emails_to_hosts: email_flag(emails, "disableEmailsToHosts"),
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
            ..Fields::default()
        }
    }

    /// The fields as posted, to show the form again, with `extra` more blank question rows.
    pub(super) fn posted(form: &Posted, extra: usize) -> Fields {
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
        let (questions, defaults) = rows_posted(form, extra);
        Fields {
            questions,
            defaults,
            limits: PERIODS
                .iter()
                .map(|period| LimitRow {
                    period,
                    label: String::new(),
                    count: form.get(&format!("bookingLimitsCount-{period}")).to_owned(),
                    duration: form.get(&format!("bookingLimitsDuration-{period}")).to_owned(),
                })
                .collect(),
            no_emails_to_attendees: form.ticked("disableEmailsToAttendees"),
            no_emails_to_hosts: form.ticked("disableEmailsToHosts"),
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
            destination: form.all("destinationCalendar").next().map(str::to_owned),
            link_expires: form.get("expiresAt").to_owned(),
            link_uses: form.get("maxUsageCount").to_owned(),
            links_page: 1,
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
                .map_err(|_| FieldError::coded(name, "refusal-whole-minutes", "must be a whole number of minutes"))
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
                v.parse::<i64>().map_err(|_| {
                    FieldError::coded(
                        "lengthInMinutesOptions",
                        "refusal-minutes-list",
                        "must be minutes separated by commas",
                    )
                })
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
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            FieldError::coded(
                "scheduleId",
                "refusal-not-your-schedule",
                "is not one of your schedules",
            )
        })?),
    };
    let requires_confirmation = form.ticked("requiresConfirmation");
    let booking_fields = questions_of(form)?.into_iter().map(|(_, f)| f).collect();
    Ok(EventTypeInput {
        booking_fields: Some(booking_fields),
        booking_limits_count: Some(limits_input(form, "bookingLimitsCount")?),
        booking_limits_duration: Some(limits_input(form, "bookingLimitsDuration")?),
        email_settings: Some(json!({
            "disableEmailsToAttendees": form.ticked("disableEmailsToAttendees"),
            "disableEmailsToHosts": form.ticked("disableEmailsToHosts"),
        })),
        title: Some(form.get("title").trim().to_owned()),
        slug: Some(form.get("slug").trim().to_lowercase()),
        description: Some(form.get("description").trim().to_owned()),
        length_in_minutes: Some(
            number(form, "lengthInMinutes")?
                .ok_or_else(|| FieldError::coded("lengthInMinutes", "refusal-required", "is required"))?,
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

/// The API's limits object from one limit's boxes (`{disabled: true}` when all are empty); the service checks the
/// numbers' range.
fn limits_input(form: &Posted, name: &str) -> Result<Value, FieldError> {
    let mut limits = serde_json::Map::new();
    for period in PERIODS {
        if let Some(raw) = form.text(&format!("{name}-{period}")) {
            let n = raw.parse::<i64>().map_err(|_| {
                FieldError::coded(
                    format!("{name}.{period}"),
                    "refusal-whole-number",
                    "must be a whole number",
                )
            })?;
            limits.insert(period.to_owned(), json!(n));
        }
    }
    Ok(if limits.is_empty() {
        json!({ "disabled": true })
    } else {
        Value::Object(limits)
    })
}
