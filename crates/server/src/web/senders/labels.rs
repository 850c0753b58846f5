//! The words the pages put on stored codes: a sender's health, an email's status, an attempt's outcome, the
//! name of a form field. A code without a word (one added later) is shown as stored rather than as a message id.

use crate::i18n::Lang;
use convene_core::{EmailStatus, OutboxKind};

/// A sender's health (`UNTESTED`, `OK`, `FAILING`, `AUTH_FAILED`).
pub(super) fn health(t: Lang, status: &str) -> String {
    word(
        t,
        status,
        match status {
            "UNTESTED" => "senders-health-untested",
            "OK" => "senders-health-ok",
            "FAILING" => "senders-health-failing",
            "AUTH_FAILED" => "senders-health-auth-failed",
            _ => "",
        },
    )
}

/// An email's place in the outbox.
pub(super) fn email_status(t: Lang, status: EmailStatus) -> String {
    t.text(match status {
        EmailStatus::Queued => "senders-status-queued",
        EmailStatus::Sending => "senders-status-sending",
        EmailStatus::Sent => "senders-status-sent",
        EmailStatus::Retrying => "senders-status-retrying",
        EmailStatus::Failed => "senders-status-failed",
        EmailStatus::Cancelled => "senders-status-cancelled",
    })
}

/// How one attempt on one route ended (`sent`, `failed`, `skipped`).
pub(super) fn outcome(t: Lang, outcome: &str) -> String {
    word(
        t,
        outcome,
        match outcome {
            "sent" => "senders-outcome-sent",
            "failed" => "senders-outcome-failed",
            "skipped" => "senders-outcome-skipped",
            _ => "",
        },
    )
}

/// What an email is, for people (`booking_scheduled_attendee` → "Booking confirmed, to the attendee"); the code
/// itself stays on the page beside it, as the API's filter value.
pub(super) fn email_kind(t: Lang, kind: OutboxKind) -> String {
    let id = match kind {
        // Never stored, so no log shows it: it has no words.
        OutboxKind::SenderTest => String::new(),
        OutboxKind::Email(_) | OutboxKind::Sms | OutboxKind::WhatsApp => {
            format!("senders-kind-{}", kind.as_str().replace('_', "-"))
        }
    };
    word(t, kind.as_str(), &id)
}

/// The label of a submitted field, as the form shows it (team refusals name `teamIds[i]`).
pub(super) fn field(t: Lang, name: &str) -> String {
    let id = match name {
        "fromEmail" => "senders-from-email",
        "fromName" => "senders-from-name",
        "provider" => "senders-provider",
        "smtpHost" => "senders-smtp-host",
        "smtpPort" => "senders-smtp-port",
        "smtpUser" => "senders-smtp-user",
        "smtpPassword" => "senders-smtp-password",
        "apiKey" => "senders-api-key",
        "ipPool" => "senders-ip-pool",
        "isDefault" => "senders-is-default",
        "toEmail" => "senders-test-recipient",
        n if n.starts_with("teamIds") => "senders-teams-legend",
        _ => "",
    };
    word(t, name, id)
}

fn word(t: Lang, code: &str, id: &str) -> String {
    if id.is_empty() { code.to_owned() } else { t.text(id) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_are_said_in_the_language_and_unknown_ones_as_stored() {
        assert_eq!(health(Lang::En, "UNTESTED"), "Not tested yet");
        assert_ne!(health(Lang::De, "FAILING"), health(Lang::En, "FAILING"));
        assert_ne!(
            email_status(Lang::Fr, EmailStatus::Cancelled),
            email_status(Lang::En, EmailStatus::Cancelled)
        );
        assert_eq!(outcome(Lang::Es, "odd"), "odd");
        assert_eq!(field(Lang::En, "teamIds[2]"), field(Lang::En, "teamIds"));
        assert_eq!(field(Lang::De, "mystery"), "mystery");
        assert_eq!(email_kind(Lang::Fr, OutboxKind::SenderTest), "sender_test");
    }

    #[test]
    fn every_email_kind_has_words_in_every_language() {
        let kinds = OutboxKind::ALL.into_iter().filter(|k| *k != OutboxKind::SenderTest);
        for kind in kinds {
            for t in [Lang::En, Lang::De, Lang::Fr, Lang::Es] {
                let id = format!("senders-kind-{}", kind.as_str().replace('_', "-"));
                let words = email_kind(t, kind);
                assert!(words != kind.as_str() && words != id, "{kind} in {}: {words}", t.code());
                if t != Lang::En {
                    assert_ne!(words, email_kind(Lang::En, kind), "{kind} in {} is English", t.code());
                }
            }
        }
    }
}
