//! Reading bookings: the caller's list with Cal.com's filters and sorting, and one booking.

use super::booking_for;
use super::output::{BookingList, BookingOutput, Pagination, output, outputs};
use super::seated::{is_seated, seated_output};
use crate::api::ApiError;
use crate::api::auth::ApiUser;
use crate::api::caller::Caller;
use crate::api::envelope::{self, Envelope};
use crate::api::extract::{Paging, PathIds, QueryPairs};
use crate::api::legacy::bookings as legacy;
use crate::api::version::Requested;
use crate::limits::PublicOperation;
use crate::state::AppState;
use crate::time_text::parse_instant;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use convene_core::{BookingStatus, UserId};
use convene_store::bookings::{self, BookingFilter};

fn sort(q: &QueryPairs) -> Result<&'static str, ApiError> {
    for (key, column) in [
        ("sortStart", "start_at"),
        ("sortEnd", "end_at"),
        ("sortCreated", "created_at"),
        ("sortUpdatedAt", "updated_at"),
    ] {
        match q.get(key) {
            None => {}
            Some("asc") => {
                return Ok(match column {
                    "start_at" => "b.start_at ASC, b.id ASC",
                    "end_at" => "b.end_at ASC, b.id ASC",
                    "created_at" => "b.created_at ASC, b.id ASC",
                    _ => "b.updated_at ASC, b.id ASC",
                });
            }
            Some("desc") => {
                return Ok(match column {
                    "start_at" => "b.start_at DESC, b.id DESC",
                    "end_at" => "b.end_at DESC, b.id DESC",
                    "created_at" => "b.created_at DESC, b.id DESC",
                    _ => "b.updated_at DESC, b.id DESC",
                });
            }
            Some(_) => return Err(ApiError::field(key, "must be 'asc' or 'desc'")),
        }
    }
    Ok("b.start_at ASC, b.id ASC")
}

fn instant_param(q: &QueryPairs, key: &str) -> Result<Option<jiff::Timestamp>, ApiError> {
    Ok(q.get(key).map(|v| parse_instant(key, v)).transpose()?)
}

/// Get my bookings: those I host and those I attend, with Cal.com's filters.
#[utoipa::path(get, path = "/v2/bookings", tag = "Bookings", security(("bearer" = [])),
    params(("cal-api-version" = Option<String>, Header, description = "2024-08-13"),
        ("status" = Option<String>, Query), ("attendeeEmail" = Option<String>, Query), ("attendeeName" = Option<String>, Query),
        ("bookingUid" = Option<String>, Query), ("eventTypeIds" = Option<String>, Query), ("eventTypeId" = Option<String>, Query),
        ("afterStart" = Option<String>, Query), ("beforeEnd" = Option<String>, Query), ("afterCreatedAt" = Option<String>, Query),
        ("beforeCreatedAt" = Option<String>, Query), ("sortStart" = Option<String>, Query), ("sortEnd" = Option<String>, Query),
        ("sortCreated" = Option<String>, Query), ("take" = Option<i64>, Query), ("skip" = Option<i64>, Query)),
    responses((status = 200, body = BookingList)))]
#[tracing::instrument(skip_all)]
pub(super) async fn list_bookings(
    State(state): State<AppState>,
    version: Requested,
    caller: ApiUser,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let current = version.is_current(super::CURRENT);
    let q = if current { q } else { legacy::list_query(q) };
    // The legacy list pages by ten unless told otherwise.
    let paging = Paging::from_query(&q, if current { 100 } else { 10 }, 250)?;
    let mut filter = BookingFilter {
        host: Some(caller.user.id),
        // Bookings attended count only by an address the caller proved is theirs.
        attendee_email_is_caller: caller.user.verified_email().map(str::to_owned),
        take: paging.take,
        skip: paging.skip,
        ..BookingFilter::default()
    };
    apply_query(&mut filter, &q)?;
    let (data, pagination) = run(&state, &filter, &paging).await?;
    if !current {
        let next = pagination.has_next_page.then_some(paging.skip + paging.take);
        return Ok(envelope::ok(legacy::list(&data, next)));
    }
    Ok(current_answer(data, pagination))
}

