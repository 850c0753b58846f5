//! Connecting, listing, selecting and disconnecting calendars: the work behind `/v2/calendars*`,
//! `/v2/selected-calendars` and `/v2/destination-calendars`, and the host's calendar pages.

use super::refresh::RefreshOutcome;
use super::secret::feed_external_id;
use super::{Calendars, CalendarsError, ConnectionKind, guard, secret};
use convene_calendar::caldav::{CalDavClient, CalDavCredentials};
use convene_calendar::{CalendarError, FeedValidators, feed_url, fetch_feed};
use convene_core::{CalendarConnectionId, EventTypeId, FieldError, UserId};
use convene_store::calendars::{self, CalendarRecord, ConnectionRecord, ListedCalendar, NamedBusy, NewConnection};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// The most feeds one save may add.
const MAX_FEEDS: usize = 20;

/// A user's connections with their calendars, and the user's default destination.
pub struct Overview {
    pub connections: Vec<(ConnectionRecord, ConnectionKind, Vec<CalendarRecord>)>,
    pub destination: Option<CalendarRecord>,
}

impl Calendars {
    /// Adds a connection holding the feeds at `urls`, each read once first (a feed that can't be read is refused
    /// naming its position), all selected as busy time.
    #[tracing::instrument(skip_all, fields(user_id, feeds = urls.len()))]
    pub async fn connect_feeds(&self, user_id: UserId, urls: &[String]) -> Result<ConnectionRecord, CalendarsError> {
        if urls.is_empty() {
            return Err(FieldError::coded("urls", "refusal-no-feeds", "give at least one feed address").into());
        }
        if urls.len() > MAX_FEEDS {
            return Err(FieldError::coded(
                "urls",
                "refusal-too-many-feeds",
                format!("at most {MAX_FEEDS} feeds at a time"),
            )
            .arg("max", MAX_FEEDS)
            .into());
        }
        let mut parsed = Vec::with_capacity(urls.len());
        for (i, raw) in urls.iter().enumerate() {
            let field = format!("urls[{i}]");
            let url = feed_url(raw).map_err(|e| FieldError::new(&field, e.to_string()))?;
            guard::check_now(&self.settings.host_policy, &url)
                .await
                .map_err(|why| FieldError::new(&field, why))?;
            parsed.push(url);
        }
        let none = FeedValidators::default();
        let checks = parsed.iter().map(|url| fetch_feed(&self.http, url, &none));
        for (i, result) in futures::future::join_all(checks).await.into_iter().enumerate() {
            if let Err(e) = result {
                return Err(FieldError::coded(
                    format!("urls[{i}]"),
                    "refusal-feed-unreadable",
                    format!("the feed could not be read: {e}"),
                )
                .arg("why", e)
                .into());
            }
        }
        let label = parsed
            .first()
            .and_then(Url::host_str)
            .map_or_else(|| "ICS feed".to_owned(), str::to_owned);
        let listed: Vec<(String, String, bool)> = parsed
            .iter()
            .map(|u| {
                let name = format!("{} feed", u.host_str().unwrap_or("ICS"));
                (feed_external_id(u), name, true)
            })
            .collect();
        let plain = serde_json::to_string(&parsed.iter().map(Url::as_str).collect::<Vec<_>>()).unwrap_or_default();
        let connection = self
            .insert(
                user_id,
                ConnectionKind::IcsFeed,
                &label,
                None,
                None,
                &plain,
                &listed,
                true,
            )
            .await?;
        self.refresh_connection(&connection).await;
        Ok(connection)
    }

