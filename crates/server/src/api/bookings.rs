//! `/v2/bookings` (`cal-api-version: 2024-08-13`, assumed when absent): create (public), list,
//! read, cancel, reschedule, confirm and decline.

use super::ApiError;
use super::auth::ApiUser;
use super::dto::metadata_value;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, Paging, PathIds, QueryPairs};
use super::version::{VersionRule, enforce};
use crate::email::{self, queue::BookingChange};
use crate::scheduling::booking::{self, AttendeeInput, BookingRequest, parse_guests};
use crate::scheduling::resolve::{self, EventTypeRef};
use crate::state::AppState;
use crate::time_text::{parse_instant, ts, utc_iso};
use crate::webhooks::{self, Trigger};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_core::{HeaderText, UserId};
use convene_store::bookings::{self, AttendeeRecord, BookingFilter, BookingRecord};
use convene_store::{Db, event_types, now_ms, users};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

const VERSION: VersionRule = VersionRule::Defaulted("2024-08-13");

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_booking, list_bookings))
        .routes(routes!(get_booking))
        .routes(routes!(cancel_booking))
        .routes(routes!(reschedule_booking))
        .routes(routes!(confirm_booking))
        .routes(routes!(decline_booking))
        .route_layer(axum::middleware::from_fn(|r, n| enforce(VERSION, r, n)))
}

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
    pub location: Option<String>,
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
}

/// Builds outputs for several bookings with one attendee query and one lookup per host/event type.
async fn outputs(db: &Db, records: &[BookingRecord]) -> Result<Vec<BookingOutput>, ApiError> {
    let ids: Vec<i64> = records.iter().map(|b| b.id).collect();
    let mut attendees: HashMap<i64, Vec<AttendeeRecord>> = HashMap::new();
    for a in bookings::attendees(db, &ids).await? {
        attendees.entry(a.booking_id).or_default().push(a);
    }
    let mut co_hosts: HashMap<i64, Vec<i64>> = HashMap::new();
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
                e.insert(users::find(db, UserId(*id)).await?);
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
            id: b.id,
            uid: b.uid.clone(),
            title: b.title.clone(),
            description: b.description.clone(),
            hosts: host
                .into_iter()
                .map(|h| BookingHost {
                    id: h.id,
                    name: h.name.clone().unwrap_or_else(|| h.username.clone()),
                    email: h.email,
                    username: h.username,
                    time_zone: h.time_zone,
                })
                .collect(),
            status: b.status.clone(),
            cancellation_reason: b.cancellation_reason.clone(),
            cancelled_by_email: b.cancelled_by_email.clone(),
            rescheduling_reason: b.rescheduling_reason.clone(),
            rescheduled_by_email: b.rescheduled_by_email.clone(),
            rescheduled_from_uid: b.rescheduled_from_uid.clone(),
            rescheduled_to_uid: b.rescheduled_to_uid.clone(),
            start: utc_iso(ts(b.start_at)),
            end: utc_iso(ts(b.end_at)),
            duration: (b.end_at - b.start_at) / 60_000,
            event_type_id: b.event_type_id,
            event_type: b.event_type_id.and_then(|id| {
                slugs
                    .get(&id)
                    .cloned()
                    .flatten()
                    .map(|slug| BookingEventType { id, slug })
            }),
            location: b.location.clone(),
            absent_host: b.absent_host,
            created_at: utc_iso(ts(b.created_at)),
            updated_at: utc_iso(ts(b.updated_at)),
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
        });
    }
    Ok(out)
}

