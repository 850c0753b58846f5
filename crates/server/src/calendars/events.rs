//! One event of a connected calendar, read or changed in place: what `GET /v2/calendars/{calendar}/event/{eventUid}`
//! and `PATCH …/events/{eventUid}` call. The event is looked for in the calendar a booking reference names (the id
//! `/v2/bookings/{uid}/references` gives), else in the user's primary calendar of that kind.

use super::oauth::{OAuthClient, is_oauth};
use super::{Calendars, CalendarsError, ConnectionKind, secret};
use convene_calendar::{CalendarError, EventChanges, EventDetails};
use convene_store::calendar_jobs;
use convene_store::calendars::{self, CalendarRecord, ConnectionRecord};

impl Calendars {
    /// The event `event_id` of the user's `kind` calendars.
    pub async fn event(
        &self,
        user_id: i64,
        kind: ConnectionKind,
        event_id: &str,
    ) -> Result<EventDetails, CalendarsError> {
        self.with_event(user_id, kind, event_id, None).await
    }

    /// Changes some fields of the event `event_id` and returns it as it is now.
    pub async fn update_event(
        &self,
        user_id: i64,
        kind: ConnectionKind,
        event_id: &str,
        changes: &EventChanges,
    ) -> Result<EventDetails, CalendarsError> {
        self.with_event(user_id, kind, event_id, Some(changes)).await
    }

    async fn with_event(
        &self,
        user_id: i64,
        kind: ConnectionKind,
        event_id: &str,
        changes: Option<&EventChanges>,
    ) -> Result<EventDetails, CalendarsError> {
        if kind != ConnectionKind::Google {
            return Err(CalendarsError::Unsupported(
                "meeting details are available for google calendars",
            ));
        }
        let (connection, calendar) = self.event_home(user_id, kind, event_id).await?;
        let secret = secret::open(&self.keyring, connection.id, &connection.sealed_secret)?;
        let client = self.oauth_client(&connection, &secret)?;
        let result = match (&client, changes) {
            (OAuthClient::Google(google), None) => google.get_event(&calendar.external_id, event_id).await,
            (OAuthClient::Google(google), Some(changes)) => {
                google.update_fields(&calendar.external_id, event_id, changes).await
            }
            (OAuthClient::Graph(_), _) => Err(CalendarError::NotFound),
        };
        self.keep_refreshed(connection.id, &client).await;
        match result {
            Err(CalendarError::NotFound) => Err(CalendarsError::NotFound("calendar event")),
            other => Ok(other?),
        }
    }

    /// The connection and calendar holding `event_id`: the one a booking reference names, else the primary.
    async fn event_home(
        &self,
        user_id: i64,
        kind: ConnectionKind,
        event_id: &str,
    ) -> Result<(ConnectionRecord, CalendarRecord), CalendarsError> {
        debug_assert!(is_oauth(kind));
        let connections: Vec<ConnectionRecord> = calendars::connections_of(&self.db, user_id)
            .await?
            .into_iter()
            .filter(|c| c.kind == kind.as_str())
            .collect();
        let all = calendars::calendars_of_user(&self.db, user_id).await?;
        let referenced = calendar_jobs::reference_by_href(&self.db, user_id, kind.integration(), event_id).await?;
        let calendar = referenced
            .and_then(|r| r.calendar_id)
            .and_then(|id| all.iter().find(|c| c.id == id))
            .or_else(|| {
                all.iter()
                    .find(|c| c.is_primary && connections.iter().any(|k| k.id == c.connection_id))
            })
            .cloned()
            .ok_or(CalendarsError::NotFound("calendar connection"))?;
        let connection = connections
            .into_iter()
            .find(|c| c.id == calendar.connection_id)
            .ok_or(CalendarsError::NotFound("calendar connection"))?;
        Ok((connection, calendar))
    }
}
