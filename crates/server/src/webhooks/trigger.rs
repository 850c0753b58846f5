//! The events a webhook can subscribe to: Cal.com's 19 trigger names.

use convene_core::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A webhook trigger, named on the wire as in Cal.com (`BOOKING_CREATED`, …). convene emits the booking
/// triggers; the others can be subscribed to, as in Cal.com, and fire once the features behind them exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trigger {
    BookingCreated,
    BookingPaymentInitiated,
    BookingPaid,
    BookingRescheduled,
    BookingRequested,
    BookingCancelled,
    BookingRejected,
    BookingNoShowUpdated,
    FormSubmitted,
    MeetingEnded,
    MeetingStarted,
    RecordingReady,
    InstantMeeting,
    RecordingTranscriptionGenerated,
    OooCreated,
    AfterHostsCalVideoNoShow,
    AfterGuestsCalVideoNoShow,
    FormSubmittedNoEvent,
    DelegationCredentialError,
}

impl Trigger {
    /// Every trigger, in the spec's order.
    pub const ALL: [Trigger; 19] = [
        Trigger::BookingCreated,
        Trigger::BookingPaymentInitiated,
        Trigger::BookingPaid,
        Trigger::BookingRescheduled,
        Trigger::BookingRequested,
        Trigger::BookingCancelled,
        Trigger::BookingRejected,
        Trigger::BookingNoShowUpdated,
        Trigger::FormSubmitted,
        Trigger::MeetingEnded,
        Trigger::MeetingStarted,
        Trigger::RecordingReady,
        Trigger::InstantMeeting,
        Trigger::RecordingTranscriptionGenerated,
        Trigger::OooCreated,
        Trigger::AfterHostsCalVideoNoShow,
        Trigger::AfterGuestsCalVideoNoShow,
        Trigger::FormSubmittedNoEvent,
        Trigger::DelegationCredentialError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::BookingCreated => "BOOKING_CREATED",
            Trigger::BookingPaymentInitiated => "BOOKING_PAYMENT_INITIATED",
            Trigger::BookingPaid => "BOOKING_PAID",
            Trigger::BookingRescheduled => "BOOKING_RESCHEDULED",
            Trigger::BookingRequested => "BOOKING_REQUESTED",
            Trigger::BookingCancelled => "BOOKING_CANCELLED",
            Trigger::BookingRejected => "BOOKING_REJECTED",
            Trigger::BookingNoShowUpdated => "BOOKING_NO_SHOW_UPDATED",
            Trigger::FormSubmitted => "FORM_SUBMITTED",
            Trigger::MeetingEnded => "MEETING_ENDED",
            Trigger::MeetingStarted => "MEETING_STARTED",
            Trigger::RecordingReady => "RECORDING_READY",
            Trigger::InstantMeeting => "INSTANT_MEETING",
            Trigger::RecordingTranscriptionGenerated => "RECORDING_TRANSCRIPTION_GENERATED",
            Trigger::OooCreated => "OOO_CREATED",
            Trigger::AfterHostsCalVideoNoShow => "AFTER_HOSTS_CAL_VIDEO_NO_SHOW",
            Trigger::AfterGuestsCalVideoNoShow => "AFTER_GUESTS_CAL_VIDEO_NO_SHOW",
            Trigger::FormSubmittedNoEvent => "FORM_SUBMITTED_NO_EVENT",
            Trigger::DelegationCredentialError => "DELEGATION_CREDENTIAL_ERROR",
        }
    }

    /// A trigger name exactly as Cal.com spells it; the error names `field` and lists the valid names.
    pub fn parse(field: &str, raw: &str) -> Result<Trigger, FieldError> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == raw).ok_or_else(|| {
            let names: Vec<&str> = Trigger::ALL.iter().map(|t| t.as_str()).collect();
            FieldError::coded(
                field,
                "refusal-trigger",
                format!("'{raw}' is not a trigger; use one of {}", names.join(", ")),
            )
            .arg("value", raw)
        })
    }

    /// A stored trigger list (JSON array of names), skipping names this version does not know.
    pub fn list_from_stored(stored: &str) -> Vec<Trigger> {
        serde_json::from_str::<Vec<String>>(stored)
            .unwrap_or_default()
            .iter()
            .filter_map(|name| Trigger::parse("triggers", name).ok())
            .collect()
    }

    /// The stored form of a trigger list.
    pub fn list_to_stored(triggers: &[Trigger]) -> String {
        let names: Vec<&str> = triggers.iter().map(|t| t.as_str()).collect();
        serde_json::Value::from(names).to_string()
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip_through_storage() {
        for trigger in Trigger::ALL {
            let json = serde_json::to_value(trigger).expect("serializes");
            assert_eq!(json, trigger.as_str());
            assert_eq!(Trigger::parse("triggers", trigger.as_str()), Ok(trigger));
        }
        let stored = Trigger::list_to_stored(&Trigger::ALL);
        assert_eq!(Trigger::list_from_stored(&stored), Trigger::ALL.to_vec());
    }

    #[test]
    fn unknown_names_are_refused_with_the_valid_ones_listed() {
        let err = Trigger::parse("triggers", "BOOKING_CONFIRMED").expect_err("not in the enum");
        assert_eq!(err.field, "triggers");
        assert!(
            err.message.contains("BOOKING_CONFIRMED") && err.message.contains("OOO_CREATED"),
            "{err}"
        );
        assert!(
            Trigger::parse("triggers", "booking_created").is_err(),
            "case matters, as in Cal.com"
        );
    }
}
