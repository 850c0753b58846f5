//! The event type page's sections beside its settings: private links (list, create, delete — the service behind
//! `/v2/event-types/{id}/private-links` and its team twin) and the destination calendar (the calendar service behind
//! the API's `destinationCalendar`, personal or team). The personal and team event type pages share them.

use super::booking_page::local_minute;
use super::form::Posted;
use super::shell::{Host, Refusal};
use crate::calendars::{CalendarsError, ConnectionKind};
use crate::scheduling::private_links::{self, PrivateLinkError};
use crate::state::AppState;
use convene_core::{EventTypeId, FieldError};
use convene_store::calendars::CalendarRecord;
use convene_store::event_types::EventTypeRecord;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// One private link as the page lists it.
pub(crate) struct LinkRow {
    pub id: String,
    pub url: String,
    /// "Expires 2030-01-08 17:00" or "2 of 3 uses left", in the page's language.
    pub limit: String,
    pub expired: bool,
}

/// One writable calendar the event type's bookings may be written to.
pub(crate) struct DestinationChoice {
    /// `{integration}:{externalId}` (integration names hold no colon).
    pub value: String,
    pub label: String,
}

/// Whose event type the destination is for: a personal one names the user's own calendar; a team one names at most
/// one calendar, the choosing manager's, which may be another manager's when this one opens the page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DestinationOf {
    Personal,
    Team,
}

/// Private links per page of the list.
const LINKS_PER_PAGE: i64 = 20;

/// What the sections show.
#[derive(Default)]
pub(crate) struct Extras {
    pub links: Vec<LinkRow>,
    /// The links' page (from 1) and whether another follows.
    pub links_page: i64,
    pub more_links: bool,
    pub destinations: Vec<DestinationChoice>,
    /// The chosen destination's value; "" for the user's default.
    pub destination: String,
}

/// The sections of event type `event` (links only once it exists, page `links_page` of them); `posted_destination`
/// is what the refused form chose, shown again instead of the stored one.
pub(super) async fn load(
    state: &AppState,
    host: &Host,
    event: Option<&EventTypeRecord>,
    links_page: i64,
    posted_destination: Option<&str>,
    of: DestinationOf,
) -> Result<Extras, Refusal> {
    let t = host.t;
    let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
    let now = jiff::Timestamp::now();
    let links_page = links_page.clamp(1, 10_000);
    let mut found = match event {
        Some(e) => {
            let skip = (links_page - 1) * LINKS_PER_PAGE;
            private_links::list_page(&state.db, e.id, skip, LINKS_PER_PAGE + 1).await?
        }
        None => Vec::new(),
    };
    let more_links = found.len() as i64 > LINKS_PER_PAGE;
    found.truncate(usize::try_from(LINKS_PER_PAGE).unwrap_or(20));
    let links = match event {
        Some(e) => found
            .into_iter()
            .map(|l| LinkRow {
                url: private_links::booking_url(&state.settings.email.public_url, &l, &e.slug),
                limit: match (l.expires_at, l.max_usage_count) {
                    (Some(at), _) => t.text_with("app-et-link-expires", &[("date", &local_minute(at, &zone))]),
                    (None, Some(max)) => t.text_with(
                        "app-et-link-uses-left",
                        &[
                            ("left", &(max - l.usage_count).max(0).to_string()),
                            ("max", &max.to_string()),
                        ],
                    ),
                    (None, None) => String::new(),
                },
                expired: l.is_expired(now),
                id: l.link_id,
            })
            .collect(),
        None => Vec::new(),
    };
    let overview = state.calendars.overview(host.user.id).await.map_err(failed)?;
    let mut destinations: Vec<DestinationChoice> = overview
        .connections
        .iter()
        .flat_map(|(_, kind, calendars)| calendars.iter().map(move |c| (*kind, c)))
        .filter(|(_, c)| !c.read_only)
        .map(|(kind, c)| DestinationChoice {
            value: value_of(kind, c),
            label: format!("{} ({})", c.name, kind.title()),
        })
        .collect();
    let stored = match event {
        Some(e) => stored_destination(state, host, e.id.0, of).await?,
        None => None,
    };
    // Another manager's calendar is offered as it stands, so saving the page without touching it keeps it.
    if let Some((kind, c)) = &stored
        && c.user_id != host.user.id
    {
        destinations.push(DestinationChoice {
            value: value_of(*kind, c),
            label: t.text_with(
                "tet-destination-teammate",
                &[("calendar", &format!("{} ({})", c.name, kind.title()))],
            ),
        });
    }
    let destination = match (posted_destination, stored) {
        (Some(posted), _) => posted.to_owned(),
        (None, Some((kind, c))) => value_of(kind, &c),
        (None, None) => String::new(),
    };
    Ok(Extras {
        links,
        links_page,
        more_links,
        destinations,
        destination,
    })
}

