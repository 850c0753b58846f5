//! WebDAV XML with quick-xml: request bodies written with its writer (so hrefs and tokens are escaped), answers
//! read namespace-aware into a small tree (servers pick their own prefixes: `D:`, `d:`, a default namespace…).

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::escape::unescape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::error::CalendarError;

pub(crate) const DAV: &str = "DAV:";
pub(crate) const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub(crate) const CALSERVER: &str = "http://calendarserver.org/ns/";
pub(crate) const APPLE_ICAL: &str = "http://apple.com/ns/ical/";

/// Elements nested deeper than this are refused (no WebDAV answer needs more; a hostile one could).
const MAX_DEPTH: usize = 64;

/// A request body under construction. Names use the prefixes `d` (DAV:), `c` (CalDAV), `cs` (calendarserver) and
/// `ic` (Apple iCal), all declared on the root.
pub(crate) struct XmlBody {
    writer: Writer<Vec<u8>>,
    open: Vec<String>,
}

impl XmlBody {
    pub fn new(root: &str) -> XmlBody {
        let mut writer = Writer::new(Vec::new());
        // Writing into a Vec cannot fail; the io::Result is ignored throughout for that reason.
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
        let start = BytesStart::new(root).with_attributes([
            ("xmlns:d", DAV),
            ("xmlns:c", CALDAV),
            ("xmlns:cs", CALSERVER),
            ("xmlns:ic", APPLE_ICAL),
        ]);
        let _ = writer.write_event(Event::Start(start));
        XmlBody {
            writer,
            open: vec![root.to_owned()],
        }
    }

    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut XmlBody {
        let start = BytesStart::new(name).with_attributes(attrs.iter().copied());
        let _ = self.writer.write_event(Event::Start(start));
        self.open.push(name.to_owned());
        self
    }

    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut XmlBody {
        let start = BytesStart::new(name).with_attributes(attrs.iter().copied());
        let _ = self.writer.write_event(Event::Empty(start));
        self
    }

    pub fn text(&mut self, name: &str, text: &str) -> &mut XmlBody {
        let _ = self
            .writer
            .create_element(name)
            .write_text_content(BytesText::new(text));
        self
    }

    pub fn close(&mut self) -> &mut XmlBody {
        if let Some(name) = self.open.pop() {
            let _ = self.writer.write_event(Event::End(BytesEnd::new(name)));
        }
        self
    }

    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        String::from_utf8_lossy(&self.writer.into_inner()).into_owned()
    }
}

/// An element of an answer: namespace, local name, attributes, children and text (unescaped, untrimmed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn children_named<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    pub fn trimmed(&self) -> &str {
        self.text.trim()
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The text of the `DAV:href` children.
    pub fn hrefs(&self) -> Vec<String> {
        self.children_named(DAV, "href")
            .map(|h| h.trimmed().to_owned())
            .filter(|h| !h.is_empty())
            .collect()
    }
}

fn protocol(what: impl std::fmt::Display) -> CalendarError {
    CalendarError::Protocol(format!("bad XML: {what}"))
}

fn namespace(resolved: ResolveResult<'_>) -> String {
    match resolved {
        ResolveResult::Bound(ns) => AsRef::<str>::as_ref(&ns).to_owned(),
        _ => String::new(),
    }
}

fn element(ns: String, start: &BytesStart<'_>) -> Result<Element, CalendarError> {
    let mut attrs = Vec::new();
    for attr in start.attributes().flatten() {
        let key = AsRef::<str>::as_ref(&attr.key.local_name()).to_owned();
        let value = unescape(&attr.value).map_err(protocol)?.into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        ns,
        name: AsRef::<str>::as_ref(&start.local_name()).to_owned(),
        attrs,
        ..Element::default()
    })
}