pub(super) async fn output(db: &Db, record: &BookingRecord) -> Result<BookingOutput, ApiError> {
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
    fn new(total: i64, returned: i64, take: i64, skip: i64) -> Self {
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

/// `CreateBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateBookingInput {
    pub start: Option<String>,
    pub attendee: Option<AttendeeInput>,
    #[schema(value_type = Option<Object>)]
    pub booking_fields_responses: Option<Map<String, Value>>,
    pub event_type_id: Option<i64>,
    pub event_type_slug: Option<String>,
    pub username: Option<String>,
    pub team_slug: Option<String>,
    pub organization_slug: Option<String>,
    pub guests: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub location: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub length_in_minutes: Option<i64>,
    /// Our addition: the uid of the caller's own slot reservation, which then doesn't block the
    /// booking (and is released by it). Without it a held slot is taken, as for anyone else.
    pub reservation_uid: Option<String>,
}

/// Create a booking (public, as in Cal.com): `accepted`, or `pending` when the event type
/// requires confirmation. 409 when the slot is not free.
#[utoipa::path(post, path = "/v2/bookings", tag = "Bookings",
    params(("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = CreateBookingInput, responses((status = 201, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn create_booking(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CreateBookingInput>,
) -> Result<Response, ApiError> {
    let start = parse_instant(
        "start",
        input
            .start
            .as_deref()
            .ok_or_else(|| ApiError::field("start", "is required"))?,
    )?;
    let attendee = input
        .attendee
        .as_ref()
        .ok_or_else(|| ApiError::field("attendee", "is required"))?
        .parse("attendee")?;
    let hosted = resolve::event_type(
        &state.db,
        EventTypeRef {
            id: input.event_type_id,
            slug: input.event_type_slug.as_deref(),
            username: input.username.as_deref(),
            team_slug: input.team_slug.as_deref(),
            organization_slug: input.organization_slug.as_deref(),
        },
    )
    .await?;
    let length_minutes = resolve::length(&hosted.event, "lengthInMinutes", input.length_in_minutes)?;
    let guests = parse_guests(&hosted.event, input.guests.as_deref(), &attendee.email)?;
    let request = BookingRequest {
        start,
        length_minutes,
        attendee,
        guests,
        responses: input.booking_fields_responses.unwrap_or_default(),
        metadata: input.metadata,
        location: input.location,
        rescheduled_from: None,
        reservation_uid: input.reservation_uid,
        rescheduling_reason: None,
    };
    let created = booking::create(&state.db, &state.mailer, &hosted, request).await?;
    Ok(envelope::created(output(&state.db, &created).await?))
}

fn sort(q: &QueryPairs) -> Result<&'static str, ApiError> {
    for (key, column) in [
        ("sortStart", "start_at"),
        ("sortEnd", "end_at"),
        ("sortCreated", "created_at"),
        ("sortUpdatedAt", "updated_at"),
    ] {
        match q.get(key) {
            None => {}
            Some("asc") => {
                return Ok(match column {
                    "start_at" => "b.start_at ASC, b.id ASC",
                    "end_at" => "b.end_at ASC, b.id ASC",
                    "created_at" => "b.created_at ASC, b.id ASC",
                    _ => "b.updated_at ASC, b.id ASC",
                });
            }
            Some("desc") => {
                return Ok(match column {
                    "start_at" => "b.start_at DESC, b.id DESC",
                    "end_at" => "b.end_at DESC, b.id DESC",
                    "created_at" => "b.created_at DESC, b.id DESC",
                    _ => "b.updated_at DESC, b.id DESC",
                });
            }
            Some(_) => return Err(ApiError::field(key, "must be 'asc' or 'desc'")),
        }
    }
    Ok("b.start_at ASC, b.id ASC")
}

fn instant_param(q: &QueryPairs, key: &str) -> Result<Option<i64>, ApiError> {
    Ok(q.get(key)
        .map(|v| parse_instant(key, v).map(|t| t.as_millisecond()))
        .transpose()?)
}

/// Get my bookings: those I host and those I attend, with Cal.com's filters.
#[utoipa::path(get, path = "/v2/bookings", tag = "Bookings", security(("bearer" = [])),
    params(("cal-api-version" = Option<String>, Header, description = "2024-08-13"),
        ("status" = Option<String>, Query), ("attendeeEmail" = Option<String>, Query), ("attendeeName" = Option<String>, Query),
        ("bookingUid" = Option<String>, Query), ("eventTypeIds" = Option<String>, Query), ("eventTypeId" = Option<String>, Query),
        ("afterStart" = Option<String>, Query), ("beforeEnd" = Option<String>, Query), ("afterCreatedAt" = Option<String>, Query),
        ("beforeCreatedAt" = Option<String>, Query), ("sortStart" = Option<String>, Query), ("sortEnd" = Option<String>, Query),
        ("sortCreated" = Option<String>, Query), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = BookingList)))]
