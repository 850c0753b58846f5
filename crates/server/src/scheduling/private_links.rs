//! Private links of an event type (Cal.com's hashed links): secret booking addresses valid until a date or for a
//! number of bookings. The work behind `/v2/event-types/{id}/private-links` (and the team twin) and the event
//! type page's "Private links" section; both faces check who may touch the event type first.

use crate::credentials::new_uid;
use convene_core::{EventTypeId, FieldError};
use convene_store::private_links::{self, PrivateLinkRecord};
use convene_store::{Db, StoreError};
use jiff::Timestamp;

/// The most uses one link may be given.
const MAX_USES: i64 = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum PrivateLinkError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// No such link on this event type.
    #[error("Private link not found")]
    NotFound,
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// Expiry and use limit of a link: a date makes a time-based link, else a use count (one use by default).
pub fn limits(
    expires_at: Option<Timestamp>,
    max_usage_count: Option<i64>,
) -> Result<(Option<Timestamp>, Option<i64>), FieldError> {
    let max = match max_usage_count {
        Some(n) if !(1..=MAX_USES).contains(&n) => {
            return Err(FieldError::coded(
                "maxUsageCount",
                "refusal-whole-number-between",
                format!("must be 1 to {MAX_USES}"),
            )
            .arg("min", 1)
            .arg("max", MAX_USES));
        }
        Some(n) => Some(n),
        None if expires_at.is_none() => Some(1),
        None => None,
    };
    Ok((expires_at, max))
}

/// The address a link opens: `/d/{linkId}/{eventSlug}` under the public URL.
pub fn booking_url(public_url: &str, link: &PrivateLinkRecord, event_slug: &str) -> String {
    format!("{}/d/{}/{event_slug}", public_url.trim_end_matches('/'), link.link_id)
}

/// A new link of `event_type_id`.
pub async fn create(
    db: &Db,
    event_type_id: EventTypeId,
    expires_at: Option<Timestamp>,
    max_usage_count: Option<i64>,
) -> Result<PrivateLinkRecord, PrivateLinkError> {
    let (expires_at, max_usage_count) = limits(expires_at, max_usage_count)?;
    let record = PrivateLinkRecord {
        link_id: new_uid(),
        event_type_id,
        expires_at,
        max_usage_count,
        usage_count: 0,
    };
    private_links::insert(db, &record).await?;
    Ok(record)
}

/// The links of `event_type_id`.
pub async fn list(db: &Db, event_type_id: EventTypeId) -> Result<Vec<PrivateLinkRecord>, StoreError> {
    private_links::list(db, event_type_id).await
}

/// Links of `event_type_id` from the `skip`th on, at most `take`.
pub async fn list_page(
    db: &Db,
    event_type_id: EventTypeId,
    skip: i64,
    take: i64,
) -> Result<Vec<PrivateLinkRecord>, StoreError> {
    private_links::list_page(db, event_type_id, skip, take).await
}

/// The link `link_id` when it belongs to `event_type_id`.
async fn of_event_type(
    db: &Db,
    event_type_id: EventTypeId,
    link_id: &str,
) -> Result<PrivateLinkRecord, PrivateLinkError> {
    private_links::find(db, link_id)
        .await?
        .filter(|l| l.event_type_id == event_type_id)
        .ok_or(PrivateLinkError::NotFound)
}

/// New limits for a link (one of the two must be given).
pub async fn update(
    db: &Db,
    event_type_id: EventTypeId,
    link_id: &str,
    expires_at: Option<Timestamp>,
    max_usage_count: Option<i64>,
) -> Result<PrivateLinkRecord, PrivateLinkError> {
    let mut link = of_event_type(db, event_type_id, link_id).await?;
    if expires_at.is_none() && max_usage_count.is_none() {
        return Err(FieldError::coded("expiresAt", "refusal-link-limit", "give expiresAt or maxUsageCount").into());
    }
    let (expires_at, max_usage_count) = limits(expires_at, max_usage_count)?;
    link.expires_at = expires_at;
    link.max_usage_count = max_usage_count;
    private_links::update(db, &link.link_id, expires_at, max_usage_count).await?;
    Ok(link)
}

/// Deletes a link: it stops working at once.
pub async fn delete(db: &Db, event_type_id: EventTypeId, link_id: &str) -> Result<PrivateLinkRecord, PrivateLinkError> {
    let link = of_event_type(db, event_type_id, link_id).await?;
    private_links::delete(db, &link.link_id).await?;
    Ok(link)
}
