//! One event of a connected calendar in Cal.com's unified shapes: `GET /v2/calendars/{calendar}/event/{eventUid}`
//! and `PATCH /v2/calendars/{calendar}/events/{eventUid}`, for `google`, `office365`, `apple` and `caldav`. The id is
//! the `eventUid` `/v2/bookings/{uid}/references` gives: Google's and Graph's own event id, CalDAV's iCalendar UID.

use super::path_kind;
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{ApiJson, PathIds};
use crate::calendars::ConnectionKind;
use crate::state::AppState;
use crate::time_text::{parse_instant, utc_iso};
use axum::extract::State;
use axum::response::Response;
use convene_calendar::{EventChanges, EventDetails, EventPerson};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_event))
        .routes(routes!(update_event))
}

/// Google's event status in the unified words.
fn status_out(google: Option<&str>) -> Option<&'static str> {
    match google? {
        "confirmed" => Some("accepted"),
        "tentative" => Some("pending"),
        "cancelled" => Some("cancelled"),
        _ => None,
    }
}

fn response_out(google: Option<&str>) -> Option<&'static str> {
    match google? {
        "accepted" => Some("accepted"),
        "declined" => Some("declined"),
        "tentative" => Some("pending"),
        "needsAction" => Some("needsAction"),
        _ => None,
    }
}

fn person_json(p: &EventPerson, attendee: bool) -> Value {
    let mut out = json!({
        "email": p.email,
        "responseStatus": response_out(p.response_status.as_deref()),
    });
    if let Some(name) = &p.name {
        out["name"] = json!(name);
    }
    if attendee {
        out["self"] = json!(p.is_self);
        out["optional"] = json!(p.optional);
        out["host"] = json!(p.organizer);
    }
    out
}

/// The unified event's `source`: the reference's words for Google, Outlook and Apple; a generic CalDAV server,
/// which the reference does not name, says `caldav`.
fn source(kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::Office365 => "office365",
        ConnectionKind::Apple => "apple",
        ConnectionKind::CalDav => "caldav",
        _ => "google",
    }
}

/// `UnifiedCalendarEventOutput`.
fn event_json(e: &EventDetails, kind: ConnectionKind) -> Value {
    let zone = e.time_zone.clone().unwrap_or_else(|| "UTC".to_owned());
    let mut locations = Vec::new();
    if let Some(url) = &e.video_url {
        let label = (kind == ConnectionKind::Google).then_some("Google Meet");
        locations.push(json!({ "type": "video", "url": url, "label": label }));
    }
    if let Some(place) = e
        .location
        .as_ref()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
    {
        locations.push(json!({ "type": "more", "url": place, "label": null }));
    }
    json!({
        "start": { "time": utc_iso(e.start), "timeZone": zone },
        "end": { "time": utc_iso(e.end), "timeZone": zone },
        "id": e.id,
        "title": e.title,
        "description": e.description,
        "locations": locations,
        "attendees": e.attendees.iter().map(|a| person_json(a, true)).collect::<Vec<_>>(),
        "status": status_out(e.status.as_deref()),
        "hosts": e.organizer.iter().map(|o| person_json(o, false)).collect::<Vec<_>>(),
        "calendarEventOwner": e.organizer.as_ref().map(|o| json!({ "email": o.email, "name": o.name })),
        "source": source(kind),
    })
}

/// Meeting details of an event in one of the caller's calendars.
#[utoipa::path(get, path = "/v2/calendars/{calendar}/event/{eventUid}", tag = "Cal Unified Calendars",
    security(("bearer" = [])), params(("calendar" = String, Path), ("eventUid" = String, Path)),
    responses((status = 200, body = Envelope<Value>)))]
#[tracing::instrument(skip_all)]
async fn get_event(State(state): State<AppState>, caller: ApiUser, ids: PathIds) -> Result<Response, ApiError> {
    let kind = event_kind(&ids)?;
    let event = state
        .calendars
        .event(caller.user.id, kind, ids.text("eventUid"))
        .await?;
    Ok(envelope::ok(event_json(&event, kind)))
}

/// `{time, timeZone}` of `UpdateUnifiedCalendarEventInput`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTimeInput {
    pub time: String,
    pub time_zone: Option<String>,
}

/// `UpdateCalendarEventAttendee`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventAttendeeInput {
    pub email: Option<String>,
    pub name: Option<String>,
    pub response_status: Option<String>,
    #[serde(rename = "self")]
    pub is_self: Option<bool>,
    pub optional: Option<bool>,
    pub host: Option<bool>,
}

