//! Changing a booking's status by its uid — cancel, confirm, decline — with its webhooks and emails queued in the
//! same transaction. Who may do it is the caller's business (the API's checks, or a booking link's token).

use crate::email::{self, Mailer, queue::BookingChange};
use crate::webhooks::{self, Trigger};
use crate::workflows::WorkflowError;
use crate::workflows::plan::{BookingEvent, on_booking};
use convene_core::BookingStatus;
use convene_core::FieldError;
use convene_store::bookings::{self, BookingRecord};
use convene_store::{Db, StoreError};

/// Why the status did not change.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The booking is no longer in a state that allows the change (its current status).
    #[error("A {0} booking can't be changed this way")]
    Settled(BookingStatus),
    #[error("Booking not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Emails(#[from] email::queue::EnqueueError),
    #[error(transparent)]
    Webhooks(#[from] webhooks::EnqueueError),
    #[error(transparent)]
    Workflows(#[from] WorkflowError),
}

/// A reason given for a change (cancellation, decline, rescheduling), as `field`: trimmed, empty as none, at most
/// 1000 characters.
pub fn reason(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.chars().count() > 1000 => {
            Err(FieldError::coded(field, "refusal-too-long", "must be at most 1000 characters").arg("max", 1000))
        }
        Some(r) => Ok(Some(r.to_owned())),
        None => Ok(None),
    }
}

async fn change(
    db: &Db,
    mailer: &Mailer,
    uid: &str,
    from: &[BookingStatus],
    to: BookingStatus,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<BookingRecord, StatusError> {
    let mut tx = db.begin().await?;
    let Some(updated) = bookings::set_status(&mut tx, uid, from, to, reason, by).await? else {
        let current = bookings::find_by_uid(&mut tx, uid)
            .await?
            .ok_or(StatusError::NotFound)?;
        return Err(StatusError::Settled(current.status));
    };
    let (trigger, emails, workflows) = match to {
        BookingStatus::Cancelled => (
            Trigger::BookingCancelled,
            BookingChange::Cancelled,
            BookingEvent::Cancelled,
        ),
        BookingStatus::Rejected => (
            Trigger::BookingRejected,
            BookingChange::Declined,
            BookingEvent::Rejected,
        ),
        // As in Cal.com, a confirmed request is announced as a created booking.
        BookingStatus::Accepted | BookingStatus::Pending => (
            Trigger::BookingCreated,
            BookingChange::Scheduled,
            BookingEvent::Confirmed,
        ),
    };
    webhooks::enqueue_booking_event(&mut tx, trigger, &updated, None).await?;
    email::queue::booking_emails(&mut tx, mailer, &updated, emails).await?;
    on_booking(&mut tx, mailer, &updated, workflows).await?;
    convene_store::calendar_jobs::enqueue(&mut tx, &updated.uid, updated.host_id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Cancels an accepted or pending booking.
pub async fn cancel(
    db: &Db,
    mailer: &Mailer,
    uid: &str,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<BookingRecord, StatusError> {
    change(
        db,
        mailer,
        uid,
        &[BookingStatus::Accepted, BookingStatus::Pending],
        BookingStatus::Cancelled,
        reason,
        by,
    )
    .await
}

/// Confirms a pending booking.
pub async fn confirm(db: &Db, mailer: &Mailer, uid: &str) -> Result<BookingRecord, StatusError> {
    change(
        db,
        mailer,
        uid,
        &[BookingStatus::Pending],
        BookingStatus::Accepted,
        None,
        None,
    )
    .await
}

/// Declines a pending booking.
pub async fn decline(
    db: &Db,
    mailer: &Mailer,
    uid: &str,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<BookingRecord, StatusError> {
    change(
        db,
        mailer,
        uid,
        &[BookingStatus::Pending],
        BookingStatus::Rejected,
        reason,
        by,
    )
    .await
}
