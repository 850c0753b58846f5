//! Where a calendar write job stands. Stored as its word (`queued`, `retrying`, `done`, `failed`); a claimed job
//! keeps its word and holds a lease instead of passing through a state of its own.

use crate::booking_status::UnknownStatus;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarJobStatus {
    /// Written with the booking change, due at once.
    Queued,
    /// An attempt failed; due again at `not_before`.
    Retrying,
    /// The destination calendar matches the booking.
    Done,
    /// Given up on: kept with its last error for the host to see.
    Failed,
}

impl CalendarJobStatus {
    pub const ALL: [CalendarJobStatus; 4] = [
        CalendarJobStatus::Queued,
        CalendarJobStatus::Retrying,
        CalendarJobStatus::Done,
        CalendarJobStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CalendarJobStatus::Queued => "queued",
            CalendarJobStatus::Retrying => "retrying",
            CalendarJobStatus::Done => "done",
            CalendarJobStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for CalendarJobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the stored word, as tests and SQL write it.
impl PartialEq<&str> for CalendarJobStatus {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

impl FromStr for CalendarJobStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CalendarJobStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus {
                of: "calendar job",
                word: s.to_owned(),
            })
    }
}

/// How the store reads the column (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for CalendarJobStatus {
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
        for status in CalendarJobStatus::ALL {
            assert_eq!(status.as_str().parse::<CalendarJobStatus>(), Ok(status));
            assert_eq!(CalendarJobStatus::try_from(status.to_string()), Ok(status));
            assert_eq!(status, status.as_str());
        }
        assert_eq!(
            "running".parse::<CalendarJobStatus>(),
            Err(UnknownStatus {
                of: "calendar job",
                word: "running".to_owned()
            })
        );
        assert!("DONE".parse::<CalendarJobStatus>().is_err());
        assert!("".parse::<CalendarJobStatus>().is_err());
        assert!(CalendarJobStatus::Done != "failed");
    }
}
