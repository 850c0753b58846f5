//! The public profile (`/{username}`) and the booker (`/{username}/{eventSlug}`, `/team/{teamSlug}/{eventSlug}`):
//! a month where only days with free slots are links, the chosen day's free times as buttons that hold the slot,
//! a time-zone and clock switch. Plain links and forms: nothing needs JavaScript.

use super::away::{self, AwayOffer};
use super::month::{self, Cell};
use super::page::{self, LangLink, View, lang_links};
use super::params::{Params, href};
use crate::booking_links::{self, LinkAction};
use crate::i18n::Lang;
use crate::limits::{ClientAddress, LimitKey, PublicOperation};
use crate::scheduling::calendar::Exclusions;
use crate::scheduling::resolve::{self, EventTypeRef, Hosted, ResolveError};
use crate::scheduling::slots::free_starts;
use crate::state::AppState;
use crate::time_text::utc_iso;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use convene_core::Username;
use convene_core::schedule::Interval;
use convene_store::bookings::{self, BookingRecord};
use convene_store::event_types::EventTypeRecord;
use convene_store::users::UserRecord;
use convene_store::{StoreError, event_types, private_links, teams, users};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

struct EventRow {
    title: String,
    minutes: String,
    description: String,
    href: String,
}

#[derive(Template)]
#[template(path = "booker/profile.html")]
struct ProfilePage {
    t: Lang,
    name: String,
    bio: String,
    zone_line: String,
    events: Vec<EventRow>,
    langs: Vec<LangLink>,
}

/// `GET /{username}`.
pub async fn profile(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if Username::RESERVED.contains(&username.as_str()) {
        return page::not_ours();
    }
    let params = Params::from_query(query.as_deref());
    let t = params.lang(&headers);
    if let Some(names) = group_names(&username) {
        return group_profile(&state, &names, &params, t).await;
    }
    match users::find_by_username(&state.db, &username.to_lowercase()).await {
        Ok(Some(user)) => {
            let path = format!("/{}", user.username);
            show_profile(&state, user, &path, &params, t).await
        }
        Ok(None) => page::not_found(t),
        Err(e) => page::internal(t, e),
    }
}

