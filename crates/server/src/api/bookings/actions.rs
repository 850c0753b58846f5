//! Follow-up actions on a booking (`cal-api-version: 2024-08-13`): mark absences, add guests,
//! "add to calendar" links, and asking the attendee to pick a new time.

use super::output::{BookingOutput, output};
use super::{hosted, involved};
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds};
use crate::api::legacy::bookings as legacy;
use crate::api::version::{Requested, VersionRule, enforce};
use crate::scheduling::booking::AttendeeInput;
use crate::scheduling::follow_up::{self, AbsenceMark};
use crate::state::AppState;
use crate::time_text::utc_iso;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convene_core::BookingStatus;
use convene_core::ics::{IcsEvent, Method, Party};
use convene_store::bookings::{self, BookingRecord};
use convene_store::{Db, users};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    // Cal.com documents that adding guests without the header fails with 404.
    let strict = VersionRule::Required {
        version: "2024-08-13",
        missing: StatusCode::NOT_FOUND,
    };
    OpenApiRouter::new()
        .routes(routes!(mark_absent))
        .routes(routes!(mark_no_show))
        .routes(routes!(calendar_links))
        .routes(routes!(request_reschedule))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(add_guests))
                .route_layer(axum::middleware::from_fn(move |r, n| enforce(strict, r, n))),
        )
}

async fn booking(state: &AppState, ids: &PathIds) -> Result<BookingRecord, ApiError> {
    bookings::find_by_uid(&state.db, ids.text("bookingUid"))
        .await?
        .ok_or_else(|| ApiError::not_found("Booking"))
}

/// `MarkAbsentAttendee` (`noShow` is its legacy `2024-04-15` name).
#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkAbsentAttendee {
    pub email: Option<String>,
    #[serde(alias = "noShow")]
    pub absent: Option<bool>,
}

/// `MarkAbsentBookingInput_2024_08_13`; legacy clients send `MarkNoShowInput_2024_04_15`, whose `noShowHost` is
/// `host`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MarkAbsentInput {
    #[serde(alias = "noShowHost")]
    pub host: Option<bool>,
    pub attendees: Option<Vec<MarkAbsentAttendee>>,
}

/// Record who did not show up (the booking's host).
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/mark-absent", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = MarkAbsentInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn mark_absent(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<MarkAbsentInput>,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let host_marked = input.host.is_some();
    let marked: Vec<String> = input
        .attendees
        .iter()
        .flatten()
        .filter_map(|a| a.email.clone())
        .collect();
    let marks: Vec<AbsenceMark> = input
        .attendees
        .unwrap_or_default()
        .into_iter()
        .map(|a| AbsenceMark {
            email: a.email,
            absent: a.absent,
        })
        .collect();
    let updated = follow_up::mark_absent(&state.db, &state.mailer, &booking, input.host, &marks).await?;
    let out = output(&state.db, &updated).await?;
    if !version.is_current(super::CURRENT) {
        return Ok(envelope::ok(legacy::no_show(&out, host_marked, &marked)));
    }
    Ok(envelope::ok(out))
}

/// Cal.com's `2024-04-15` path for the same marks (its legacy controller's `mark-no-show`), so legacy clients
/// reach it; it answers as mark-absent does for the version sent.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/mark-no-show", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-04-15")),
    request_body = MarkAbsentInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn mark_no_show(
    state: State<AppState>,
    version: Requested,
    caller: ApiUser,
    ids: PathIds,
    input: ApiJson<MarkAbsentInput>,
) -> Result<Response, ApiError> {
    mark_absent(state, version, caller, ids, input).await
}

/// `AddGuestsInput_2024_08_13`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AddGuestsInput {
    pub guests: Option<Vec<AttendeeInput>>,
}

/// Add guests to a booking (its host or attendees). Each guest's name and time zone default
/// to their email and the main attendee's zone.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/guests", tag = "Bookings / Guests", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = String, Header, description = "2024-08-13")),
    request_body = AddGuestsInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn add_guests(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<AddGuestsInput>,
) -> Result<Response, ApiError> {
    let booking = booking(&state, &ids).await?;
    if !involved(&state.db, &caller, &booking).await? {
        return Err(ApiError::not_found("Booking"));
    }
    let updated = follow_up::add_guests(&state.db, &state.mailer, &booking, input.guests).await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}

