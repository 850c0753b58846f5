//! A booking's own pages: `/booking/{uid}` (the result: confirmed or waiting, the time in the invitee's zone,
//! add-to-calendar links, Reschedule and Cancel), the `.ics` download, and the pages behind the links in booking
//! emails — cancel, reschedule, and the host's confirm and decline — which work without signing in because each
//! carries a token bound to the booking and the action. A used or outdated link says what happened instead.

use super::month;
use super::page::{self, View};
use super::params::{Params, href};
use crate::booking_links::{self, LinkAction};
use crate::i18n::Lang;
use crate::scheduling::resolve::DYNAMIC_SLUG;
use crate::scheduling::status::{self, StatusError};
use crate::state::AppState;
use crate::time_text::utc_iso;
use crate::web::respond::same_origin;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::BookingStatus;
use convene_core::ics::{IcsEvent, Method, Party};
use convene_store::bookings::{self, AttendeeRecord, BookingRecord};
use convene_store::users::UserRecord;
use convene_store::{StoreError, event_types, teams, users};
use jiff::Timestamp;

/// A page explaining why a link can't be used (`key` names the message).
pub fn link_problem(t: Lang, status: StatusCode, key: &str) -> Response {
    page::message(status, t, &t.text("link-invalid-title"), &t.text(key), None)
}

struct Loaded {
    booking: BookingRecord,
    host: Option<UserRecord>,
    people: Vec<AttendeeRecord>,
    view: View,
}

async fn load(state: &AppState, uid: &str, params: &Params, headers: &HeaderMap) -> Result<Loaded, Response> {
    let fallback = params.lang(headers);
    let booking = match bookings::find_by_uid(&state.db, uid).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(page::not_found(fallback)),
        Err(e) => return Err(page::internal(fallback, e)),
    };
    let people = bookings::attendees(&state.db, &[booking.id])
        .await
        .map_err(|e| page::internal(fallback, e))?;
    let host = users::find(&state.db, booking.host_id)
        .await
        .map_err(|e| page::internal(fallback, e))?;
    let main = people.iter().find(|a| !a.is_guest);
    // The invitee's own language and zone, unless the address says otherwise.
    // The invitee's own language when neither the address nor the browser asks for one.
    let mut with_defaults = params.clone();
    if params.get("lang").is_none()
        && headers.get(header::ACCEPT_LANGUAGE).is_none()
        && let Some(l) = main.and_then(|m| Lang::from_tag(&m.language))
    {
        with_defaults.push("lang", l.code());
    }
    let zone = main.map_or("UTC", |m| m.time_zone.as_str());
    let h24 = host.as_ref().is_none_or(|h| h.time_format != 12);
    let view = View::of(&with_defaults, headers, zone, h24);
    Ok(Loaded {
        booking,
        host,
        people,
        view,
    })
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Google Calendar and Outlook "add event" links.
fn calendar_links(b: &BookingRecord) -> (String, String) {
    let (start, end) = (b.start_at, b.end_at);
    let title = encode(&b.title);
    let details = encode(&b.description);
    let location = encode(b.location.as_deref().unwrap_or_default());
    let google = format!(
        "https://calendar.google.com/calendar/r/eventedit?dates={}/{}&text={title}&details={details}&location={location}",
        start.strftime("%Y%m%dT%H%M%SZ"),
        end.strftime("%Y%m%dT%H%M%SZ")
    );
    let outlook = format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&startdt={}&enddt={}&subject={title}&body={details}&location={location}",
        encode(&utc_iso(start)),
        encode(&utc_iso(end))
    );
    (google, outlook)
}

#[derive(Template)]
#[template(path = "booker/result.html")]
struct ResultPage {
    t: Lang,
    uid: String,
    start_iso: String,
    end_iso: String,
    status: String,
    heading: String,
    sub: Option<String>,
    title: String,
    when: String,
    who: Vec<String>,
    location: Option<String>,
    google: String,
    outlook: String,
    ics: String,
    reschedule: Option<String>,
    cancel: Option<String>,
    moved_to: Option<String>,
    done: Option<String>,
}

