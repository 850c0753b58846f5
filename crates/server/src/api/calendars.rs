//! External calendars in Cal.com's shapes: `/v2/calendars` (connected calendars, busy times, ICS feeds, Apple
//! credentials, check, disconnect), `/v2/selected-calendars` and `/v2/destination-calendars`. The work is
//! `calendars::Calendars`'; this face parses, authorizes (everything is the caller's own) and shapes.
//!
//! Beyond Cal.com, `POST /v2/calendars/caldav/credentials` takes a `url` and connects any CalDAV server.

use super::ApiError;
use super::auth::ApiUser;
use super::envelope::{self, Envelope};
use super::extract::{ApiJson, PathIds, QueryPairs};
use crate::calendars::{CalendarsError, ConnectionKind};
use crate::state::AppState;
use crate::time_text::{parse_instant, utc_iso};
use axum::extract::State;
use axum::response::Response;
use convene_core::CalendarConnectionId;
use convene_store::calendars::{CalendarRecord, ConnectionRecord};
use jiff::tz::TimeZone;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

const DAY_MS: i64 = 86_400_000;
/// The longest busy-times window one request may ask for.
const MAX_BUSY_SPAN_MS: i64 = 120 * DAY_MS;

mod events;
mod oauth;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(oauth::router())
        .merge(events::router())
        .routes(routes!(list_calendars))
        .routes(routes!(busy_times))
        .routes(routes!(save_ics_feed))
        .routes(routes!(check_ics_feed))
        .routes(routes!(save_credentials))
        .routes(routes!(check_calendar))
        .routes(routes!(disconnect))
        .routes(routes!(select_calendar, unselect_calendar))
        .routes(routes!(set_destination))
        .routes(routes!(booking_references))
}

impl From<CalendarsError> for ApiError {
    fn from(e: CalendarsError) -> Self {
        match e {
            CalendarsError::Invalid(field) => ApiError::Validation(field),
            CalendarsError::NotFound(what) => ApiError::not_found(what),
            CalendarsError::Remote(remote) if remote.needs_reconnect() => ApiError::BadRequest(format!(
                "The calendar refused convene's access ({remote}); connect it again"
            )),
            CalendarsError::Remote(remote) => ApiError::BadRequest(format!("The calendar server answered: {remote}")),
            CalendarsError::Unsupported(why) => ApiError::BadRequest(why.to_owned()),
            CalendarsError::Store(store) => store.into(),
            e @ CalendarsError::Keyring(_) => ApiError::Internal(anyhow::Error::new(e)),
        }
    }
}

/// The `{calendar}` path segment.
fn path_kind(ids: &PathIds) -> Result<ConnectionKind, ApiError> {
    match ids.text("calendar") {
        "apple" => Ok(ConnectionKind::Apple),
        "caldav" => Ok(ConnectionKind::CalDav),
        "google" => Ok(ConnectionKind::Google),
        "office365" => Ok(ConnectionKind::Office365),
        "ics-feed" => Ok(ConnectionKind::IcsFeed),
        other => Err(ApiError::field(
            "calendar",
            format!("'{other}' is not a calendar (apple, caldav, google, office365)"),
        )),
    }
}

/// `CreateIcsFeedOutput` / `DeletedCalendarCredentialsOutputDto`: a credential.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialOutput {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    pub app_id: Option<String>,
    pub invalid: Option<bool>,
}

fn credential(c: &ConnectionRecord, kind: ConnectionKind) -> CredentialOutput {
    CredentialOutput {
        id: c.id.0,
        kind: kind.integration().to_owned(),
        user_id: Some(c.user_id.0),
        team_id: None,
        app_id: Some(kind.app_id().to_owned()),
        invalid: Some(c.last_error.is_some()),
    }
}

