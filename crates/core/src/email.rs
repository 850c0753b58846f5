//! Email kinds and the policy that depends only on them.

/// Every kind of email convene sends. The stored name (`as_str`) is what the outbox and the delivery log show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    BookingScheduledAttendee,
    BookingScheduledOrganizer,
    BookingRequestedAttendee,
    BookingAwaitingApprovalOrganizer,
    BookingDeclinedAttendee,
    BookingCancelledAttendee,
    BookingCancelledOrganizer,
    BookingRescheduledAttendee,
    BookingRescheduledOrganizer,
    BookingRescheduleRequestedAttendee,
    BookingRescheduleRequestedOrganizer,
    /// To a guest added to an existing booking: their invitation.
    BookingGuestInvited,
    /// To the organizer and the earlier attendees: who joined.
    BookingGuestsAdded,
    BookingNoShowMarkedOrganizer,
    /// To the attendees of a round-robin booking handed to another host: who hosts it now.
    BookingReassignedAttendee,
    /// To the host a round-robin booking was handed to: it is theirs now.
    BookingReassignedOrganizer,
    /// To the host a round-robin booking was taken from: it is off their calendar.
    BookingUnassignedOrganizer,
    /// A team workflow's email (a reminder or a notice), to whoever its step names.
    WorkflowEmail,
    /// A routing form's response, to the form's owner or the addresses the form names.
    RoutingFormResponse,
    PasswordReset,
    EmailVerificationCode,
    /// To the address a user wants as their new one: the code and link that confirm it.
    EmailChangeConfirmation,
    /// To a user's previous address: it was replaced (so an owner who did not do it finds out).
    EmailChanged,
    /// To an organization's admins: one of its senders started failing (always through the platform).
    SenderFailing,
    /// To someone an organization or team admin invited: the link that sets up their account.
    Invitation,
}

/// What an email is about, which decides how it may be routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// About a booking: may go through the organization's own sender.
    Booking,
    /// About an account: always through the platform's transport.
    Account,
}

impl EmailKind {
    pub const ALL: [EmailKind; 25] = [
        EmailKind::BookingScheduledAttendee,
        EmailKind::BookingScheduledOrganizer,
        EmailKind::BookingRequestedAttendee,
        EmailKind::BookingAwaitingApprovalOrganizer,
        EmailKind::BookingDeclinedAttendee,
        EmailKind::BookingCancelledAttendee,
        EmailKind::BookingCancelledOrganizer,
        EmailKind::BookingRescheduledAttendee,
        EmailKind::BookingRescheduledOrganizer,
        EmailKind::BookingRescheduleRequestedAttendee,
        EmailKind::BookingRescheduleRequestedOrganizer,
        EmailKind::BookingGuestInvited,
        EmailKind::BookingGuestsAdded,
        EmailKind::BookingNoShowMarkedOrganizer,
        EmailKind::BookingReassignedAttendee,
        EmailKind::BookingReassignedOrganizer,
        EmailKind::BookingUnassignedOrganizer,
        EmailKind::WorkflowEmail,
        EmailKind::RoutingFormResponse,
        EmailKind::PasswordReset,
        EmailKind::EmailVerificationCode,
        EmailKind::EmailChangeConfirmation,
        EmailKind::EmailChanged,
        EmailKind::SenderFailing,
        EmailKind::Invitation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::BookingScheduledAttendee => "booking_scheduled_attendee",
            EmailKind::BookingScheduledOrganizer => "booking_scheduled_organizer",
            EmailKind::BookingRequestedAttendee => "booking_requested_attendee",
            EmailKind::BookingAwaitingApprovalOrganizer => "booking_awaiting_approval_organizer",
            EmailKind::BookingDeclinedAttendee => "booking_declined_attendee",
            EmailKind::BookingCancelledAttendee => "booking_cancelled_attendee",
            EmailKind::BookingCancelledOrganizer => "booking_cancelled_organizer",
            EmailKind::BookingRescheduledAttendee => "booking_rescheduled_attendee",
            EmailKind::BookingRescheduledOrganizer => "booking_rescheduled_organizer",
            EmailKind::BookingRescheduleRequestedAttendee => "booking_reschedule_requested_attendee",
            EmailKind::BookingRescheduleRequestedOrganizer => "booking_reschedule_requested_organizer",
            EmailKind::BookingGuestInvited => "booking_guest_invited",
            EmailKind::BookingGuestsAdded => "booking_guests_added",
            EmailKind::BookingNoShowMarkedOrganizer => "booking_no_show_marked_organizer",
            EmailKind::BookingReassignedAttendee => "booking_reassigned_attendee",
            EmailKind::BookingReassignedOrganizer => "booking_reassigned_organizer",
            EmailKind::BookingUnassignedOrganizer => "booking_unassigned_organizer",
            EmailKind::WorkflowEmail => "workflow_email",
            EmailKind::RoutingFormResponse => "routing_form_response",
            EmailKind::PasswordReset => "password_reset",
            EmailKind::EmailVerificationCode => "email_verification_code",
            EmailKind::EmailChangeConfirmation => "email_change_confirmation",
            EmailKind::EmailChanged => "email_changed",
            EmailKind::SenderFailing => "sender_failing",
            EmailKind::Invitation => "invitation",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn category(self) -> Category {
        match self {
            EmailKind::PasswordReset
            | EmailKind::EmailVerificationCode
            | EmailKind::EmailChangeConfirmation
            | EmailKind::EmailChanged
            | EmailKind::SenderFailing
            | EmailKind::Invitation => Category::Account,
            _ => Category::Booking,
        }
    }

    /// Whether the email goes to the booking's organizer (else to attendees, or to an account holder).
    pub fn to_organizer(self) -> bool {
        matches!(
            self,
            EmailKind::BookingScheduledOrganizer
                | EmailKind::BookingAwaitingApprovalOrganizer
                | EmailKind::BookingCancelledOrganizer
                | EmailKind::BookingRescheduledOrganizer
                | EmailKind::BookingRescheduleRequestedOrganizer
                | EmailKind::BookingNoShowMarkedOrganizer
                | EmailKind::BookingReassignedOrganizer
                | EmailKind::BookingUnassignedOrganizer
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in EmailKind::ALL {
            assert_eq!(EmailKind::parse(kind.as_str()), Some(kind));
            assert!(seen.insert(kind.as_str()));
        }
        assert_eq!(EmailKind::parse("nope"), None);
    }

    #[test]
    fn only_account_emails_are_account_category() {
        let account: Vec<_> = EmailKind::ALL
            .into_iter()
            .filter(|k| k.category() == Category::Account)
            .collect();
        assert_eq!(
            account,
            [
                EmailKind::PasswordReset,
                EmailKind::EmailVerificationCode,
                EmailKind::EmailChangeConfirmation,
                EmailKind::EmailChanged,
                EmailKind::SenderFailing,
                EmailKind::Invitation
            ]
        );
    }
}
