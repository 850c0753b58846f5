//! What a calendar connection is (an ICS feed, a CalDAV account, Apple iCloud, Google, Microsoft 365), and the
//! words it goes by: its own stored word (`caldav`…, the connections' `kind` column) and Cal.com's integration type
//! (`caldav_calendar`…, the API's word and the `kind` column of booking references).

use crate::words::word_impls;

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

// Reads the stored word (`caldav`…), not the integration type.
word_impls!(ConnectionKind, "calendar connection kind");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::testing::round_trips;

    #[test]
    fn each_kind_reads_back_from_its_word_and_its_integration_type_and_nothing_else_reads() {
        round_trips(&ConnectionKind::ALL, "calendar connection kind");
        for kind in ConnectionKind::ALL {
            assert_eq!(ConnectionKind::from_integration(kind.integration()), Some(kind));
        }
        assert!("caldav_calendar".parse::<ConnectionKind>().is_err());
        assert_eq!(ConnectionKind::from_integration("caldav"), None);
        assert!("Google".parse::<ConnectionKind>().is_err());
        assert!(ConnectionKind::Apple != "caldav");
    }
}
