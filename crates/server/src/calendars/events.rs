//! One event of a connected calendar, read or changed in place: what `GET /v2/calendars/{calendar}/event/{eventUid}`
//! and `PATCH …/events/{eventUid}` call, for Google, Outlook (Microsoft Graph) and CalDAV (Apple or any server).
//!
//! Google and Graph know the event by their own id: it is looked for in the calendar a booking reference names (the
//! id `/v2/bookings/{uid}/references` gives), else in the user's primary calendar of that kind. CalDAV knows it by
//! its iCalendar UID: the reference's address, else `{uid}.ics` in each of the user's calendars of that kind (where
//! convene and most apps put it). A CalDAV change is written with `If-Match`, so an edit made meanwhile in another
//! app is never overwritten blind.

use super::oauth::{OAuthClient, is_oauth};
use super::{Calendars, CalendarsError, ConnectionKind, secret};
use convene_calendar::caldav::{CalDavClient, CalDavCredentials, CalendarObject, event_url};
use convene_calendar::ical::{apply_changes, event_details};
use convene_calendar::{CalendarError, EventChanges, EventDetails};
use convene_core::{CalendarConnectionId, UserId};
use convene_store::calendar_jobs;
use convene_store::calendars::{self, CalendarRecord, ConnectionRecord};
use url::Url;

impl Calendars {
    /// The event `event_id` of the user's `kind` calendars.
    pub async fn event(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        event_id: &str,
    ) -> Result<EventDetails, CalendarsError> {
        self.with_event(user_id, kind, event_id, None).await
    }

    /// Changes some fields of the event `event_id` and returns it as it is now.
    pub async fn update_event(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        event_id: &str,
        changes: &EventChanges,
    ) -> Result<EventDetails, CalendarsError> {
        self.with_event(user_id, kind, event_id, Some(changes)).await
    }

    async fn with_event(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        event_id: &str,
        changes: Option<&EventChanges>,
    ) -> Result<EventDetails, CalendarsError> {
        let result = match kind {
            ConnectionKind::Google | ConnectionKind::Office365 => {
                self.oauth_event(user_id, kind, event_id, changes).await
            }
            ConnectionKind::Apple | ConnectionKind::CalDav => self.caldav_event(user_id, kind, event_id, changes).await,
            ConnectionKind::IcsFeed => {
                return Err(CalendarsError::Unsupported(
                    "an ICS feed's events can't be read or changed one by one",
                ));
            }
        };
        match result {
            Err(CalendarsError::Remote(CalendarError::NotFound)) => Err(CalendarsError::NotFound("calendar event")),
            other => other,
        }
    }

    async fn oauth_event(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        event_id: &str,
        changes: Option<&EventChanges>,
    ) -> Result<EventDetails, CalendarsError> {
        debug_assert!(is_oauth(kind));
        let (connection, calendar) = self.event_home(user_id, kind, event_id).await?;
        let secret = secret::open(&self.keyring, connection.id.0, &connection.sealed_secret)?;
        let client = self.oauth_client(&connection, &secret)?;
        let result = match (&client, changes) {
            (OAuthClient::Google(google), None) => google.get_event(&calendar.external_id, event_id).await,
            (OAuthClient::Google(google), Some(changes)) => {
                google.update_fields(&calendar.external_id, event_id, changes).await
            }
            (OAuthClient::Graph(graph), None) => graph.get_event(event_id).await,
            (OAuthClient::Graph(graph), Some(changes)) => graph.update_fields(event_id, changes).await,
        };
        self.keep_refreshed(connection.id, &client).await;
        Ok(result?)
    }

    /// The connection and calendar holding `event_id`: the one a booking reference names, else the primary.
    async fn event_home(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        event_id: &str,
    ) -> Result<(ConnectionRecord, CalendarRecord), CalendarsError> {
        let (connections, all) = self.calendars_of_kind(user_id, kind).await?;
        let referenced = calendar_jobs::reference_by_href(&self.db, user_id, kind, event_id).await?;
        let calendar = referenced
            .and_then(|r| r.calendar_id)
            .and_then(|id| all.iter().find(|c| c.id == id))
            .or_else(|| all.iter().find(|c| c.is_primary))
            .cloned()
            .ok_or(CalendarsError::NotFound("calendar connection"))?;
        let connection = connections
            .into_iter()
            .find(|c| c.id == calendar.connection_id)
            .ok_or(CalendarsError::NotFound("calendar connection"))?;
        Ok((connection, calendar))
    }

    /// The user's connections of `kind` and their calendars.
    async fn calendars_of_kind(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
    ) -> Result<(Vec<ConnectionRecord>, Vec<CalendarRecord>), CalendarsError> {
        let connections: Vec<ConnectionRecord> = calendars::connections_of(&self.db, user_id)
            .await?
            .into_iter()
            .filter(|c| c.kind == kind)
            .collect();
        let mut all = calendars::calendars_of_user(&self.db, user_id).await?;
        all.retain(|c| connections.iter().any(|k| k.id == c.connection_id));
        Ok((connections, all))
    }

    async fn caldav_event(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        uid: &str,
        changes: Option<&EventChanges>,
    ) -> Result<EventDetails, CalendarsError> {
        let (client, object) = self.find_caldav_object(user_id, kind, uid).await?;
        let Some(changes) = changes else {
            return Ok(event_details(&object.data, uid)?);
        };
        let changed = apply_changes(&object.data, changes, jiff::Timestamp::now())?;
        client
            .update_event(&object.href, &changed, object.etag.as_ref())
            .await?;
        Ok(event_details(&changed, uid)?)
    }

    /// The CalDAV object of the event `uid`, with the client that reads it.
    async fn find_caldav_object(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        uid: &str,
    ) -> Result<(CalDavClient, CalendarObject), CalendarsError> {
        let (connections, all) = self.calendars_of_kind(user_id, kind).await?;
        let reference = calendar_jobs::live_reference(&self.db, user_id, uid)
            .await?
            .filter(|r| r.kind == kind);
        // Where to look, most likely first: the reference's address, then `{uid}.ics` in each calendar.
        let mut places: Vec<(i64, Url)> = Vec::new();
        if let Some(r) = &reference
            && let (Some(calendar), Ok(href)) = (
                r.calendar_id.and_then(|id| all.iter().find(|c| c.id == id)),
                Url::parse(&r.href),
            )
        {
            places.push((calendar.connection_id.0, href));
        }
        for calendar in &all {
            if let Ok(base) = Url::parse(&calendar.external_id) {
                places.push((calendar.connection_id.0, event_url(&base, uid)?));
            }
        }
        for (connection_id, href) in places {
            let Some(connection) = connections.iter().find(|c| c.id == CalendarConnectionId(connection_id)) else {
                continue;
            };
            let client = CalDavClient::new(
                self.http.clone(),
                CalDavCredentials {
                    username: connection.username.clone().unwrap_or_default(),
                    password: secret::open(&self.keyring, connection.id.0, &connection.sealed_secret)?,
                },
            );
            match client.get_event(&href).await {
                Ok(object) => return Ok((client, object)),
                Err(CalendarError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(CalendarsError::NotFound("calendar event"))
    }
}
