//! Slots in their `2024-04-15` shape: `{slots: {date: [{time}]}}` (or `{startTime, endTime}` with
//! `slotFormat=range`), times in UTC unless `timeZone` is given.
//!
//! The legacy parameters are `startTime`/`endTime`, `eventTypeSlug` with `usernameList`,
//! `slotFormat`, `rescheduleUid` and `orgSlug`; Cal.com's agent guide mixes them with the newer
//! `username` and `eventSlug`, so both spellings are read.

use crate::api::extract::QueryPairs;
use crate::time_text::{local_date_and_iso, utc_iso};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Legacy parameter names and the current ones they stand for.
const RENAMES: [(&str, &str); 6] = [
    ("startTime", "start"),
    ("endTime", "end"),
    ("eventSlug", "eventTypeSlug"),
    ("slotFormat", "format"),
    ("rescheduleUid", "bookingUidToReschedule"),
    ("orgSlug", "organizationSlug"),
];

/// The query with legacy names read as current ones. A single `usernameList` entry beside an event
/// type slug names the owner (the legacy way to say `username`).
pub fn query(q: QueryPairs) -> QueryPairs {
    let mut pairs: Vec<(String, String)> =
        q.0.into_iter()
            .map(|(k, v)| {
                let name = RENAMES
                    .iter()
                    .find(|(old, _)| *old == k)
                    .map_or(k, |(_, new)| (*new).to_owned());
                (name, v)
            })
            .collect();
    let renamed = QueryPairs(pairs.clone());
    let listed = renamed.all("usernameList");
    let has_slug = renamed.get("eventTypeSlug").is_some();
    pairs.retain(|(k, _)| k != "usernameList" && k != "usernameList[]");
    if has_slug && listed.len() == 1 && renamed.get("username").is_none() {
        pairs.push(("username".into(), listed[0].clone()));
    } else if !listed.is_empty() && renamed.get("usernames").is_none() {
        pairs.push(("usernames".into(), listed.join(",")));
    }
    QueryPairs(pairs)
}

/// The legacy answer's `data`. `zone`: the asked time zone (dates and times in it), else UTC with
/// `Z` times; `range_minutes`: the slot length when ranges were asked for.
pub fn output(slots: &[Timestamp], zone: Option<&TimeZone>, range_minutes: Option<i64>) -> Value {
    let utc = TimeZone::UTC;
    let tz = zone.unwrap_or(&utc);
    let text = |at: Timestamp| match zone {
        Some(tz) => local_date_and_iso(at, tz).1,
        None => utc_iso(at),
    };
    let mut by_date: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for slot in slots {
        let (day, _) = local_date_and_iso(*slot, tz);
        let entry = match range_minutes {
            Some(minutes) => {
                let end = Timestamp::from_millisecond(slot.as_millisecond() + minutes * 60_000).unwrap_or(*slot);
                json!({ "startTime": text(*slot), "endTime": text(end) })
            }
            None => json!({ "time": text(*slot) }),
        };
        by_date.entry(day).or_default().push(entry);
    }
    json!({ "slots": by_date })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> QueryPairs {
        QueryPairs(raw.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn legacy_names_read_as_current_ones() {
        let q = query(pairs(&[
            ("startTime", "2030-01-07T00:00:00Z"),
            ("endTime", "2030-01-08"),
            ("eventTypeSlug", "intro"),
            ("usernameList", "alice"),
        ]));
        assert_eq!(q.get("start"), Some("2030-01-07T00:00:00Z"));
        assert_eq!(q.get("end"), Some("2030-01-08"));
        assert_eq!(q.get("username"), Some("alice"));
        assert!(q.all("usernames").is_empty());
        let dynamic = query(pairs(&[("usernameList[]", "a"), ("usernameList[]", "b")]));
        assert_eq!(dynamic.all("usernames"), ["a", "b"]);
    }

    #[test]
    fn times_are_utc_without_a_zone_and_local_with_one() {
        let at: Timestamp = "2030-01-07T23:30:00Z".parse().expect("instant");
        let slots = [at];
        let utc = output(&slots, None, None);
        assert_eq!(utc["slots"]["2030-01-07"][0]["time"], "2030-01-07T23:30:00.000Z");
        let paris = TimeZone::get("Europe/Paris").expect("zone");
        let local = output(&slots, Some(&paris), Some(30));
        assert_eq!(
            local["slots"]["2030-01-08"][0]["startTime"],
            "2030-01-08T00:30:00.000+01:00"
        );
        assert_eq!(
            local["slots"]["2030-01-08"][0]["endTime"],
            "2030-01-08T01:00:00.000+01:00"
        );
    }
}
