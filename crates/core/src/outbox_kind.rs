//! What an outbox row carries: one of the emails convene sends, or a workflow's text message. Stored as its word
//! (`booking_scheduled_attendee`, `workflow_sms`, …), which the delivery log's API also answers with and filters by.

use crate::email::EmailKind;
use std::fmt;
use std::str::FromStr;

/// An outbox row's kind. Text messages travel through the same outbox (and worker) as emails, so they share its
/// `kind` column without being [`EmailKind`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxKind {
    Email(EmailKind),
    /// A workflow's SMS (`workflow_sms`).
    Sms,
    /// A workflow's WhatsApp message (`workflow_whatsapp`).
    WhatsApp,
    /// The test email of the senders page's button (`sender_test`): built in memory and handed straight to the
    /// sender, never queued, so no stored row has this kind.
    SenderTest,
}

impl OutboxKind {
    /// Every kind: the emails in [`EmailKind::ALL`]'s order, then the text messages and the sender test.
    pub const ALL: [OutboxKind; EmailKind::ALL.len() + 3] = {
        let mut all = [OutboxKind::Sms; EmailKind::ALL.len() + 3];
        let mut i = 0;
        while i < EmailKind::ALL.len() {
            all[i] = OutboxKind::Email(EmailKind::ALL[i]);
            i += 1;
        }
        all[i] = OutboxKind::Sms;
        all[i + 1] = OutboxKind::WhatsApp;
        all[i + 2] = OutboxKind::SenderTest;
        all
    };

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Email(kind) => kind.as_str(),
            OutboxKind::Sms => "workflow_sms",
            OutboxKind::WhatsApp => "workflow_whatsapp",
            OutboxKind::SenderTest => "sender_test",
        }
    }

    /// The email this row is, if it is one of convene's emails (not a text message or a sender test).
    pub fn email(self) -> Option<EmailKind> {
        match self {
            OutboxKind::Email(kind) => Some(kind),
            OutboxKind::Sms | OutboxKind::WhatsApp | OutboxKind::SenderTest => None,
        }
    }
}

impl From<EmailKind> for OutboxKind {
    fn from(kind: EmailKind) -> Self {
        OutboxKind::Email(kind)
    }
}

impl fmt::Display for OutboxKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the stored word, as the delivery log and its callers write it.
impl PartialEq<&str> for OutboxKind {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

impl PartialEq<EmailKind> for OutboxKind {
    fn eq(&self, kind: &EmailKind) -> bool {
        *self == OutboxKind::Email(*kind)
    }
}

/// A stored kind word this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown outbox kind {word:?}")]
pub struct UnknownKind {
    pub word: String,
}

impl FromStr for OutboxKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "workflow_sms" => Ok(OutboxKind::Sms),
            "workflow_whatsapp" => Ok(OutboxKind::WhatsApp),
            "sender_test" => Ok(OutboxKind::SenderTest),
            word => EmailKind::parse(word)
                .map(OutboxKind::Email)
                .ok_or_else(|| UnknownKind { word: word.to_owned() }),
        }
    }
}

/// How the store reads the column (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for OutboxKind {
    type Error = UnknownKind;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_kind_reads_back_from_its_word_and_nothing_else_reads() {
        let mut words = HashSet::new();
        for kind in OutboxKind::ALL {
            assert_eq!(kind.as_str().parse::<OutboxKind>(), Ok(kind));
            assert_eq!(OutboxKind::try_from(kind.to_string()), Ok(kind));
            assert_eq!(kind, kind.as_str());
            assert!(words.insert(kind.as_str()), "{kind} twice");
        }
        assert_eq!(words.len(), EmailKind::ALL.len() + 3);
        for word in ["", "WORKFLOW_SMS", "carrier_pigeon", "workflow_sms "] {
            assert_eq!(word.parse::<OutboxKind>(), Err(UnknownKind { word: word.to_owned() }));
        }
    }

    #[test]
    fn emails_keep_their_own_word_and_text_messages_are_not_emails() {
        for kind in EmailKind::ALL {
            assert_eq!(OutboxKind::from(kind).as_str(), kind.as_str());
            assert_eq!(OutboxKind::from(kind).email(), Some(kind));
            assert_eq!(OutboxKind::from(kind), kind);
        }
        assert_eq!(OutboxKind::Sms, "workflow_sms");
        assert_eq!(OutboxKind::WhatsApp, "workflow_whatsapp");
        for kind in [OutboxKind::Sms, OutboxKind::WhatsApp, OutboxKind::SenderTest] {
            assert_eq!(kind.email(), None);
        }
        assert!(OutboxKind::Email(EmailKind::PasswordReset) != "password_resets");
        assert!(OutboxKind::Sms != EmailKind::WorkflowEmail);
    }
}
