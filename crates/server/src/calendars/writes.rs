//! Writing bookings into hosts' destination calendars, from the durable jobs the booking changes queue
//! (`convene_store::calendar_jobs`). A job makes the destination match its booking as it is now: an accepted booking
//! gets its event created, or updated in place when the event of its iCalendar UID exists (a reschedule keeps the
//! UID, so the event moves); a cancelled or declined one gets it deleted; a booking rescheduled away leaves the event
//! to its successor. Failures are retried with growing delays, then marked failed; no job is ever dropped.

use super::oauth::OAuthClient;
use super::{Calendars, ConnectionKind, later, secret};
use convene_calendar::BookingEvent;
use convene_calendar::CalendarError;
use convene_calendar::caldav::{CalDavClient, CalDavCredentials, ETag};
use convene_core::ics::Party;
use convene_core::{BookingStatus, CalendarJobStatus, UserId};
use convene_store::calendar_jobs::{self, CalendarJob, NewReference};
use convene_store::{bookings, calendars, users};
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;
use url::Url;

/// Attempts before a job is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// The first retry's delay; each later one doubles it (30 s, 1 min, 2 min … about an hour before the last).
const FIRST_RETRY_MS: i64 = 30_000;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error(transparent)]
    Remote(#[from] CalendarError),
    #[error("{0}")]
    Local(String),
}

impl From<convene_store::StoreError> for JobError {
    fn from(e: convene_store::StoreError) -> Self {
        JobError::Local(format!("storage: {e}"))
    }
}

