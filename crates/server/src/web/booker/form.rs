//! Holding a chosen slot (`POST /booking/hold`), the booking form (`GET /booking/form`) and booking
//! (`POST /booking/form`). A slot taken meanwhile brings the form back with fresh times to pick and every answer
//! kept; a field error brings it back with the message beside the field.

use super::calendar_page::{group_names, group_segment, offered, rescheduling};
use super::fields::{self, FieldView, LocationChoice, Questions};
use super::month;
use super::page::{self, View};
use super::params::{Params, href, local_path};
use crate::i18n::Lang;
use crate::limits::{LimitKey, PublicOperation};
use crate::scheduling::booking::{self, AttendeeInput, BookingError, BookingRequest, parse_guests};
use crate::scheduling::calendar::Exclusions;
use crate::scheduling::hold::{self, HoldError};
use crate::scheduling::reschedule::{self, Move, RescheduleError};
use crate::scheduling::resolve::{self, EventTypeRef, Hosted};
use crate::scheduling::slots::free_starts;
use crate::state::AppState;
use crate::time_text::{parse_instant, ts, utc_iso};
use crate::web::respond::same_origin;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::schedule::Interval;
use convene_core::{EmailAddress, HeaderText};
use convene_store::bookings::BookingRecord;
use jiff::Timestamp;
use serde_json::Value;

/// How long a slot stays held while the form is filled in.
const HOLD_MINUTES: i64 = 10;

/// What the booking form step knows: the event type, the slot and the invitee's view.
struct Step {
    hosted: Hosted,
    start: Timestamp,
    length: i64,
    view: View,
}

async fn step(state: &AppState, params: &Params, headers: &HeaderMap) -> Result<Step, Response> {
    let lang = params.lang(headers);
    let id = params.get("event").and_then(|v| v.parse::<i64>().ok());
    let group = params.get("group").and_then(group_names);
    let start = params.get("start").and_then(|s| parse_instant("start", s).ok());
    let Some(start) = start else {
        return Err(page::not_found(lang));
    };
    let found = match (id, group) {
        (Some(id), _) => {
            let named = EventTypeRef {
                id: Some(id),
                ..EventTypeRef::default()
            };
            resolve::event_type(&state.db, named).await
        }
        (None, Some(names)) => resolve::dynamic(&state.db, &names, resolve::DYNAMIC_LENGTH).await,
        (None, None) => return Err(page::not_found(lang)),
    };
    let hosted = match found {
        Ok(h) if offered(state, params, &h).await? => h,
        Ok(_)
        | Err(
            resolve::ResolveError::EventTypeNotFound
            | resolve::ResolveError::NoHosts
            | resolve::ResolveError::Invalid(_),
        ) => {
            return Err(page::not_found(lang));
        }
        Err(e) => return Err(page::internal(lang, e)),
    };
    let length = params
        .get("duration")
        .and_then(|d| d.parse().ok())
        .and_then(|d| resolve::length(&hosted.event, "duration", Some(d)).ok())
        .unwrap_or(hosted.event.length_minutes);
    let host = &hosted.hosts[0];
    let view = View::of(params, headers, &host.time_zone, host.time_format != 12);
    Ok(Step {
        hosted,
        start,
        length,
        view,
    })
}

/// The booker again, at the slot's day, saying why (the slot was taken).
fn back_to_booker(params: &Params, start: Timestamp, view: &View, notice: &str) -> Response {
    let back = local_path(params.get("back")).unwrap_or("/");
    let day = view.tz.to_datetime(start).date();
    let month = format!("{:04}-{:02}", day.year(), day.month());
    let target = href(
        back,
        &params.carried(true),
        &[("month", &month), ("date", &day.to_string()), ("notice", notice)],
    );
    Redirect::to(&target).into_response()
}