/// Parses a whole document and returns its root element.
pub(crate) fn parse(xml: &str) -> Result<Element, CalendarError> {
    let mut reader = NsReader::from_str(xml);
    // Raw text (with entity references put back) per open element, unescaped when the element closes.
    let mut stack: Vec<(Element, String)> = Vec::new();
    let mut root = None;
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(protocol)?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(protocol("nested too deeply"));
                }
                stack.push((element(namespace(resolved), &start)?, String::new()));
            }
            Event::Empty(start) => {
                let el = element(namespace(resolved), &start)?;
                match stack.last_mut() {
                    Some((parent, _)) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let (mut el, raw) = stack.pop().ok_or_else(|| protocol("unbalanced end tag"))?;
                el.text.push_str(&unescape(&raw).map_err(protocol)?);
                match stack.last_mut() {
                    Some((parent, _)) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(text) => {
                if let Some((_, raw)) = stack.last_mut() {
                    raw.push_str(&text.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, raw)) = stack.last_mut() {
                    raw.push('&');
                    raw.push_str(&reference.xml10_content());
                    raw.push(';');
                }
            }
            Event::CData(data) => {
                // CDATA is literal: escape it so the final unescape gives it back unchanged.
                if let Some((_, raw)) = stack.last_mut() {
                    raw.push_str(&quick_xml::escape::escape(Cow::Owned(
                        data.xml10_content().into_owned(),
                    )));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(protocol("the document ends inside an element"));
    }
    root.ok_or_else(|| protocol("no root element"))
}

/// One `DAV:response` of a multistatus answer.
#[derive(Debug, Clone)]
pub(crate) struct DavResponse {
    pub href: String,
    /// The response-level status, when there is one (e.g. 404 for a removed member in a sync report).
    pub status: Option<u16>,
    /// The `DAV:prop` elements of the propstats with a 2xx status.
    pub found: Vec<Element>,
}

impl DavResponse {
    /// A property found with a 2xx status.
    pub fn prop(&self, ns: &str, name: &str) -> Option<&Element> {
        self.found.iter().find_map(|p| p.child(ns, name))
    }
}

fn status_code(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The responses of a `DAV:multistatus` document, and its `DAV:sync-token` if any.
pub(crate) fn multistatus(xml: &str) -> Result<(Vec<DavResponse>, Option<String>), CalendarError> {
    let root = parse(xml)?;
    if !root.is(DAV, "multistatus") {
        return Err(CalendarError::Protocol(format!(
            "expected a multistatus answer, got <{}>",
            root.name
        )));
    }
    let mut out = Vec::new();
    for response in root.children_named(DAV, "response") {
        let Some(href) = response.child(DAV, "href").map(|h| h.trimmed().to_owned()) else {
            continue;
        };
        let status = response.child(DAV, "status").and_then(|s| status_code(s.trimmed()));
        let found = response
            .children_named(DAV, "propstat")
            .filter(|ps| {
                ps.child(DAV, "status")
                    .and_then(|s| status_code(s.trimmed()))
                    .is_some_and(|c| (200..300).contains(&c))
            })
            .filter_map(|ps| ps.child(DAV, "prop").cloned())
            .collect();
        out.push(DavResponse { href, status, found });
    }
    let token = root
        .child(DAV, "sync-token")
        .map(|t| t.trimmed().to_owned())
        .filter(|t| !t.is_empty());
    Ok((out, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_escape_what_they_carry() {
        let mut body = XmlBody::new("d:sync-collection");
        body.text("d:sync-token", "http://x/<&>\"");
        let xml = body.finish();
        assert!(
            xml.contains("<d:sync-token>http://x/&lt;&amp;&gt;&quot;</d:sync-token>"),
            "{xml}"
        );
        assert!(xml.ends_with("</d:sync-collection>"), "{xml}");
        let root = parse(&xml).expect("parse back");
        assert_eq!(
            root.child(DAV, "sync-token").map(Element::trimmed),
            Some("http://x/<&>\"")
        );
    }

    #[test]
    fn prefixes_do_not_matter_only_namespaces_do() {
        let xml = r#"<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <response><href>/cal/a.ics</href>
    <propstat><prop><getetag>"1"</getetag><C:calendar-data><![CDATA[BEGIN:VCALENDAR
A&B]]></C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat>
    <propstat><prop><displayname/></prop><status>HTTP/1.1 404 Not Found</status></propstat>
  </response>
  <response><href>/cal/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response>
  <sync-token>http://example.com/sync/2</sync-token>
</multistatus>"#;
        let (responses, token) = multistatus(xml).expect("multistatus");
        assert_eq!(token.as_deref(), Some("http://example.com/sync/2"));
        assert_eq!(responses.len(), 2);
        assert_eq!(responses[0].prop(DAV, "getetag").map(Element::trimmed), Some("\"1\""));
        assert_eq!(
            responses[0].prop(CALDAV, "calendar-data").map(|e| e.text.as_str()),
            Some("BEGIN:VCALENDAR\nA&B")
        );
        assert!(responses[0].prop(DAV, "displayname").is_none());
        assert_eq!(responses[1].status, Some(404));
    }

    #[test]
    fn entities_and_character_references_are_resolved() {
        let root = parse("<a xmlns='DAV:'>x&amp;y&#13;&#x41;&lt;</a>").expect("parse");
        assert_eq!(root.text, "x&y\rA<");
    }

    #[test]
    fn hostile_documents_are_errors_not_panics() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).is_err());
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("").is_err());
        assert!(multistatus("<html><body>Login</body></html>").is_err());
    }
}
