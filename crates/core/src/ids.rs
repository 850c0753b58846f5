//! Typed identifiers. Cal.com's API uses numeric ids; we keep them as `i64` but never mix kinds. With the `sqlx`
//! feature (enabled by the store) each is read and written as its plain integer, so records hold them typed.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        /// Ids arrive as integers from paths, queries and bodies; the boundary types them on the way in.
        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

numeric_id!(
    /// A user account.
    UserId
);
numeric_id!(
    /// A team or an organization: like Cal.com, both live in one id space, an organization being a
    /// team with `isOrganization` set and sub-teams pointing at it through `parentId`.
    TeamId
);
numeric_id!(
    /// A user's membership in a team or organization.
    MembershipId
);
numeric_id!(
    /// An API key row (never the key itself).
    ApiKeyId
);
numeric_id!(
    /// An event type (a user's or a team's).
    EventTypeId
);
numeric_id!(
    /// A booking (its public handle is the uid; this is the row).
    BookingId
);
numeric_id!(
    /// One attendee of a booking.
    AttendeeId
);
numeric_id!(
    /// A user's availability schedule.
    ScheduleId
);
numeric_id!(
    /// A user's absence (out of office).
    OutOfOfficeId
);
numeric_id!(
    /// A workflow (reminders and notifications around bookings).
    WorkflowId
);
numeric_id!(
    /// One step of a workflow.
    WorkflowStepId
);
numeric_id!(
    /// A webhook subscription.
    WebhookId
);
numeric_id!(
    /// One queued delivery of a webhook.
    WebhookDeliveryId
);
numeric_id!(
    /// One submitted answer to a routing form.
    RoutingResponseId
);
numeric_id!(
    /// An email in the outbox.
    EmailId
);
numeric_id!(
    /// An organization's configured SMTP sender.
    SenderId
);
numeric_id!(
    /// A user's connection to an external calendar account.
    CalendarConnectionId
);
numeric_id!(
    /// One calendar of a calendar connection.
    CalendarId
);
numeric_id!(
    /// A queued write of a booking to the host's external calendars.
    CalendarJobId
);
numeric_id!(
    /// An event written to an external calendar on behalf of a booking.
    BookingReferenceId
);
numeric_id!(
    /// A one-time code sent to a user (sign-in, verification).
    OneTimeCodeId
);
numeric_id!(
    /// An email address a user has verified.
    VerifiedEmailId
);
numeric_id!(
    /// An email address verified for a team.
    TeamVerifiedEmailId
);
numeric_id!(
    /// A phone number a user or team has verified.
    VerifiedPhoneId
);