/// `Calendar` of `ConnectedCalendar`.
fn calendar_json(c: &CalendarRecord, kind: ConnectionKind, email: Option<&str>) -> Value {
    let mut out = json!({
        "externalId": c.external_id,
        "integration": kind.integration(),
        "name": c.name,
        "primary": c.is_primary,
        "readOnly": c.read_only,
        "isSelected": c.selected,
        "credentialId": c.connection_id,
        "delegationCredentialId": null,
        "lastError": c.last_error,
        "failingSince": c.failing_since.map(utc_iso),
        "lastSynced": c.last_synced.map(utc_iso),
    });
    // `email` is a string when present; a feed has none.
    if let (Some(email), Some(map)) = (email, out.as_object_mut()) {
        map.insert("email".to_owned(), Value::from(email));
    }
    out
}

fn integration_json(kind: ConnectionKind) -> Value {
    let slug = kind.app_id();
    json!({
        "appData": null,
        "dirName": slug,
        "name": kind.title(),
        "description": format!("{} calendar connected to convene", kind.title()),
        "installed": true,
        "type": kind.integration(),
        "title": kind.title(),
        "variant": "calendar",
        "category": "calendar",
        "categories": ["calendar"],
        "logo": format!("/static/apps/{slug}.svg"),
        "publisher": "convene",
        "slug": slug,
        "url": "",
        "email": "",
        "locationOption": null,
    })
}

/// Connected calendars.
#[utoipa::path(get, path = "/v2/calendars", tag = "Calendars", security(("bearer" = [])),
    responses((status = 200, body = Envelope<Value>)))]
#[tracing::instrument(skip_all)]
async fn list_calendars(State(state): State<AppState>, caller: ApiUser) -> Result<Response, ApiError> {
    let overview = state.calendars.overview(caller.user.id).await?;
    let connected: Vec<Value> = overview
        .connections
        .iter()
        .map(|(connection, kind, calendars)| {
            let email = connection.username.as_deref();
            let primary = calendars.iter().find(|c| c.is_primary).or_else(|| calendars.first());
            json!({
                "integration": integration_json(*kind),
                "credentialId": connection.id,
                "delegationCredentialId": null,
                "primary": primary.map(|c| calendar_json(c, *kind, email)),
                "calendars": calendars.iter().map(|c| calendar_json(c, *kind, email)).collect::<Vec<_>>(),
                "lastError": connection.last_error,
                "failingSince": connection.failing_since.map(utc_iso),
                "lastSynced": connection.last_synced.map(utc_iso),
            })
        })
        .collect();
    let destination = overview.destination.as_ref().map(|d| {
        let kind = overview
            .connections
            .iter()
            .find(|(c, _, _)| c.id == d.connection_id)
            .map_or(ConnectionKind::CalDav, |(_, k, _)| *k);
        json!({
            "id": d.id,
            "integration": kind.integration(),
            "externalId": d.external_id,
            "primaryEmail": null,
            "userId": caller.user.id,
            "eventTypeId": null,
            "credentialId": d.connection_id,
            "delegationCredentialId": null,
            "name": d.name,
            "primary": d.is_primary,
            "readOnly": d.read_only,
            "integrationTitle": kind.title(),
        })
    });
    Ok(envelope::ok(json!({
        "connectedCalendars": connected,
        "destinationCalendar": destination,
    })))
}

/// `BusyTimesOutput`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusyTimeOutput {
    pub start: String,
    pub end: String,
    pub source: Option<String>,
}

/// A `dateFrom`/`dateTo` value: an instant, or a date taken at midnight in `zone`.
fn date_or_instant(field: &str, raw: &str, zone: &TimeZone) -> Result<jiff::Timestamp, ApiError> {
    if let Ok(date) = raw.trim().parse::<jiff::civil::Date>() {
        return date
            .to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::field(field, format!("'{raw}' is out of range")));
    }
    Ok(parse_instant(field, raw)?)
}

