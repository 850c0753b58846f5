//! FORM_SUBMITTED_NO_EVENT: a response whose due time passes without a booking fires it once. The due time is a
//! column of the response (indexed only while set); a sweep takes due rows and queues their webhooks in one
//! transaction, so a crash before the commit leaves them due and one after it has them queued — never both.

use super::submit::webhook_payload;
use super::{Form, RoutingFormError};
use crate::webhooks::{Trigger, enqueue_form_event};
use convene_store::Db;
use convene_store::routing_forms as store;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How many due responses one sweep takes at most.
const BATCH: i64 = 100;
/// How often the background sweep looks (the notice is due 15 minutes after a response; a minute late is fine).
const EVERY: Duration = Duration::from_secs(30);

/// Fires FORM_SUBMITTED_NO_EVENT for up to one batch of responses due at `now`; returns how many fired.
pub async fn sweep(db: &Db, now: jiff::Timestamp) -> Result<usize, RoutingFormError> {
    let mut tx = db.begin().await?;
    let due = store::take_due_no_event(&mut tx, now, BATCH).await?;
    for response in &due {
        let Some(record) = store::find_form(&mut tx, &response.form_id).await? else {
            continue;
        };
        let form = Form::from_record(record);
        let stored: Value = serde_json::from_str(&response.response).unwrap_or(Value::Null);
        let answers = form.definition.stored_answers(&stored);
        let payload = webhook_payload(&form, response, &answers);
        enqueue_form_event(&mut tx, form.record.user_id, Trigger::FormSubmittedNoEvent, &payload)
            .await
            .map_err(RoutingFormError::Webhook)?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// Sweeps until `shutdown` turns true: batch after batch while full ones come back, then every [`EVERY`].
pub fn spawn_sweeper(db: Db, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let fired = sweep(&db, jiff::Timestamp::now()).await;
            let pause = match fired {
                Ok(n) if n as i64 >= BATCH => Duration::ZERO,
                Ok(_) => EVERY,
                Err(e) => {
                    tracing::warn!(error = %e, "routing form no-event sweep failed; retrying");
                    EVERY
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}
