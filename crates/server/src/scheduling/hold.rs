//! Holding a free slot for a few minutes (a reservation) while someone fills in the booking form, so nobody else
//! takes it meanwhile. The booking pages hold through here; a booking that names its hold is not blocked by it.

use super::calendar::{Calendar, Exclusions};
use super::resolve::{Hosted, Hosting};
use crate::credentials::new_uid;
use crate::time_text::ts;
use convene_core::schedule::Interval;
use convene_store::reservations::{self, ReservationRecord};
use convene_store::{Db, StoreError, bookings};
use jiff::{SignedDuration, Timestamp};

/// Why a slot was not held.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error("This time slot is not available")]
    SlotUnavailable,
    /// Holds belong to one host; team event types book without one.
    #[error("Slots of team event types are not held")]
    NotHoldable,
    #[error("The slot is out of range")]
    OutOfRange,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Holds `start` for `length_minutes` of `hosted`'s single host for `hold_minutes`, if it is free. Serialized
/// with the host's bookings, so a hold and a booking can't both win. What `except` names does not block: its
/// reservation is the caller's own live hold being moved or extended (it keeps its uid), its booking the one
/// being rescheduled.
pub async fn hold(
    db: &Db,
    hosted: &Hosted,
    start: Timestamp,
    length_minutes: i64,
    hold_minutes: i64,
    except: Exclusions<'_>,
) -> Result<ReservationRecord, HoldError> {
    if hosted.hosting != Hosting::Single {
        return Err(HoldError::NotHoldable);
    }
    let host = &hosted.hosts[0];
    let end = ts(start.as_millisecond() + length_minutes * 60_000);
    let window = Interval::new(start, end).ok_or(HoldError::OutOfRange)?;
    let now = Timestamp::now();
    let record = ReservationRecord {
        uid: except.reservation_uid.map_or_else(new_uid, str::to_owned),
        event_type_id: hosted.event.id,
        host_id: host.id,
        start_at: start,
        end_at: end,
        expires_at: now + SignedDuration::from_mins(hold_minutes),
    };
    let mut tx = db.begin().await?;
    bookings::lock_host(&mut tx, host.id).await?;
    let calendar = Calendar::load(&mut tx, host, &hosted.event, length_minutes, window, except).await?;
    if !calendar.is_bookable(start, now) {
        return Err(HoldError::SlotUnavailable);
    }
    if except.reservation_uid.is_some() {
        reservations::update(&mut tx, &record).await?;
    } else {
        reservations::insert(&mut tx, &record).await?;
    }
    tx.commit().await?;
    Ok(record)
}
