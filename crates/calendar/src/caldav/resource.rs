//! A calendar object resource and its entity tag: what reading (`query`) and writing (`objects`) both speak.

use url::Url;

/// An entity tag, kept exactly as the server sent it (quotes included) for `If-Match`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    pub fn new(raw: impl Into<String>) -> ETag {
        ETag(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One calendar object resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarObject {
    pub href: Url,
    pub etag: Option<ETag>,
    /// The iCalendar text.
    pub data: String,
}