/// `GET /booking/{uid}`: the booking's page. The uid is the capability, as in Cal.com (and as the API treats it).
pub async fn result(
    State(state): State<AppState>,
    Path(uid): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let l = match load(&state, &uid, &params, &headers).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let t = l.view.lang;
    let b = &l.booking;
    let host_name = l
        .host
        .as_ref()
        .map(|h| h.name.clone().unwrap_or_else(|| h.username.clone()))
        .unwrap_or_default();
    let (heading, sub) = match b.status {
        BookingStatus::Accepted => (t.text("result-accepted"), Some(t.text("result-accepted-sub"))),
        BookingStatus::Pending => (
            t.text("result-pending"),
            Some(t.text_with("result-pending-sub", &[("host", &host_name)])),
        ),
        BookingStatus::Rejected => (t.text("result-rejected"), None),
        _ if b.rescheduled_to_uid.is_some() => (t.text("result-rescheduled"), None),
        _ => (t.text("result-cancelled"), None),
    };
    let live = b.status.is_live() && b.end_at > Timestamp::now();
    let keep = [
        ("lang".to_owned(), t.code().to_owned()),
        ("tz".to_owned(), l.view.zone.clone()),
    ];
    let action = |a: LinkAction| {
        live.then(|| booking_links::token(&state.keyring, &b.uid, a))
            .flatten()
            .map(|token| {
                href(
                    &format!("/booking/{}/{}", b.uid, a.as_str()),
                    &keep,
                    &[("token", &token)],
                )
            })
    };
    let (google, outlook) = calendar_links(b);
    let page = ResultPage {
        t,
        uid: b.uid.clone(),
        start_iso: utc_iso(b.start_at),
        end_iso: utc_iso(b.end_at),
        status: b.status.to_string(),
        heading,
        sub,
        title: b.title.clone(),
        when: month::span_label(t, b.start_at, b.end_at, &l.view.tz, &l.view.zone, l.view.h24),
        who: std::iter::once(host_name)
            .chain(l.people.iter().map(|a| a.name.clone()))
            .collect(),
        location: b.location.clone(),
        google,
        outlook,
        ics: format!("/booking/{}/ics", b.uid),
        reschedule: action(LinkAction::Reschedule),
        cancel: action(LinkAction::Cancel),
        done: match params.get("done") {
            Some("confirmed") => Some(t.text("confirmed")),
            Some("declined") => Some(t.text("declined")),
            _ => None,
        },
        moved_to: b
            .rescheduled_to_uid
            .as_ref()
            .map(|to| href(&format!("/booking/{to}"), &keep, &[])),
    };
    page::render(StatusCode::OK, &page)
}

