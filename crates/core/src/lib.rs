//! Pure domain types of convene: identifiers, validated values and the rules that need no I/O.
//!
//! Values here follow "parse, don't validate": each newtype has a `parse` that is the only way to
//! build it, so code holding one knows it is valid.

pub mod booking_status;
pub mod calendar_job_status;
pub mod calendar_kind;
pub mod email;
pub mod email_status;
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
pub mod template;
pub mod text;
pub mod validation;
pub mod webhook_delivery_status;
pub mod workflow;

pub use booking_status::BookingStatus;
pub use calendar_job_status::CalendarJobStatus;
pub use calendar_kind::ConnectionKind;
pub use email_status::EmailStatus;
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
pub use text::{EmailAddress, HeaderText, Slug, Username};
pub use validation::FieldError;
pub use webhook_delivery_status::WebhookDeliveryStatus;
pub use workflow::{OffsetUnit, StepAction, StepRecipient, StepTemplate, WorkflowKind, WorkflowTrigger};
