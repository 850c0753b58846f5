//! What an outbox row carries: one of the emails convene sends, or a workflow's text message. Stored as its word
//! (`booking_scheduled_attendee`, `workflow_sms`, …), which the delivery log's API also answers with and filters by.

use crate::email::EmailKind;
use crate::words::word_impls;

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

impl PartialEq<EmailKind> for OutboxKind {
    fn eq(&self, kind: &EmailKind) -> bool {
        *self == OutboxKind::Email(*kind)
    }
}

word_impls!(OutboxKind, "outbox kind");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::testing::round_trips;

    #[test]
    fn each_kind_reads_back_from_its_word_and_nothing_else_reads() {
        round_trips(&OutboxKind::ALL, "outbox kind");
        for word in ["WORKFLOW_SMS", "carrier_pigeon", "workflow_sms "] {
            assert!(word.parse::<OutboxKind>().is_err(), "{word}");
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