async fn stored_destination(
    state: &AppState,
    host: &Host,
    event_type_id: i64,
    of: DestinationOf,
) -> Result<Option<(ConnectionKind, CalendarRecord)>, Refusal> {
    let found = match of {
        DestinationOf::Personal => {
            state
                .calendars
                .event_type_destination(host.user.id, EventTypeId(event_type_id))
                .await
        }
        DestinationOf::Team => {
            state
                .calendars
                .team_event_type_destination(EventTypeId(event_type_id))
                .await
        }
    };
    found.map_err(failed)
}

/// The stored destination of a team event type as the form's value ("" for none).
pub(super) async fn team_destination_value(
    state: &AppState,
    host: &Host,
    event_type_id: i64,
) -> Result<String, Refusal> {
    Ok(stored_destination(state, host, event_type_id, DestinationOf::Team)
        .await?
        .map(|(kind, c)| value_of(kind, &c))
        .unwrap_or_default())
}

fn value_of(kind: ConnectionKind, c: &CalendarRecord) -> String {
    format!("{}:{}", kind.integration(), c.external_id)
}

fn failed(e: CalendarsError) -> Refusal {
    Refusal::Failed(e.to_string())
}

/// The destination the form chose: `None` when the form has no such field (left as it is), `Some(None)` for the
/// user's default, else the calendar, checked by the calendar service as the API's `destinationCalendar` is.
pub(super) async fn destination_posted(
    state: &AppState,
    host: &Host,
    form: &Posted,
) -> Result<Option<Option<CalendarRecord>>, Result<FieldError, Refusal>> {
    if form.all("destinationCalendar").next().is_none() {
        return Ok(None);
    }
    let Some(raw) = form.text("destinationCalendar") else {
        return Ok(Some(None));
    };
    let Some((integration, external_id)) = raw.split_once(':') else {
        return Err(Ok(FieldError::new(
            "destinationCalendar",
            host.t.text("app-et-destination-unknown"),
        )));
    };
    match state
        .calendars
        .destination_choice(host.user.id, integration, external_id)
        .await
    {
        Ok(calendar) => Ok(Some(Some(calendar))),
        Err(CalendarsError::Invalid(field)) => Err(Ok(FieldError {
            field: "destinationCalendar".to_owned(),
            ..field
        })),
        Err(other) => Err(Err(failed(other))),
    }
}

/// Stores the chosen destination of `event_type_id` (`None` in `choice`: back to the user's default, or for a team
/// event type to each host's own).
pub(super) async fn save_destination(
    state: &AppState,
    host: &Host,
    event_type_id: i64,
    choice: Option<Option<CalendarRecord>>,
    of: DestinationOf,
) -> Result<(), Refusal> {
    if let Some(calendar) = choice {
        let calendars = &state.calendars;
        match of {
            DestinationOf::Personal => {
                calendars
                    .set_event_type_destination(host.user.id, EventTypeId(event_type_id), calendar.as_ref())
                    .await
            }
            DestinationOf::Team => {
                calendars
                    .set_team_event_type_destination(host.user.id, EventTypeId(event_type_id), calendar.as_ref())
                    .await
            }
        }
        .map_err(failed)?;
    }
    Ok(())
}

/// A new private link from the section's form: an expiry date (the link works through that day in the host's
/// zone) or a number of uses.
pub(super) async fn create_link(
    state: &AppState,
    host: &Host,
    event: &EventTypeRecord,
    form: &Posted,
) -> Result<(), Result<FieldError, Refusal>> {
    let t = host.t;
    let expires_at = match form.text("expiresAt") {
        None => None,
        Some(raw) => {
            let zone = TimeZone::get(&host.user.time_zone).unwrap_or(TimeZone::UTC);
            let end = raw
                .parse::<Date>()
                .ok()
                .and_then(|d| d.tomorrow().ok())
                .and_then(|d| d.to_zoned(zone).ok());
            match end {
                Some(z) => Some(z.timestamp()),
                None => return Err(Ok(FieldError::new("expiresAt", t.text("app-et-link-bad-date")))),
            }
        }
    };
    let uses = match form.text("maxUsageCount") {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => return Err(Ok(FieldError::new("maxUsageCount", t.text("app-et-link-bad-uses")))),
        },
    };
    if expires_at.is_some() && uses.is_some() {
        return Err(Ok(FieldError::new("maxUsageCount", t.text("app-et-link-one-limit"))));
    }
    match private_links::create(&state.db, event.id, expires_at, uses).await {
        Ok(_) => Ok(()),
        Err(PrivateLinkError::Invalid(field)) => Err(Ok(field)),
        Err(other) => Err(Err(Refusal::Failed(other.to_string()))),
    }
}

/// Deletes link `link_id` of `event` (another event type's link is not found).
pub(super) async fn delete_link(
    state: &AppState,
    host: &Host,
    event: &EventTypeRecord,
    link_id: &str,
) -> Result<(), Refusal> {
    match private_links::delete(&state.db, event.id, link_id).await {
        Ok(_) => Ok(()),
        Err(PrivateLinkError::NotFound) => Err(Refusal::NotFound(host.t)),
        Err(other) => Err(Refusal::Failed(other.to_string())),
    }
}