/// The cached busy time of one of the caller's calendars.
#[utoipa::path(get, path = "/v2/calendars/busy-times", tag = "Calendars", security(("bearer" = [])),
    params(("loggedInUsersTz" = String, Query), ("dateFrom" = Option<String>, Query),
        ("dateTo" = Option<String>, Query), ("credentialId" = i64, Query), ("externalId" = String, Query)),
    responses((status = 200, body = Envelope<Vec<BusyTimeOutput>>)))]
#[tracing::instrument(skip_all)]
async fn busy_times(State(state): State<AppState>, caller: ApiUser, q: QueryPairs) -> Result<Response, ApiError> {
    let tz_name = q
        .get("loggedInUsersTz")
        .ok_or_else(|| ApiError::field("loggedInUsersTz", "is required"))?;
    let zone = TimeZone::get(tz_name)
        .map_err(|_| ApiError::field("loggedInUsersTz", format!("'{tz_name}' is not a time zone")))?;
    let credential_id = q
        .int("credentialId", 1, i64::MAX)?
        .ok_or_else(|| ApiError::field("credentialId", "is required"))?;
    let external_id = q
        .get("externalId")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::field("externalId", "is required"))?;
    let from = match q.get("dateFrom") {
        Some(raw) => date_or_instant("dateFrom", raw, &zone)?,
        None => jiff::Timestamp::now(),
    };
    let to = match q.get("dateTo") {
        Some(raw) => date_or_instant("dateTo", raw, &zone)?,
        None => crate::time_text::shifted(from, jiff::SignedDuration::from_hours(24)),
    };
    if to <= from {
        return Err(ApiError::field("dateTo", "must be after dateFrom"));
    }
    if to.duration_since(from) > jiff::SignedDuration::from_millis(MAX_BUSY_SPAN_MS) {
        return Err(ApiError::field("dateTo", "at most 120 days after dateFrom"));
    }
    let busy = state.calendars.busy_times(caller.user.id, from, to).await?;
    let out: Vec<BusyTimeOutput> = busy
        .iter()
        .filter(|b| b.connection_id == CalendarConnectionId(credential_id) && b.external_id == external_id)
        .map(|b| BusyTimeOutput {
            start: utc_iso(b.start_at),
            end: utc_iso(b.end_at),
            source: Some(match &b.summary {
                Some(summary) => format!("{summary} ({})", b.calendar_name),
                None => b.calendar_name.clone(),
            }),
        })
        .collect();
    Ok(envelope::ok(out))
}

/// `CreateIcsFeedInputDto`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IcsFeedInput {
    pub urls: Vec<String>,
    /// Feeds are always read-only here; accepted for compatibility.
    pub read_only: Option<bool>,
}

/// Save ICS feeds (each read once to check it).
#[utoipa::path(post, path = "/v2/calendars/ics-feed/save", tag = "Calendars", security(("bearer" = [])),
    request_body = IcsFeedInput, responses((status = 201, body = Envelope<CredentialOutput>)))]
#[tracing::instrument(skip_all)]
async fn save_ics_feed(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<IcsFeedInput>,
) -> Result<Response, ApiError> {
    let _ = input.read_only;
    let connection = state.calendars.connect_feeds(caller.user.id, &input.urls).await?;
    Ok(envelope::created(credential(&connection, ConnectionKind::IcsFeed)))
}

fn health(checked: &[ConnectionRecord]) -> Value {
    json!(
        checked
            .iter()
            .map(|c| json!({
                "credentialId": c.id,
                "invalid": c.last_error.is_some(),
                "lastError": c.last_error,
                "failingSince": c.failing_since.map(utc_iso),
                "lastSynced": c.last_synced.map(utc_iso),
            }))
            .collect::<Vec<_>>()
    )
}

/// Read the caller's ICS feeds now and report their health.
#[utoipa::path(get, path = "/v2/calendars/ics-feed/check", tag = "Calendars", security(("bearer" = [])),
    responses((status = 200, body = Envelope<Value>)))]
