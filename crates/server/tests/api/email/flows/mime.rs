//! Reading what arrived: the MIME tree, text and HTML parts, the invite (inline and attached, parsed with
//! `icalendar`), and what every email must satisfy ([`check_mail`]).

use super::*;
use crate::helpers::email::{HELLO, PLATFORM_FROM, PLATFORM_NAME};
use convene_testkit::Received;
use mail_parser::{MessageParser, MimeHeaders};

/// One email that went out: its outbox row and what the SMTP server received.
pub(crate) struct Mail {
    pub(crate) row: EmailRecord,
    pub(crate) received: Received,
}

/// The calendar object of an email, as the `icalendar` parser reads it.
#[derive(Debug, Clone)]
pub(crate) struct Ics {
    pub(crate) method: String,
    pub(crate) uid: String,
    pub(crate) sequence: i64,
    pub(crate) status: String,
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) summary: String,
    pub(crate) description: Option<String>,
    pub(crate) organizer: String,
    pub(crate) attendees: Vec<String>,
    /// The text as sent (folded, CRLF).
    pub(crate) raw: String,
}

/// A received message, parsed.
pub(crate) fn parse_received(received: &Received) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(&received.data)
        .expect("mail-parser reads the message")
}

pub(crate) fn parse(mail: &Mail) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(&mail.received.data)
        .expect("mail-parser reads the message")
}

/// The MIME tree, one part a line, indented by depth: `type/subtype`, the calendar method, and attachments'
/// file names.
pub(crate) fn tree(message: &mail_parser::Message<'_>) -> Vec<String> {
    fn walk(message: &mail_parser::Message<'_>, id: u32, depth: usize, out: &mut Vec<String>) {
        let part = message.part(id).expect("a part");
        let ct = part.content_type().expect("every part has a Content-Type");
        let mut line = format!(
            "{}{}/{}",
            "  ".repeat(depth),
            ct.ctype(),
            ct.subtype().unwrap_or_default()
        );
        if let Some(method) = ct.attribute("method") {
            line.push_str(&format!("; method={method}"));
        }
        if let Some(disposition) = part.content_disposition() {
            line.push_str(&format!(
                " [{} {}]",
                disposition.ctype(),
                disposition.attribute("filename").unwrap_or_default()
            ));
        }
        out.push(line);
        for child in part.sub_parts().unwrap_or_default() {
            walk(message, *child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(message, 0, 0, &mut out);
    out
}

pub(crate) fn tree_with_invite(method: &str) -> Vec<String> {
    vec![
        "multipart/mixed".to_owned(),
        "  multipart/alternative".to_owned(),
        "    text/plain".to_owned(),
        "    text/html".to_owned(),
        format!("    text/calendar; method={method}"),
        "  application/ics [attachment invite.ics]".to_owned(),
    ]
}

pub(crate) fn tree_without_invite() -> Vec<String> {
    vec![
        "multipart/alternative".to_owned(),
        "  text/plain".to_owned(),
        "  text/html".to_owned(),
    ]
}

/// Parts of `message` whose type is `ctype/subtype`.
pub(crate) fn parts_of<'m>(
    message: &'m mail_parser::Message<'m>,
    ctype: &str,
    subtype: &str,
) -> Vec<&'m mail_parser::MessagePart<'m>> {
    message
        .parts
        .iter()
        .filter(|p| p.is_content_type(ctype, subtype))
        .collect()
}

/// The one `ctype/subtype` part's text. Text bodies travel with CRLF line ends (RFC 5322); they are compared with
/// the stored `\n` form, the calendar keeps its own CRLF.
pub(crate) fn only_text(message: &mail_parser::Message<'_>, ctype: &str, subtype: &str) -> String {
    let parts = parts_of(message, ctype, subtype);
    assert_eq!(parts.len(), 1, "one {ctype}/{subtype} part");
    let text = parts[0].text_contents().expect("text");
    if subtype == "calendar" {
        text.to_owned()
    } else {
        text.replace("\r\n", "\n")
    }
}

/// Parts sent with `Content-Disposition: attachment` (mail-parser also counts the inline calendar among its
/// "attachments", being neither the text nor the HTML body).
pub(crate) fn attached<'m>(message: &'m mail_parser::Message<'m>) -> Vec<&'m mail_parser::MessagePart<'m>> {
    message
        .parts
        .iter()
        .filter(|p| p.content_disposition().is_some_and(|d| d.ctype() == "attachment"))
        .collect()
}

/// What every email must satisfy: envelope and To name the row's recipient, From is the platform's, Reply-To and
/// Subject are the row's, the Message-ID is the row's, the MIME tree holds text and HTML alternatives and — for
/// invites — the calendar object inline (with its method) and as `invite.ics`, both exactly the row's, and that
/// calendar object parses.
pub(crate) fn check_mail(mail: &Mail) {
    let row = &mail.row;
    let what = format!("{} to {}", row.kind, row.to_email);
    assert_eq!(mail.received.mail_from, PLATFORM_FROM, "{what}: envelope sender");
    assert_eq!(
        mail.received.rcpt_to,
        std::slice::from_ref(&row.to_email),
        "{what}: envelope recipients"
    );
    assert_eq!(
        mail.received.header("Message-ID").as_deref(),
        Some(row.message_id.as_str()),
        "{what}"
    );
    assert!(
        row.message_id.starts_with('<') && row.message_id.ends_with(&format!("@{HELLO}>")),
        "{what}: {}",
        row.message_id
    );

    let message = parse(mail);
    let first = |a: Option<&mail_parser::Address<'_>>| {
        let list: Vec<(Option<String>, Option<String>)> = a
            .map(|a| {
                a.iter()
                    .map(|m| (m.name().map(str::to_owned), m.address().map(str::to_owned)))
                    .collect()
            })
            .unwrap_or_default();
        assert!(list.len() <= 1, "{what}: at most one mailbox: {list:?}");
        list.into_iter().next()
    };
    assert_eq!(
        first(message.from()),
        Some((Some(PLATFORM_NAME.to_owned()), Some(PLATFORM_FROM.to_owned()))),
        "{what}: From"
    );
    assert_eq!(
        first(message.to()),
        Some((row.to_name.clone(), Some(row.to_email.clone()))),
        "{what}: To"
    );
    assert_eq!(
        first(message.reply_to()),
        row.reply_to_email
            .as_ref()
            .map(|e| (row.reply_to_name.clone(), Some(e.clone()))),
        "{what}: Reply-To"
    );
    assert_eq!(message.subject(), Some(row.subject.as_str()), "{what}: Subject");
    assert_eq!(
        message.message_id().map(|id| format!("<{id}>")).as_deref(),
        Some(row.message_id.as_str()),
        "{what}"
    );
    assert!(message.date().is_some(), "{what}: a Date header");

    match (&row.ics, &row.ics_method) {
        (Some(ics), Some(method)) => {
            assert_eq!(tree(&message), tree_with_invite(method), "{what}: MIME structure");
            assert_eq!(only_text(&message, "text", "calendar"), *ics, "{what}: inline calendar");
            let attachments = attached(&message);
            assert_eq!(attachments.len(), 1, "{what}: one attachment");
            assert_eq!(attachments[0].attachment_name(), Some("invite.ics"));
            assert_eq!(
                std::str::from_utf8(attachments[0].contents()).expect("UTF-8 attachment"),
                ics,
                "{what}: attached calendar"
            );
            let parsed = parse_ics(ics);
            assert_eq!(&parsed.method, method, "{what}: METHOD");
        }
        (None, None) => assert_eq!(tree(&message), tree_without_invite(), "{what}: MIME structure"),
        other => panic!("{what}: a calendar without a method or the reverse: {other:?}"),
    }
    assert_eq!(only_text(&message, "text", "plain"), row.body_text, "{what}: text body");
    assert_eq!(only_text(&message, "text", "html"), row.body_html, "{what}: HTML body");
}