/// `UpdateUnifiedCalendarEventInput`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateEventInput {
    pub start: Option<EventTimeInput>,
    pub end: Option<EventTimeInput>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    pub attendees: Option<Vec<EventAttendeeInput>>,
    pub status: Option<String>,
}

/// A field given as `null` is `Some(None)`; an absent one stays `None` (via `default`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The calendars whose events can be read one by one (an ICS feed's can't).
fn event_kind(ids: &PathIds) -> Result<ConnectionKind, ApiError> {
    match path_kind(ids)? {
        ConnectionKind::IcsFeed => Err(ApiError::field(
            "calendar",
            "meeting details are available for google, office365, apple and caldav",
        )),
        kind => Ok(kind),
    }
}

fn time_in(field: &str, t: &EventTimeInput) -> Result<(jiff::Timestamp, Option<String>), ApiError> {
    let at = parse_instant(&format!("{field}.time"), &t.time)?;
    if let Some(zone) = &t.time_zone
        && jiff::tz::TimeZone::get(zone).is_err()
    {
        return Err(ApiError::field(
            &format!("{field}.timeZone"),
            format!("'{zone}' is not a time zone"),
        ));
    }
    Ok((at, t.time_zone.clone()))
}

impl UpdateEventInput {
    fn changes(self) -> Result<EventChanges, ApiError> {
        let start = self.start.as_ref().map(|t| time_in("start", t)).transpose()?;
        let end = self.end.as_ref().map(|t| time_in("end", t)).transpose()?;
        if let (Some((s, _)), Some((e, _))) = (&start, &end)
            && e <= s
        {
            return Err(ApiError::field("end.time", "must be after start.time"));
        }
        if self.title.as_ref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ApiError::field("title", "must not be empty"));
        }
        let status = match self.status.as_deref() {
            None => None,
            Some("accepted") => Some("confirmed".to_owned()),
            Some("pending") => Some("tentative".to_owned()),
            Some("cancelled" | "declined") => Some("cancelled".to_owned()),
            Some(other) => {
                return Err(ApiError::field(
                    "status",
                    format!("'{other}' is not one of accepted, pending, declined, cancelled"),
                ));
            }
        };
        let attendees = match self.attendees {
            None => None,
            Some(list) => {
                let mut out = Vec::with_capacity(list.len());
                for (i, a) in list.into_iter().enumerate() {
                    let field = format!("attendees[{i}].email");
                    let email = a.email.ok_or_else(|| ApiError::field(&field, "is required"))?;
                    convene_core::EmailAddress::parse(&field, &email)?;
                    let response_status = match a.response_status.as_deref() {
                        None => None,
                        Some("pending") => Some("tentative".to_owned()),
                        Some(s @ ("accepted" | "declined" | "needsAction")) => Some(s.to_owned()),
                        Some(other) => {
                            return Err(ApiError::field(
                                &format!("attendees[{i}].responseStatus"),
                                format!("'{other}' is not a response status"),
                            ));
                        }
                    };
                    let _ = (a.is_self, a.host);
                    out.push(EventPerson {
                        email,
                        name: a.name,
                        response_status,
                        optional: a.optional,
                        ..EventPerson::default()
                    });
                }
                Some(out)
            }
        };
        Ok(EventChanges {
            title: self.title,
            description: self.description,
            start,
            end,
            attendees,
            status,
        })
    }
}

/// Change an event in one of the caller's calendars (Google and CalDAV email nobody; Outlook invites attendees
/// added to the list).
#[utoipa::path(patch, path = "/v2/calendars/{calendar}/events/{eventUid}", tag = "Cal Unified Calendars",
    security(("bearer" = [])), params(("calendar" = String, Path), ("eventUid" = String, Path)),
    request_body = UpdateEventInput, responses((status = 200, body = Envelope<Value>)))]
#[tracing::instrument(skip_all)]
async fn update_event(
    State(state): State<AppState>,
    caller: ApiUser,
    ids: PathIds,
    ApiJson(input): ApiJson<UpdateEventInput>,
) -> Result<Response, ApiError> {
    let kind = event_kind(&ids)?;
    let changes = input.changes()?;
    if kind == ConnectionKind::Office365 && changes.status.as_deref() == Some("cancelled") {
        // Graph cancels a meeting only by emailing every attendee itself; cancelling the booking does it quietly.
        return Err(ApiError::field(
            "status",
            "an Outlook event is cancelled by cancelling its booking",
        ));
    }
    let event = state
        .calendars
        .update_event(caller.user.id, kind, ids.text("eventUid"), &changes)
        .await?;
    Ok(envelope::ok(event_json(&event, kind)))
}