/// `POST /booking/hold`: hold the chosen slot, then show the form (303 to `GET /booking/form`).
pub async fn hold_slot(
    State(state): State<AppState>,
    client: crate::limits::ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(&body);
    let lang = params.lang(&headers);
    if !same_origin(&headers) {
        return page::message(
            StatusCode::FORBIDDEN,
            lang,
            &lang.text("error-title"),
            &lang.text("form-expired"),
            None,
        );
    }
    let step = match step(&state, &params, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let operation = LimitKey::Public {
        operation: PublicOperation::Reservation,
        client,
    };
    if let Err(refused) = page::within_limit(&state, lang, operation).await {
        return refused;
    }
    let mut pairs = params.carried(true);
    for name in ["event", "back"] {
        if let Some(v) = params.get(name) {
            pairs.push((name.into(), v.into()));
        }
    }
    if step.hosted.stored_event_type_id().is_none() {
        pairs.push(("group".into(), group_segment(&step.hosted)));
    }
    pairs.push(("start".into(), utc_iso(step.start)));
    pairs.push(("duration".into(), step.length.to_string()));
    // A reschedule's own booking does not block its new time (moving by half an hour overlaps it).
    let Ok(moving) = rescheduling(&state, &params).await else {
        return super::manage::link_problem(lang, StatusCode::FORBIDDEN, "link-invalid");
    };
    let except = Exclusions {
        booking_uid: moving.as_ref().map(|b| b.uid.as_str()),
        reservation_uid: None,
    };
    match hold::hold(&state.db, &step.hosted, step.start, step.length, HOLD_MINUTES, except).await {
        Ok(held) => Redirect::to(&href("/booking/form", &pairs, &[("hold", &held.uid)])).into_response(),
        Err(HoldError::NotHoldable) => Redirect::to(&href("/booking/form", &pairs, &[])).into_response(),
        Err(HoldError::SlotUnavailable | HoldError::OutOfRange) => {
            back_to_booker(&params, step.start, &step.view, "taken")
        }
        Err(HoldError::Store(e)) => page::internal(lang, e),
    }
}

struct SlotChoice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "booker/form.html")]
struct FormPage {
    t: Lang,
    title: String,
    host_name: String,
    when: String,
    back_href: String,
    notice: Option<String>,
    has_errors: bool,
    rescheduling: bool,
    name: String,
    name_error: Option<String>,
    email: String,
    email_error: Option<String>,
    notes: String,
    notes_error: Option<String>,
    show_notes: bool,
    notes_required: bool,
    guests: String,
    guests_error: Option<String>,
    show_guests: bool,
    reason: String,
    fields: Vec<FieldView>,
    locations: Vec<LocationChoice>,
    hidden: Vec<(String, String)>,
    fresh: Vec<SlotChoice>,
}

/// Everything the form shows, filled from `params`; errors only when `check`.
struct Filled {
    page: FormPage,
    responses: serde_json::Map<String, Value>,
}

