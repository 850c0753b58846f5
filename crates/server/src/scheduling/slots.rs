//! Free start times of an event type over a window, for every way of hosting it: the API's `/v2/slots` and the
//! booking pages ask the same question.

use super::calendar::{Calendar, Exclusions};
use super::resolve::{Hosted, Hosting};
use convene_core::schedule::Interval;
use convene_store::{Db, StoreError};
use jiff::Timestamp;
use std::collections::BTreeSet;

/// Collective (and single-host) events: the starts every host has free; round robin: those any host has free.
pub async fn free_starts(
    db: &Db,
    hosted: &Hosted,
    length_minutes: i64,
    window: Interval,
    except: Exclusions<'_>,
    now: Timestamp,
) -> Result<BTreeSet<Timestamp>, StoreError> {
    let mut slots: Option<BTreeSet<Timestamp>> = None;
    for host in &hosted.hosts {
        let calendar = Calendar::load(db, host, &hosted.event, length_minutes, window, except).await?;
        let free: BTreeSet<Timestamp> = calendar.free_slots(window, now).into_iter().collect();
        slots = Some(match (slots, hosted.hosting) {
            (None, _) => free,
            (Some(acc), Hosting::RoundRobin) => acc.union(&free).copied().collect(),
            (Some(acc), _) => acc.intersection(&free).copied().collect(),
        });
    }
    Ok(slots.unwrap_or_default())
}
