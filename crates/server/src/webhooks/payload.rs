//! The body subscribers receive: `{"triggerEvent", "createdAt", "payload"}` with Cal.com's booking payload
//! (field names as in seed 001's example payloads), or the webhook's own template filled from the same values.

use super::Trigger;
use crate::time_text::utc_iso;
use convene_core::BookingStatus;
use convene_core::template;
use convene_store::bookings::{self, AttendeeRecord, BookingRecord};
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::users::{self, UserRecord};
use convene_store::{StoreError, Tx};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A booking as Cal.com's webhooks describe it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingPayload {
    pub booking_id: i64,
    pub uid: String,
    pub title: String,
    /// The event type's slug (Cal.com calls it `type`).
    #[serde(rename = "type")]
    pub event_type_slug: Option<String>,
    pub description: String,
    pub additional_notes: String,
    pub event_type_id: Option<i64>,
    pub event_title: Option<String>,
    pub event_description: Option<String>,
    /// Minutes.
    pub length: i64,
    pub start_time: String,
    pub end_time: String,
    pub organizer: Organizer,
    pub attendees: Vec<Attendee>,
    pub location: Option<String>,
    pub responses: BTreeMap<String, FieldResponse>,
    /// The event type's own (non-system) booking questions.
    pub user_fields_responses: BTreeMap<String, FieldResponse>,
    /// Legacy custom inputs, always empty (as in new Cal.com bookings).
    pub custom_inputs: Map<String, Value>,
    pub metadata: Value,
    /// `ACCEPTED`, `PENDING`, `CANCELLED` or `REJECTED`.
    pub status: String,
    pub requires_confirmation: bool,
    #[serde(rename = "iCalUID")]
    pub ical_uid: String,
    #[serde(rename = "iCalSequence")]
    pub ical_sequence: i64,
    pub organization_id: Option<i64>,
    pub price: i64,
    pub currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// On BOOKING_RESCHEDULED: the booking this one replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reschedule_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reschedule_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reschedule_start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reschedule_end_time: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organizer {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub username: String,
    pub time_zone: String,
    pub language: Language,
    pub time_format: &'static str,
    /// Minutes east of UTC at the booking's start.
    pub utc_offset: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    pub email: String,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub time_zone: String,
    pub phone_number: Option<String>,
    pub language: Language,
    pub utc_offset: i64,
    pub no_show: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Language {
    pub locale: String,
}

/// One answer in `responses`: `{"label", "value", "isHidden"}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldResponse {
    pub label: String,
    pub value: Value,
    pub is_hidden: bool,
}

/// Response keys Cal.com fills from the booking itself rather than from the event type's questions.
const SYSTEM_FIELDS: [&str; 6] = ["name", "email", "guests", "location", "notes", "rescheduleReason"];

impl BookingPayload {
    /// Reads what the payload needs (attendees, host, event type) inside the caller's transaction, so it
    /// describes the booking as that transaction leaves it.
    pub async fn load(
        tx: &mut Tx,
        booking: &BookingRecord,
        rescheduled_from: Option<&BookingRecord>,
    ) -> Result<Self, StoreError> {
        let attendees = bookings::attendees(&mut *tx, &[booking.id]).await?;
        let host = users::find(&mut *tx, booking.host_id)
            .await?
            .ok_or(StoreError::NotFound("booking host"))?;
        let event_type = match booking.event_type_id {
            Some(id) => event_types::find(&mut *tx, id).await?,
            None => None,
        };
        Ok(Self::new(
            booking,
            &attendees,
            &host,
            event_type.as_ref(),
            rescheduled_from,
        ))
    }

