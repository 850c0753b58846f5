//! Bookings, read-only for now: the host's Upcoming, Unconfirmed, Past and Cancelled bookings, paginated, with a
//! search by attendee; each opens the booking's own page. Only bookings the user hosts.

use super::shell::{Host, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::pages::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_store::bookings::{self, BookingFilter};
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
    rows: Vec<Row>,
    page: i64,
    more: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    tab: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

/// `GET /bookings?tab=&q=&page=`.
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
    let now = convene_store::now_ms();
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
    match tab {
        "upcoming" => {
            filter.upcoming_after = Some(now);
            filter.statuses.push("accepted");
        }
        "unconfirmed" => {
            filter.upcoming_after = Some(now);
            filter.statuses.push("pending");
        }
        "past" => {
            filter.past_before = Some(now);
            filter.statuses.extend(["accepted", "pending"]);
        }
        _ => filter.statuses.extend(["cancelled", "rejected"]),
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
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let rows = found
        .into_iter()
        .map(|b| {
            let local = crate::time_text::local_iso(crate::time_text::ts(b.start_at), &zone);
            Row {
                when: local.get(..16).unwrap_or(&local).replace('T', " "),
                uid: b.uid,
                title: b.title,
                status: b.status,
            }
        })
        .collect();
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
        rows,
        page,
        more,
    };
    Ok(render(StatusCode::OK, &view))
}
