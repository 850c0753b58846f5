//! What a calendar connection is (an ICS feed, a CalDAV account, Apple iCloud, Google, Microsoft 365), and the
//! words it goes by: its own stored word (`caldav`…, the connections' `kind` column) and Cal.com's integration type
//! (`caldav_calendar`…, the API's word and the `kind` column of booking references).

use std::fmt;
use std::str::FromStr;

/// What a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionKind {
    IcsFeed,
    CalDav,
    Apple,
    Google,
    Office365,
}

impl ConnectionKind {
    pub const ALL: [ConnectionKind; 5] = [
        ConnectionKind::IcsFeed,
        ConnectionKind::CalDav,
        ConnectionKind::Apple,
        ConnectionKind::Google,
        ConnectionKind::Office365,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::IcsFeed => "ics_feed",
            ConnectionKind::CalDav => "caldav",
            ConnectionKind::Apple => "apple",
            ConnectionKind::Google => "google",
            ConnectionKind::Office365 => "office365",
        }
    }

    pub fn parse(stored: &str) -> Option<ConnectionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == stored)
    }

    /// Cal.com's integration type (`apple_calendar`…).
    pub fn integration(self) -> &'static str {
        match self {
            ConnectionKind::IcsFeed => "ics-feed_calendar",
            ConnectionKind::CalDav => "caldav_calendar",
            ConnectionKind::Apple => "apple_calendar",
            ConnectionKind::Google => "google_calendar",
            ConnectionKind::Office365 => "office365_calendar",
        }
    }

    /// The kind for a Cal.com integration type.
    pub fn from_integration(name: &str) -> Option<ConnectionKind> {
        Self::ALL.into_iter().find(|k| k.integration() == name)
    }

    /// Cal.com's app slug (`appId`).
    pub fn app_id(self) -> &'static str {
        match self {
            ConnectionKind::IcsFeed => "ics-feed",
            ConnectionKind::CalDav => "caldav-calendar",
            ConnectionKind::Apple => "apple-calendar",
            ConnectionKind::Google => "google-calendar",
            ConnectionKind::Office365 => "office365-calendar",
        }
    }

    /// The name shown to people.
    pub fn title(self) -> &'static str {
        match self {
            ConnectionKind::IcsFeed => "ICS Feed",
            ConnectionKind::CalDav => "CalDav Server",
            ConnectionKind::Apple => "Apple Calendar",
            ConnectionKind::Google => "Google Calendar",
            ConnectionKind::Office365 => "Outlook Calendar",
        }
    }
}

impl fmt::Display for ConnectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the stored word, as tests write it.
impl PartialEq<&str> for ConnectionKind {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

/// A stored connection kind (or integration type) this version does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownConnectionKind {
    pub word: String,
}

impl fmt::Display for UnknownConnectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown calendar connection kind {:?}", self.word)
    }
}

impl std::error::Error for UnknownConnectionKind {}

/// Reads the stored word (`caldav`…), not the integration type.
impl FromStr for ConnectionKind {
    type Err = UnknownConnectionKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConnectionKind::parse(s).ok_or_else(|| UnknownConnectionKind { word: s.to_owned() })
    }
}

/// How the store reads the connections' column (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for ConnectionKind {
    type Error = UnknownConnectionKind;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_from_its_word_and_its_integration_type_and_nothing_else_reads() {
        for kind in ConnectionKind::ALL {
            assert_eq!(kind.as_str().parse::<ConnectionKind>(), Ok(kind));
            assert_eq!(ConnectionKind::try_from(kind.to_string()), Ok(kind));
            assert_eq!(ConnectionKind::from_integration(kind.integration()), Some(kind));
            assert_eq!(kind, kind.as_str());
        }
        assert_eq!(
            "caldav_calendar".parse::<ConnectionKind>(),
            Err(UnknownConnectionKind {
                word: "caldav_calendar".to_owned()
            })
        );
        assert_eq!(ConnectionKind::from_integration("caldav"), None);
        assert!("Google".parse::<ConnectionKind>().is_err());
        assert!("".parse::<ConnectionKind>().is_err());
        assert!(ConnectionKind::Apple != "caldav");
    }
}
