//! Where a booking stands, as stored and as Cal.com's API spells it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A booking's status. Accepted and pending bookings hold their time; cancelled and rejected ones don't.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    Accepted,
    /// Waiting for the host's confirmation (event types that require it).
    Pending,
    Cancelled,
    /// Declined by the host.
    Rejected,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Accepted => "accepted",
            BookingStatus::Pending => "pending",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Rejected => "rejected",
        }
    }

    /// Accepted or pending: the booking still takes its time (and its host's calendar).
    pub fn is_live(self) -> bool {
        matches!(self, BookingStatus::Accepted | BookingStatus::Pending)
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored status word this version does not know, and what it was the status of (`booking`, `email`, `calendar job`, `webhook delivery`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus {
    pub of: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} status {:?}", self.of, self.word)
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for BookingStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "accepted" => Ok(BookingStatus::Accepted),
            "pending" => Ok(BookingStatus::Pending),
            "cancelled" => Ok(BookingStatus::Cancelled),
            "rejected" => Ok(BookingStatus::Rejected),
            other => Err(UnknownStatus {
                of: "booking",
                word: other.to_owned(),
            }),
        }
    }
}

/// How the store reads the column (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for BookingStatus {
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
        for s in [
            BookingStatus::Accepted,
            BookingStatus::Pending,
            BookingStatus::Cancelled,
            BookingStatus::Rejected,
        ] {
            assert_eq!(s.as_str().parse::<BookingStatus>(), Ok(s));
        }
        assert!("ACCEPTED".parse::<BookingStatus>().is_err());
        assert!("".parse::<BookingStatus>().is_err());
        assert!(BookingStatus::Pending.is_live() && !BookingStatus::Rejected.is_live());
    }
}
