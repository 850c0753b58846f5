//! Turning a queued email into MIME: text and HTML alternatives, and for invites the calendar object twice —
//! inline (`text/calendar; method=…`, which mail clients turn into accept/decline buttons) and as an `.ics`
//! attachment (for clients that only offer files).

use convene_core::text::is_line_break_or_control;
use convene_store::outbox::EmailRecord;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{Address, Message};

/// The envelope and the bytes to hand to a transport.
pub struct Built {
    pub envelope: lettre::address::Envelope,
    pub bytes: Vec<u8>,
}

/// A name and an address, as a From or Reply-To shows them (an organization's configured sender is a
/// [`SenderConfig`](super::senders::SenderConfig), a different thing).
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub email: String,
    pub name: String,
}

/// Builds the message as `from`. `reply_to` overrides the stored Reply-To (a fallback route names the
/// organization's address there).
pub fn build(email: &EmailRecord, from: &Mailbox, reply_to: Option<&Mailbox>) -> Result<Built, String> {
    let from =
        lettre_mailbox(&from.name, &from.email).ok_or_else(|| format!("invalid From address {:?}", from.email))?;
    let to = lettre_mailbox(email.to_name.as_deref().unwrap_or_default(), &email.to_email)
        .ok_or_else(|| format!("invalid recipient address {:?}", email.to_email))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(clean(&email.subject))
        .message_id(Some(email.message_id.clone()));
    let stored_reply_to = email
        .reply_to_email
        .as_deref()
        .and_then(|addr| lettre_mailbox(email.reply_to_name.as_deref().unwrap_or_default(), addr));
    let reply_to = reply_to
        .and_then(|r| lettre_mailbox(&r.name, &r.email))
        .or(stored_reply_to);
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(reply_to);
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(email.body_text.clone()))
        .singlepart(SinglePart::html(email.body_html.clone()));
    let message = match (&email.ics, &email.ics_method) {
        (Some(ics), Some(method)) => {
            let method = clean_token(method);
            let calendar_type = content_type(&format!("text/calendar; method={method}; charset=utf-8"))?;
            let attachment_type = content_type("application/ics; name=\"invite.ics\"")?;
            let inline = SinglePart::builder().header(calendar_type).body(ics.clone());
            let attachment = Attachment::new("invite.ics".to_owned()).body(ics.clone(), attachment_type);
            builder.multipart(
                MultiPart::mixed()
                    .multipart(alternative.singlepart(inline))
                    .singlepart(attachment),
            )
        }
        _ => builder.multipart(alternative),
    }
    .map_err(|e| format!("building the message: {e}"))?;
    Ok(Built {
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
    })
}

fn content_type(raw: &str) -> Result<ContentType, String> {
    ContentType::parse(raw).map_err(|e| format!("content type {raw:?}: {e}"))
}

/// A mailbox, or `None` for an unusable address. Control characters are removed from the display name first:
/// lettre panics on a line break inside one.
pub fn lettre_mailbox(name: &str, address: &str) -> Option<lettre::message::Mailbox> {
    let address: Address = address.trim().parse().ok()?;
    let name = clean(name);
    Some(lettre::message::Mailbox::new(
        (!name.is_empty()).then_some(name),
        address,
    ))
}

/// Header-bound text with every control character and line break (U+2028 / U+2029 included) replaced by a space
/// (values were checked at the API; this is the last line of defence, for rows written by older versions or other
/// tools).
pub fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if is_line_break_or_control(c) { ' ' } else { c })
        .collect();
    cleaned.trim().to_owned()
}

fn clean_token(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_line_breaks_cannot_add_headers_or_panic() {
        let mb = lettre_mailbox("Eve\r\nBcc: victim@example.com", "eve@example.com").expect("valid address");
        let shown = mb.to_string();
        assert!(!shown.contains('\n') && !shown.contains('\r'), "{shown}");
        assert!(lettre_mailbox("Eve", "not an address").is_none());
        assert!(lettre_mailbox("Eve", "eve@example.com\r\nBcc: x@y.z").is_none());
    }

    #[test]
    fn unicode_line_separators_in_stored_text_become_spaces() {
        assert_eq!(clean("Eve\u{2028}Bcc: x@y.z\u{2029}!"), "Eve Bcc: x@y.z !");
        let mb = lettre_mailbox("Eve\u{2028}Mallory", "eve@example.com").expect("valid address");
        assert!(!mb.to_string().contains('\u{2028}'), "{mb}");
    }
}