    /// Adds a CalDAV account: Apple iCloud (its server, an app password) or any CalDAV server at `server`. The
    /// account's event calendars are listed and selected as busy time.
    #[tracing::instrument(skip_all, fields(user_id, kind = kind.as_str()))]
    pub async fn connect_caldav(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        server: Option<&str>,
        username: &str,
        password: SecretString,
    ) -> Result<(ConnectionRecord, RefreshOutcome), CalendarsError> {
        let username = username.trim();
        if username.is_empty() {
            return Err(FieldError::coded("username", "refusal-required", "is required").into());
        }
        if password.expose_secret().is_empty() {
            return Err(FieldError::coded("password", "refusal-required", "is required").into());
        }
        let raw_server = match (kind, server) {
            (ConnectionKind::Apple, _) => self.settings.apple_server.clone(),
            (ConnectionKind::CalDav, Some(s)) => s.trim().to_owned(),
            (ConnectionKind::CalDav, None) => {
                return Err(FieldError::coded("url", "refusal-required", "is required").into());
            }
            _ => return Err(CalendarsError::Unsupported("this calendar connects over OAuth")),
        };
        let server_url = Url::parse(&raw_server)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| FieldError::coded("url", "refusal-http-address", "must be an http(s) address"))?;
        guard::check_now(&self.settings.host_policy, &server_url)
            .await
            .map_err(|why| FieldError::new("url", why))?;
        let client = CalDavClient::new(
            self.http.clone(),
            CalDavCredentials {
                username: username.to_owned(),
                password: password.clone(),
            },
        );
        let account = client.discover(&server_url).await.map_err(|e| match e {
            CalendarError::Unauthorized => CalendarsError::Invalid(FieldError::coded(
                "password",
                "refusal-calendar-credentials",
                "the calendar server refused these credentials",
            )),
            other => CalendarsError::Remote(other),
        })?;
        let found = client.list_calendars(&account.calendar_homes).await?;
        let listed: Vec<(String, String, bool)> = found
            .iter()
            .filter(|c| c.holds_events())
            .map(|c| {
                let name = c.display_name.clone().unwrap_or_else(|| {
                    c.url
                        .path_segments()
                        .and_then(|mut s| s.rfind(|p| !p.is_empty()))
                        .unwrap_or("Calendar")
                        .to_owned()
                });
                (c.url.to_string(), name, c.read_only)
            })
            .collect();
        let label = format!("{username} ({})", server_url.host_str().unwrap_or_default());
        let connection = self
            .insert(
                user_id,
                kind,
                &label,
                Some(username),
                Some(server_url.as_str()),
                password.expose_secret(),
                &listed,
                true,
            )
            .await?;
        // Like Cal.com, the first writable calendar becomes the destination when the user has none yet.
        if calendars::destination(&self.db, user_id, None).await?.is_none()
            && let Some(first) = calendars::calendars_of_connection(&self.db, connection.id)
                .await?
                .into_iter()
                .find(|c| !c.read_only)
        {
            calendars::set_destination(&self.db, user_id, None, first.id).await?;
        }
        let outcome = self.refresh_connection(&connection).await;
        Ok((connection, outcome))
    }

    /// Inserts the connection, its sealed credential and its calendars in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        label: &str,
        username: Option<&str>,
        server_url: Option<&str>,
        plain_secret: &str,
        listed: &[(String, String, bool)],
        select: bool,
    ) -> Result<ConnectionRecord, CalendarsError> {
        let mut tx = self.db.begin().await?;
        let id = calendars::insert_connection(
            &mut tx,
            &NewConnection {
                user_id,
                kind,
                label,
                username,
                server_url,
            },
        )
        .await?;
        let sealed = secret::seal(&self.keyring, id.0, plain_secret)?;
        calendars::set_connection_secret(&mut tx, id, &sealed).await?;
        for (i, (external_id, name, read_only)) in listed.iter().enumerate() {
            let calendar_id = calendars::upsert_calendar(
                &mut tx,
                id,
                user_id,
                &ListedCalendar {
                    external_id,
                    name,
                    read_only: *read_only,
                    is_primary: i == 0,
                },
            )
            .await?;
            if select {
                calendars::set_selected(&mut tx, calendar_id, true).await?;
            }
        }
        let connection = calendars::find_connection(&mut tx, user_id, id)
            .await?
            .ok_or(CalendarsError::NotFound("connection"))?;
        tx.commit().await?;
        Ok(connection)
    }

    /// Everything the user connected.
    pub async fn overview(&self, user_id: UserId) -> Result<Overview, CalendarsError> {
        let connections = calendars::connections_of(&self.db, user_id).await?;
        let all = calendars::calendars_of_user(&self.db, user_id).await?;
        let destination = calendars::destination(&self.db, user_id, None).await?;
        let connections = connections
            .into_iter()
            .map(|c| {
                let own = all.iter().filter(|cal| cal.connection_id == c.id).cloned().collect();
                let kind = c.kind;
                (c, kind, own)
            })
            .collect();
        Ok(Overview {
            connections,
            destination,
        })
    }

    /// The user's connections of `kind`, each read again now: their health afterwards.
    pub async fn check(&self, user_id: UserId, kind: ConnectionKind) -> Result<Vec<ConnectionRecord>, CalendarsError> {
        let mine: Vec<ConnectionRecord> = calendars::connections_of(&self.db, user_id)
            .await?
            .into_iter()
            .filter(|c| c.kind == kind)
            .collect();
        if mine.is_empty() {
            return Err(CalendarsError::NotFound("calendar connection"));
        }
        futures::future::join_all(mine.iter().map(|c| self.refresh_connection(c))).await;
        let mut checked = Vec::with_capacity(mine.len());
        for c in &mine {
            if let Some(now) = calendars::find_connection(&self.db, user_id, c.id).await? {
                checked.push(now);
            }
        }
        Ok(checked)
    }

    /// Removes the user's connection `id` of `kind` with its calendars and cached busy time.
    pub async fn disconnect(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        id: i64,
    ) -> Result<ConnectionRecord, CalendarsError> {
        let connection = calendars::find_connection(&self.db, user_id, CalendarConnectionId(id))
            .await?
            .filter(|c| c.kind == kind)
            .ok_or(CalendarsError::NotFound("calendar connection"))?;
        calendars::delete_connection(&self.db, user_id, CalendarConnectionId(id)).await?;
        Ok(connection)
    }

    /// Counts (or stops counting) a calendar's events as busy; selecting reads it at once.
    pub async fn select(
        &self,
        user_id: UserId,
        integration: &str,
        external_id: &str,
        connection_id: CalendarConnectionId,
        selected: bool,
    ) -> Result<(ConnectionKind, CalendarRecord), CalendarsError> {
        let (kind, connection, calendar) = self
            .find_calendar(user_id, integration, external_id, Some(connection_id))
            .await?;
        calendars::set_selected(&self.db, calendar.id, selected).await?;
        if selected {
            self.refresh_connection(&connection).await;
        }
        let calendar = calendars::find_calendar(&self.db, user_id, connection.id, external_id)
            .await?
            .ok_or(CalendarsError::NotFound("calendar"))?;
        Ok((kind, calendar))
    }

    /// Makes the calendar where the user's new bookings are written (for `event_type_id`, or all when `None`).
    pub async fn set_destination(
        &self,
        user_id: UserId,
        integration: &str,
        external_id: &str,
        event_type_id: Option<EventTypeId>,
    ) -> Result<(ConnectionKind, CalendarRecord), CalendarsError> {
        let (kind, _, calendar) = self.find_calendar(user_id, integration, external_id, None).await?;
        if calendar.read_only {
            return Err(
                FieldError::coded("externalId", "refusal-calendar-read-only", "this calendar is read-only").into(),
            );
        }
        calendars::set_destination(&self.db, user_id, event_type_id, calendar.id).await?;
        Ok((kind, calendar))
    }

    /// Checks a destination an event type names (`DestinationCalendar_2024_06_14`): the user's own calendar, and
    /// writable. Errors name `destinationCalendar.*`.
    pub async fn destination_choice(
        &self,
        user_id: UserId,
        integration: &str,
        external_id: &str,
    ) -> Result<CalendarRecord, CalendarsError> {
        let found = self.find_calendar(user_id, integration, external_id, None).await;
        let calendar = match found {
            Ok((_, _, calendar)) => calendar,
            Err(CalendarsError::Invalid(_)) => {
                return Err(FieldError::coded(
                    "destinationCalendar.integration",
                    "refusal-calendar-integration",
                    format!("'{integration}' is not a calendar integration"),
                )
                .arg("value", integration)
                .into());
            }
            Err(CalendarsError::NotFound(_)) => {
                return Err(FieldError::coded(
                    "destinationCalendar.externalId",
                    "refusal-not-your-calendar",
                    "is not one of your connected calendars (see GET /v2/calendars)",
                )
                .into());
            }
            Err(e) => return Err(e),
        };
        if calendar.read_only {
            return Err(FieldError::coded(
                "destinationCalendar.externalId",
                "refusal-calendar-read-only",
                "this calendar is read-only",
            )
            .into());
        }
        Ok(calendar)
    }

    /// Sets (`Some`) or removes (`None`) the calendar bookings of `event_type_id` go to instead of the user's.
    pub async fn set_event_type_destination(
        &self,
        user_id: UserId,
        event_type_id: EventTypeId,
        calendar: Option<&CalendarRecord>,
    ) -> Result<(), CalendarsError> {
        match calendar {
            Some(c) => calendars::set_destination(&self.db, user_id, Some(event_type_id), c.id).await?,
            None => calendars::clear_event_type_destination(&self.db, user_id, event_type_id).await?,
        }
        Ok(())
    }

    /// A team event type's destination: at most one calendar, the choosing member's own. Bookings assigned to that
    /// member go there; every other host's go to their own destination (`writes` asks for the host's row only).
    /// `None` clears it.
    pub async fn set_team_event_type_destination(
        &self,
        user_id: UserId,
        event_type_id: EventTypeId,
        calendar: Option<&CalendarRecord>,
    ) -> Result<(), CalendarsError> {
        let mut tx = self.db.begin().await?;
        calendars::clear_event_type_destinations(&mut tx, event_type_id).await?;
        if let Some(c) = calendar {
            calendars::set_destination(&mut tx, user_id, Some(event_type_id), c.id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The calendar a team event type names, as its integration and external id.
    pub async fn team_event_type_destination(
        &self,
        event_type_id: EventTypeId,
    ) -> Result<Option<(ConnectionKind, CalendarRecord)>, CalendarsError> {
        let Some(calendar) = calendars::shared_event_type_destination(&self.db, event_type_id).await? else {
            return Ok(None);
        };
        let kind = calendars::find_connection(&self.db, calendar.user_id, calendar.connection_id)
            .await?
            .map(|c| c.kind);
        Ok(kind.map(|k| (k, calendar)))
    }

    /// The event type's own destination, as its integration and external id.
    pub async fn event_type_destination(
        &self,
        user_id: UserId,
        event_type_id: EventTypeId,
    ) -> Result<Option<(ConnectionKind, CalendarRecord)>, CalendarsError> {
        let Some(calendar) = calendars::event_type_destination(&self.db, user_id, event_type_id).await? else {
            return Ok(None);
        };
        let kind = calendars::find_connection(&self.db, user_id, calendar.connection_id)
            .await?
            .map(|c| c.kind);
        Ok(kind.map(|k| (k, calendar)))
    }

    async fn find_calendar(
        &self,
        user_id: UserId,
        integration: &str,
        external_id: &str,
        connection_id: Option<CalendarConnectionId>,
    ) -> Result<(ConnectionKind, ConnectionRecord, CalendarRecord), CalendarsError> {
        let kind = ConnectionKind::from_integration(integration).ok_or_else(|| {
            FieldError::coded(
                "integration",
                "refusal-calendar-integration",
                format!("'{integration}' is not a calendar integration"),
            )
            .arg("value", integration)
        })?;
        let connections = calendars::connections_of(&self.db, user_id).await?;
        for connection in connections
            .into_iter()
            .filter(|c| c.kind == kind && connection_id.is_none_or(|id| id == c.id))
        {
            if let Some(calendar) = calendars::find_calendar(&self.db, user_id, connection.id, external_id).await? {
                return Ok((kind, connection, calendar));
            }
        }
        Err(CalendarsError::NotFound("calendar"))
    }

    /// The cached busy time of the user's selected calendars in [`from`, `to`), each naming its calendar and event.
    pub async fn busy_times(
        &self,
        user_id: UserId,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<NamedBusy>, CalendarsError> {
        Ok(calendars::named_busy_between(&self.db, user_id, from, to).await?)
    }
}
