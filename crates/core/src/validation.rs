//! The error every parser in this crate returns: which field, and what is wrong with it.
//!
//! A refusal a person may read on a page also carries a message id from the server's catalogue (the `refusal-*`
//! messages in `crates/server/locales/*.ftl`) and the named arguments it fills in, so the web face can say it in
//! the reader's language. The API answers the English `message` whatever the id: Cal.com clients read that text.

use std::fmt;

/// A validation failure that names the offending field, so an API client can fix its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    /// The English sentence the API answers.
    pub message: String,
    /// The catalogue id (`refusal-…`) a page renders instead of `message`, when the refusal has one.
    pub id: Option<&'static str>,
    /// The id's named arguments, already written out as text.
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    /// A refusal in English only (API-only refusals, and tests).
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            id: None,
            args: Vec::new(),
        }
    }

    /// A refusal from the catalogue: `id` names a `refusal-*` message present in every locale (a server unit test
    /// checks each id used in the source), `english` is what the API answers and what a page falls back to.
    pub fn coded(field: impl Into<String>, id: &'static str, english: impl Into<String>) -> Self {
        Self {
            id: Some(id),
            ..Self::new(field, english)
        }
    }

    /// One more named argument for the catalogue message.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}