/// Cal.com's list filters and sorting from the query, onto `filter` (whose scope the caller set).
fn apply_query(filter: &mut BookingFilter, q: &QueryPairs) -> Result<(), ApiError> {
    let now = jiff::Timestamp::now();
    filter.order = sort(q)?;
    for status in q.all("status") {
        match status.as_str() {
            "upcoming" => filter.upcoming_after = Some(now),
            "past" => filter.past_before = Some(now),
            "cancelled" => filter
                .statuses
                .extend([BookingStatus::Cancelled, BookingStatus::Rejected]),
            "unconfirmed" => filter.statuses.push(BookingStatus::Pending),
            "recurring" => filter.recurring_after = Some(now),
            other => {
                return Err(ApiError::field(
                    "status",
                    format!("'{other}' must be upcoming, recurring, past, cancelled or unconfirmed"),
                ));
            }
        }
    }
    filter.attendee_email = q.get("attendeeEmail").map(str::to_lowercase);
    filter.attendee_name = q.get("attendeeName").map(str::to_owned);
    filter.uid = q.get("bookingUid").map(str::to_owned);
    filter.event_type_ids = id_list(q, &["eventTypeIds", "eventTypeId"])?;
    filter.after_start = instant_param(q, "afterStart")?;
    filter.before_end = instant_param(q, "beforeEnd")?;
    filter.after_created = instant_param(q, "afterCreatedAt")?;
    filter.before_created = instant_param(q, "beforeCreatedAt")?;
    Ok(())
}

/// Ids given under any of `keys`, repeated or comma-separated; a bad one is a 400 naming the first key.
fn id_list<T: From<i64>>(q: &QueryPairs, keys: &[&str]) -> Result<Vec<T>, ApiError> {
    let mut ids = Vec::new();
    for key in keys {
        for value in q.all(key) {
            for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                ids.push(
                    part.parse::<i64>()
                        .map(T::from)
                        .map_err(|_| ApiError::field(keys[0], format!("'{part}' is not an id")))?,
                );
            }
        }
    }
    Ok(ids)
}

/// The bookings `filter` selects, as outputs, and the pagination of the answer.
async fn run(
    state: &AppState,
    filter: &BookingFilter,
    paging: &Paging,
) -> Result<(Vec<BookingOutput>, Pagination), ApiError> {
    let records = bookings::list(&state.db, filter).await?;
    let total = bookings::count(&state.db, filter).await?;
    let data = outputs(&state.db, &records).await?;
    let pagination = Pagination::new(total, data.len() as i64, paging.take, paging.skip);
    Ok((data, pagination))
}

fn current_answer(data: Vec<BookingOutput>, pagination: Pagination) -> Response {
    axum::Json(BookingList {
        status: "success",
        data,
        pagination,
    })
    .into_response()
}

/// Which bookings of an organization a list shows (the caller's access was checked by the route).
pub(crate) enum OrgScope {
    /// Every booking of the organization, optionally narrowed by `teamsIds`/`teamId` and `userIds`.
    Organization(convene_core::TeamId),
    /// The bookings one member hosts.
    User(convene_core::TeamId, i64),
    /// The bookings of one team's event types.
    Team(convene_core::TeamId),
}

/// An organization's bookings with Cal.com's filters, in the current shapes (as its organization controllers
/// answer whatever the version).
pub(crate) async fn org_bookings(state: &AppState, scope: OrgScope, q: &QueryPairs) -> Result<Response, ApiError> {
    let paging = Paging::from_query(q, 100, 250)?;
    let mut filter = BookingFilter {
        take: paging.take,
        skip: paging.skip,
        ..BookingFilter::default()
    };
    apply_query(&mut filter, q)?;
    match scope {
        OrgScope::Organization(org) => {
            filter.organization = Some(org);
            filter.teams = id_list(q, &["teamsIds", "teamId"])?;
            filter.hosts = id_list(q, &["userIds"])?;
        }
        OrgScope::User(org, user) => {
            filter.organization = Some(org);
            filter.teams = id_list(q, &["teamsIds", "teamId"])?;
            filter.hosts = vec![UserId(user)];
        }
        OrgScope::Team(team) => filter.teams = vec![team],
    }
    let (data, pagination) = run(state, &filter, &paging).await?;
    Ok(current_answer(data, pagination))
}

/// Get a booking: with a key, one I host or attend; without one, any booking whose uid is known (the
/// uid is the capability, as in booking emails and on Cal.com). Anonymous reads count against the
/// caller address's booking limit, which bounds guessing.
#[utoipa::path(get, path = "/v2/bookings/{bookingUid}", tag = "Bookings", security((), ("bearer" = [])),
    params(("bookingUid" = String, Path), ("cal-api-version" = Option<String>, Header, description = "2024-08-13")),
    responses((status = 200, body = Envelope<BookingOutput>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn get_booking(
    State(state): State<AppState>,
    version: Requested,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    caller.limit(&state, PublicOperation::Booking).await?;
    let booking = booking_for(&state, caller.user(), &ids).await?;
    if version.is_current(super::CURRENT) && is_seated(&state.db, &booking).await? {
        let host_view = caller
            .user()
            .is_some_and(|c| c.user.id == booking.host_id || c.is_instance_admin());
        return Ok(envelope::ok(seated_output(&state.db, &booking, None, host_view).await?));
    }
    let out = output(&state.db, &booking).await?;
    if !version.is_current(super::CURRENT) {
        return Ok(envelope::ok(legacy::output(&out)));
    }
    Ok(envelope::ok(out))
}
