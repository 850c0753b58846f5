//! Finding the event type a public request names: by id, or by owner username and slug.

use crate::api::ApiError;
use convene_core::UserId;
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::users::{self, UserRecord};
use convene_store::{Db, StoreError};

/// How a request names an event type.
pub struct EventTypeRef<'a> {
    pub id: Option<i64>,
    pub slug: Option<&'a str>,
    pub username: Option<&'a str>,
    pub team_slug: Option<&'a str>,
}

/// The event type and its host. Team event types are not bookable yet (400 naming `teamSlug`).
pub async fn event_type_and_host(db: &Db, r: EventTypeRef<'_>) -> Result<(EventTypeRecord, UserRecord), ApiError> {
    if r.team_slug.is_some() {
        return Err(ApiError::field(
            "teamSlug",
            "team event types are not supported by this server yet",
        ));
    }
    let event = match (r.id, r.slug, r.username) {
        (Some(id), _, _) => event_types::find(db, id).await?,
        (None, Some(slug), Some(username)) => {
            event_types::find_by_username_slug(db, &username.to_lowercase(), slug).await?
        }
        (None, Some(_), None) => return Err(ApiError::field("username", "is required with eventTypeSlug")),
        (None, None, _) => {
            return Err(ApiError::field(
                "eventTypeId",
                "is required (or eventTypeSlug with username)",
            ));
        }
    };
    let event = event.ok_or_else(|| ApiError::not_found("Event type"))?;
    let owner = event
        .owner_id
        .ok_or_else(|| ApiError::field("eventTypeId", "team event types are not supported by this server yet"))?;
    let host = users::find(db, UserId(owner))
        .await?
        .ok_or(StoreError::NotFound("event type owner"))?;
    Ok((event, host))
}

/// The length to book: `requested` when it is one of the event's options, else its default.
pub fn length(event: &EventTypeRecord, field: &str, requested: Option<i64>) -> Result<i64, ApiError> {
    let Some(requested) = requested else {
        return Ok(event.length_minutes);
    };
    let options: Vec<i64> = serde_json::from_str(&event.length_options).unwrap_or_default();
    if requested == event.length_minutes || options.contains(&requested) {
        Ok(requested)
    } else {
        Err(ApiError::field(
            field,
            format!("must be one of the event type's lengths ({})", event.length_minutes),
        ))
    }
}
