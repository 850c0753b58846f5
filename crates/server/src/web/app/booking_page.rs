//! One booking in the app (`/bookings/{uid}`): when, where, who, and the host's actions — confirm or decline a
//! request, cancel, send the attendee's reschedule link or ask them to pick a new time, mark who did not show up,
//! add a guest, change the place. The forms post to [`super::booking_actions`]. Only its organizer and co-hosts see
//! it; the organizer alone decides, marks absences and moves it, as the API allows.

use super::shell::{Host, Nav, Refusal, Section};
use crate::booking_links::{self, LinkAction};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::time_text::local_iso;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_core::BookingStatus;
use convene_store::bookings::{self, BookingRecord};
use convene_store::event_types;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::Value;

/// How the signed-in user stands to a booking.
pub(super) struct Reached {
    pub booking: BookingRecord,
    /// Its organizer (not only a co-host).
    pub organizer: bool,
}

/// The booking `uid` if the user organizes or co-hosts it; anyone else's is "not found".
pub(super) async fn reach(state: &AppState, host: &Host, uid: &str) -> Result<Reached, Refusal> {
    if uid.is_empty() || uid.len() > 200 {
        return Err(Refusal::NotFound(host.t));
    }
    let booking = bookings::find_by_uid(&state.db, uid)
        .await?
        .ok_or(Refusal::NotFound(host.t))?;
    if booking.host_id == host.user.id {
        return Ok(Reached {
            booking,
            organizer: true,
        });
    }
    let co_host = bookings::co_hosts(&state.db, &[booking.id])
        .await?
        .iter()
        .any(|(_, user)| *user == host.user.id);
    if co_host {
        Ok(Reached {
            booking,
            organizer: false,
        })
    } else {
        Err(Refusal::NotFound(host.t))
    }
}

pub(crate) struct Person {
    pub name: String,
    pub email: String,
    pub is_guest: bool,
    pub absent: bool,
}

#[derive(Template)]
#[template(path = "app/booking.html")]
struct DetailPage {
    nav: Nav,
    t: Lang,
    uid: String,
    title: String,
    /// Start and end in the user's zone, and the zone's name.
    when: String,
    status: String,
    status_label: String,
    location: String,
    event_type: String,
    reason: Option<String>,
    people: Vec<Person>,
    absent_host: bool,
    /// Confirm and decline (a request, for its organizer).
    can_decide: bool,
    /// Accepted or pending and not over: cancel, reschedule, guests, place.
    live: bool,
    organizer: bool,
    /// Mark absences (accepted, organizer).
    can_mark: bool,
    /// The attendee's reschedule page (as in their email).
    reschedule_href: Option<String>,
    /// The event type's location kinds (code, label) to move the booking to.
    kinds: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// The message of a `?notice=` after an action.
fn notice_of(t: Lang, query: Result<Query<NoticeQuery>, QueryRejection>) -> Option<String> {
    let key = match query.ok()?.0.notice?.as_str() {
        "confirm" => "app-bd-confirmed",
        "decline" => "app-bd-declined",
        "cancel" => "app-bd-cancelled",
        "request-reschedule" => "app-bd-reschedule-requested",
        "no-show" => "app-bd-absence-saved",
        "guests" => "app-bd-guest-added",
        "location" => "app-bd-location-saved",
        _ => return None,
    };
    Some(t.text(key))
}

/// `YYYY-MM-DD HH:MM` of `at` in `zone`.
pub(super) fn local_minute(at: Timestamp, zone: &TimeZone) -> String {
    let local = local_iso(at, zone);
    local.get(..16).unwrap_or(&local).replace('T', " ")
}

/// A booking status in the page's language.
pub(super) fn status_label(t: Lang, status: BookingStatus) -> String {
    t.text(&format!("app-bd-status-{status}"))
}

/// Renders the page of `reached` with a notice or an error.
pub(super) async fn page(
    state: &AppState,
    host: &Host,
    status: StatusCode,
    reached: &Reached,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, Refusal> {
    let b = &reached.booking;
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let end = local_minute(b.end_at, &zone);
    let when = format!(
        "{} – {} ({})",
        local_minute(b.start_at, &zone),
        end.get(11..).unwrap_or(&end),
        host.user.time_zone
    );
    let event = match b.event_type_id {
        Some(id) => event_types::find(&state.db, id).await?,
        None => None,
    };
    let kinds = event
        .as_ref()
        .map(|e| {
            serde_json::from_str::<Vec<Value>>(&e.locations)
                .unwrap_or_default()
                .iter()
                .filter_map(|l| l.get("type").and_then(Value::as_str).map(str::to_owned))
                .map(|code| {
                    let label = host.t.text(&format!("app-et-location-{code}"));
                    (code, label)
                })
                .collect()
        })
        .unwrap_or_default();
    let people = bookings::attendees(&state.db, &[b.id])
        .await?
        .into_iter()
        .map(|a| Person {
            name: a.name,
            email: a.email,
            is_guest: a.is_guest,
            absent: a.absent,
        })
        .collect();
    let open = b.status.is_live();
    let live = open && b.end_at >= Timestamp::now();
    let view = DetailPage {
        nav: host.nav(state, Section::Bookings).await?,
        t: host.t,
        uid: b.uid.clone(),
        title: b.title.clone(),
        when,
        status: b.status.to_string(),
        status_label: status_label(host.t, b.status),
        location: b.location.clone().unwrap_or_default(),
        event_type: event.map(|e| e.title).unwrap_or_default(),
        reason: b.cancellation_reason.clone().or_else(|| b.rescheduling_reason.clone()),
        people,
        absent_host: b.absent_host,
        can_decide: reached.organizer && b.status == BookingStatus::Pending,
        live,
        organizer: reached.organizer,
        can_mark: reached.organizer && b.status == BookingStatus::Accepted,
        reschedule_href: live
            .then(|| booking_links::path(&state.keyring, &b.uid, LinkAction::Reschedule))
            .flatten(),
        kinds,
        notice,
        error,
    };
    Ok(render(status, &view))
}

/// `GET /bookings/{uid}`.
pub async fn detail(
    State(state): State<AppState>,
    Path(uid): Path<String>,
    host: Host,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let reached = reach(&state, &host, &uid).await?;
    let notice = notice_of(host.t, query);
    page(&state, &host, StatusCode::OK, &reached, notice, None).await
}
