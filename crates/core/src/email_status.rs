//! Where an email stands in the outbox. Stored as its word (`queued`, `sending`, …), which the delivery log's API
//! also answers with and filters by.

use crate::booking_status::UnknownStatus;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailStatus {
    /// Waiting for its time (`not_before`) or for a worker.
    Queued,
    /// Claimed by a worker, under a lease.
    Sending,
    Sent,
    /// An attempt failed; due again at `next_attempt_at`.
    Retrying,
    /// Given up on: kept with its last error, never sent.
    Failed,
    /// A workflow reminder whose booking moved or ended, or whose workflow changed, before its time.
    Cancelled,
}

impl EmailStatus {
    pub const ALL: [EmailStatus; 6] = [
        EmailStatus::Queued,
        EmailStatus::Sending,
        EmailStatus::Sent,
        EmailStatus::Retrying,
        EmailStatus::Failed,
        EmailStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Queued => "queued",
            EmailStatus::Sending => "sending",
            EmailStatus::Sent => "sent",
            EmailStatus::Retrying => "retrying",
            EmailStatus::Failed => "failed",
            EmailStatus::Cancelled => "cancelled",
        }
    }

    /// Still to be sent by a worker: queued, or waiting to be retried.
    pub fn is_pending(self) -> bool {
        matches!(self, EmailStatus::Queued | EmailStatus::Retrying)
    }
}

impl fmt::Display for EmailStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the stored word, as the delivery log and its callers write it.
impl PartialEq<&str> for EmailStatus {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

impl FromStr for EmailStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus {
                of: "email",
                word: s.to_owned(),
            })
    }
}

/// How the store reads the column (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for EmailStatus {
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
        for status in EmailStatus::ALL {
            assert_eq!(status.as_str().parse::<EmailStatus>(), Ok(status));
            assert_eq!(status, status.as_str());
        }
        assert!("QUEUED".parse::<EmailStatus>().is_err());
        assert!("".parse::<EmailStatus>().is_err());
        assert!(EmailStatus::Retrying.is_pending() && !EmailStatus::Sending.is_pending());
        assert!(EmailStatus::Sent != "queued");
    }
}