#[tracing::instrument(skip_all)]
async fn check_ics_feed(State(state): State<AppState>, caller: ApiUser) -> Result<Response, ApiError> {
    let checked = state.calendars.check(caller.user.id, ConnectionKind::IcsFeed).await?;
    Ok(envelope::ok(health(&checked)))
}

/// `CreateCalendarCredentialsInput` (plus `url` for a generic CalDAV server).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsInput {
    pub username: String,
    pub password: String,
    /// The CalDAV server's address (`caldav` only; Apple's is known).
    pub url: Option<String>,
}

/// Connect Apple iCloud (app password) or a CalDAV server.
#[utoipa::path(post, path = "/v2/calendars/{calendar}/credentials", tag = "Calendars", security(("bearer" = [])),
    params(("calendar" = String, Path)), request_body = CredentialsInput,
    responses((status = 201, body = Envelope<CredentialOutput>)))]
#[tracing::instrument(skip_all)]
async fn save_credentials(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<CredentialsInput>,
) -> Result<Response, ApiError> {
    let kind = path_kind(&ids)?;
    if !matches!(kind, ConnectionKind::Apple | ConnectionKind::CalDav) {
        return Err(ApiError::field("calendar", "credentials are for apple or caldav"));
    }
    let (connection, _) = state
        .calendars
        .connect_caldav(
            caller.user.id,
            kind,
            input.url.as_deref(),
            &input.username,
            SecretString::from(input.password),
        )
        .await?;
    Ok(envelope::created(credential(&connection, kind)))
}

/// Read the caller's calendars of this kind now and report their health.
#[utoipa::path(get, path = "/v2/calendars/{calendar}/check", tag = "Calendars", security(("bearer" = [])),
    params(("calendar" = String, Path)), responses((status = 200, body = Envelope<Value>)))]
#[tracing::instrument(skip_all)]
async fn check_calendar(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let kind = path_kind(&ids)?;
    let checked = state.calendars.check(caller.user.id, kind).await?;
    Ok(envelope::ok(health(&checked)))
}

/// `DeleteCalendarCredentialsInputBodyDto`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DisconnectInput {
    pub id: i64,
}

/// Disconnect a calendar credential.
#[utoipa::path(post, path = "/v2/calendars/{calendar}/disconnect", tag = "Calendars", security(("bearer" = [])),
    params(("calendar" = String, Path)), request_body = DisconnectInput,
    responses((status = 200, body = Envelope<CredentialOutput>)))]
#[tracing::instrument(skip_all)]
async fn disconnect(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<DisconnectInput>,
) -> Result<Response, ApiError> {
    let kind = path_kind(&ids)?;
    let connection = state.calendars.disconnect(caller.user.id, kind, input.id).await?;
    Ok(envelope::ok(credential(&connection, kind)))
}

/// `SelectedCalendarsInputDto`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SelectedCalendarInput {
    pub integration: String,
    pub external_id: String,
    pub credential_id: i64,
    pub delegation_credential_id: Option<String>,
}

/// `SelectedCalendarOutputDto` / `DestinationCalendarsOutputDto`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarChoiceOutput {
    pub user_id: i64,
    pub integration: String,
    pub external_id: String,
    pub credential_id: Option<i64>,
}

fn choice(user_id: i64, kind: ConnectionKind, c: &CalendarRecord) -> CalendarChoiceOutput {
    CalendarChoiceOutput {
        user_id,
        integration: kind.integration().to_owned(),
        external_id: c.external_id.clone(),
        credential_id: Some(c.connection_id.0),
    }
}

/// Count a calendar's events as busy time.
#[utoipa::path(post, path = "/v2/selected-calendars", tag = "Selected Calendars", security(("bearer" = [])),
    request_body = SelectedCalendarInput, responses((status = 201, body = Envelope<CalendarChoiceOutput>)))]
#[tracing::instrument(skip_all)]
async fn select_calendar(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<SelectedCalendarInput>,
) -> Result<Response, ApiError> {
    let _ = input.delegation_credential_id;
    let (kind, calendar) = state
        .calendars
        .select(
            caller.user.id,
            &input.integration,
            &input.external_id,
            CalendarConnectionId(input.credential_id),
            true,
        )
        .await?;
    Ok(envelope::created(choice(caller.user.id.0, kind, &calendar)))
}

