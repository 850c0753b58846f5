//! Bookings: the host's Upcoming, Unconfirmed, Past and Cancelled bookings, paginated, with a search by attendee
//! and filters by event type and dates (in the user's zone); each opens its page in the app, and an open one can be
//! cancelled from the list. Only bookings the user hosts or co-hosts.

use super::booking_page::{local_minute, status_label};
use super::shell::{Host, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::time_text::parse_bound;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_core::BookingStatus;
use convene_store::bookings::{self, BookingFilter};
use convene_store::event_types;
use jiff::tz::TimeZone;
use serde::Deserialize;

const PAGE_SIZE: i64 = 20;
const TABS: [&str; 4] = ["upcoming", "unconfirmed", "past", "cancelled"];

pub(crate) struct Row {
    pub uid: String,
    pub title: String,
    /// Start in the user's zone, `YYYY-MM-DD HH:MM`.
    pub when: String,
    pub status: String,
    pub status_label: String,
    /// Accepted or pending and not over: the list offers Cancel.
    pub live: bool,
}

/// An event type in the filter's choice.
pub(crate) struct Choice {
    pub id: String,
    pub title: String,
    pub selected: bool,
}

pub(crate) struct Tab {
    pub code: &'static str,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "app/bookings.html")]
struct ListPage {
    nav: Nav,
    t: Lang,
    tabs: Vec<Tab>,
    tab: &'static str,
    q: String,
    event_types: Vec<Choice>,
    from: String,
    to: String,
    /// The filters as a query string (for the page links).
    filters: String,
    rows: Vec<Row>,
    page: i64,
    more: bool,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    tab: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    /// An event type id.
    et: Option<String>,
    /// Dates `YYYY-MM-DD` in the user's zone: bookings starting on or after `from` and ending by the end of `to`.
    from: Option<String>,
    to: Option<String>,
    notice: Option<String>,
}

/// `GET /bookings?tab=&q=&et=&from=&to=&page=`.
pub async fn list(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let tab = TABS
        .into_iter()
        .find(|t| q.tab.as_deref() == Some(*t))
        .unwrap_or("upcoming");
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let search = q.q.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let now = jiff::Timestamp::now();
    let mut filter = BookingFilter {
        host: Some(host.user.id),
        order: if tab == "upcoming" || tab == "unconfirmed" {
            "b.start_at ASC, b.id ASC"
        } else {
            "b.start_at DESC, b.id DESC"
        },
        // One more than shown tells whether a next page exists.
        take: PAGE_SIZE + 1,
        skip: (page - 1) * PAGE_SIZE,
        ..BookingFilter::default()
    };
    // The store ORs `statuses` with `upcoming_after`/`past_before` (the API's `status` list is "any of"), so a tab
    // names either its time side or its statuses, and narrows statuses by time with `ending_after` (ANDed).
    match tab {
        // Accepted and waiting bookings not yet over, as Cal.com's Upcoming.
        "upcoming" => filter.upcoming_after = Some(now),
        "unconfirmed" => {
            filter.statuses.push(BookingStatus::Pending);
            filter.ending_after = Some(now);
        }
        // Accepted and waiting bookings that are over.
        "past" => filter.past_before = Some(now),
        _ => filter
            .statuses
            .extend([BookingStatus::Cancelled, BookingStatus::Rejected]),
    }
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let owned = event_types::list_for_owner(&state.db, host.id(), true).await?;
    let et = q.et.as_deref().unwrap_or_default().trim().to_owned();
    if let Some(id) = owned.iter().map(|e| e.id).find(|id| id.to_string() == et) {
        filter.event_type_ids.push(id);
    }
    let from = q.from.as_deref().unwrap_or_default().trim().to_owned();
    let to = q.to.as_deref().unwrap_or_default().trim().to_owned();
    let mut error = None;
    for (raw, end_of_day, name) in [(&from, false, "from"), (&to, true, "to")] {
        if raw.is_empty() {
            continue;
        }
        match raw.parse::<jiff::civil::Date>() {
            Ok(_) => match (parse_bound(name, raw, &zone, end_of_day), end_of_day) {
                (Ok(at), false) => filter.after_start = Some(at),
                (Ok(at), true) => filter.before_end = Some(at),
                (Err(e), _) => error = Some(host.t.refusal(&e)),
            },
            Err(_) => error = Some(host.t.text_with("app-bk-bad-date", &[("value", raw)])),
        }
    }
    if !search.is_empty() {
        if search.contains('@') {
            filter.attendee_email = Some(search.to_lowercase());
        } else {
            filter.attendee_name = Some(search.clone());
        }
    }
    let mut found = bookings::list(&state.db, &filter).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(usize::try_from(PAGE_SIZE).unwrap_or(20));
    let rows = found
        .into_iter()
        .map(|b| Row {
            when: local_minute(b.start_at, &zone),
            live: b.status.is_live() && b.end_at >= now,
            status_label: status_label(host.t, b.status),
            uid: b.uid,
            title: b.title,
            status: b.status.to_string(),
        })
        .collect();
    let event_types = owned
        .into_iter()
        .map(|e| Choice {
            selected: e.id.to_string() == et,
            id: e.id.to_string(),
            title: e.title,
        })
        .collect();
    let filters = form_urlencoded::Serializer::new(String::new())
        .append_pair("tab", tab)
        .append_pair("q", &search)
        .append_pair("et", &et)
        .append_pair("from", &from)
        .append_pair("to", &to)
        .finish();
    let notice = (q.notice.as_deref() == Some("cancel")).then(|| host.t.text("app-bd-cancelled"));
    let tabs = TABS
        .into_iter()
        .map(|code| Tab {
            code,
            label: host.t.text(&format!("app-bk-{code}")),
            current: code == tab,
        })
        .collect();
    let view = ListPage {
        nav: host.nav(&state, Section::Bookings).await?,
        t: host.t,
        tabs,
        tab,
        q: search,
        event_types,
        from,
        to,
        filters,
        rows,
        page,
        more,
        notice,
        error,
    };
    let status = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(status, &view))
}