fn fill(step: &Step, params: &Params, check: bool, rescheduling: bool) -> Filled {
    let t = step.view.lang;
    let event = &step.hosted.event;
    let q = Questions::of(event);
    let (fields, mut responses) = fields::custom_fields(t, &q, params, check);
    let value = |n: &str| params.get(n).unwrap_or_default().to_owned();
    let required = |v: &str| (check && v.trim().is_empty()).then(|| t.text("error-required"));
    let name = value("name");
    let email = value("email");
    let name_error = required(&name)
        .or_else(|| (check && HeaderText::parse("name", &name).is_err()).then(|| t.text("error-too-long")));
    let email_error = required(&email)
        .or_else(|| (check && EmailAddress::parse("email", &email).is_err()).then(|| t.text("error-email")));
    let notes = value("notes");
    let notes_error = if q.notes_required && !q.notes_hidden {
        required(&notes)
    } else {
        None
    };
    if !notes.trim().is_empty() {
        responses.insert("notes".into(), Value::String(notes.trim().to_owned()));
    }
    let guests = value("guests");
    let guests_error = (check
        && guests
            .split([',', '\n', ' '])
            .filter(|g| !g.trim().is_empty())
            .any(|g| EmailAddress::parse("guests", g.trim()).is_err()))
    .then(|| t.text("error-email"));
    let locations = fields::location_choices(t, event, params, check);
    let mut hidden: Vec<(String, String)> = params.carried(false);
    for name in ["event", "back", "hold"] {
        if let Some(v) = params.get(name) {
            hidden.push((name.into(), v.into()));
        }
    }
    if step.hosted.stored_event_type_id().is_none() {
        hidden.push(("group".into(), group_segment(&step.hosted)));
    }
    hidden.push(("start".into(), utc_iso(step.start)));
    hidden.push(("duration".into(), step.length.to_string()));
    let end = ts(step.start.as_millisecond() + step.length * 60_000);
    let has_errors = [&name_error, &email_error, &notes_error, &guests_error]
        .iter()
        .any(|e| e.is_some())
        || fields.iter().any(|f| f.error.is_some())
        || locations.iter().any(|l| l.error.is_some());
    let day = step.view.tz.to_datetime(step.start).date();
    let back = local_path(params.get("back")).unwrap_or("/");
    Filled {
        responses,
        page: FormPage {
            t,
            title: match step.hosted.stored_event_type_id() {
                Some(_) => event.title.clone(),
                None => t.text("group-meeting"),
            },
            // Everyone the booker named; a collective event's hosts all attend.
            host_name: step
                .hosted
                .hosts
                .iter()
                .map(|h| h.name.clone().unwrap_or_else(|| h.username.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            when: month::span_label(t, step.start, end, &step.view.tz, &step.view.zone, step.view.h24),
            back_href: href(
                back,
                &params.carried(true),
                &[
                    ("month", &format!("{:04}-{:02}", day.year(), day.month())),
                    ("date", &day.to_string()),
                ],
            ),
            notice: None,
            has_errors: has_errors && !rescheduling,
            rescheduling,
            name,
            name_error,
            email,
            email_error,
            notes,
            notes_error,
            show_notes: !q.notes_hidden,
            notes_required: q.notes_required,
            guests,
            guests_error,
            show_guests: !q.guests_hidden,
            reason: value("reason"),
            fields,
            // One fixed location needs no choice; one the invitee gives needs its input.
            locations: if locations.len() > 1 || locations.iter().any(|l| l.asks.is_some()) {
                locations
            } else {
                Vec::new()
            },
            hidden,
            fresh: Vec::new(),
        },
    }
}

/// `GET /booking/form`: the form for a held (or, for team events, chosen) slot.
pub async fn form_page(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let params = Params::from_query(query.as_deref());
    let step = match step(&state, &params, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(moving) = rescheduling(&state, &params).await else {
        return super::manage::link_problem(step.view.lang, StatusCode::FORBIDDEN, "link-invalid");
    };
    page::render(StatusCode::OK, &fill(&step, &params, false, moving.is_some()).page)
}

/// Free times near the taken one (its day and the two after, at most twelve), to pick without leaving the form.
async fn fresh_slots(state: &AppState, step: &Step, except: Option<&str>) -> Vec<SlotChoice> {
    let day = step.view.tz.to_datetime(step.start).date();
    let Ok(from) = step
        .view
        .tz
        .to_zoned(day.to_datetime(jiff::civil::Time::midnight()))
        .map(|z| z.timestamp())
    else {
        return Vec::new();
    };
    let now = Timestamp::now();
    let Some(window) = Interval::new(from.max(now), ts(from.as_millisecond() + 3 * 86_400_000)) else {
        return Vec::new();
    };
    let except = Exclusions {
        booking_uid: except,
        reservation_uid: None,
    };
    match free_starts(
        &state.db,
        &state.slot_work,
        &step.hosted,
        step.length,
        window,
        except,
        now,
    )
    .await
    {
        Ok(free) => free
            .starts
            .into_iter()
            .take(12)
            .map(|s| SlotChoice {
                value: utc_iso(s),
                label: format!(
                    "{}, {}",
                    month::day_label(step.view.lang, step.view.tz.to_datetime(s).date()),
                    month::time_label(s, &step.view.tz, step.view.h24)
                ),
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "fresh slots failed");
            Vec::new()
        }
    }
}

/// The form again after the slot was taken: fresh times to choose from, every answer kept.
async fn taken(state: &AppState, step: &Step, params: &Params, except: Option<&str>, rescheduling: bool) -> Response {
    let mut filled = fill(step, params, false, rescheduling).page;
    filled.notice = Some(step.view.lang.text("slot-taken"));
    filled.hidden.retain(|(k, _)| k != "start" && k != "hold");
    filled.fresh = fresh_slots(state, step, except).await;
    page::render(StatusCode::CONFLICT, &filled)
}

fn result_href(booking: &BookingRecord, params: &Params, view: &View) -> String {
    let lang = view.lang.code();
    let clock = if view.h24 { "24" } else { "12" };
    // Inside the embed, the page tells the embedding site about the booking just made.
    let embed: Vec<(String, String)> = params
        .carried(false)
        .into_iter()
        .filter(|(k, _)| k == "embed")
        .chain(std::iter::once(("booked".to_owned(), "1".to_owned())))
        .collect();
    href(
        &format!("/booking/{}", booking.uid),
        &embed,
        &[("lang", lang), ("tz", &view.zone), ("clock", clock)],
    )
}

/// `POST /booking/form`: book (or move) the slot; 303 to the booking's page.
pub async fn submit(
    State(state): State<AppState>,
    client: crate::limits::ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(&body);
    let lang = params.lang(&headers);
    if !same_origin(&headers) {
        return page::message(
            StatusCode::FORBIDDEN,
            lang,
            &lang.text("error-title"),
            &lang.text("form-expired"),
            None,
        );
    }
    let step = match step(&state, &params, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let t = step.view.lang;
    let operation = LimitKey::Public {
        operation: PublicOperation::Booking,
        client,
    };
    if let Err(refused) = page::within_limit(&state, t, operation).await {
        return refused;
    }
    let Ok(moving) = rescheduling(&state, &params).await else {
        return super::manage::link_problem(t, StatusCode::FORBIDDEN, "link-invalid");
    };
    if let Some(old) = moving {
        let reason = params
            .get("reason")
            .map(|r| r.trim().chars().take(1000).collect::<String>());
        let to = Move {
            start: step.start,
            reason,
            by: None,
            reservation_uid: params.get("hold").map(str::to_owned),
        };
        return match reschedule::reschedule(&state.db, &state.mailer, &old, to).await {
            Ok(created) => Redirect::to(&result_href(&created, &params, &step.view)).into_response(),
            Err(RescheduleError::Booking(BookingError::SlotUnavailable)) => {
                taken(&state, &step, &params, Some(&old.uid), true).await
            }
            Err(RescheduleError::Settled { .. } | RescheduleError::Booking(BookingError::ChangedMeanwhile)) => {
                super::manage::link_problem(t, StatusCode::GONE, "already-moved")
            }
            Err(e) => page::internal(t, e),
        };
    }
    let filled = fill(&step, &params, true, false);
    if filled.page.has_errors {
        return page::render(StatusCode::UNPROCESSABLE_ENTITY, &filled.page);
    }
    let email = filled.page.email.trim().to_lowercase();
    let attendee = AttendeeInput {
        name: Some(filled.page.name.trim().to_owned()),
        email: Some(email.clone()),
        time_zone: Some(step.view.zone.clone()),
        phone_number: None,
        language: Some(t.code().to_owned()),
    }
    .parse("attendee");
    let guest_list: Vec<String> = filled
        .page
        .guests
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    let (attendee, guests) =
        match attendee.and_then(|a| parse_guests(&step.hosted.event, Some(&guest_list), &a.email).map(|g| (a, g))) {
            Ok(ok) => ok,
            Err(e) => {
                // Shapes were checked above; what is left is a rule of the event type (e.g. no guests).
                let mut again = filled.page;
                again.guests_error = Some(t.refusal(&e));
                again.has_errors = true;
                return page::render(StatusCode::UNPROCESSABLE_ENTITY, &again);
            }
        };
    // A dynamic group has no event type to count against; its people are counted as recipients.
    let mut keys: Vec<LimitKey> = step
        .hosted
        .stored_event_type_id()
        .map(LimitKey::BookingEventType)
        .into_iter()
        .collect();
    for address in std::iter::once(&attendee.email).chain(guests.iter()) {
        if let Ok(parsed) = EmailAddress::parse("email", address) {
            keys.push(LimitKey::BookingRecipient(parsed));
        }
    }
    for key in keys {
        if let Err(refused) = page::within_limit(&state, t, key).await {
            return refused;
        }
    }
    let metadata = params.metadata();
    let location = fields::location_value(&step.hosted.event, &filled.page.locations);
    let request = BookingRequest {
        start: step.start,
        length_minutes: step.length,
        attendee,
        guests,
        responses: filled.responses,
        metadata: (!metadata.is_empty()).then_some(metadata),
        location,
        rescheduled_from: None,
        reservation_uid: params.get("hold").map(str::to_owned),
        rescheduling_reason: None,
        private_link: params.get("privateLink").map(str::to_owned),
        routing_form_response_id: params.get("routingFormResponseId").and_then(|id| id.parse().ok()),
    };
    let outcome = booking::create(&state.db, &state.mailer, &step.hosted, request).await;
    match outcome {
        Ok(created) => Redirect::to(&result_href(&created, &params, &step.view)).into_response(),
        Err(BookingError::SlotUnavailable | BookingError::AlreadySeated) => {
            taken(&state, &step, &params, None, false).await
        }
        Err(BookingError::PrivateLinkUsedUp) => {
            super::manage::link_problem(t, StatusCode::GONE, "private-link-expired")
        }
        Err(BookingError::Invalid(e)) => {
            let mut again = fill(&step, &params, true, false).page;
            again.notice = Some(format!("{}: {}", e.field, t.refusal(&e)));
            page::render(StatusCode::UNPROCESSABLE_ENTITY, &again)
        }
        Err(e) => page::internal(t, e),
    }
}
