//! Who a booking concerns and whose it is — host, event type, team, organization, attendees — read once per
//! change. The booking emails and the workflow emails of one change both need them, and inside the change's
//! transaction (SQLite's write lock held) every read is time other bookings wait.

use convene_core::TeamId;
use convene_store::bookings::{self, AttendeeRecord, BookingRecord};
use convene_store::event_types::{self, EventTypeRecord};
use convene_store::users::{self, UserRecord};
use convene_store::{StoreError, Tx, teams};

#[derive(Debug, Clone)]
pub struct BookingParties {
    pub host: UserRecord,
    /// None when the booking has no event type any more (deleted) or never had a stored one.
    pub event_type: Option<EventTypeRecord>,
    /// The event type's team; None for a personal event type.
    pub team_id: Option<TeamId>,
    /// The team's organization, else the host's: whose senders carry the emails.
    pub organization_id: Option<TeamId>,
    /// Every attendee, the booker first.
    pub attendees: Vec<AttendeeRecord>,
}

impl BookingParties {
    /// Reads them inside `tx`; None when the host is gone (a booking whose host was deleted sends nothing).
    pub async fn load(tx: &mut Tx, booking: &BookingRecord) -> Result<Option<BookingParties>, StoreError> {
        let Some(host) = users::find(&mut *tx, booking.host_id).await? else {
            return Ok(None);
        };
        let event_type = match booking.event_type_id {
            Some(id) => event_types::find(&mut *tx, id).await?,
            None => None,
        };
        let team_id = event_type.as_ref().and_then(|e| e.team_id);
        let organization_id = match team_id {
            Some(team) => teams::find(&mut *tx, team)
                .await?
                .and_then(|t| t.parent_id)
                .or(host.organization_id),
            None => host.organization_id,
        };
        let attendees = bookings::attendees(&mut *tx, &[booking.id]).await?;
        Ok(Some(BookingParties {
            host,
            event_type,
            team_id,
            organization_id,
            attendees,
        }))
    }

    /// Whether the booking's seat holders must not see each other: a seated event type without Cal.com's
    /// `showAttendeeInfo` (`seatsShowAttendees`), and a booking whose attendees hold seats.
    pub fn seats_private(&self) -> bool {
        let seated = self
            .event_type
            .as_ref()
            .is_some_and(|e| e.seats_per_time_slot.is_some_and(|n| n > 0) && !e.seats_show_attendees);
        seated && self.attendees.iter().any(|a| a.seat_uid.is_some())
    }

    /// The name the organizer goes by in emails.
    pub fn organizer_name(&self) -> &str {
        self.host.name.as_deref().unwrap_or(&self.host.username)
    }
}
