//! A booking as the API shows it (`BookingOutput_2024_08_13`), built for many bookings at once, and the list's
//! pagination.

use crate::api::ApiError;
use crate::api::dto::metadata_value;
use crate::time_text::utc_iso;
use convene_core::{BookingId, UserId};
use convene_store::bookings::{self, AttendeeRecord, BookingRecord};
use convene_store::{Db, event_types, users};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use utoipa::ToSchema;

/// `BookingHost`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingHost {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub username: String,
    pub time_zone: String,
}

/// `BookingAttendee`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingAttendee {
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub language: String,
    pub absent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// `EventType` (inside a booking).
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingEventType {
    pub id: i64,
    pub slug: String,
}

/// `BookingOutput_2024_08_13`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingOutput {
    pub id: i64,
    pub uid: String,
    pub title: String,
    pub description: String,
    pub hosts: Vec<BookingHost>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_by_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescheduling_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescheduled_by_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescheduled_from_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescheduled_to_uid: Option<String>,
    pub start: String,
    pub end: String,
    pub duration: i64,
    pub event_type_id: Option<i64>,
    pub event_type: Option<BookingEventType>,
    /// Empty when the booking has none: `BookingOutput_2024_08_13` requires a string.
    pub location: String,
    pub absent_host: bool,
    pub created_at: String,
    pub updated_at: String,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub ics_uid: String,
    pub attendees: Vec<BookingAttendee>,
    pub guests: Vec<String>,
    #[schema(value_type = Object)]
    pub booking_fields_responses: Value,
    /// The series an occurrence of a recurring booking is in (`RecurringBookingOutput_2024_08_13`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring_booking_uid: Option<String>,
}

/// Builds outputs for several bookings with one attendee query and one lookup per host/event type.
pub(super) async fn outputs(db: &Db, records: &[BookingRecord]) -> Result<Vec<BookingOutput>, ApiError> {
    let ids: Vec<BookingId> = records.iter().map(|b| b.id).collect();
    let mut attendees: HashMap<BookingId, Vec<AttendeeRecord>> = HashMap::new();
    for a in bookings::attendees(db, &ids).await? {
        attendees.entry(a.booking_id).or_default().push(a);
    }
    let mut co_hosts: HashMap<BookingId, Vec<UserId>> = HashMap::new();
    for (booking, user) in bookings::co_hosts(db, &ids).await? {
        co_hosts.entry(booking).or_default().push(user);
    }
    let mut hosts = HashMap::new();
    let mut slugs = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for b in records {
        // The organizer first, then any co-hosts of a collective event.
        let mut people_hosting = vec![b.host_id];
        people_hosting.extend(co_hosts.get(&b.id).into_iter().flatten().copied());
        for id in &people_hosting {
            if let std::collections::hash_map::Entry::Vacant(e) = hosts.entry(*id) {
                e.insert(users::find(db, *id).await?);
            }
        }
        if let Some(et) = b.event_type_id
            && let std::collections::hash_map::Entry::Vacant(e) = slugs.entry(et)
        {
            e.insert(event_types::find(db, et).await?.map(|e| e.slug));
        }
        let host: Vec<_> = people_hosting
            .iter()
            .filter_map(|id| hosts.get(id).cloned().flatten())
            .collect();
        let list = attendees.remove(&b.id).unwrap_or_default();
        let (guests, people): (Vec<_>, Vec<_>) = list.into_iter().partition(|a| a.is_guest);
        out.push(BookingOutput {
            id: b.id.0,
            uid: b.uid.clone(),
            title: b.title.clone(),
            description: b.description.clone(),
            hosts: host
                .into_iter()
                .map(|h| BookingHost {
                    id: h.id.0,
                    name: h.name.clone().unwrap_or_else(|| h.username.clone()),
                    email: h.email,
                    username: h.username,
                    time_zone: h.time_zone,
                })
                .collect(),
            status: b.status.to_string(),
            cancellation_reason: b.cancellation_reason.clone(),
            cancelled_by_email: b.cancelled_by_email.clone(),
            rescheduling_reason: b.rescheduling_reason.clone(),
            rescheduled_by_email: b.rescheduled_by_email.clone(),
            rescheduled_from_uid: b.rescheduled_from_uid.clone(),
            rescheduled_to_uid: b.rescheduled_to_uid.clone(),
            start: utc_iso(b.start_at),
            end: utc_iso(b.end_at),
            duration: b.end_at.duration_since(b.start_at).as_mins(),
            event_type_id: b.event_type_id.map(|id| id.0),
            event_type: b.event_type_id.and_then(|id| {
                slugs
                    .get(&id)
                    .cloned()
                    .flatten()
                    .map(|slug| BookingEventType { id: id.0, slug })
            }),
            location: b.location.clone().unwrap_or_default(),
            absent_host: b.absent_host,
            created_at: utc_iso(b.created_at),
            updated_at: utc_iso(b.updated_at),
            metadata: metadata_value(&b.metadata),
            ics_uid: b.ical_uid.clone(),
            attendees: people
                .into_iter()
                .map(|a| BookingAttendee {
                    name: a.name,
                    email: a.email,
                    time_zone: a.time_zone,
                    language: a.language,
                    absent: a.absent,
                    phone_number: a.phone,
                })
                .collect(),
            guests: guests.into_iter().map(|g| g.email).collect(),
            booking_fields_responses: metadata_value(&b.responses),
            recurring_booking_uid: b.recurring_event_uid.clone(),
        });
    }
    Ok(out)
}

pub(in crate::api) async fn output(db: &Db, record: &BookingRecord) -> Result<BookingOutput, ApiError> {
    outputs(db, std::slice::from_ref(record))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("Booking"))
}

/// `PaginationMetaDto`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub total_items: i64,
    pub remaining_items: i64,
    pub returned_items: i64,
    pub items_per_page: i64,
    pub current_page: i64,
    pub total_pages: i64,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl Pagination {
    pub(super) fn new(total: i64, returned: i64, take: i64, skip: i64) -> Self {
        let take = take.max(1);
        let remaining = (total - skip - returned).max(0);
        Pagination {
            total_items: total,
            remaining_items: remaining,
            returned_items: returned,
            items_per_page: take,
            current_page: skip / take + 1,
            total_pages: (total + take - 1) / take,
            has_next_page: remaining > 0,
            has_previous_page: skip > 0,
        }
    }
}

/// `GetBookingsOutput_2024_08_13`: the envelope plus `pagination`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingList {
    pub status: &'static str,
    pub data: Vec<BookingOutput>,
    pub pagination: Pagination,
}