impl Mail {
    pub(crate) fn kind(&self) -> &str {
        self.row.kind.as_str()
    }

    pub(crate) fn text(&self) -> String {
        only_text(&parse(self), "text", "plain")
    }

    pub(crate) fn html(&self) -> String {
        only_text(&parse(self), "text", "html")
    }

    /// The attached invite, parsed.
    pub(crate) fn ics(&self) -> Ics {
        let message = parse(self);
        let attachment = *attached(&message).first().expect("an invite attached");
        parse_ics(std::str::from_utf8(attachment.contents()).expect("UTF-8"))
    }

    pub(crate) fn has_ics(&self) -> bool {
        self.row.ics.is_some()
    }
}

/// Reads a calendar with `icalendar`'s parser: one VCALENDAR holding one VEVENT.
pub(crate) fn parse_ics(raw: &str) -> Ics {
    let unfolded = icalendar::parser::unfold(raw);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{raw}"));
    let calendar_prop = |name: &str| {
        calendar
            .properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.as_str().to_owned())
    };
    assert_eq!(calendar_prop("VERSION").as_deref(), Some("2.0"));
    let events: Vec<_> = calendar.components.iter().filter(|c| c.name == "VEVENT").collect();
    assert_eq!(events.len(), 1, "one VEVENT:\n{raw}");
    assert_eq!(calendar.components.len(), 1, "nothing but the VEVENT:\n{raw}");
    let event = events[0];
    let prop = |name: &str| event.find_prop(name).map(|p| p.val.as_str().to_owned());
    let required = |name: &str| prop(name).unwrap_or_else(|| panic!("no {name}:\n{raw}"));
    for timed in ["DTSTART", "DTEND", "DTSTAMP"] {
        let p = event.find_prop(timed).expect("a time");
        assert!(p.params.is_empty(), "{timed} is UTC, without TZID: {:?}", p.params);
        assert!(p.val.as_str().ends_with('Z'), "{timed} in UTC: {}", p.val.as_str());
    }
    let mailto = |value: &str| {
        value
            .strip_prefix("mailto:")
            .unwrap_or_else(|| panic!("a mailto: address: {value}"))
            .to_owned()
    };
    Ics {
        method: calendar_prop("METHOD").expect("a METHOD"),
        uid: required("UID"),
        sequence: required("SEQUENCE").parse().expect("a numeric SEQUENCE"),
        status: required("STATUS"),
        start: required("DTSTART"),
        end: required("DTEND"),
        summary: required("SUMMARY"),
        description: prop("DESCRIPTION"),
        organizer: mailto(&required("ORGANIZER")),
        attendees: event
            .properties
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .map(|p| mailto(p.val.as_str()))
            .collect(),
        raw: raw.to_owned(),
    }
}

/// (kind, recipient, Reply-To, subject) of each email, sorted.
pub(crate) fn summary(mails: &[Mail]) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = mails
        .iter()
        .map(|m| {
            (
                m.row.kind.to_string(),
                m.received.rcpt_to.join(","),
                m.row.reply_to_email.clone().unwrap_or_default(),
                m.row.subject.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

pub(crate) fn assert_emails(mails: &[Mail], expected: &[Expected<'_>]) {
    let mut expected: Vec<_> = expected
        .iter()
        .map(|(k, to, reply, subject)| {
            (
                (*k).to_owned(),
                (*to).to_owned(),
                (*reply).to_owned(),
                (*subject).to_owned(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(summary(mails), expected);
}
