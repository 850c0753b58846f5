//! Keeping the busy cache current: each selected calendar is read for the window [a day ago, `horizon_days`
//! ahead), skipped while its change marker (CTag / sync token, a feed's ETag or Last-Modified) is unchanged and the
//! cached window still reaches far enough. All calendars of a pass are read concurrently, each under a timeout, so a
//! pass takes as long as its slowest calendar, not their sum.

use super::oauth::{OAuthClient, is_oauth};
use super::secret::{feed_external_id, feed_urls};
use super::{Calendars, ConnectionKind, later, secret};
use convene_calendar::caldav::{BusyMethod, CalDavClient, CalDavCredentials, CollectionVersion};
use convene_calendar::{BusyReport, BusyWindow, CalendarError, FeedFetch, FeedValidators, IcsLimits};
use convene_calendar::{busy_from_ics, fetch_feed};
use convene_core::{CalendarConnectionId, UserId};
use convene_store::calendars::{self, BusyRow, CacheMarkers, CalendarRecord, ConnectionRecord};
use convene_store::users;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use url::Url;

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// What one refresh of a connection did, calendar by calendar.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefreshOutcome {
    /// Calendars read and their cache replaced.
    pub read: usize,
    /// Calendars whose marker said nothing changed.
    pub unchanged: usize,
    /// Calendars that failed (their cache kept).
    pub failed: usize,
}

/// What happened to one calendar.
enum Step {
    Read(Vec<BusyRow>, CacheMarkers),
    Unchanged,
}

