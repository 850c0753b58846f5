//! Free start times of an event type over a window, for every way of hosting it: the API's `/v2/slots` and the
//! booking pages ask the same question, under the same bounds on work and memory.

use super::calendar::{self, Calendar, Exclusions};
use super::resolve::{Hosted, Hosting};
use super::seats::{SeatCount, open_seats};
use super::slot_work::{SlotWork, SlotWorkError, SlotWorkPermit};
use convene_core::schedule::Interval;
use convene_store::{Db, StoreError};
use jiff::Timestamp;
use std::cmp::Ordering;
use std::collections::HashMap;

/// Why free starts could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum FreeStartsError {
    #[error(transparent)]
    Work(#[from] SlotWorkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Free starts, ascending, and their room in the shared budget: keep `room` until the answer built from them is
/// written, so the budget bounds that memory too.
pub struct FreeStarts {
    pub starts: Vec<Timestamp>,
    pub room: SlotWorkPermit,
    /// A seated event type's seats at each start (epoch ms); empty for others.
    pub seats: HashMap<Timestamp, SeatCount>,
}

/// Collective (and single-host) events: the starts every host has free; round robin: those any host has free.
/// Ascending. A window holding more candidate starts than one answer may is refused before the database is
/// touched; then the listing waits for room in the shared budget (`work`) for as long as the settings allow.
pub async fn free_starts(
    db: &Db,
    work: &SlotWork,
    hosted: &Hosted,
    length_minutes: i64,
    window: Interval,
    except: Exclusions<'_>,
    now: Timestamp,
) -> Result<FreeStarts, FreeStartsError> {
    let starts = work.check_answer(window, calendar::rules(&hosted.event, length_minutes).step)?;
    let room = work.admit(starts, hosted.hosts.len()).await?;
    let mut slots: Option<Vec<Timestamp>> = None;
    for host in &hosted.hosts {
        let calendar = Calendar::load(db, host, &hosted.event, length_minutes, window, except).await?;
        let free = calendar.free_slots(window, now);
        slots = Some(match (slots, hosted.hosting) {
            (None, _) => free,
            (Some(acc), Hosting::RoundRobin) => union(&acc, &free),
            (Some(acc), _) => intersection(&acc, &free),
        });
    }
    // A seated start with seats left stays open although its booking makes the hosts busy then.
    let (starts, seats) = open_seats(db, &hosted.event, slots.unwrap_or_default(), window, now).await?;
    Ok(FreeStarts { starts, room, seats })
}

/// Starts in either ascending list, ascending.
fn union(a: &[Timestamp], b: &[Timestamp]) -> Vec<Timestamp> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let next = a[i].min(b[j]);
        i += usize::from(a[i] == next);
        j += usize::from(b[j] == next);
        out.push(next);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Starts in both ascending lists, ascending.
fn intersection(a: &[Timestamp], b: &[Timestamp]) -> Vec<Timestamp> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn every_quarter_hour(from: &str, count: i64) -> Vec<Timestamp> {
        let from: Timestamp = from.parse().expect("instant");
        (0..count).map(|k| from + SignedDuration::from_mins(15 * k)).collect()
    }

    #[test]
    fn hosts_combine_by_union_or_intersection() {
        let a = every_quarter_hour("2030-01-01T09:00:00Z", 4);
        let b = every_quarter_hour("2030-01-01T09:30:00Z", 4);
        assert_eq!(union(&a, &b), every_quarter_hour("2030-01-01T09:00:00Z", 6));
        assert_eq!(intersection(&a, &b), every_quarter_hour("2030-01-01T09:30:00Z", 2));
        assert!(intersection(&a, &[]).is_empty());
    }
}
