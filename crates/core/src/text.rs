//! Validated text values: email addresses, header-safe text, slugs and usernames.
//!
//! Everything that may end up in an email header (names, subjects, addresses) passes through one
//! of these types, which reject CR, LF and every other control character.

use crate::FieldError;
use serde::{Serialize, Serializer};
use std::fmt;

/// A character that breaks a line or controls a terminal: the C0/C1 controls (CR and LF among them) and the
/// Unicode line and paragraph separators U+2028 / U+2029, which many readers (JavaScript, some mail and calendar
/// clients) treat as line breaks although `char::is_control` does not.
pub fn is_line_break_or_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

fn has_control(s: &str) -> bool {
    s.chars().any(is_line_break_or_control)
}

/// Text that is safe to place in an email header or a page title: trimmed, non-empty, bounded,
/// free of control characters (CR/LF included, so no header injection).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderText(String);

impl HeaderText {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::coded(field, "refusal-empty", "must not be empty"));
        }
        if has_control(trimmed) {
            return Err(FieldError::coded(
                field,
                "refusal-control-chars",
                "must not contain line breaks or control characters",
            ));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::coded(
                field,
                "refusal-too-long",
                format!("must be at most {} characters", Self::MAX_CHARS),
            )
            .arg("max", Self::MAX_CHARS));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address as people type it, normalised to lower case (Cal.com treats addresses
/// case-insensitively). Validation is deliberately practical, not the full RFC 5322 grammar: one
/// `@`, a bounded local part, a dotted domain, no spaces, quotes or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let candidate = raw.trim();
        let invalid =
            |why: &str| FieldError::coded(field, "refusal-email", format!("must be a valid email address ({why})"));
        if candidate.is_empty() {
            return Err(FieldError::coded(field, "refusal-empty", "must not be empty"));
        }
        if candidate.len() > 254 {
            return Err(invalid("at most 254 characters"));
        }
        if has_control(candidate) {
            return Err(invalid("no line breaks or control characters"));
        }
        if candidate
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '<' | '>' | ',' | ';' | '(' | ')' | '\\'))
        {
            return Err(invalid("no spaces or special characters"));
        }
        let Some((local, domain)) = candidate.rsplit_once('@') else {
            return Err(invalid("missing '@'"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(invalid("bad local part"));
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err(invalid("bad domain"));
        }
        Ok(Self(candidate.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A URL slug in kebab-case: lower-case ASCII letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 64;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok_chars = raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(FieldError::coded(
                field,
                "refusal-length",
                format!("must be 1 to {} characters", Self::MAX_LEN),
            )
            .arg("min", 1)
            .arg("max", Self::MAX_LEN));
        }
        if !ok_chars || raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return Err(FieldError::coded(
                field,
                "refusal-slug-format",
                "must be kebab-case: lower-case letters, digits and single hyphens (e.g. \"sales-team\")",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Derives a slug from a display name ("Sales Team (EU)" → "sales-team-eu"), as Cal.com does
    /// when a team is created without one. Returns `None` when nothing usable remains.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_end_matches('-').chars().take(Self::MAX_LEN).collect();
        Self::parse("slug", trimmed.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A username: what appears in public booking links (`/{username}/{eventSlug}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    /// First path segments of convene's own pages and API, now or planned, which a profile at `/{username}` would
    /// collide with (the page would win and the profile be unreachable).
    pub const RESERVED: [&'static str; 32] = [
        "v2",
        "api",
        "auth",
        "settings",
        "static",
        "booking",
        "bookings",
        "team",
        "teams",
        "docs",
        "health",
        "metrics",
        "d",
        "org",
        "orgs",
        "app",
        "apps",
        "forms",
        "routing-forms",
        "event-types",
        "availability",
        "workflows",
        "calendars",
        "embed",
        "signup",
        "login",
        "logout",
        "admin",
        "onboarding",
        "invite",
        "troubleshooter",
        "oauth",
    ];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let lowered = raw.trim().to_lowercase();
        if lowered.is_empty() || lowered.len() > Self::MAX_LEN {
            return Err(FieldError::coded(
                field,
                "refusal-length",
                format!("must be 1 to {} characters", Self::MAX_LEN),
            )
            .arg("min", 1)
            .arg("max", Self::MAX_LEN));
        }
        let ok = lowered
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if !ok || lowered.starts_with(['.', '-']) {
            return Err(FieldError::coded(
                field,
                "refusal-username-format",
                "may contain only letters, digits, '-', '_' and '.', and must start with a letter or digit",
            ));
        }
        if Self::RESERVED.contains(&lowered.as_str()) {
            return Err(FieldError::coded(
                field,
                "refusal-reserved",
                format!("'{lowered}' is reserved for convene's own pages"),
            )
            .arg("value", lowered));
        }
        Ok(Self(lowered))
    }

    /// A username derived from an email's local part, for users created without one.
    pub fn from_email(email: &EmailAddress) -> Option<Self> {
        let local = email.as_str().split('@').next().unwrap_or_default();
        let cleaned: String = local
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let cleaned = cleaned.trim_start_matches(['.', '-']);
        // `admin@…` becomes `admin-1`: the address's own name, moved off a reserved path.
        Self::parse("username", cleaned)
            .or_else(|_| Self::parse("username", &format!("{cleaned}-1")))
            .ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_that_name_convenes_own_pages_are_refused() {
        for taken in ["bookings", "Event-Types", "app", "org"] {
            let err = Username::parse("username", taken).expect_err(taken);
            assert_eq!(err.field, "username");
            assert!(err.message.contains("reserved"), "{}", err.message);
        }
        assert!(Username::parse("bookings-team", "bookings-team").is_ok());
        let email = EmailAddress::parse("email", "admin@example.test").expect("email");
        assert_eq!(
            Username::from_email(&email).map(|u| u.as_str().to_owned()),
            Some("admin-1".to_owned())
        );
    }
    use proptest::prelude::*;

    #[test]
    fn email_is_lowercased_and_keeps_its_domain() {
        let e = EmailAddress::parse("email", " Ada@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "ada@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn email_rejects_header_injection_and_garbage() {
        // Surrounding whitespace (a trailing newline included) is trimmed, never kept.
        assert_eq!(
            EmailAddress::parse("email", "a@b.com\n").map(|e| e.as_str().to_owned()),
            Ok("a@b.com".into())
        );
        for bad in [
            "a@b.com\r\nBcc: x@y.com",
            "a@\nb.com",
            "no-at.example.com",
            "a@nodot",
            "a b@c.com",
            "@c.com",
            "a@c..com",
            "",
        ] {
            let err = EmailAddress::parse("attendee.email", bad).expect_err(bad);
            assert_eq!(err.field, "attendee.email");
        }
    }

    #[test]
    fn header_text_rejects_line_breaks() {
        assert!(HeaderText::parse("name", "Eve\r\nBcc: x@y.z").is_err());
        assert!(HeaderText::parse("name", "Eve\u{7}").is_err());
        assert!(HeaderText::parse("name", "Eve\u{2028}Bcc: x@y.z").is_err());
        assert!(HeaderText::parse("name", "Eve\u{2029}X").is_err());
        assert!(EmailAddress::parse("email", "eve\u{2028}@example.com").is_err());
        assert!(HeaderText::parse("name", "   ").is_err());
        assert_eq!(
            HeaderText::parse("name", " Zoë Ødegaard ").map(|h| h.as_str().to_owned()),
            Ok("Zoë Ødegaard".into())
        );
    }

    #[test]
    fn slug_is_derived_from_a_display_name() {
        assert_eq!(
            Slug::from_name("Sales Team (EU)").map(|s| s.as_str().to_owned()),
            Some("sales-team-eu".into())
        );
        assert_eq!(Slug::from_name("!!!"), None);
        assert!(Slug::parse("slug", "Sales").is_err());
        assert!(Slug::parse("slug", "a--b").is_err());
    }

    #[test]
    fn username_from_email_local_part() {
        let e = EmailAddress::parse("email", "jo.smith+cal@example.com").expect("valid");
        assert_eq!(
            Username::from_email(&e).map(|u| u.as_str().to_owned()),
            Some("jo.smith-cal".into())
        );
    }

    proptest! {
        #[test]
        fn header_text_never_holds_control_characters(s in any::<String>()) {
            if let Ok(h) = HeaderText::parse("f", &s) {
                prop_assert!(!h.as_str().chars().any(is_line_break_or_control));
            }
        }

        #[test]
        fn parsed_emails_never_hold_control_characters_or_spaces(s in any::<String>()) {
            if let Ok(e) = EmailAddress::parse("f", &s) {
                prop_assert!(!e.as_str().chars().any(|c| c.is_control() || c.is_whitespace()));
            }
        }

        #[test]
        fn derived_slugs_are_always_valid(s in any::<String>()) {
            if let Some(slug) = Slug::from_name(&s) {
                prop_assert!(Slug::parse("slug", slug.as_str()).is_ok());
            }
        }
    }
}