/// Stop counting a calendar's events as busy time.
#[utoipa::path(delete, path = "/v2/selected-calendars", tag = "Selected Calendars", security(("bearer" = [])),
    params(("integration" = String, Query), ("externalId" = String, Query), ("credentialId" = String, Query)),
    responses((status = 200, body = Envelope<CalendarChoiceOutput>)))]
#[tracing::instrument(skip_all)]
async fn unselect_calendar(
    State(state): State<AppState>,
    caller: ApiUser,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let integration = q
        .get("integration")
        .ok_or_else(|| ApiError::field("integration", "is required"))?;
    let external_id = q
        .get("externalId")
        .ok_or_else(|| ApiError::field("externalId", "is required"))?;
    let credential_id = q
        .int("credentialId", 1, i64::MAX)?
        .ok_or_else(|| ApiError::field("credentialId", "is required"))?;
    let (kind, calendar) = state
        .calendars
        .select(
            caller.user.id,
            integration,
            external_id,
            CalendarConnectionId(credential_id),
            false,
        )
        .await?;
    Ok(envelope::ok(choice(caller.user.id.0, kind, &calendar)))
}

/// `DestinationCalendarsInputBodyDto`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DestinationInput {
    pub integration: String,
    pub external_id: String,
    pub delegation_credential_id: Option<String>,
}

/// Choose where new bookings are written.
#[utoipa::path(put, path = "/v2/destination-calendars", tag = "Destination Calendars", security(("bearer" = [])),
    request_body = DestinationInput, responses((status = 200, body = Envelope<CalendarChoiceOutput>)))]
#[tracing::instrument(skip_all)]
async fn set_destination(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(input): ApiJson<DestinationInput>,
) -> Result<Response, ApiError> {
    let _ = input.delegation_credential_id;
    let (kind, calendar) = state
        .calendars
        .set_destination(caller.user.id, &input.integration, &input.external_id, None)
        .await?;
    Ok(envelope::ok(choice(caller.user.id.0, kind, &calendar)))
}

/// `BookingReference`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingReferenceOutput {
    pub id: i64,
    /// The calendar integration (`apple_calendar`, `caldav_calendar`…).
    #[serde(rename = "type")]
    pub kind: String,
    /// The event's UID in the calendar.
    pub event_uid: String,
    /// The calendar's external id.
    pub destination_calendar_id: Option<String>,
}

/// The events a booking has in its host's calendars.
#[utoipa::path(get, path = "/v2/bookings/{bookingUid}/references", tag = "Bookings", security(("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = String, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<Vec<BookingReferenceOutput>>)))]
#[tracing::instrument(skip_all)]
async fn booking_references(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let uid = ids.text("bookingUid");
    let booking = convene_store::bookings::find_by_uid(&state.db, uid)
        .await?
        .filter(|b| b.host_id == caller.user.id)
        .ok_or_else(|| ApiError::not_found("Booking"))?;
    let references = convene_store::calendar_jobs::references_of_booking(&state.db, &booking.uid).await?;
    let out: Vec<BookingReferenceOutput> = references
        .iter()
        .filter(|r| !r.deleted)
        .map(|r| BookingReferenceOutput {
            id: r.id.0,
            kind: r.kind.integration().to_owned(),
            // Google and Microsoft know the event by their own id (what `/v2/calendars/{calendar}/event/{id}`
            // takes); CalDAV by its iCalendar UID.
            event_uid: if matches!(r.kind, ConnectionKind::Google | ConnectionKind::Office365) {
                r.href.clone()
            } else {
                r.ical_uid.clone()
            },
            destination_calendar_id: Some(r.external_id.clone()),
        })
        .collect();
    Ok(envelope::ok(out))
}
