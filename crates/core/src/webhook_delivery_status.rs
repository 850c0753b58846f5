//! Where a webhook delivery stands in its queue. Stored as its word (`queued`, `delivering`, …), the words the
//! table's CHECK constraint allows.

use crate::booking_status::UnknownStatus;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookDeliveryStatus {
    /// Written with the change it reports, due at once.
    Queued,
    /// Claimed by a worker, under a lease; claimable again once the lease runs out.
    Delivering,
    /// The subscriber answered 2xx.
    Delivered,
    /// An attempt failed; due again at `next_attempt_at`.
    Retrying,
    /// Given up on: kept with its last answer and error.
    Failed,
}

impl WebhookDeliveryStatus {
    pub const ALL: [WebhookDeliveryStatus; 5] = [
        WebhookDeliveryStatus::Queued,
        WebhookDeliveryStatus::Delivering,
        WebhookDeliveryStatus::Delivered,
        WebhookDeliveryStatus::Retrying,
        WebhookDeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookDeliveryStatus::Queued => "queued",
            WebhookDeliveryStatus::Delivering => "delivering",
            WebhookDeliveryStatus::Delivered => "delivered",
            WebhookDeliveryStatus::Retrying => "retrying",
            WebhookDeliveryStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for WebhookDeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the stored word, as tests and SQL write it.
impl PartialEq<&str> for WebhookDeliveryStatus {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

impl FromStr for WebhookDeliveryStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WebhookDeliveryStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus {
                of: "webhook delivery",
                word: s.to_owned(),
            })
    }
}

/// How the store reads the column (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for WebhookDeliveryStatus {
    type Error = UnknownStatus;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_reads_back_from_its_word_and_nothing_else_reads() {
        for status in WebhookDeliveryStatus::ALL {
            assert_eq!(status.as_str().parse::<WebhookDeliveryStatus>(), Ok(status));
            assert_eq!(WebhookDeliveryStatus::try_from(status.to_string()), Ok(status));
            assert_eq!(status, status.as_str());
        }
        assert_eq!(
            "sent".parse::<WebhookDeliveryStatus>(),
            Err(UnknownStatus {
                of: "webhook delivery",
                word: "sent".to_owned()
            })
        );
        assert!("Delivered".parse::<WebhookDeliveryStatus>().is_err());
        assert!("".parse::<WebhookDeliveryStatus>().is_err());
        assert!(WebhookDeliveryStatus::Delivered != "delivering");
    }
}
