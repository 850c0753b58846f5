//! Pure domain types of convene: identifiers, validated values and the rules that need no I/O.
//!
//! Values here follow "parse, don't validate": each newtype has a `parse` that is the only way to
//! build it, so code holding one knows it is valid.

pub mod calendar_kind;
pub mod email;
pub mod feature;
pub mod ics;
pub mod ids;
pub mod metadata;
pub mod net_guard;
pub mod outbox_kind;
pub mod profile;
pub mod rate;
pub mod role;
pub mod schedule;
pub mod slots;
pub mod status;
pub mod template;
pub mod text;
pub mod validation;
mod words;
pub mod workflow;

pub use calendar_kind::ConnectionKind;
pub use feature::FeatureFlag;
pub use ids::{
    ApiKeyId, AttendeeId, BookingId, BookingReferenceId, CalendarConnectionId, CalendarId, CalendarJobId, EmailId,
    EventTypeId, MembershipId, OneTimeCodeId, OutOfOfficeId, RoutingResponseId, ScheduleId, SenderId, TeamId,
    TeamVerifiedEmailId, UserId, VerifiedEmailId, VerifiedPhoneId, WebhookDeliveryId, WebhookId, WorkflowId,
    WorkflowStepId,
};
pub use outbox_kind::OutboxKind;
pub use profile::{Locale, TimeFormat, TimeZoneId, WeekStart};
pub use role::Role;
pub use status::{BookingStatus, CalendarJobStatus, EmailStatus, WebhookDeliveryStatus};
pub use text::{EmailAddress, HeaderText, Slug, Username};
pub use validation::FieldError;
pub use words::UnknownWord;
pub use workflow::{OffsetUnit, StepAction, StepRecipient, StepTemplate, WorkflowKind, WorkflowTrigger};
