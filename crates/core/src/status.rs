//! Where things stand, as stored: a booking, an email in the outbox, a calendar write job, a webhook delivery.
//! Each is stored as its word; the booking's and the email's are also what the API answers with and filters by.

use crate::words::words;
use serde::{Deserialize, Serialize};

words! {
    /// A booking's status, as Cal.com's API spells it. Accepted and pending bookings hold their time; cancelled
    /// and rejected ones don't.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    BookingStatus, "booking status", {
        Accepted => "accepted",
        /// Waiting for the host's confirmation (event types that require it).
        Pending => "pending",
        Cancelled => "cancelled",
        /// Declined by the host.
        Rejected => "rejected",
    }
}

impl BookingStatus {
    /// Accepted or pending: the booking still takes its time (and its host's calendar).
    pub fn is_live(self) -> bool {
        matches!(self, BookingStatus::Accepted | BookingStatus::Pending)
    }
}

words! {
    /// Where an email stands in the outbox; the delivery log's API answers with these words and filters by them.
    EmailStatus, "email status", {
        /// Waiting for its time (`not_before`) or for a worker.
        Queued => "queued",
        /// Claimed by a worker, under a lease.
        Sending => "sending",
        Sent => "sent",
        /// An attempt failed; due again at `next_attempt_at`.
        Retrying => "retrying",
        /// Given up on: kept with its last error, never sent.
        Failed => "failed",
        /// A workflow reminder whose booking moved or ended, or whose workflow changed, before its time.
        Cancelled => "cancelled",
    }
}

impl EmailStatus {
    /// Still to be sent by a worker: queued, or waiting to be retried.
    pub fn is_pending(self) -> bool {
        matches!(self, EmailStatus::Queued | EmailStatus::Retrying)
    }
}

words! {
    /// Where a calendar write job stands. A claimed job keeps its word and holds a lease instead of passing
    /// through a state of its own.
    CalendarJobStatus, "calendar job status", {
        /// Written with the booking change, due at once.
        Queued => "queued",
        /// An attempt failed; due again at `not_before`.
        Retrying => "retrying",
        /// The destination calendar matches the booking.
        Done => "done",
        /// Given up on: kept with its last error for the host to see.
        Failed => "failed",
    }
}

words! {
    /// Where a webhook delivery stands in its queue: the words the table's CHECK constraint allows.
    WebhookDeliveryStatus, "webhook delivery status", {
        /// Written with the change it reports, due at once.
        Queued => "queued",
        /// Claimed by a worker, under a lease; claimable again once the lease runs out.
        Delivering => "delivering",
        /// The subscriber answered 2xx.
        Delivered => "delivered",
        /// An attempt failed; due again at `next_attempt_at`.
        Retrying => "retrying",
        /// Given up on: kept with its last answer and error.
        Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::testing::round_trips;

    #[test]
    fn each_status_reads_back_from_its_word_and_nothing_else_reads() {
        round_trips(&BookingStatus::ALL, "booking status");
        round_trips(&EmailStatus::ALL, "email status");
        round_trips(&CalendarJobStatus::ALL, "calendar job status");
        round_trips(&WebhookDeliveryStatus::ALL, "webhook delivery status");
        assert!("ACCEPTED".parse::<BookingStatus>().is_err());
        assert!("running".parse::<CalendarJobStatus>().is_err());
        assert!("sent".parse::<WebhookDeliveryStatus>().is_err());
    }

    #[test]
    fn which_statuses_hold_a_time_or_wait_for_a_worker() {
        assert!(BookingStatus::Pending.is_live() && !BookingStatus::Rejected.is_live());
        assert!(EmailStatus::Retrying.is_pending() && !EmailStatus::Sending.is_pending());
    }

    #[test]
    fn a_booking_status_is_cal_coms_lowercase_word_in_json() {
        assert_eq!(
            serde_json::to_string(&BookingStatus::Accepted).ok().as_deref(),
            Some("\"accepted\"")
        );
        let read: Result<BookingStatus, _> = serde_json::from_str("\"rejected\"");
        assert_eq!(read.ok(), Some(BookingStatus::Rejected));
    }
}