/// `GET /booking/{uid}/ics`: the booking as an `.ics` file to import.
pub async fn ics(State(state): State<AppState>, Path(uid): Path<String>, headers: HeaderMap) -> Response {
    let params = Params::default();
    let l = match load(&state, &uid, &params, &headers).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let b = &l.booking;
    let body = IcsEvent {
        method: Method::Publish,
        uid: b.ical_uid.clone(),
        sequence: b.ical_sequence,
        stamp: Timestamp::now(),
        start: b.start_at,
        end: b.end_at,
        summary: b.title.clone(),
        description: b.description.clone(),
        location: b.location.clone(),
        organizer: l.host.map_or(
            Party {
                name: String::new(),
                email: String::new(),
            },
            |h| Party {
                name: h.name.unwrap_or(h.username),
                email: h.email,
            },
        ),
        attendees: l
            .people
            .into_iter()
            .map(|a| Party {
                name: a.name,
                email: a.email,
            })
            .collect(),
        cancelled: !b.status.is_live(),
        rule: None,
        occurrence: None,
    }
    .render();
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"booking.ics\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Why a link's action can't happen now, from the booking's state; `None` when it can.
fn outdated(t: Lang, b: &BookingRecord, action: LinkAction) -> Option<Response> {
    let key = match (b.status, action) {
        (_, LinkAction::Cancel | LinkAction::Reschedule) if b.rescheduled_to_uid.is_some() => "already-moved",
        (BookingStatus::Cancelled, LinkAction::Cancel | LinkAction::Reschedule) => "already-cancelled",
        (BookingStatus::Accepted | BookingStatus::Pending, LinkAction::Cancel | LinkAction::Reschedule) => {
            if b.end_at <= Timestamp::now() {
                "link-expired"
            } else {
                return None;
            }
        }
        (BookingStatus::Pending, LinkAction::Confirm | LinkAction::Decline) => return None,
        (status, LinkAction::Confirm | LinkAction::Decline) => {
            let text = t.text_with("already-decided", &[("status", &t.text(&format!("status-{status}")))]);
            return Some(page::message(
                StatusCode::GONE,
                t,
                &t.text("link-invalid-title"),
                &text,
                None,
            ));
        }
        _ => "not-changeable",
    };
    let link = format!("/booking/{}", b.rescheduled_to_uid.as_deref().unwrap_or(&b.uid));
    Some(page::message(
        StatusCode::GONE,
        t,
        &t.text("link-invalid-title"),
        &t.text(key),
        Some((
            &t.text(if b.rescheduled_to_uid.is_some() {
                "result-see-new"
            } else {
                "result-cancelled"
            }),
            &link,
        )),
    ))
}

#[derive(Template)]
#[template(path = "booker/decide.html")]
struct DecidePage {
    t: Lang,
    heading: String,
    title: String,
    when: String,
    action: String,
    token: String,
    lang_code: &'static str,
    reason_label: Option<String>,
    submit: String,
    danger: bool,
    keep: Option<String>,
}

/// A link's page: the booking and one button (with a reason box for cancel and decline).
async fn link_page(
    state: &AppState,
    uid: &str,
    action: LinkAction,
    query: Option<String>,
    headers: &HeaderMap,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let l = match load(state, uid, &params, headers).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let t = l.view.lang;
    let token = params.get("token").unwrap_or_default();
    if !booking_links::verify(&state.keyring, uid, action, token) {
        return link_problem(t, StatusCode::FORBIDDEN, "link-invalid");
    }
    if let Some(gone) = outdated(t, &l.booking, action) {
        return gone;
    }
    let b = &l.booking;
    let when = month::span_label(t, b.start_at, b.end_at, &l.view.tz, &l.view.zone, l.view.h24);
    let (heading, reason, submit, danger) = match action {
        LinkAction::Cancel => ("cancel-title", Some("cancel-reason"), "cancel-submit", true),
        LinkAction::Confirm => ("confirm-title", None, "confirm-submit", false),
        LinkAction::Decline => ("confirm-title", Some("decline-reason"), "decline-submit", true),
        LinkAction::Reschedule => return reschedule_entry(state, b, &params, &l.view).await,
    };
    let page = DecidePage {
        t,
        heading: t.text(heading),
        title: b.title.clone(),
        when,
        action: format!("/booking/{uid}/{}", action.as_str()),
        token: token.to_owned(),
        lang_code: t.code(),
        reason_label: reason.map(|r| t.text(r)),
        submit: t.text(submit),
        danger,
        keep: (action == LinkAction::Cancel).then(|| href(&format!("/booking/{uid}"), &[], &[("lang", t.code())])),
    };
    page::render(StatusCode::OK, &page)
}

/// A reschedule link opens the booker of the booking's event type, carrying the booking and the token; a booking
/// without one (a dynamic group's) opens its hosts' group booker.
async fn reschedule_entry(state: &AppState, b: &BookingRecord, params: &Params, view: &View) -> Response {
    let t = view.lang;
    let path = match booker_path(state, b).await {
        Ok(Some(path)) => path,
        Ok(None) => return link_problem(t, StatusCode::GONE, "not-changeable"),
        Err(e) => return page::internal(t, e),
    };
    let target = href(
        &path,
        &[],
        &[
            ("rescheduleUid", &b.uid),
            ("token", params.get("token").unwrap_or_default()),
            ("lang", t.code()),
            ("tz", &view.zone),
        ],
    );
    Redirect::to(&target).into_response()
}

/// Where the booker of `b`'s event lives: its owner's or team's page, or for a booking without an event type the
/// group page of its hosts. None when that is gone.
async fn booker_path(state: &AppState, b: &BookingRecord) -> Result<Option<String>, StoreError> {
    let Some(id) = b.event_type_id else {
        let mut ids = vec![b.host_id];
        ids.extend(
            bookings::co_hosts(&state.db, &[b.id])
                .await?
                .into_iter()
                .map(|(_, u)| u),
        );
        let mut names = Vec::with_capacity(ids.len());
        for id in ids {
            match users::find(&state.db, id).await? {
                Some(u) => names.push(u.username),
                None => return Ok(None),
            }
        }
        return Ok(Some(format!("/{}/{DYNAMIC_SLUG}", names.join("+"))));
    };
    let Some(event) = event_types::find(&state.db, id).await? else {
        return Ok(None);
    };
    Ok(match (event.owner_id, event.team_id) {
        (Some(owner), _) => users::find(&state.db, owner)
            .await?
            .map(|u| format!("/{}/{}", u.username, event.slug)),
        (None, Some(team)) => teams::find(&state.db, team)
            .await?
            .map(|team| format!("/team/{}/{}", team.slug, event.slug)),
        (None, None) => None,
    })
}

/// `GET /booking/{uid}/{action}?token=…`.
pub async fn action_page(
    State(state): State<AppState>,
    Path((uid, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(action) = parse_action(&action) else {
        return page::not_found(Params::from_query(query.as_deref()).lang(&headers));
    };
    link_page(&state, &uid, action, query, &headers).await
}

fn parse_action(raw: &str) -> Option<LinkAction> {
    [
        LinkAction::Cancel,
        LinkAction::Reschedule,
        LinkAction::Confirm,
        LinkAction::Decline,
    ]
    .into_iter()
    .find(|a| a.as_str() == raw)
}

/// `POST /booking/{uid}/{action}` (cancel, confirm, decline) with the link's token; 303 to the booking's page.
pub async fn act(
    State(state): State<AppState>,
    Path((uid, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = Params::parse(&body);
    let t = params.lang(&headers);
    let Some(action) = parse_action(&action).filter(|a| *a != LinkAction::Reschedule) else {
        return page::not_found(t);
    };
    if !same_origin(&headers) {
        return page::message(
            StatusCode::FORBIDDEN,
            t,
            &t.text("error-title"),
            &t.text("form-expired"),
            None,
        );
    }
    let token = params.get("token").unwrap_or_default();
    if !booking_links::verify(&state.keyring, &uid, action, token) {
        return link_problem(t, StatusCode::FORBIDDEN, "link-invalid");
    }
    let booking = match bookings::find_by_uid(&state.db, &uid).await {
        Ok(Some(b)) => b,
        Ok(None) => return page::not_found(t),
        Err(e) => return page::internal(t, e),
    };
    if let Some(gone) = outdated(t, &booking, action) {
        return gone;
    }
    let reason = params
        .get("reason")
        .map(|r| r.trim().chars().take(1000).collect::<String>());
    let attendee = bookings::attendees(&state.db, &[booking.id])
        .await
        .ok()
        .and_then(|p| p.into_iter().find(|a| !a.is_guest).map(|a| a.email));
    let host_email = users::find(&state.db, booking.host_id)
        .await
        .ok()
        .flatten()
        .map(|h| h.email);
    let done = match action {
        LinkAction::Cancel => {
            status::cancel(&state.db, &state.mailer, &uid, reason.as_deref(), attendee.as_deref()).await
        }
        LinkAction::Confirm => status::confirm(&state.db, &state.mailer, &uid).await,
        _ => status::decline(&state.db, &state.mailer, &uid, reason.as_deref(), host_email.as_deref()).await,
    };
    match done {
        Ok(b) => {
            let notice = match action {
                LinkAction::Confirm => "confirmed",
                LinkAction::Decline => "declined",
                _ => "",
            };
            Redirect::to(&href(
                &format!("/booking/{}", b.uid),
                &[],
                &[("lang", t.code()), ("done", notice)],
            ))
            .into_response()
        }
        Err(StatusError::Settled(_)) => match bookings::find_by_uid(&state.db, &uid).await {
            Ok(Some(b)) => outdated(t, &b, action).unwrap_or_else(|| page::internal(t, "status changed meanwhile")),
            _ => page::not_found(t),
        },
        Err(StatusError::NotFound) => page::not_found(t),
        Err(e) => page::internal(t, e),
    }
}