#[tracing::instrument(skip_all)]
async fn list_bookings(State(state): State<AppState>, caller: ApiUser, q: QueryPairs) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, 250)?;
    let now = now_ms();
    let mut filter = BookingFilter {
        host: Some(caller.user.id),
        attendee_email_is_caller: Some(caller.user.email.clone()),
        order: sort(&q)?,
        take: paging.take,
        skip: paging.skip,
        ..BookingFilter::default()
    };
    for status in q.all("status") {
        match status.as_str() {
            "upcoming" => filter.upcoming_after = Some(now),
            "past" => filter.past_before = Some(now),
            "cancelled" => filter.statuses.extend(["cancelled", "rejected"]),
            "unconfirmed" => filter.statuses.push("pending"),
            // No recurring bookings exist here, so the filter matches nothing.
            "recurring" => filter.statuses.push("recurring"),
            other => {
                return Err(ApiError::field(
                    "status",
                    format!("'{other}' must be upcoming, recurring, past, cancelled or unconfirmed"),
                ));
            }
        }
    }
    filter.attendee_email = q.get("attendeeEmail").map(str::to_lowercase);
    filter.attendee_name = q.get("attendeeName").map(str::to_owned);
    filter.uid = q.get("bookingUid").map(str::to_owned);
    let mut ids = q.all("eventTypeIds");
    ids.extend(q.all("eventTypeId"));
    filter.event_type_ids = ids
        .iter()
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| ApiError::field("eventTypeIds", format!("'{v}' is not an id")))
        })
        .collect::<Result<_, _>>()?;
    filter.after_start = instant_param(&q, "afterStart")?;
    filter.before_end = instant_param(&q, "beforeEnd")?;
    filter.after_created = instant_param(&q, "afterCreatedAt")?;
    filter.before_created = instant_param(&q, "beforeCreatedAt")?;
    let records = bookings::list(&state.db, &filter).await?;
    let total = bookings::count(&state.db, &filter).await?;
    let data = outputs(&state.db, &records).await?;
    let pagination = Pagination::new(total, data.len() as i64, paging.take, paging.skip);
    Ok(axum::Json(BookingList {
        status: "success",
        data,
        pagination,
    })
    .into_response())
}

/// May `caller` see and act on `booking`? Its organizer and co-hosts, attendees (by email) and
/// instance admins.
pub(super) async fn involved(db: &Db, caller: &ApiUser, booking: &BookingRecord) -> Result<bool, ApiError> {
    if booking.host_id == caller.user.id || caller.is_instance_admin() {
        return Ok(true);
    }
    if bookings::co_hosts(db, &[booking.id])
        .await?
        .iter()
        .any(|(_, user)| *user == caller.user.id)
    {
        return Ok(true);
    }
    let list = bookings::attendees(db, &[booking.id]).await?;
    Ok(list.iter().any(|a| a.email == caller.user.email))
}

/// The booking named in the path, if the caller (when authenticated) is involved in it. A
/// booking uid is an unguessable capability, like the links in booking emails, so anonymous
/// callers may cancel or reschedule with it; an authenticated stranger sees 404.
async fn booking_for(state: &AppState, caller: Option<&ApiUser>, ids: &PathIds) -> Result<BookingRecord, ApiError> {
    let uid = ids.text("bookingUid");
    let booking = bookings::find_by_uid(&state.db, uid)
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    if let Some(caller) = caller
        && !involved(&state.db, caller, &booking).await?
    {
        return Err(ApiError::not_found("Booking"));
    }
    Ok(booking)
}

/// Get a booking I host or attend.
#[utoipa::path(get, path = "/v2/bookings/{bookingUid}", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn get_booking(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let booking = booking_for(&state, Some(&caller), &ids).await?;
    Ok(envelope::ok(output(&state.db, &booking).await?))
}

/// `CancelBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelBookingInput {
    pub cancellation_reason: Option<String>,
}

fn reason(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.chars().count() > 1000 => Err(ApiError::field(field, "must be at most 1000 characters")),
        Some(r) => Ok(Some(r.to_owned())),
        None => Ok(None),
    }
}

/// Cancel a booking (host, attendee, or anyone holding its uid).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/cancel", tag = "Bookings",
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = CancelBookingInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn cancel_booking(
    State(state): State<AppState>,
    caller: Option<ApiUser>,
    ids: PathIds,
    ApiJson(input): ApiJson<CancelBookingInput>,
) -> Result<Response, ApiError> {
    let booking = booking_for(&state, caller.as_ref(), &ids).await?;
    let why = reason("cancellationReason", input.cancellation_reason.as_deref())?;
    let by = caller.as_ref().map(|c| c.user.email.clone());
    let mut tx = state.db.begin().await?;
    let updated = bookings::set_status(
        &mut tx,
        &booking.uid,
        &["accepted", "pending"],
        "cancelled",
        why.as_deref(),
        by.as_deref(),
    )
    .await?
    .ok_or_else(|| ApiError::Conflict(format!("A {} booking can't be cancelled", booking.status)))?;
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingCancelled, &updated, None).await?;
    email::queue::booking_emails(&mut tx, &state.mailer, &updated, BookingChange::Cancelled).await?;
    tx.commit().await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}

/// `RescheduleBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RescheduleBookingInput {
    pub start: Option<String>,
    pub rescheduled_by: Option<String>,
    pub rescheduling_reason: Option<String>,
}

