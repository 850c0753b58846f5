//! The booker's days when the host is out of office and a teammate covers for them (Cal.com's OOO redirect): such a
//! day is a link even without free times, and choosing it says the host is away (with the reason) and offers the
//! teammate's booker for the same event type, or their profile, at the same date, month and zone.

use super::params::href;
use crate::i18n::Lang;
use crate::scheduling::ooo_redirect::{self, Redirect};
use crate::scheduling::resolve::{Hosted, Hosting};
use convene_store::{Db, StoreError};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use std::collections::{BTreeMap, BTreeSet};

/// What the chosen away day shows.
pub(super) struct AwayOffer {
    pub emoji: &'static str,
    pub message: String,
    pub reason: Option<String>,
    pub book_label: String,
    pub href: String,
}

/// The settings not passed to the teammate's booker: they belong to this event type or this booking.
const NOT_CARRIED: [&str; 5] = [
    "duration",
    "privateLink",
    "rescheduleUid",
    "token",
    "routingFormResponseId",
];

/// Days of [first, next_first) from `today` on without free times (`free_days`) that an absence with a teammate
/// touches, each with that absence. Only a personal event type redirects: a team's has other hosts.
pub(super) async fn away_days(
    db: &Db,
    hosted: &Hosted,
    tz: &TimeZone,
    (first, next_first): (Date, Date),
    today: Date,
    free_days: &BTreeSet<Date>,
) -> Result<BTreeMap<Date, Redirect>, StoreError> {
    let mut out = BTreeMap::new();
    if hosted.hosting != Hosting::Single || hosted.stored_event_type_id().is_none() {
        return Ok(out);
    }
    let Some(host) = hosted.hosts.first() else {
        return Ok(out);
    };
    let start_of = |d: Date| tz.to_zoned(d.to_datetime(Time::midnight())).map(|z| z.timestamp()).ok();
    let (Some(from), Some(to)) = (start_of(first.max(today)), start_of(next_first)) else {
        return Ok(out);
    };
    if from >= to {
        return Ok(out);
    }
    let redirects = ooo_redirect::redirects(db, host.user_id(), &hosted.event.slug, from, to).await?;
    if redirects.is_empty() {
        return Ok(out);
    }
    let mut day = first.max(today);
    while day < next_first {
        let Ok(next) = day.tomorrow() else { break };
        if !free_days.contains(&day)
            && let (Some(a), Some(b)) = (start_of(day), start_of(next))
            && let Some(r) = redirects.iter().find(|r| r.overlaps(a, b))
        {
            out.insert(day, r.clone());
        }
        day = next;
    }
    Ok(out)
}

/// The offer shown for `day`: the host away, why, and the teammate's link carrying `carried` with the day.
pub(super) fn offer(
    t: Lang,
    host_name: &str,
    redirect: &Redirect,
    carried: &[(String, String)],
    day: Date,
) -> AwayOffer {
    let teammate = &redirect.teammate;
    let teammate_name = teammate.name.clone().unwrap_or_else(|| teammate.username.clone());
    let base = match &redirect.event_slug {
        Some(slug) => format!("/{}/{slug}", teammate.username),
        None => format!("/{}", teammate.username),
    };
    let kept: Vec<(String, String)> = carried
        .iter()
        .filter(|(k, _)| !NOT_CARRIED.contains(&k.as_str()))
        .cloned()
        .collect();
    let month = format!("{:04}-{:02}", day.year(), day.month());
    AwayOffer {
        emoji: emoji(&redirect.reason),
        message: t.text_with("booker-away", &[("name", host_name), ("teammate", &teammate_name)]),
        reason: (redirect.reason != "unspecified").then(|| {
            let reason = t.text(&format!("app-ooo-reason-{}", redirect.reason));
            t.text_with("booker-away-reason", &[("reason", &reason)])
        }),
        book_label: t.text_with("booker-away-book", &[("name", &teammate_name)]),
        href: href(&base, &kept, &[("month", &month), ("date", &day.to_string())]),
    }
}

/// The sign Cal.com puts beside each reason.
fn emoji(reason: &str) -> &'static str {
    match reason {
        "vacation" => "🏝️",
        "travel" => "✈️",
        "sick" => "🤒",
        "public_holiday" => "📅",
        _ => "🕐",
    }
}
