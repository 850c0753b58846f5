//! Finding the event type a request names — by id, by owner username and slug, or by team slug
//! and slug — together with the people who host it.

use convene_core::{EventTypeId, FieldError, UserId};
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::users::{self, UserRecord};
use convene_store::{Db, StoreError};

/// Why the named event type can't be booked or shown.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The request names it badly (missing or conflicting fields, unknown users).
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("Event type not found")]
    EventTypeNotFound,
    /// A team event type nobody hosts yet.
    #[error("This team event type has no hosts yet")]
    NoHosts,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a request names an event type.
#[derive(Default)]
pub struct EventTypeRef<'a> {
    pub id: Option<i64>,
    pub slug: Option<&'a str>,
    pub username: Option<&'a str>,
    pub team_slug: Option<&'a str>,
    pub organization_slug: Option<&'a str>,
}

/// How the hosts of an event type share its bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosting {
    /// A personal event type: its owner.
    Single,
    /// Every host attends: a slot is free only when all of them are.
    Collective,
    /// One free host is picked per booking, the least booked first.
    RoundRobin,
}

impl Hosting {
    pub fn of(event: &EventTypeRecord) -> Hosting {
        match event.scheduling_type.as_deref() {
            Some("COLLECTIVE") => Hosting::Collective,
            Some("ROUND_ROBIN") => Hosting::RoundRobin,
            _ => Hosting::Single,
        }
    }
}

/// An event type with its hosts (never empty) and how they share it.
pub struct Hosted {
    pub event: EventTypeRecord,
    pub hosts: Vec<UserRecord>,
    pub hosting: Hosting,
}

/// The slug Cal.com gives the event of a dynamic group link; any slug after `/alice+bob/` books the same event.
pub const DYNAMIC_SLUG: &str = "dynamic";

/// The length of a dynamic group event unless another is asked for.
pub const DYNAMIC_LENGTH: i64 = 30;

/// The lengths a dynamic group event offers (Cal.com's own choice).
const DYNAMIC_LENGTHS: [i64; 5] = [15, 30, 45, 60, 90];

impl Hosted {
    /// The stored event type's id; None for a dynamic group event, which exists only for the request.
    pub fn stored_event_type_id(&self) -> Option<i64> {
        (self.event.id != EventTypeId(DYNAMIC_EVENT_ID)).then_some(self.event.id.0)
    }
}

/// The id a dynamic group event carries: no stored event type has it (ids start at 1).
const DYNAMIC_EVENT_ID: i64 = 0;

pub async fn event_type(db: &Db, r: EventTypeRef<'_>) -> Result<Hosted, ResolveError> {
    let event = match (r.id, r.slug, r.username, r.team_slug) {
        (Some(id), ..) => event_types::find(db, EventTypeId(id)).await?,
        (None, Some(slug), Some(username), None) => {
            event_types::find_by_username_slug(db, &username.to_lowercase(), slug).await?
        }
        (None, Some(slug), None, Some(team)) => {
            let mut found = event_types::find_by_team_slug(db, r.organization_slug, team, slug).await?;
            if found.len() > 1 {
                return Err(FieldError::new(
                    "organizationSlug",
                    "is required: several organizations have this team slug",
                )
                .into());
            }
            found.pop()
        }
        (None, Some(_), Some(_), Some(_)) => {
            return Err(FieldError::new("teamSlug", "give either username or teamSlug, not both").into());
        }
        (None, Some(_), None, None) => {
            return Err(FieldError::new(
                "username",
                "is required with eventTypeSlug (or teamSlug for team events)",
            )
            .into());
        }
        (None, None, ..) => {
            return Err(FieldError::new(
                "eventTypeId",
                "is required (or eventTypeSlug with username or teamSlug)",
            )
            .into());
        }
    };
    let event = event.ok_or(ResolveError::EventTypeNotFound)?;
    let hosting = Hosting::of(&event);
    let host_ids = match event.owner_id {
        Some(owner) => vec![owner],
        None => event_types::hosts(db, event.id).await?,
    };
    let mut hosts = Vec::with_capacity(host_ids.len());
    for id in host_ids {
        hosts.push(
            users::find(db, id)
                .await?
                .ok_or(StoreError::NotFound("event type host"))?,
        );
    }
    if hosts.is_empty() {
        return Err(ResolveError::NoHosts);
    }
    Ok(Hosted { event, hosts, hosting })
}

