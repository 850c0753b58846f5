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
use crate::scheduling::calendar::Exclusions;
use crate::scheduling::resolve::{self, EventTypeRef};
use crate::scheduling::seats::SeatCount;
use crate::scheduling::slots::free_starts;
use crate::state::AppState;
use crate::time_text::{parse_bound, push_date, push_local_iso};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use convene_core::TimeZoneId;
use convene_core::schedule::Interval;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
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
    responses(
        (status = 200, description = "`{status, data: {date: [{start}]}}`", body = Object),
        (status = 400, description = "Bad input, or a window holding more candidate starts than one answer may (`end`)"),
        (status = 503, description = "Too many slot listings in flight; `Retry-After` says when to retry"),
    ))]
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
    listing(state, &q, legacy).await
}

/// The slots of `event_type_id` for a routing form's answer, read from `q` as `GET /v2/slots` reads it: the
/// `data` of its answer (`{date: [{start[, end]}]}`).
pub(super) async fn for_event_type(
    state: &AppState,
    event_type_id: i64,
    q: &QueryPairs,
) -> Result<serde_json::Value, ApiError> {
    let mut pairs: Vec<(String, String)> =
        q.0.iter()
            .filter(|(k, _)| k != "eventTypeId" && k != "usernames")
            .cloned()
            .collect();
    pairs.push(("eventTypeId".to_owned(), event_type_id.to_string()));
    let response = listing(state, &QueryPairs(pairs), false).await?;
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(body["data"].take())
}