/// Move a booking: a new booking at `start` linked to the old one (cancelled), keeping the
/// calendar invite's UID with a higher SEQUENCE.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/reschedule", tag = "Bookings",
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = RescheduleBookingInput, responses((status = 201, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn reschedule_booking(
    State(state): State<AppState>,
    caller: Option<ApiUser>,
    ids: PathIds,
    ApiJson(input): ApiJson<RescheduleBookingInput>,
) -> Result<Response, ApiError> {
    let old = booking_for(&state, caller.as_ref(), &ids).await?;
    if !matches!(old.status.as_str(), "accepted" | "pending") {
        // Cal.com answers 400 here and points at the booking that replaced a rescheduled one.
        let message = match &old.rescheduled_to_uid {
            Some(to) => format!("This booking was rescheduled to {to}; reschedule that one instead"),
            None => format!(
                "A {} booking can't be rescheduled; create a new booking instead",
                old.status
            ),
        };
        return Err(ApiError::BadRequest(message));
    }
    let start = parse_instant(
        "start",
        input
            .start
            .as_deref()
            .ok_or_else(|| ApiError::field("start", "is required"))?,
    )?;
    let why = reason("reschedulingReason", input.rescheduling_reason.as_deref())?;
    if let Some(by) = &input.rescheduled_by {
        HeaderText::parse("rescheduledBy", by)?;
    }
    let event_type_id = old
        .event_type_id
        .ok_or_else(|| ApiError::Conflict("The booking's event type no longer exists".into()))?;
    let hosted = resolve::event_type(
        &state.db,
        EventTypeRef {
            id: Some(event_type_id),
            ..EventTypeRef::default()
        },
    )
    .await?;
    let people = bookings::attendees(&state.db, &[old.id]).await?;
    let main = people
        .iter()
        .find(|a| !a.is_guest)
        .ok_or_else(|| ApiError::Conflict("The booking has no attendee".into()))?;
    let attendee = AttendeeInput {
        name: Some(main.name.clone()),
        email: Some(main.email.clone()),
        time_zone: Some(main.time_zone.clone()),
        phone_number: main.phone.clone(),
        language: Some(main.language.clone()),
    }
    .parse("attendee")?;
    let request = BookingRequest {
        start,
        length_minutes: (old.end_at - old.start_at) / 60_000,
        attendee,
        guests: people.iter().filter(|a| a.is_guest).map(|a| a.email.clone()).collect(),
        responses: serde_json::from_str(&old.responses).unwrap_or_default(),
        metadata: serde_json::from_str(&old.metadata).ok(),
        location: old.location.clone().map(Value::String),
        rescheduled_from: Some(old.clone()),
        reservation_uid: None,
        rescheduling_reason: why.clone(),
    };
    let created = booking::create(&state.db, &state.mailer, &hosted, request).await?;
    if why.is_some() || input.rescheduled_by.is_some() {
        bookings::set_reschedule_details(&state.db, &old.uid, why.as_deref(), input.rescheduled_by.as_deref()).await?;
    }
    Ok(envelope::created(output(&state.db, &created).await?))
}

/// The booking, if `caller` hosts it.
pub(super) async fn hosted(state: &AppState, caller: &ApiUser, ids: &PathIds) -> Result<BookingRecord, ApiError> {
    let booking = bookings::find_by_uid(&state.db, ids.text("bookingUid"))
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    if booking.host_id != caller.user.id && !caller.is_instance_admin() {
        return Err(ApiError::not_found("Booking"));
    }
    Ok(booking)
}

/// Confirm a pending booking (its host).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/confirm", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn confirm_booking(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let mut tx = state.db.begin().await?;
    let updated = bookings::set_status(&mut tx, &booking.uid, &["pending"], "accepted", None, None)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "Only pending bookings can be confirmed; this one is {}",
                booking.status
            ))
        })?;
    // As in Cal.com, a confirmed request is announced as a created booking.
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingCreated, &updated, None).await?;
    email::queue::booking_emails(&mut tx, &state.mailer, &updated, BookingChange::Scheduled).await?;
    tx.commit().await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}

/// `DeclineBookingInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeclineBookingInput {
    pub reason: Option<String>,
}

/// Decline a pending booking (its host).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/decline", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = DeclineBookingInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn decline_booking(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<DeclineBookingInput>,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let why = reason("reason", input.reason.as_deref())?;
    let mut tx = state.db.begin().await?;
    let updated = bookings::set_status(
        &mut tx,
        &booking.uid,
        &["pending"],
        "rejected",
        why.as_deref(),
        Some(&caller.user.email),
    )
    .await?
    .ok_or_else(|| {
        ApiError::Conflict(format!(
            "Only pending bookings can be declined; this one is {}",
            booking.status
        ))
    })?;
    webhooks::enqueue_booking_event(&mut tx, Trigger::BookingRejected, &updated, None).await?;
    email::queue::booking_emails(&mut tx, &state.mailer, &updated, BookingChange::Declined).await?;
    tx.commit().await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}