/// A dynamic group event (`usernames=alice,bob`, the page `/alice+bob`): no stored event type, every named user
/// a host who must be free (COLLECTIVE), each on their default schedule, with no buffers or limits. Like
/// Cal.com's: 30 minutes unless another of 15/45/60/90 is asked for, two hours' notice, no guests.
pub async fn dynamic(db: &Db, usernames: &[String], length_minutes: i64) -> Result<Hosted, ResolveError> {
    if usernames.len() < 2 {
        return Err(FieldError::new("usernames", "must name at least two users, separated by commas").into());
    }
    if usernames.len() > 20 {
        return Err(FieldError::new("usernames", "at most 20 users").into());
    }
    let mut hosts: Vec<UserRecord> = Vec::with_capacity(usernames.len());
    for name in usernames {
        let user = users::find_by_username(db, &name.to_lowercase())
            .await?
            .ok_or_else(|| FieldError::new("usernames", format!("no user named '{name}'")))?;
        if !hosts.iter().any(|h| h.id == user.id) {
            hosts.push(user);
        }
    }
    hosts.sort_by_key(|h| h.id);
    Ok(group(hosts, length_minutes))
}

/// The hosts of a booking that has no event type (a dynamic group's, or one whose event type was deleted), as an
/// event that books them all again for `length_minutes`: what rescheduling such a booking needs.
pub async fn booking_hosts(
    db: &Db,
    host_id: UserId,
    co_hosts: &[UserId],
    length_minutes: i64,
) -> Result<Hosted, ResolveError> {
    // Id order, as `dynamic` gives them: bookings lock hosts in the order they come.
    let mut ids: Vec<UserId> = std::iter::once(host_id).chain(co_hosts.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut hosts = Vec::with_capacity(ids.len());
    for id in ids {
        hosts.push(users::find(db, id).await?.ok_or(ResolveError::NoHosts)?);
    }
    let mut hosted = group(hosts, length_minutes);
    if hosted.hosts.len() == 1 {
        hosted.hosting = Hosting::Single;
    }
    Ok(hosted)
}

/// The event of a dynamic group of `hosts` (the first organizes).
fn group(hosts: Vec<UserRecord>, length_minutes: i64) -> Hosted {
    let others: Vec<i64> = DYNAMIC_LENGTHS
        .iter()
        .copied()
        .filter(|l| *l != length_minutes)
        .collect();
    let event = EventTypeRecord {
        id: EventTypeId(DYNAMIC_EVENT_ID),
        owner_id: None,
        team_id: None,
        scheduling_type: Some("COLLECTIVE".into()),
        slug: DYNAMIC_SLUG.into(),
        title: "Group meeting".into(),
        description: String::new(),
        length_minutes,
        length_options: serde_json::to_string(&others).unwrap_or_else(|_| "[]".into()),
        locations: "[]".into(),
        booking_fields: "[]".into(),
        disable_guests: true,
        slot_interval: None,
        minimum_booking_notice: 120,
        before_event_buffer: 0,
        after_event_buffer: 0,
        requires_confirmation: false,
        hidden: false,
        schedule_id: None,
        booking_limits_count: None,
        booking_limits_duration: None,
        email_settings: None,
        metadata: "{}".into(),
        created_at: jiff::Timestamp::UNIX_EPOCH,
        updated_at: jiff::Timestamp::UNIX_EPOCH,
        seats_per_time_slot: None,
        seats_show_attendees: false,
        seats_show_availability_count: true,
        recurrence: None,
    };
    Hosted {
        event,
        hosts,
        hosting: Hosting::Collective,
    }
}

/// The length to book: `requested` when it is one of the event's options, else its default.
pub fn length(event: &EventTypeRecord, field: &str, requested: Option<i64>) -> Result<i64, FieldError> {
    let Some(requested) = requested else {
        return Ok(event.length_minutes);
    };
    let options: Vec<i64> = serde_json::from_str(&event.length_options).unwrap_or_default();
    if requested == event.length_minutes || options.contains(&requested) {
        Ok(requested)
    } else {
        Err(FieldError::coded(
            field,
            "refusal-length-choice",
            format!("must be one of the event type's lengths ({})", event.length_minutes),
        )
        .arg("choices", event.length_minutes))
    }
}