/// The listing itself, once the caller passed the rate limit.
async fn listing(state: &AppState, q: &QueryPairs, legacy: bool) -> Result<Response, ApiError> {
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
    let free = free_starts(
        &state.db,
        &state.slot_work,
        &hosted,
        length,
        window,
        except,
        Timestamp::now(),
    )
    .await?;
    // `free.room` is held until the answer is built: the budget bounds the answer's memory too.
    if legacy {
        let zone = q.get("timeZone").map(|_| &tz);
        return Ok(envelope::ok(legacy::output(
            &free.starts,
            zone,
            range.then_some(length),
        )));
    }
    let body = answer(&free.starts, &tz, SignedDuration::from_mins(length), range, &free.seats);
    drop(free);
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The answer's JSON, `{"status":"success","data":{"<local date>":[{"start":…[,"end":…]}…]…}}`, written
/// straight into one buffer: a listing may hold thousands of slots, and a JSON value per slot cost more time
/// and memory than the slots themselves. Every string written is digits and ASCII punctuation (no escaping).
///
/// A seated event type's slots also say their seats (`SeatedSlot_2024_09_04`): `seatsBooked`, `seatsRemaining`,
/// `seatsTotal`, and the `bookingUid` holding them once there is one.
fn answer(
    slots: &[Timestamp],
    tz: &TimeZone,
    length: SignedDuration,
    range: bool,
    seats: &HashMap<Timestamp, SeatCount>,
) -> String {
    let local: Vec<(Date, Offset)> = slots
        .iter()
        .map(|&at| {
            let offset = tz.to_offset(at);
            (offset.to_datetime(at).date(), offset)
        })
        .collect();
    // Local dates follow the instants except where clocks go back across midnight (daylight time ending after
    // 00:00 returns to the day before); a stable sort then files those slots under their date, in time order, as
    // a map would.
    let mut order: Vec<usize> = (0..slots.len()).collect();
    if local.windows(2).any(|w| w[1].0 < w[0].0) {
        order.sort_by_key(|&i| local[i].0);
    }
    let per_slot = if range { 78 } else { 42 };
    let mut out = String::with_capacity(48 + slots.len() * per_slot);
    out.push_str(r#"{"status":"success","data":{"#);
    let mut day: Option<Date> = None;
    for i in order {
        let (date, offset) = local[i];
        match day {
            Some(d) if d == date => out.push(','),
            _ => {
                if day.is_some() {
                    out.push_str("],");
                }
                out.push('"');
                push_date(&mut out, date);
                out.push_str(r#"":["#);
                day = Some(date);
            }
        }
        out.push_str(r#"{"start":""#);
        push_local_iso(&mut out, slots[i], offset);
        if range {
            let end = slots[i].checked_add(length).unwrap_or(slots[i]);
            out.push_str(r#"","end":""#);
            push_local_iso(&mut out, end, tz.to_offset(end));
        }
        out.push('"');
        if let Some(seat) = seats.get(&slots[i]) {
            push_seats(&mut out, seat);
        }
        out.push('}');
    }
    if day.is_some() {
        out.push(']');
    }
    out.push_str("}}");
    out
}

/// `,"seatsBooked":…,"seatsRemaining":…,"seatsTotal":…[,"bookingUid":"…"]` (uids are URL-safe characters: no
/// escaping).
fn push_seats(out: &mut String, seat: &SeatCount) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        r#","seatsBooked":{},"seatsRemaining":{},"seatsTotal":{}"#,
        seat.booked,
        (seat.total - seat.booked).max(0),
        seat.total
    );
    if let Some(uid) = &seat.booking_uid {
        let _ = write!(out, r#","bookingUid":"{uid}""#);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn every_quarter_hour(from: &str, count: i64) -> Vec<Timestamp> {
        (0..count)
            .map(|k| at(from) + SignedDuration::from_mins(15 * k))
            .collect()
    }

    #[test]
    fn the_answer_is_the_envelope_keyed_by_local_date() {
        let tz = TimeZone::get("Asia/Kolkata").expect("zone");
        let slots = [at("2030-01-01T18:00:00Z"), at("2030-01-01T18:30:00Z")];
        let body: Value = serde_json::from_str(&answer(
            &slots,
            &tz,
            SignedDuration::from_mins(30),
            true,
            &HashMap::new(),
        ))
        .expect("json");
        assert_eq!(
            body,
            json!({"status": "success", "data": {
                "2030-01-01": [{"start": "2030-01-01T23:30:00.000+05:30", "end": "2030-01-02T00:00:00.000+05:30"}],
                "2030-01-02": [{"start": "2030-01-02T00:00:00.000+05:30", "end": "2030-01-02T00:30:00.000+05:30"}],
            }})
        );
        let empty: Value =
            serde_json::from_str(&answer(&[], &tz, SignedDuration::from_mins(30), false, &HashMap::new()))
                .expect("json");
        assert_eq!(empty, json!({"status": "success", "data": {}}));
    }

    #[test]
    fn clocks_going_back_over_midnight_keep_one_key_per_date_in_time_order() {
        // Daylight time (+04) ends at 00:30 on the last Sunday of October, back to 23:30 Saturday (+03).
        let tz = TimeZone::posix("AAA-3BBB-4,M3.5.0/0,M10.5.0/0:30").expect("posix zone");
        // 2030-10-27 is a Sunday; 00:00 local (+04) is 20:00Z on the 26th.
        let slots = every_quarter_hour("2030-10-26T19:30:00Z", 8);
        let text = answer(&slots, &tz, SignedDuration::from_mins(15), false, &HashMap::new());
        assert_eq!(text.matches("\"2030-10-26\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"2030-10-27\"").count(), 1, "{text}");
        let body: Value = serde_json::from_str(&text).expect("json");
        let starts = |d: &str| -> Vec<String> {
            body["data"][d]
                .as_array()
                .expect("date")
                .iter()
                .map(|s| s["start"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(
            starts("2030-10-26"),
            [
                "2030-10-26T23:30:00.000+04:00",
                "2030-10-26T23:45:00.000+04:00",
                "2030-10-26T23:30:00.000+03:00",
                "2030-10-26T23:45:00.000+03:00"
            ]
        );
        assert_eq!(starts("2030-10-27").len(), 4);
    }
}
