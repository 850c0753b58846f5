//! Availability → Troubleshooter: for a chosen day and one of the user's event types, each hour with why it is or
//! isn't bookable — outside working hours, out of office, minimum notice, a booking or its buffer (named), a hold,
//! an event in a connected calendar (calendar and summary named), a booking limit. `scheduling::explain` answers it
//! from the same calendar and rules as `/v2/slots`.

use super::shell::{Host, Nav, Refusal, Section};
use crate::i18n::Lang;
use crate::scheduling::explain::{Reason, explain_day};
use crate::state::AppState;
use crate::time_text::local_iso;
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_core::EventTypeId;
use convene_store::event_types;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

pub(crate) struct HourRow {
    /// `0900` for 09:00, for the row's id.
    pub id: String,
    pub time: String,
    pub bookable: bool,
    pub text: String,
    /// The booking the hour is taken by, to open it.
    pub booking: Option<String>,
}

#[derive(Template)]
#[template(path = "app/troubleshoot.html")]
struct TroubleshootPage {
    nav: Nav,
    t: Lang,
    date: String,
    /// (id, title, chosen)
    event_types: Vec<(i64, String, bool)>,
    caption: String,
    av_tab: &'static str,
    rows: Vec<HourRow>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct TroubleshootQuery {
    date: Option<String>,
    #[serde(rename = "eventType")]
    event_type: Option<String>,
}

fn hhmm(at: Timestamp, zone: &TimeZone) -> String {
    let local = local_iso(at, zone);
    local.get(11..16).unwrap_or(&local).to_owned()
}

fn describe(t: Lang, zone: &TimeZone, reason: &Reason) -> (bool, String, Option<String>) {
    match reason {
        Reason::Bookable(starts) => {
            let list = starts.iter().map(|s| hhmm(*s, zone)).collect::<Vec<_>>().join(", ");
            (true, t.text_with("app-ts-bookable", &[("starts", &list)]), None)
        }
        Reason::OutsideHours => (false, t.text("app-ts-outside-hours"), None),
        Reason::OutOfOffice => (false, t.text("app-ts-out-of-office"), None),
        Reason::MinimumNotice => (false, t.text("app-ts-notice"), None),
        Reason::Held => (false, t.text("app-ts-held"), None),
        Reason::LimitReached => (false, t.text("app-ts-limit"), None),
        Reason::NoStart => (false, t.text("app-ts-no-start"), None),
        Reason::Booked {
            uid,
            title,
            through_buffer,
        } => {
            let key = if *through_buffer {
                "app-ts-buffer"
            } else {
                "app-ts-booked"
            };
            (false, t.text_with(key, &[("title", title)]), Some(uid.clone()))
        }
        Reason::CalendarBusy {
            calendar,
            summary,
            through_buffer,
        } => {
            let key = if *through_buffer {
                "app-ts-calendar-buffer"
            } else {
                "app-ts-calendar"
            };
            let summary = summary.clone().unwrap_or_else(|| t.text("app-ts-busy-event"));
            (
                false,
                t.text_with(key, &[("calendar", calendar), ("summary", &summary)]),
                None,
            )
        }
    }
}

/// `GET /availability/troubleshoot?date=YYYY-MM-DD&eventType=ID`.
pub async fn show(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<TroubleshootQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let query = query.ok().map(|q| q.0);
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let now = Timestamp::now();
    let today = now.to_zoned(zone.clone()).date();
    let raw_date = query.as_ref().and_then(|q| q.date.clone()).unwrap_or_default();
    let mut error = None;
    let date = if raw_date.trim().is_empty() {
        today
    } else if let Ok(d) = raw_date.trim().parse::<Date>() {
        d
    } else {
        error = Some(host.t.text("app-ts-bad-date"));
        today
    };
    let own = event_types::list_for_owner(&state.db, host.user.id, true).await?;
    let wanted: Option<i64> = query.and_then(|q| q.event_type).and_then(|raw| raw.parse().ok());
    let chosen = wanted
        .and_then(|id| own.iter().find(|e| e.id == EventTypeId(id)))
        .or_else(|| own.first());
    let mut rows = Vec::new();
    if let Some(event) = chosen {
        for hour in explain_day(&state.db, &host.user, event, date, &zone, now).await? {
            let (bookable, text, booking) = describe(host.t, &zone, &hour.reason);
            let time = hhmm(hour.start, &zone);
            rows.push(HourRow {
                id: time.replace(':', ""),
                time,
                bookable,
                text,
                booking,
            });
        }
    }
    let chosen_id = chosen.map(|e| e.id);
    let caption = host.t.text_with(
        "app-ts-caption",
        &[("date", &date.to_string()), ("zone", &host.user.time_zone)],
    );
    let page = TroubleshootPage {
        nav: host.nav(&state, Section::Availability).await?,
        t: host.t,
        date: if error.is_some() { raw_date } else { date.to_string() },
        event_types: own
            .iter()
            .map(|e| (e.id.0, e.title.clone(), Some(e.id.0) == chosen_id.map(|id| id.0)))
            .collect(),
        caption,
        av_tab: "troubleshoot",
        rows,
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(status, &page))
}
