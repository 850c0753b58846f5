//! Queuing deliveries in the transaction that changed the booking, so a committed change always has its
//! deliveries and a rolled-back one never does.

use super::Trigger;
use super::payload::{BookingPayload, render_body};
use crate::time_text::utc_iso;
use convene_core::{EventTypeId, UserId, template};
use convene_store::bookings::BookingRecord;
use convene_store::webhooks::{self, WebhookRecord, deliveries};
use convene_store::{StoreError, Tx};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// Why deliveries could not be queued. The booking change they belong to fails with them.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The payload failed to render (a bug, not bad input).
    #[error("rendering a webhook body")]
    Render(#[source] serde_json::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queues `trigger` about `booking` for every active webhook that subscribed to it — the host's own and the
/// booking's event type's — and returns how many deliveries were queued. The payload is only built when
/// someone listens. `rescheduled_from` is the booking a reschedule replaced.
pub async fn enqueue_booking_event(
    tx: &mut Tx,
    trigger: Trigger,
    booking: &BookingRecord,
    rescheduled_from: Option<&BookingRecord>,
) -> Result<usize, EnqueueError> {
    let listeners = listeners(tx, booking.host_id, booking.event_type_id.map(|id| id.0), trigger).await?;
    if listeners.is_empty() {
        return Ok(0);
    }
    let payload = BookingPayload::load(tx, booking, rescheduled_from).await?;
    queue_for(tx, &listeners, trigger, &payload).await
}

/// Queues `trigger` with `payload` for the active webhooks of `host_user_id` and of `event_type_id` that
/// subscribed to it; returns how many deliveries were queued.
pub async fn enqueue(
    tx: &mut Tx,
    host_user_id: UserId,
    event_type_id: Option<EventTypeId>,
    trigger: Trigger,
    payload: &BookingPayload,
) -> Result<usize, EnqueueError> {
    let listeners = listeners(tx, host_user_id, event_type_id.map(|id| id.0), trigger).await?;
    queue_for(tx, &listeners, trigger, payload).await
}

/// Queues `trigger` (a routing form's) with `payload` for the active webhooks of the form's owner that subscribed to
/// it; returns how many deliveries were queued. A webhook's own template is filled from the payload's fields.
pub async fn enqueue_form_event(
    tx: &mut Tx,
    owner_user_id: UserId,
    trigger: Trigger,
    payload: &Map<String, Value>,
) -> Result<usize, EnqueueError> {
    let listeners = listeners(tx, owner_user_id, None, trigger).await?;
    let now = Timestamp::now();
    let created_at = utc_iso(now);
    for webhook in &listeners {
        let body = match webhook.payload_template.as_deref() {
            None => json!({"triggerEvent": trigger.as_str(), "createdAt": created_at, "payload": payload}).to_string(),
            Some(custom) => {
                let mut vars = payload.clone();
                vars.insert("triggerEvent".into(), Value::from(trigger.as_str()));
                vars.insert("createdAt".into(), Value::from(created_at.clone()));
                template::render(custom, &Value::Object(vars))
            }
        };
        let id = deliveries::enqueue(tx, webhook.id, trigger.as_str(), &body, now).await?;
        tracing::debug!(delivery_id = id.0, webhook_id = webhook.id.0, %trigger, "webhook delivery queued");
    }
    Ok(listeners.len())
}

async fn listeners(
    tx: &mut Tx,
    host: UserId,
    event_type: Option<i64>,
    trigger: Trigger,
) -> Result<Vec<WebhookRecord>, StoreError> {
    let mut found = webhooks::active_for_booking(&mut *tx, host, event_type.map(EventTypeId)).await?;
    found.retain(|w| Trigger::list_from_stored(&w.triggers).contains(&trigger));
    Ok(found)
}

async fn queue_for(
    tx: &mut Tx,
    listeners: &[WebhookRecord],
    trigger: Trigger,
    payload: &BookingPayload,
) -> Result<usize, EnqueueError> {
    let now = Timestamp::now();
    for webhook in listeners {
        let body =
            render_body(trigger, now, payload, webhook.payload_template.as_deref()).map_err(EnqueueError::Render)?;
        let id = deliveries::enqueue(tx, webhook.id, trigger.as_str(), &body, now).await?;
        tracing::debug!(delivery_id = id.0, webhook_id = webhook.id.0, %trigger, "webhook delivery queued");
    }
    Ok(listeners.len())
}
