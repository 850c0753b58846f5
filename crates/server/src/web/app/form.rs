//! A posted urlencoded form as name/value pairs (checkboxes and repeated rows share a name).

use axum::extract::RawForm;
use axum::extract::rejection::RawFormRejection;

#[derive(Debug, Default)]
pub(crate) struct Posted(Vec<(String, String)>);

impl Posted {
    /// The pairs of a body; an unreadable body reads as empty (its CSRF check then fails).
    pub(super) fn parse(raw: Result<RawForm, RawFormRejection>) -> Self {
        match raw {
            Ok(RawForm(bytes)) => Posted(form_urlencoded::parse(&bytes).into_owned().collect()),
            Err(_) => Posted(Vec::new()),
        }
    }

    /// The first value of `name`, as sent ("" when absent).
    pub(super) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// The trimmed value; `None` when empty.
    pub(super) fn text(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }

    /// A post made of these pairs (tests of the pages' readers).
    #[cfg(test)]
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Posted(pairs)
    }

    pub(super) fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

impl Posted {
    /// Every value of `name`, in order.
    pub(super) fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
