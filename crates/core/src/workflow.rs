//! The words of workflows: which family a workflow belongs to, when it acts (its trigger and the unit of its
//! offset), and what each step does, to whom, from which template. Stored as Cal.com's API spells them, which the
//! API also answers with and the pages show.

use crate::words::words;

words! {
    /// Which family a workflow belongs to, and so what it acts on.
    WorkflowKind, "workflow kind", {
        /// Acts on bookings of event types.
        EventType => "event-type",
        /// Acts on responses to routing forms.
        RoutingForm => "routing-form",
    }
}

words! {
    /// When a workflow acts (Cal.com's names). The first eight are event-type workflows', the last two
    /// routing-form workflows' ([`WorkflowTrigger::kind`]).
    WorkflowTrigger, "workflow trigger", {
        BeforeEvent => "beforeEvent",
        AfterEvent => "afterEvent",
        NewEvent => "newEvent",
        EventCancelled => "eventCancelled",
        RescheduleEvent => "rescheduleEvent",
        BookingRequested => "bookingRequested",
        BookingRejected => "bookingRejected",
        BookingNoShowUpdated => "bookingNoShowUpdated",
        /// At once, when a response is stored.
        FormSubmitted => "formSubmitted",
        /// The offset after a response, unless a booking was made from it first.
        FormSubmittedNoEvent => "formSubmittedNoEvent",
    }
}

impl WorkflowTrigger {
    /// The family of workflows this trigger belongs to.
    pub fn kind(self) -> WorkflowKind {
        match self {
            WorkflowTrigger::FormSubmitted | WorkflowTrigger::FormSubmittedNoEvent => WorkflowKind::RoutingForm,
            _ => WorkflowKind::EventType,
        }
    }

    /// Whether it sends at a time relative to the booking or response (and so needs an offset), rather than at
    /// once.
    pub fn is_scheduled(self) -> bool {
        matches!(
            self,
            WorkflowTrigger::BeforeEvent | WorkflowTrigger::AfterEvent | WorkflowTrigger::FormSubmittedNoEvent
        )
    }
}

words! {
    /// The unit of a scheduled trigger's offset.
    OffsetUnit, "offset unit", {
        Minute => "minute",
        Hour => "hour",
        Day => "day",
    }
}

impl OffsetUnit {
    /// Milliseconds in one unit.
    pub fn millis(self) -> i64 {
        match self {
            OffsetUnit::Minute => 60_000,
            OffsetUnit::Hour => 3_600_000,
            OffsetUnit::Day => 86_400_000,
        }
    }
}

words! {
    /// What a step does. Cal.com's `cal_ai_phone_call` is not one: it is never accepted, so never stored.
    StepAction, "step action", {
        EmailHost => "email_host",
        EmailAttendee => "email_attendee",
        /// To a verified email address chosen on the step.
        EmailAddress => "email_address",
        SmsAttendee => "sms_attendee",
        /// To a verified phone number chosen on the step.
        SmsNumber => "sms_number",
        WhatsappAttendee => "whatsapp_attendee",
        WhatsappNumber => "whatsapp_number",
    }
}

impl StepAction {
    /// Writes to the attendees (by email or text), rather than to the host or a chosen address or number.
    pub fn is_to_attendee(self) -> bool {
        matches!(
            self,
            StepAction::EmailAttendee | StepAction::SmsAttendee | StepAction::WhatsappAttendee
        )
    }

    /// Texts the verified number chosen on the step.
    pub fn is_to_number(self) -> bool {
        matches!(self, StepAction::SmsNumber | StepAction::WhatsappNumber)
    }
}

words! {
    /// Whom a step names as its recipient (Cal.com's `recipient`).
    StepRecipient, "step recipient", {
        Const => "const",
        Attendee => "attendee",
        Email => "email",
        PhoneNumber => "phone_number",
    }
}

words! {
    /// Which of Cal.com's templates a step was written from.
    StepTemplate, "step template", {
        Reminder => "reminder",
        Custom => "custom",
        Rescheduled => "rescheduled",
        Completed => "completed",
        Rating => "rating",
        Cancelled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::testing::round_trips;

    #[test]
    fn each_word_reads_back_and_nothing_else_reads() {
        round_trips(&WorkflowKind::ALL, "workflow kind");
        round_trips(&WorkflowTrigger::ALL, "workflow trigger");
        round_trips(&OffsetUnit::ALL, "offset unit");
        round_trips(&StepAction::ALL, "step action");
        round_trips(&StepRecipient::ALL, "step recipient");
        round_trips(&StepTemplate::ALL, "step template");
        assert!("BeforeEvent".parse::<WorkflowTrigger>().is_err());
        assert!("cal_ai_phone_call".parse::<StepAction>().is_err());
    }

    #[test]
    fn the_words_are_cal_coms() {
        let words = |all: &[StepAction]| all.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(",");
        assert_eq!(
            words(&StepAction::ALL),
            "email_host,email_attendee,email_address,sms_attendee,sms_number,whatsapp_attendee,whatsapp_number"
        );
        assert_eq!(WorkflowKind::RoutingForm.as_str(), "routing-form");
        assert_eq!(StepRecipient::PhoneNumber.as_str(), "phone_number");
        assert_eq!(WorkflowTrigger::BookingNoShowUpdated.as_str(), "bookingNoShowUpdated");
    }

    #[test]
    fn form_triggers_belong_to_routing_form_workflows_and_the_rest_to_event_type_ones() {
        for trigger in WorkflowTrigger::ALL {
            let form = trigger.as_str().starts_with("form");
            assert_eq!(trigger.kind() == WorkflowKind::RoutingForm, form, "{trigger}");
        }
    }

    #[test]
    fn only_timed_triggers_need_an_offset() {
        let timed: Vec<_> = WorkflowTrigger::ALL.iter().filter(|t| t.is_scheduled()).collect();
        assert_eq!(
            timed,
            [
                &WorkflowTrigger::BeforeEvent,
                &WorkflowTrigger::AfterEvent,
                &WorkflowTrigger::FormSubmittedNoEvent
            ]
        );
    }

    #[test]
    fn an_offset_unit_knows_its_length() {
        assert_eq!(OffsetUnit::Minute.millis(), 60 * 1000);
        assert_eq!(OffsetUnit::Hour.millis(), 60 * OffsetUnit::Minute.millis());
        assert_eq!(OffsetUnit::Day.millis(), 24 * OffsetUnit::Hour.millis());
    }

    #[test]
    fn actions_say_whom_they_write_to() {
        let to_attendee: Vec<_> = StepAction::ALL
            .iter()
            .filter(|a| a.is_to_attendee())
            .map(|a| a.as_str())
            .collect();
        assert_eq!(to_attendee, ["email_attendee", "sms_attendee", "whatsapp_attendee"]);
        let to_number: Vec<_> = StepAction::ALL
            .iter()
            .filter(|a| a.is_to_number())
            .map(|a| a.as_str())
            .collect();
        assert_eq!(to_number, ["sms_number", "whatsapp_number"]);
    }
}
