//! `GET /v2/slots` (`cal-api-version: 2024-09-04`): free start times of an event type. Any other
//! version (or none), and the legacy `GET /v2/slots/available`, get the `2024-04-15` shapes of
//! [`super::legacy::slots`].

use super::ApiError;
use super::caller::Caller;
use super::envelope;
use super::extract::QueryPairs;
use super::legacy::slots as legacy;
use super::version::Requested;
use crate::limits::PublicOperation;
use crate::scheduling::calendar::{Calendar, Exclusions};
use crate::scheduling::resolve::{self, EventTypeRef, Hosting};
use crate::state::AppState;
use crate::time_text::{local_date_and_iso, local_iso, parse_bound};
use axum::extract::State;
use axum::response::Response;
use convene_core::TimeZoneId;
use convene_core::schedule::Interval;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The version whose shapes `GET /v2/slots` speaks; others get the legacy ones.
const CURRENT: &str = "2024-09-04";
/// The widest window one request may ask for (bounds the work per request).
const MAX_WINDOW_DAYS: i64 = 93;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_slots))
        .routes(routes!(get_available_slots))
}

/// Available slots, keyed by date in `timeZone` (default UTC). Dates in `start`/`end` are read
/// in `timeZone` too; `end` as a date includes that whole day.
#[utoipa::path(get, path = "/v2/slots", tag = "Slots",
    params(
        ("cal-api-version" = String, Header, description = "2024-09-04; another version or none gets the 2024-04-15 shapes"),
        ("eventTypeId" = Option<i64>, Query), ("eventTypeSlug" = Option<String>, Query), ("username" = Option<String>, Query),
        ("teamSlug" = Option<String>, Query), ("organizationSlug" = Option<String>, Query), ("usernames" = Option<String>, Query),
        ("start" = String, Query), ("end" = String, Query), ("timeZone" = Option<String>, Query),
        ("duration" = Option<i64>, Query), ("format" = Option<String>, Query), ("bookingUidToReschedule" = Option<String>, Query)
    ),
    responses((status = 200, description = "`{status, data: {date: [{start}]}}`", body = Object)))]
#[tracing::instrument(skip_all)]
async fn get_slots(
    State(state): State<AppState>,
    version: Requested,
    caller: Caller,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    slots(&state, &caller, q, !version.is_current(CURRENT)).await
}

/// The legacy slots endpoint: `startTime`/`endTime`, `eventTypeId` or `eventTypeSlug` with
/// `usernameList`, answered `{slots: {date: [{time}]}}` whatever the version header says.
#[utoipa::path(get, path = "/v2/slots/available", tag = "Slots",
    params(
        ("eventTypeId" = Option<i64>, Query), ("eventTypeSlug" = Option<String>, Query), ("usernameList" = Option<String>, Query),
        ("startTime" = String, Query), ("endTime" = String, Query), ("timeZone" = Option<String>, Query),
        ("duration" = Option<i64>, Query), ("slotFormat" = Option<String>, Query), ("rescheduleUid" = Option<String>, Query)
    ),
    responses((status = 200, description = "`{status, data: {slots: {date: [{time}]}}}`", body = Object)))]
#[tracing::instrument(skip_all)]
async fn get_available_slots(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    slots(&state, &caller, q, true).await
}

/// Both versions' work; `legacy` reads the legacy parameter names and answers the legacy shape.
async fn slots(state: &AppState, caller: &Caller, q: QueryPairs, legacy: bool) -> Result<Response, ApiError> {
    let q = if legacy { legacy::query(q) } else { q };
    caller.limit(state, PublicOperation::Slots).await?;
    let usernames = q.all("usernames");
    let hosted = if usernames.is_empty() {
        let event_type_id = q.int("eventTypeId", 1, i64::MAX)?;
        resolve::event_type(
            &state.db,
            EventTypeRef {
                id: event_type_id,
                slug: q.get("eventTypeSlug"),
                username: q.get("username"),
                team_slug: q.get("teamSlug"),
                organization_slug: q.get("organizationSlug"),
            },
        )
        .await?
    } else {
        // Dynamic group events default to 30 minutes, as in Cal.com.
        resolve::dynamic(&state.db, &usernames, q.int("duration", 1, 1440)?.unwrap_or(30)).await?
    };
    let event = &hosted.event;
    let zone_name = q.get("timeZone").unwrap_or("UTC");
    let zone = TimeZoneId::parse("timeZone", zone_name)?;
    let tz = TimeZone::get(zone.as_str()).map_err(|_| ApiError::field("timeZone", "is not a known time zone"))?;
    let start = parse_bound(
        "start",
        q.get("start").ok_or_else(|| ApiError::field("start", "is required"))?,
        &tz,
        false,
    )?;
    let end = parse_bound(
        "end",
        q.get("end").ok_or_else(|| ApiError::field("end", "is required"))?,
        &tz,
        true,
    )?;
    let window = Interval::new(start, end).ok_or_else(|| ApiError::field("end", "must be after start"))?;
    if window.duration().as_secs() > MAX_WINDOW_DAYS * 86_400 {
        return Err(ApiError::field(
            "end",
            format!("the window may span at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    let length = resolve::length(event, "duration", q.int("duration", 1, 525_600)?)?;
    let range = match q.get("format").filter(|f| !f.is_empty()) {
        None | Some("time") => false,
        Some("range") => true,
        Some(other) => {
            return Err(ApiError::field(
                "format",
                format!("'{other}' must be 'time' or 'range'"),
            ));
        }
    };
    let except = Exclusions {
        booking_uid: q.get("bookingUidToReschedule"),
        reservation_uid: None,
    };
    let now = Timestamp::now();
    // Collective: a slot every host has free; round robin: a slot any host has free.
    let mut slots: Option<BTreeSet<Timestamp>> = None;
    for host in &hosted.hosts {
        let calendar = Calendar::load(&state.db, host, event, length, window, except).await?;
        let free: BTreeSet<Timestamp> = calendar.free_slots(window, now).into_iter().collect();
        slots = Some(match (slots, hosted.hosting) {
            (None, _) => free,
            (Some(acc), Hosting::RoundRobin) => acc.union(&free).copied().collect(),
            (Some(acc), _) => acc.intersection(&free).copied().collect(),
        });
    }
    let slots = slots.unwrap_or_default();
    if legacy {
        let zone = q.get("timeZone").map(|_| &tz);
        return Ok(envelope::ok(legacy::output(&slots, zone, range.then_some(length))));
    }

    let mut by_date: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let length_ms = length * 60_000;
    for slot in slots {
        let (day, start) = local_date_and_iso(slot, &tz);
        let mut entry = json!({ "start": start });
        if range {
            let end = Timestamp::from_millisecond(slot.as_millisecond() + length_ms).unwrap_or(slot);
            entry["end"] = json!(local_iso(end, &tz));
        }
        by_date.entry(day).or_default().push(entry);
    }
    Ok(envelope::ok(by_date))
}