    pub fn new(
        booking: &BookingRecord,
        attendees: &[AttendeeRecord],
        host: &UserRecord,
        event_type: Option<&EventTypeRecord>,
        rescheduled_from: Option<&BookingRecord>,
    ) -> Self {
        let start = booking.start_at;
        let stored_responses: Map<String, Value> = serde_json::from_str(&booking.responses).unwrap_or_default();
        let (main, guests): (Vec<&AttendeeRecord>, Vec<&AttendeeRecord>) = attendees.iter().partition(|a| !a.is_guest);
        let user_fields = user_fields(&stored_responses, event_type);
        let mut responses = user_fields.clone();
        if let Some(first) = main.first() {
            responses.insert("name".into(), response("your_name", Value::from(first.name.clone())));
            responses.insert(
                "email".into(),
                response("email_address", Value::from(first.email.clone())),
            );
        }
        if !guests.is_empty() {
            let emails: Vec<Value> = guests.iter().map(|g| Value::from(g.email.clone())).collect();
            responses.insert("guests".into(), response("additional_guests", Value::Array(emails)));
        }
        if let Some(location) = &booking.location {
            responses.insert("location".into(), response("location", Value::from(location.clone())));
        }
        let notes = stored_responses
            .get("notes")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !notes.is_empty() {
            responses.insert("notes".into(), response("additional_notes", Value::from(notes.clone())));
        }
        let is_rejected = booking.status == BookingStatus::Rejected;
        BookingPayload {
            booking_id: booking.id.0,
            uid: booking.uid.clone(),
            title: booking.title.clone(),
            event_type_slug: event_type.map(|e| e.slug.clone()),
            description: booking.description.clone(),
            additional_notes: notes,
            event_type_id: booking.event_type_id.map(|id| id.0),
            event_title: event_type.map(|e| e.title.clone()),
            event_description: event_type.map(|e| e.description.clone()),
            length: booking.end_at.duration_since(booking.start_at).as_mins(),
            start_time: booking.start_at.to_string(),
            end_time: booking.end_at.to_string(),
            organizer: Organizer {
                id: host.id.0,
                name: host.name.clone().unwrap_or_else(|| host.username.clone()),
                email: host.email.clone(),
                username: host.username.clone(),
                time_zone: host.time_zone.clone(),
                language: Language {
                    locale: host.locale.clone(),
                },
                time_format: if host.time_format == 12 { "h:mma" } else { "HH:mm" },
                utc_offset: utc_offset_minutes(&host.time_zone, start),
            },
            attendees: main
                .iter()
                .map(|a| attendee(a, true, start))
                .chain(guests.iter().map(|a| attendee(a, false, start)))
                .collect(),
            location: booking.location.clone(),
            responses,
            user_fields_responses: user_fields,
            custom_inputs: Map::new(),
            metadata: serde_json::from_str::<Value>(&booking.metadata)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| Value::Object(Map::new())),
            status: booking.status.as_str().to_ascii_uppercase(),
            requires_confirmation: event_type.is_some_and(|e| e.requires_confirmation),
            ical_uid: booking.ical_uid.clone(),
            ical_sequence: booking.ical_sequence,
            organization_id: host.organization_id.map(|id| id.0),
            price: 0,
            currency: "usd",
            // Declining stores its reason where cancelling does; Cal.com names it by what happened.
            cancellation_reason: booking.cancellation_reason.clone().filter(|_| !is_rejected),
            rejection_reason: booking.cancellation_reason.clone().filter(|_| is_rejected),
            reschedule_id: rescheduled_from.map(|b| b.id).map(|id| id.0),
            reschedule_uid: rescheduled_from.map(|b| b.uid.clone()),
            reschedule_start_time: rescheduled_from.map(|b| b.start_at.to_string()),
            reschedule_end_time: rescheduled_from.map(|b| b.end_at.to_string()),
        }
    }
}

/// The envelope every booking trigger sends.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    trigger_event: Trigger,
    created_at: &'a str,
    payload: &'a BookingPayload,
}

/// The exact body for one webhook: the standard envelope, or its `payload_template` filled in. Template
/// variables are the payload's fields plus `triggerEvent` and `createdAt`, as Cal.com documents them.
pub fn render_body(
    trigger: Trigger,
    created_at: Timestamp,
    payload: &BookingPayload,
    payload_template: Option<&str>,
) -> Result<String, serde_json::Error> {
    let created_at = utc_iso(created_at);
    let Some(payload_template) = payload_template else {
        return serde_json::to_string(&Envelope {
            trigger_event: trigger,
            created_at: &created_at,
            payload,
        });
    };
    let mut vars = match serde_json::to_value(payload)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    vars.insert("triggerEvent".into(), Value::from(trigger.as_str()));
    vars.insert("createdAt".into(), Value::from(created_at));
    Ok(template::render(payload_template, &Value::Object(vars)))
}

fn utc_offset_minutes(zone: &str, at: Timestamp) -> i64 {
    TimeZone::get(zone).map_or(0, |tz| i64::from(tz.to_offset(at).seconds()) / 60)
}

fn response(label: &str, value: Value) -> FieldResponse {
    FieldResponse {
        label: label.to_owned(),
        value,
        is_hidden: false,
    }
}

/// The answers to the event type's own questions, labelled as the event type labels them.
fn user_fields(stored: &Map<String, Value>, event_type: Option<&EventTypeRecord>) -> BTreeMap<String, FieldResponse> {
    let fields: Vec<Value> = event_type
        .and_then(|e| serde_json::from_str(&e.booking_fields).ok())
        .unwrap_or_default();
    let label_of = |slug: &str| {
        fields
            .iter()
            .find(|f| f.get("slug").and_then(Value::as_str) == Some(slug))
            .and_then(|f| f.get("label").and_then(Value::as_str))
            .unwrap_or(slug)
            .to_owned()
    };
    stored
        .iter()
        .filter(|(slug, _)| !SYSTEM_FIELDS.contains(&slug.as_str()))
        .map(|(slug, value)| (slug.clone(), response(&label_of(slug), value.clone())))
        .collect()
}

fn attendee(a: &AttendeeRecord, split_name: bool, start: Timestamp) -> Attendee {
    // Cal.com splits the booker's full name; guests are added by address only and get empty parts.
    let (first_name, last_name) = match a.name.trim().split_once(char::is_whitespace) {
        _ if !split_name => (String::new(), String::new()),
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (a.name.trim().to_owned(), String::new()),
    };
    Attendee {
        email: a.email.clone(),
        name: a.name.clone(),
        first_name,
        last_name,
        time_zone: a.time_zone.clone(),
        phone_number: a.phone.clone(),
        language: Language {
            locale: a.language.clone(),
        },
        utc_offset: utc_offset_minutes(&a.time_zone, start),
        no_show: a.absent,
    }
}