/// What one pass of [`Calendars::process_due_writes`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WritePass {
    pub done: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Calendars {
    /// The user's calendar writes that are not done — queued, retrying (with the last error and when the next try
    /// is) or failed —, newest first, `per_page` of page `page` (from 1): what the host's pages show so a write is
    /// never silently lost.
    pub async fn unfinished_writes(
        &self,
        user_id: UserId,
        page: i64,
        per_page: i64,
    ) -> Result<Vec<CalendarJob>, super::CalendarsError> {
        let per_page = per_page.clamp(1, 100);
        let offset = (page.max(1) - 1).saturating_mul(per_page);
        Ok(calendar_jobs::unfinished_of_user(&self.db, user_id, per_page, offset).await?)
    }

    /// Claims the due calendar writes and works them concurrently, each under a timeout; the step tests drive.
    pub async fn process_due_writes(&self) -> WritePass {
        let now = Timestamp::now();
        let limit = self.settings.request_timeout * 3;
        let lease_ms = i64::try_from((limit + Duration::from_secs(5)).as_millis()).unwrap_or(60_000);
        let jobs = match calendar_jobs::claim_due(&self.db, now, later(now, SignedDuration::from_millis(lease_ms)), 16)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim calendar writes");
                return WritePass::default();
            }
        };
        let runs = jobs.iter().map(|job| async move {
            let result = tokio::time::timeout(limit, self.write(job))
                .await
                .unwrap_or(Err(JobError::Remote(CalendarError::Timeout)));
            (job, result)
        });
        let mut pass = WritePass::default();
        for (job, result) in futures::future::join_all(runs).await {
            let (status, not_before, error) = match result {
                Ok(()) => {
                    pass.done += 1;
                    (CalendarJobStatus::Done, now, None)
                }
                Err(e) => {
                    let retry = job.attempts < MAX_ATTEMPTS
                        && match &e {
                            JobError::Remote(remote) => !remote.needs_reconnect() || job.attempts < 3,
                            JobError::Local(_) => true,
                        };
                    let text = e.to_string();
                    tracing::info!(job = job.id.0, attempts = job.attempts, error = %text, "calendar write failed");
                    if retry {
                        pass.retrying += 1;
                        let delay = FIRST_RETRY_MS << (job.attempts - 1).clamp(0, 20);
                        let asked = match &e {
                            JobError::Remote(remote) => remote
                                .retry_after()
                                .and_then(|d| i64::try_from(d.as_millis()).ok())
                                .unwrap_or(0),
                            JobError::Local(_) => 0,
                        };
                        (
                            CalendarJobStatus::Retrying,
                            later(now, SignedDuration::from_millis(delay.max(asked))),
                            Some(text),
                        )
                    } else {
                        pass.failed += 1;
                        (CalendarJobStatus::Failed, now, Some(text))
                    }
                }
            };
            if let Err(e) = calendar_jobs::settle(&self.db, job.id, status, not_before, error.as_deref()).await {
                tracing::warn!(error = %e, job = job.id.0, "could not settle a calendar write");
            }
        }
        pass
    }

    async fn write(&self, job: &CalendarJob) -> Result<(), JobError> {
        let Some(booking) = bookings::find_by_uid(&self.db, &job.booking_uid).await? else {
            return Ok(());
        };
        let existing = calendar_jobs::live_reference(&self.db, job.user_id, &booking.ical_uid).await?;
        // Only the booking's host keeps it in their calendar: after a reassignment the previous host's job removes it.
        let wanted = booking.status == BookingStatus::Accepted && booking.host_id == job.user_id;
        if !wanted && booking.rescheduled_to_uid.is_some() {
            // The successor booking moves the event.
            return Ok(());
        }
        let destination = match &existing {
            Some(r) => match r.calendar_id {
                Some(id) => calendars::calendars_of_user(&self.db, job.user_id)
                    .await?
                    .into_iter()
                    .find(|c| c.id == id),
                None => None,
            },
            None => calendars::destination(&self.db, job.user_id, booking.event_type_id).await?,
        };
        let Some(calendar) = destination else {
            return Ok(());
        };
        let connection = calendars::find_connection(&self.db, job.user_id, calendar.connection_id)
            .await?
            .ok_or_else(|| JobError::Local("the calendar's connection is gone".into()))?;
        let kind = connection.kind;
        if kind == ConnectionKind::IcsFeed {
            return Err(JobError::Local("an ICS feed is read-only".into()));
        }
        let secret = secret::open(&self.keyring, connection.id.0, &connection.sealed_secret)
            .map_err(|_| JobError::Local("the stored credential could not be opened".into()))?;
        let remote = match kind {
            ConnectionKind::Google | ConnectionKind::Office365 => Remote::OAuth(
                self.oauth_client(&connection, &secret)
                    .map_err(|e| JobError::Local(e.to_string()))?,
            ),
            _ => Remote::CalDav(CalDavClient::new(
                self.http.clone(),
                CalDavCredentials {
                    username: connection.username.clone().unwrap_or_default(),
                    password: secret,
                },
            )),
        };
        let result = self
            .apply(job, &booking, existing, &calendar, kind, &remote, wanted)
            .await;
        if let Remote::OAuth(client) = &remote {
            self.keep_refreshed(connection.id, client).await;
        }
        result
    }

    /// Makes the remote event match the booking, through `remote`.
    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        job: &CalendarJob,
        booking: &bookings::BookingRecord,
        existing: Option<calendar_jobs::BookingReference>,
        calendar: &calendars::CalendarRecord,
        kind: ConnectionKind,
        remote: &Remote,
        wanted: bool,
    ) -> Result<(), JobError> {
        if !wanted {
            if booking.status == BookingStatus::Pending {
                return Ok(());
            }
            if let Some(r) = existing {
                match remote.delete(calendar, &r.href).await {
                    Ok(()) | Err(CalendarError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
                calendar_jobs::retire_reference(&self.db, r.id).await?;
            }
            return Ok(());
        }
        let host = users::find(&self.db, job.user_id)
            .await?
            .ok_or_else(|| JobError::Local("the host is gone".into()))?;
        let attendees = bookings::attendees(&self.db, &[booking.id]).await?;
        let event = BookingEvent {
            uid: booking.ical_uid.clone(),
            sequence: booking.ical_sequence,
            start: booking.start_at,
            end: booking.end_at,
            summary: booking.title.clone(),
            description: booking.description.clone(),
            location: booking.location.clone(),
            organizer: Party {
                name: host.name.clone().unwrap_or_else(|| host.username.clone()),
                email: host.email.clone(),
            },
            attendees: attendees
                .iter()
                .map(|a| Party {
                    name: a.name.clone(),
                    email: a.email.clone(),
                })
                .collect(),
            time_zone: host.time_zone.clone(),
        };
        let (href, etag) = remote
            .put(calendar, existing.as_ref().map(|r| r.href.as_str()), &event)
            .await?;
        calendar_jobs::record_reference(
            &self.db,
            &NewReference {
                booking_uid: &booking.uid,
                ical_uid: &booking.ical_uid,
                user_id: job.user_id,
                calendar_id: calendar.id,
                kind,
                external_id: &calendar.external_id,
                href: &href,
                etag: etag.as_deref(),
            },
        )
        .await?;
        Ok(())
    }
}

/// The client a write goes through.
// One lives for one job, on that job's task: the size difference between the variants costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
enum Remote {
    CalDav(CalDavClient),
    OAuth(OAuthClient),
}

impl Remote {
    /// Creates the booking's event, or updates the one at `existing` (re-creating it when it was deleted in the
    /// calendar meanwhile). Returns where the event is (CalDAV: its URL; Google and Graph: the event id) and its
    /// ETag.
    async fn put(
        &self,
        calendar: &calendars::CalendarRecord,
        existing: Option<&str>,
        event: &BookingEvent,
    ) -> Result<(String, Option<String>), JobError> {
        match self {
            Remote::CalDav(client) => {
                let ics = event.to_ics(Timestamp::now());
                let calendar_url = calendar_url(&calendar.external_id)?;
                let stored = match existing {
                    Some(href) => {
                        let href = Url::parse(href)
                            .map_err(|_| JobError::Local("a stored event address is invalid".into()))?;
                        match client.update_event(&href, &ics, None).await {
                            // Deleted in the calendar meanwhile: write it again.
                            Err(CalendarError::PreconditionFailed | CalendarError::NotFound) => {
                                client.create_event(&calendar_url, &event.uid, &ics).await?
                            }
                            other => other?,
                        }
                    }
                    None => match client.create_event(&calendar_url, &event.uid, &ics).await {
                        // A retried create whose first try landed: replace it.
                        Err(CalendarError::AlreadyExists) => {
                            let href = convene_calendar::caldav::event_url(&calendar_url, &event.uid)?;
                            client.update_event(&href, &ics, None).await?
                        }
                        other => other?,
                    },
                };
                Ok((
                    stored.href.to_string(),
                    stored.etag.as_ref().map(|e| ETag::as_str(e).to_owned()),
                ))
            }
            Remote::OAuth(OAuthClient::Google(google)) => {
                let cal = calendar.external_id.as_str();
                let stored = match existing {
                    Some(id) => match google.patch_event(cal, id, event).await {
                        Err(CalendarError::NotFound) => google.insert_event(cal, event).await?,
                        other => other?,
                    },
                    None => match google.insert_event(cal, event).await {
                        // The id is the booking's: a retried insert whose first try landed patches it instead.
                        Err(CalendarError::AlreadyExists) => {
                            google.patch_event(cal, &event.google_event_id(), event).await?
                        }
                        other => other?,
                    },
                };
                Ok((stored.id, stored.etag))
            }
            Remote::OAuth(OAuthClient::Graph(graph)) => {
                let cal = calendar.external_id.as_str();
                let stored = match existing {
                    Some(id) => match graph.update_event(id, event).await {
                        Err(CalendarError::NotFound) => graph.create_event(cal, event).await?,
                        other => other?,
                    },
                    // `transactionId` makes a retried create answer with the first event.
                    None => graph.create_event(cal, event).await?,
                };
                Ok((stored.id, stored.etag))
            }
        }
    }

    async fn delete(&self, calendar: &calendars::CalendarRecord, href: &str) -> Result<(), CalendarError> {
        match self {
            Remote::CalDav(client) => {
                let href = Url::parse(href)
                    .map_err(|_| CalendarError::Protocol("a stored event address is invalid".into()))?;
                client.delete_event(&href, None).await
            }
            Remote::OAuth(OAuthClient::Google(google)) => google.delete_event(&calendar.external_id, href).await,
            Remote::OAuth(OAuthClient::Graph(graph)) => graph.delete_event(href).await,
        }
    }
}

fn calendar_url(external_id: &str) -> Result<Url, JobError> {
    Url::parse(external_id).map_err(|_| JobError::Local("the stored calendar address is invalid".into()))
}