impl Calendars {
    /// Reads every selected calendar of `connection` into the cache and records health. Never fails: failures are
    /// recorded on the calendar (and on the connection when all of its calendars failed).
    #[tracing::instrument(skip_all, fields(connection_id = connection.id.0, kind = %connection.kind))]
    pub async fn refresh_connection(&self, connection: &ConnectionRecord) -> RefreshOutcome {
        let mut outcome = RefreshOutcome::default();
        let now = Timestamp::now();
        let selected: Vec<CalendarRecord> = match calendars::calendars_of_connection(&self.db, connection.id).await {
            Ok(all) => all.into_iter().filter(|c| c.selected).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not load the connection's calendars");
                return outcome;
            }
        };
        let secret = match secret::open(&self.keyring, connection.id.0, &connection.sealed_secret) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "a calendar credential could not be opened");
                self.note_connection(connection.id, Some("the stored credential could not be opened"), now)
                    .await;
                return outcome;
            }
        };
        let oauth = if is_oauth(connection.kind) {
            match self.oauth_client(connection, &secret) {
                Ok(client) => Some(client),
                Err(e) => {
                    self.note_connection(connection.id, Some(&e.to_string()), now).await;
                    return outcome;
                }
            }
        } else {
            None
        };
        let zone = self.host_zone(connection.user_id).await;
        let window = BusyWindow {
            from: now - DAY,
            to: later(
                now,
                SignedDuration::from_hours(self.settings.horizon_days.saturating_mul(24)),
            ),
            host_zone: zone,
        };
        // Two requests at most per calendar (marker, then contents), each bounded by the request timeout.
        let limit = self.settings.request_timeout * 2 + Duration::from_secs(1);
        let reads = selected.iter().map(|calendar| {
            let (secret, window, oauth) = (&secret, &window, oauth.as_ref());
            async move {
                let read = self.read_calendar(connection, calendar, secret, oauth, window);
                let result = tokio::time::timeout(limit, read)
                    .await
                    .unwrap_or(Err(CalendarError::Timeout));
                (calendar, result)
            }
        });
        let results = futures::future::join_all(reads).await;
        if let Some(client) = &oauth {
            self.keep_refreshed(connection.id, client).await;
        }
        let mut first_error = None;
        for (calendar, result) in results {
            match result {
                Ok(Step::Read(rows, markers)) => {
                    outcome.read += 1;
                    if let Err(e) = self.store_busy(calendar, &rows, &markers, now).await {
                        tracing::warn!(error = %e, calendar_id = calendar.id.0, "could not store busy time");
                    }
                }
                Ok(Step::Unchanged) => {
                    outcome.unchanged += 1;
                    let _ = calendars::record_calendar_health(&self.db, calendar.id, None, now).await;
                }
                Err(e) => {
                    outcome.failed += 1;
                    let text = e.to_string();
                    tracing::info!(calendar_id = calendar.id.0, error = %text, "calendar could not be read");
                    let _ = calendars::record_calendar_health(&self.db, calendar.id, Some(&text), now).await;
                    first_error.get_or_insert(text);
                }
            }
        }
        let all_failed = outcome.failed > 0 && outcome.read + outcome.unchanged == 0;
        self.note_connection(connection.id, first_error.as_deref().filter(|_| all_failed), now)
            .await;
        outcome
    }

    /// Refreshes every connection that has a selected calendar, all at once. Returns how many were refreshed.
    pub async fn refresh_all(&self) -> usize {
        let connections = match calendars::connections_with_selected(&self.db).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "could not list calendar connections");
                return 0;
            }
        };
        futures::future::join_all(connections.iter().map(|c| self.refresh_connection(c))).await;
        connections.len()
    }

    async fn note_connection(&self, id: CalendarConnectionId, error: Option<&str>, now: Timestamp) {
        if let Err(e) = calendars::record_connection_health(&self.db, id, error, now).await {
            tracing::warn!(error = %e, "could not record calendar health");
        }
    }

    async fn store_busy(
        &self,
        calendar: &CalendarRecord,
        rows: &[BusyRow],
        markers: &CacheMarkers,
        now: Timestamp,
    ) -> Result<(), convene_store::StoreError> {
        let mut tx = self.db.begin().await?;
        calendars::replace_busy(&mut tx, calendar, rows, markers, now).await?;
        tx.commit().await
    }

    async fn host_zone(&self, user_id: UserId) -> TimeZone {
        match users::find(&self.db, user_id).await {
            Ok(Some(user)) => TimeZone::get(&user.time_zone).unwrap_or(TimeZone::UTC),
            _ => TimeZone::UTC,
        }
    }

    async fn read_calendar(
        &self,
        connection: &ConnectionRecord,
        calendar: &CalendarRecord,
        secret: &SecretString,
        oauth: Option<&OAuthClient>,
        window: &BusyWindow,
    ) -> Result<Step, CalendarError> {
        // Re-read in full once a day even when unchanged, so the cached window keeps reaching the horizon.
        let window_fresh = calendar.cached_to.is_some_and(|to| later(to, DAY) >= window.to)
            && calendar.cached_from.is_some_and(|from| from <= later(window.from, DAY));
        let cached = |report: BusyReport, markers: CacheMarkers| {
            let rows = report
                .busy
                .iter()
                .map(|b| BusyRow {
                    start_at: b.interval.start,
                    end_at: b.interval.end,
                    event_uid: b.source.uid.clone(),
                    summary: b.source.summary.clone(),
                })
                .collect();
            Step::Read(
                rows,
                CacheMarkers {
                    cached_from: window.from,
                    cached_to: window.to,
                    ..markers
                },
            )
        };
        match connection.kind {
            ConnectionKind::IcsFeed => {
                let url = feed_urls(secret)
                    .into_iter()
                    .find(|u| feed_external_id(u) == calendar.external_id)
                    .ok_or(CalendarError::NotFound)?;
                let validators = if window_fresh {
                    FeedValidators {
                        etag: calendar.etag.clone(),
                        last_modified: calendar.last_modified.clone(),
                    }
                } else {
                    FeedValidators::default()
                };
                match fetch_feed(&self.http, &url, &validators).await? {
                    FeedFetch::NotModified => Ok(Step::Unchanged),
                    FeedFetch::Fetched { ics, validators } => {
                        let report = busy_from_ics(&ics, &calendar.name, window, &IcsLimits::default())?;
                        Ok(cached(
                            report,
                            CacheMarkers {
                                etag: validators.etag,
                                last_modified: validators.last_modified,
                                ..CacheMarkers::default()
                            },
                        ))
                    }
                }
            }
            ConnectionKind::CalDav | ConnectionKind::Apple => {
                let url = Url::parse(&calendar.external_id)
                    .map_err(|_| CalendarError::Protocol("the stored calendar address is invalid".into()))?;
                let client = CalDavClient::new(
                    self.http.clone(),
                    CalDavCredentials {
                        username: connection.username.clone().unwrap_or_default(),
                        password: secret.clone(),
                    },
                );
                let version = client.collection_version(&url).await?;
                let held = CollectionVersion {
                    ctag: calendar.ctag.clone(),
                    sync_token: calendar.sync_token.clone(),
                };
                if window_fresh && version.unchanged_since(&held) {
                    return Ok(Step::Unchanged);
                }
                let report = client
                    .busy(&url, &calendar.name, window, BusyMethod::Events, &IcsLimits::default())
                    .await?;
                Ok(cached(
                    report,
                    CacheMarkers {
                        ctag: version.ctag,
                        sync_token: version.sync_token,
                        ..CacheMarkers::default()
                    },
                ))
            }
            // Google and Graph have no cheap "changed?" question for free/busy: read every pass (one request, or
            // a few pages of calendarView).
            ConnectionKind::Google | ConnectionKind::Office365 => {
                let report = match oauth {
                    Some(OAuthClient::Google(google)) => google
                        .free_busy(std::slice::from_ref(&calendar.external_id), window)
                        .await?
                        .into_iter()
                        .next()
                        .map_or(Err(CalendarError::NotFound), |one| one.result)?,
                    Some(OAuthClient::Graph(graph)) => {
                        graph
                            .calendar_view(&calendar.external_id, &calendar.name, window)
                            .await?
                    }
                    None => return Err(CalendarError::Unauthorized),
                };
                Ok(cached(report, CacheMarkers::default()))
            }
        }
    }
}

/// How often due calendar writes are looked for.
const WRITE_POLL: Duration = Duration::from_millis(500);

/// Runs [`Calendars::refresh_all`] every `refresh_interval` and the calendar writes
/// ([`Calendars::process_due_writes`]) every half second, until `stop` turns true.
pub fn spawn_refresher(calendars: Arc<Calendars>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = calendars.settings.refresh_interval;
        let mut next_refresh = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            if tokio::time::Instant::now() >= next_refresh {
                calendars.refresh_all().await;
                next_refresh = tokio::time::Instant::now() + every;
            }
            let pass = calendars.process_due_writes().await;
            if pass.done + pass.retrying + pass.failed > 0 {
                continue;
            }
            let wake = next_refresh.min(tokio::time::Instant::now() + WRITE_POLL);
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                _ = stop.changed() => {}
            }
        }
    })
}