/// `CalendarLink`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarLink {
    pub label: &'static str,
    pub link: String,
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The `.ics` text for a booking (as a download: `METHOD:PUBLISH`).
async fn ics(db: &Db, booking: &BookingRecord) -> Result<String, ApiError> {
    let host = users::find(db, booking.host_id).await?;
    let attendees = bookings::attendees(db, &[booking.id]).await?;
    Ok(IcsEvent {
        method: Method::Publish,
        uid: booking.ical_uid.clone(),
        sequence: booking.ical_sequence,
        stamp: Timestamp::now(),
        start: booking.start_at,
        end: booking.end_at,
        summary: booking.title.clone(),
        description: booking.description.clone(),
        location: booking.location.clone(),
        organizer: host.map_or(
            Party {
                name: String::new(),
                email: String::new(),
            },
            |h| Party {
                name: h.name.unwrap_or(h.username),
                email: h.email,
            },
        ),
        attendees: attendees
            .into_iter()
            .map(|a| Party {
                name: a.name,
                email: a.email,
            })
            .collect(),
        cancelled: matches!(booking.status, BookingStatus::Cancelled | BookingStatus::Rejected),
        rule: None,
        occurrence: None,
    }
    .render())
}

/// Links that add the booking to Google Calendar, Outlook, Office 365, or download an `.ics`.
#[utoipa::path(get, path = "/v2/bookings/{bookingUid}/calendar-links", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<Vec<CalendarLink>>)))]
#[tracing::instrument(skip_all)]
async fn calendar_links(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let booking = booking(&state, &ids).await?;
    if !involved(&state.db, &caller, &booking).await? {
        return Err(ApiError::not_found("Booking"));
    }
    let (start, end) = (booking.start_at, booking.end_at);
    let title = encode(&booking.title);
    let details = encode(&booking.description);
    let location = encode(booking.location.as_deref().unwrap_or_default());
    let google_dates = format!(
        "{}/{}",
        start.strftime("%Y%m%dT%H%M%SZ"),
        end.strftime("%Y%m%dT%H%M%SZ")
    );
    let ms_query = format!(
        "path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&startdt={}&enddt={}&subject={title}&body={details}&location={location}",
        encode(&utc_iso(start)),
        encode(&utc_iso(end))
    );
    let links = vec![
        CalendarLink {
            label: "Google",
            link: format!(
                "https://calendar.google.com/calendar/r/eventedit?dates={google_dates}&text={title}&details={details}&location={location}"
            ),
        },
        CalendarLink {
            label: "Microsoft Outlook",
            link: format!("https://outlook.live.com/calendar/0/deeplink/compose?{ms_query}"),
        },
        CalendarLink {
            label: "Microsoft Office",
            link: format!("https://outlook.office.com/calendar/0/deeplink/compose?{ms_query}"),
        },
        CalendarLink {
            label: "ICS",
            link: format!("data:text/calendar,{}", encode(&ics(&state.db, &booking).await?)),
        },
    ];
    // `CalendarLinksOutput_2024_08_13` is the usual envelope.
    Ok(Json(json!({ "status": "success", "data": links })).into_response())
}

/// `RequestRescheduleInput` (Cal.com documents the endpoint; the spec has no body schema).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestRescheduleInput {
    pub rescheduling_reason: Option<String>,
}

/// Ask the attendee to pick a new time (the booking's host): the booking is cancelled and
/// marked so the attendee is sent a link to book again.
#[utoipa::path(post, path = "/v2/bookings/{bookingUid}/request-reschedule", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    request_body = RequestRescheduleInput, responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
async fn request_reschedule(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<RequestRescheduleInput>,
) -> Result<Response, ApiError> {
    let booking = hosted(&state, &caller, &ids).await?;
    let updated = follow_up::request_reschedule(
        &state.db,
        &state.mailer,
        &booking,
        input.rescheduling_reason.as_deref(),
        &caller.user.email,
    )
    .await?;
    Ok(envelope::ok(output(&state.db, &updated).await?))
}