/// `GET /org/{orgSlug}/{username}`: a member's profile at their organization's address.
pub async fn org_profile(
    State(state): State<AppState>,
    Path((org, username)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let t = params.lang(&headers);
    match org_member(&state, &org, &username).await {
        Ok(Some(user)) => {
            let path = format!("/org/{org}/{}", user.username);
            show_profile(&state, user, &path, &params, t).await
        }
        Ok(None) => page::not_found(t),
        Err(e) => page::internal(t, e),
    }
}

/// `username`, when they belong to the organization `org_slug` (anyone else is not found there).
async fn org_member(state: &AppState, org_slug: &str, username: &str) -> Result<Option<UserRecord>, StoreError> {
    let Some(org) = teams::find_organization_by_slug(&state.db, &org_slug.to_lowercase()).await? else {
        return Ok(None);
    };
    let user = users::find_by_username(&state.db, &username.to_lowercase()).await?;
    Ok(user.filter(|u| u.organization_id == Some(org.id)))
}

async fn show_profile(state: &AppState, user: UserRecord, path: &str, params: &Params, t: Lang) -> Response {
    let events = match event_types::list_for_owner(&state.db, user.user_id(), false).await {
        Ok(list) => list,
        Err(e) => return page::internal(t, e),
    };
    let carried = params.carried(true);
    let page = ProfilePage {
        t,
        name: user.name.clone().unwrap_or_else(|| user.username.clone()),
        bio: user.bio.clone().unwrap_or_default(),
        zone_line: t.text_with("profile-zone", &[("zone", &user.time_zone)]),
        events: events
            .into_iter()
            .filter(|e| !e.hidden)
            .map(|e| EventRow {
                minutes: t.text_with("minutes", &[("minutes", &e.length_minutes.to_string())]),
                href: href(&format!("{path}/{}", e.slug), &carried, &[]),
                title: e.title,
                description: e.description,
            })
            .collect(),
        langs: lang_links(path, params, t),
    };
    page::render(StatusCode::OK, &page)
}

/// `GET /{username}/{eventSlug}`.
pub async fn user_event(
    State(state): State<AppState>,
    Path((username, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    client: ClientAddress,
    headers: HeaderMap,
) -> Response {
    if Username::RESERVED.contains(&username.as_str()) {
        return page::not_ours();
    }
    let path = format!("/{username}/{slug}");
    if let Some(names) = group_names(&username) {
        let params = Params::from_query(query.as_deref());
        let found = resolve::dynamic(&state.db, &names, resolve::DYNAMIC_LENGTH).await;
        return booker(&state, client, found, &path, &params, &headers).await;
    }
    let named = EventTypeRef {
        slug: Some(&slug),
        username: Some(&username),
        ..EventTypeRef::default()
    };
    named_booker(&state, client, named, &path, query.as_deref(), &headers).await
}

/// The usernames of a dynamic group address (`alice+bob`), or None for one person's. Cal.com also reads a space
/// (a `+` decoded as a form would) as the separator.
pub(super) fn group_names(segment: &str) -> Option<Vec<String>> {
    let names: Vec<String> = segment
        .split(['+', ' '])
        .filter(|n| !n.is_empty())
        .map(str::to_lowercase)
        .collect();
    (names.len() > 1).then_some(names)
}

/// The group address of `hosted`'s hosts, for the form to book the same group again.
pub(super) fn group_segment(hosted: &Hosted) -> String {
    hosted
        .hosts
        .iter()
        .map(|h| h.username.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// `GET /{alice}+{bob}`: the people of a dynamic group and the meeting they can be booked for together.
async fn group_profile(state: &AppState, names: &[String], params: &Params, t: Lang) -> Response {
    let hosted = match resolve::dynamic(&state.db, names, resolve::DYNAMIC_LENGTH).await {
        Ok(h) => h,
        Err(ResolveError::Store(e)) => return page::internal(t, e),
        Err(_) => return page::not_found(t),
    };
    let path = format!("/{}", names.join("+"));
    let people: Vec<String> = hosted
        .hosts
        .iter()
        .map(|h| h.name.clone().unwrap_or_else(|| h.username.clone()))
        .collect();
    let page = ProfilePage {
        t,
        name: people.join(", "),
        bio: t.text("group-bio"),
        zone_line: t.text("group-zone"),
        events: vec![EventRow {
            title: t.text("group-meeting"),
            minutes: t.text_with("minutes", &[("minutes", &hosted.event.length_minutes.to_string())]),
            description: t.text("group-lengths"),
            href: href(&format!("{path}/{}", resolve::DYNAMIC_SLUG), &params.carried(true), &[]),
        }],
        langs: lang_links(&path, params, t),
    };
    page::render(StatusCode::OK, &page)
}

/// The booker of the event type `named` names, shown at `path`.
async fn named_booker(
    state: &AppState,
    client: ClientAddress,
    named: EventTypeRef<'_>,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    let params = Params::from_query(query);
    let found = resolve::event_type(&state.db, named).await;
    booker(state, client, found, path, &params, headers).await
}

/// `GET /org/{orgSlug}/{username}/{eventSlug}`: a member's event type at their organization's address.
pub async fn org_user_event(
    State(state): State<AppState>,
    Path((org, username, slug)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    client: ClientAddress,
    headers: HeaderMap,
) -> Response {
    let t = Params::from_query(query.as_deref()).lang(&headers);
    match org_member(&state, &org, &username).await {
        Ok(Some(_)) => {}
        Ok(None) => return page::not_found(t),
        Err(e) => return page::internal(t, e),
    }
    let named = EventTypeRef {
        slug: Some(&slug),
        username: Some(&username),
        ..EventTypeRef::default()
    };
    let path = format!("/org/{org}/{username}/{slug}");
    named_booker(&state, client, named, &path, query.as_deref(), &headers).await
}

/// `GET /org/{orgSlug}/team/{teamSlug}/{eventSlug}`: a team event type where team slugs are only unique within
/// their organization.
pub async fn org_team_event(
    State(state): State<AppState>,
    Path((org, team, slug)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    client: ClientAddress,
    headers: HeaderMap,
) -> Response {
    let named = EventTypeRef {
        slug: Some(&slug),
        team_slug: Some(&team),
        organization_slug: Some(&org),
        ..EventTypeRef::default()
    };
    let path = format!("/org/{org}/team/{team}/{slug}");
    named_booker(&state, client, named, &path, query.as_deref(), &headers).await
}

/// `GET /d/{linkId}/{eventSlug}`: the booker of a private link's event type (hidden or not) while the link lives.
pub async fn private_event(
    State(state): State<AppState>,
    Path((link_id, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    client: ClientAddress,
    headers: HeaderMap,
) -> Response {
    let mut params = Params::from_query(query.as_deref());
    let t = params.lang(&headers);
    let link = match private_links::find(&state.db, &link_id).await {
        Ok(Some(l)) => l,
        Ok(None) => return page::not_found(t),
        Err(e) => return page::internal(t, e),
    };
    if link.is_expired(Timestamp::now()) {
        return super::manage::link_problem(t, StatusCode::GONE, "private-link-expired");
    }
    let found = resolve::event_type(
        &state.db,
        EventTypeRef {
            id: Some(link.event_type_id.0),
            ..EventTypeRef::default()
        },
    )
    .await;
    if found.as_ref().is_ok_and(|h| h.event.slug != slug) {
        return page::not_found(t);
    }
    params.set("privateLink", &link.link_id);
    let path = format!("/d/{link_id}/{slug}");
    booker(&state, client, found, &path, &params, &headers).await
}

/// `GET /team/{teamSlug}/{eventSlug}`.
pub async fn team_event(
    State(state): State<AppState>,
    Path((team, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    client: ClientAddress,
    headers: HeaderMap,
) -> Response {
    let named = EventTypeRef {
        slug: Some(&slug),
        team_slug: Some(&team),
        ..EventTypeRef::default()
    };
    let path = format!("/team/{team}/{slug}");
    named_booker(&state, client, named, &path, query.as_deref(), &headers).await
}

struct DurationLink {
    label: String,
    href: String,
    current: bool,
}

struct SlotButton {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "booker/event.html")]
struct BookerPage {
    t: Lang,
    title: String,
    host_name: String,
    description: String,
    locations: Vec<String>,
    durations: Vec<DurationLink>,
    duration_label: String,
    reschedule_from: Option<String>,
    notice: Option<String>,
    month_label: String,
    calendar_label: String,
    prev_href: Option<String>,
    next_href: String,
    heads: Vec<(String, String)>,
    weeks: Vec<Vec<Option<Cell>>>,
    month_empty: bool,
    day_label: Option<String>,
    slots: Vec<SlotButton>,
    away: Option<AwayOffer>,
    slot_fields: Vec<(String, String)>,
    pref_fields: Vec<(String, String)>,
    zones: &'static [String],
    zone: String,
    h24: bool,
    langs: Vec<LangLink>,
}

/// The booking being moved, when the booker was opened from a reschedule link (`rescheduleUid` and its token).
pub(super) async fn rescheduling(state: &AppState, params: &Params) -> Result<Option<BookingRecord>, StatusCode> {
    let Some(uid) = params.get("rescheduleUid") else {
        return Ok(None);
    };
    let token = params.get("token").unwrap_or_default();
    if !booking_links::verify(&state.keyring, uid, LinkAction::Reschedule, token) {
        return Err(StatusCode::FORBIDDEN);
    }
    match bookings::find_by_uid(&state.db, uid).await {
        Ok(Some(b)) if b.status.is_live() => Ok(Some(b)),
        Ok(_) => Err(StatusCode::GONE),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// The month shown: `?month=YYYY-MM`, else the month of `?date`, else this month in the invitee's zone.
fn shown_month(params: &Params, today: Date) -> Date {
    let from_month = params.get("month").and_then(|m| format!("{m}-01").parse::<Date>().ok());
    let from_date = params.get("date").and_then(|d| d.parse::<Date>().ok());
    from_month.or(from_date).unwrap_or(today).first_of_month()
}

fn locations(event: &EventTypeRecord) -> Vec<String> {
    let defined: Vec<Value> = serde_json::from_str(&event.locations).unwrap_or_default();
    defined
        .iter()
        .filter_map(|l| {
            ["address", "link", "phone", "integration", "type"]
                .iter()
                .find_map(|k| l.get(*k).and_then(Value::as_str))
                .map(str::to_owned)
        })
        .collect()
}

/// Whether a page may offer `hosted`: a hidden event type shows only when the page was reached through a live
/// private link of its own. The booker, the form and the booking itself all ask here. A link of its own that has
/// expired or been used up (say, by someone who booked first) explains itself instead of vanishing.
pub(super) async fn offered(state: &AppState, params: &Params, hosted: &Hosted) -> Result<bool, Response> {
    if !hosted.event.hidden {
        return Ok(true);
    }
    let Some(link_id) = params.get("privateLink") else {
        return Ok(false);
    };
    let t = params.lang(&HeaderMap::new());
    match private_links::find(&state.db, link_id).await {
        Ok(Some(l)) if l.event_type_id != hosted.event.id => Ok(false),
        Ok(Some(l)) if l.is_expired(Timestamp::now()) => {
            Err(super::manage::link_problem(t, StatusCode::GONE, "private-link-expired"))
        }
        Ok(Some(_)) => Ok(true),
        Ok(None) => Ok(false),
        Err(e) => Err(page::internal(t, e)),
    }
}

pub(super) async fn booker(
    state: &AppState,
    client: ClientAddress,
    found: Result<Hosted, ResolveError>,
    path: &str,
    params: &Params,
    headers: &HeaderMap,
) -> Response {
    let lang = params.lang(headers);
    let hosted = match found {
        Ok(h) => match offered(state, params, &h).await {
            Ok(true) => h,
            Ok(false) => return page::not_found(lang),
            Err(page) => return page,
        },
        Err(ResolveError::EventTypeNotFound | ResolveError::NoHosts | ResolveError::Invalid(_)) => {
            return page::not_found(lang);
        }
        Err(ResolveError::Store(e)) => return page::internal(lang, e),
    };
    let host = &hosted.hosts[0];
    let view = View::of(params, headers, &host.time_zone, host.time_format != 12);
    let t = view.lang;
    let moving = match rescheduling(state, params).await {
        Ok(m) => m,
        Err(StatusCode::INTERNAL_SERVER_ERROR) => return page::internal(t, "reschedule lookup failed"),
        Err(_) => return super::manage::link_problem(t, StatusCode::FORBIDDEN, "link-invalid"),
    };
    let notice = (params.get("notice") == Some("taken")).then(|| t.text("slot-gone"));
    let event = &hosted.event;
    let length = match moving.as_ref() {
        Some(old) => old.end_at.duration_since(old.start_at).as_mins(),
        None => params
            .get("duration")
            .and_then(|d| d.parse().ok())
            .and_then(|d| resolve::length(event, "duration", Some(d)).ok())
            .unwrap_or(event.length_minutes),
    };
    // Listing a month's slots is the expensive part of a booking page: counted per address, as `/v2/slots` is.
    let operation = LimitKey::Public {
        operation: PublicOperation::Slots,
        client,
    };
    if let Err(refused) = page::within_limit(state, t, operation).await {
        return refused;
    }
    let now = Timestamp::now();
    let today = view.tz.to_datetime(now).date();
    // A reschedule opens at the month of the booking being moved.
    let moving_day = moving.as_ref().map(|b| view.tz.to_datetime(b.start_at).date());
    let first = shown_month(params, moving_day.filter(|d| *d > today).unwrap_or(today));
    let next_first = first.checked_add(jiff::Span::new().months(1)).unwrap_or(first);
    let start_of = |d: Date| {
        view.tz
            .to_zoned(d.to_datetime(jiff::civil::Time::midnight()))
            .map(|z| z.timestamp())
    };
    let (Ok(from), Ok(to)) = (start_of(first), start_of(next_first)) else {
        return page::not_found(t);
    };
    let except = Exclusions {
        booking_uid: moving.as_ref().map(|b| b.uid.as_str()),
        reservation_uid: None,
    };
    let free = match Interval::new(from.max(now), to) {
        Some(window) => match free_starts(&state.db, &state.slot_work, &hosted, length, window, except, now).await {
            Ok(f) => f.starts,
            Err(e) => return page::slots_unavailable(t, e),
        },
        None => Vec::new(),
    };
    let mut by_day: BTreeMap<Date, Vec<Timestamp>> = BTreeMap::new();
    for slot in free {
        by_day.entry(view.tz.to_datetime(slot).date()).or_default().push(slot);
    }
    let selected = params
        .get("date")
        .and_then(|d| d.parse::<Date>().ok())
        .filter(|d| d.first_of_month() == first);

    // Links keep the invitee's settings and prefill; the month and day are set per link.
    let mut carried = params.carried(true);
    carried.retain(|(k, _)| k != "tz" && k != "clock" && k != "duration");
    carried.push(("tz".into(), view.zone.clone()));
    carried.push(("clock".into(), if view.h24 { "24" } else { "12" }.into()));
    if length != event.length_minutes {
        carried.push(("duration".into(), length.to_string()));
    }
    let month_text = |d: Date| format!("{:04}-{:02}", d.year(), d.month());
    let free_days: BTreeSet<Date> = by_day.keys().copied().collect();
    let away_days = match away::away_days(&state.db, &hosted, &view.tz, (first, next_first), today, &free_days).await {
        Ok(a) => a,
        Err(e) => return page::internal(t, e),
    };
    let days: BTreeSet<Date> = free_days.iter().chain(away_days.keys()).copied().collect();
    let mut weeks = month::grid(t, first, &days, selected, |d| {
        href(path, &carried, &[("month", &month_text(d)), ("date", &d.to_string())])
    });
    for cell in weeks.iter_mut().flatten().flatten() {
        if let Ok(d) = Date::new(first.year(), first.month(), cell.day)
            && away_days.contains_key(&d)
        {
            cell.away = true;
            cell.label = t.text_with("booker-away-day", &[("day", &cell.label)]);
        }
    }
    let prev_first = first.checked_sub(jiff::Span::new().months(1)).ok();
    let options: Vec<i64> = serde_json::from_str(&event.length_options).unwrap_or_default();
    let mut lengths: Vec<i64> = std::iter::once(event.length_minutes).chain(options).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let minutes = |m: i64| t.text_with("minutes", &[("minutes", &m.to_string())]);

    let mut slot_fields = carried.clone();
    match hosted.stored_event_type_id() {
        Some(id) => slot_fields.push(("event".into(), id.to_string())),
        None => slot_fields.push(("group".into(), group_segment(&hosted))),
    }
    slot_fields.push(("duration".into(), length.to_string()));
    slot_fields.push(("back".into(), path.to_owned()));
    slot_fields.retain(|(k, _)| k != "month");
    let mut pref_fields: Vec<(String, String)> = carried
        .iter()
        .filter(|(k, _)| k != "tz" && k != "clock")
        .cloned()
        .collect();
    pref_fields.push(("month".into(), month_text(first)));
    if let Some(d) = selected {
        pref_fields.push(("date".into(), d.to_string()));
    }
    let month_label = month::month_label(t, first);
    let host_name = hosted
        .hosts
        .iter()
        .map(|h| h.name.clone().unwrap_or_else(|| h.username.clone()))
        .collect::<Vec<_>>()
        .join(", ");
    let away = selected.and_then(|d| away_days.get(&d).map(|r| away::offer(t, &host_name, r, &carried, d)));
    let page = BookerPage {
        t,
        title: match hosted.stored_event_type_id() {
            Some(_) => event.title.clone(),
            None => t.text("group-meeting"),
        },
        host_name,
        description: event.description.clone(),
        locations: locations(event),
        durations: if moving.is_none() && lengths.len() > 1 {
            lengths
                .iter()
                .map(|m| DurationLink {
                    label: minutes(*m),
                    href: href(
                        path,
                        &carried,
                        &[("duration", &m.to_string()), ("month", &month_text(first))],
                    ),
                    current: *m == length,
                })
                .collect()
        } else {
            Vec::new()
        },
        duration_label: minutes(length),
        reschedule_from: moving
            .as_ref()
            .map(|b| month::span_label(t, b.start_at, b.end_at, &view.tz, &view.zone, view.h24)),
        notice,
        calendar_label: t.text_with("calendar", &[("month", &month_label)]),
        month_label,
        prev_href: prev_first
            .filter(|p| *p >= today.first_of_month())
            .map(|p| href(path, &carried, &[("month", &month_text(p))])),
        next_href: href(path, &carried, &[("month", &month_text(next_first))]),
        heads: month::weekday_heads(t),
        weeks,
        month_empty: by_day.is_empty(),
        day_label: selected.map(|d| month::day_label(t, d)),
        slots: selected
            .and_then(|d| by_day.get(&d))
            .map(|list| {
                list.iter()
                    .map(|s| SlotButton {
                        value: utc_iso(*s),
                        label: month::time_label(*s, &view.tz, view.h24),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        away,
        slot_fields,
        pref_fields,
        zones: month::zone_names(),
        zone: view.zone.clone(),
        h24: view.h24,
        langs: lang_links(path, params, t),
    };
    page::render(StatusCode::OK, &page)
}
