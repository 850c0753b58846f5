//! [`CalendarError`]: every way a remote calendar can fail, in terms the server can act on.
//!
//! No variant carries a credential, a token or a URL (an ICS feed's URL is often its only secret); texts from remote
//! servers are reduced to short codes before they get here.

use std::time::Duration;

/// What went wrong talking to an external calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// No connection: refused, reset, DNS failure, TLS failure.
    #[error("the calendar server could not be reached: {reason}")]
    Unreachable { reason: String },
    /// The server did not answer (completely) within the time allowed for one request.
    #[error("the calendar server did not answer in time")]
    Timeout,
    /// The server refused the credentials (HTTP 401, or still 401 after a token refresh).
    #[error("the calendar server refused the credentials")]
    Unauthorized,
    /// The OAuth grant is gone (`invalid_grant`): the user revoked access or the refresh token expired; only
    /// reconnecting helps.
    #[error("access to the calendar was revoked; connect it again")]
    CredentialsRevoked,
    /// Authenticated, but not allowed to do this (e.g. write to a read-only calendar).
    #[error("the calendar server does not allow this")]
    Forbidden,
    /// The calendar or event does not exist (any more).
    #[error("the calendar or event was not found")]
    NotFound,
    /// The event changed since it was read (ETag mismatch, HTTP 412).
    #[error("the event was changed by someone else")]
    PreconditionFailed,
    /// Creating an event whose id or resource already exists.
    #[error("the event already exists")]
    AlreadyExists,
    /// A CalDAV sync token the server no longer accepts: read the collection again in full.
    #[error("the calendar's sync token is no longer valid")]
    SyncTokenInvalid,
    /// HTTP 429, or 503 (or a provider's rate-limit error): come back later, after `retry_after` if given.
    #[error("the calendar server asks to slow down{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// Any other 5xx answer.
    #[error("the calendar server failed (HTTP {status})")]
    ServerError { status: u16 },
    /// Any other refusal (4xx); `detail` is a short code from the server (`invalid_request`, a Google reason…).
    #[error("the calendar server rejected the request (HTTP {status}{})", detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Rejected { status: u16, detail: Option<String> },
    /// The answer was not what the protocol says: bad XML, no calendar data, unexpected JSON.
    #[error("the calendar server's answer could not be understood: {0}")]
    Protocol(String),
    /// The answer (or the input) is larger than the limit.
    #[error("the calendar data is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// No CalDAV service was found at the address given.
    #[error("no CalDAV calendars were found at that address")]
    NoCalendarService,
    /// A URL (given, redirected to, or named by the server) that the URL policy refuses, or that is not http(s).
    #[error("that calendar address is not allowed: {0}")]
    UrlRejected(String),
}

impl CalendarError {
    /// Whether trying the same thing again later may work (network trouble, overload), as opposed to a refusal that
    /// needs a person (credentials, permissions, a bad address).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CalendarError::Unreachable { .. }
                | CalendarError::Timeout
                | CalendarError::RateLimited { .. }
                | CalendarError::ServerError { .. }
        )
    }

    /// Whether the user has to reconnect (new password, new OAuth consent).
    pub fn needs_reconnect(&self) -> bool {
        matches!(self, CalendarError::Unauthorized | CalendarError::CredentialsRevoked)
    }

    /// The delay the server asked for, if it asked.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CalendarError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// Keeps a remote server's code short and printable, so an error text can't carry a page of HTML, a reflected
/// token or control characters into logs.
pub(crate) fn short_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(64)
        .collect();
    (!code.is_empty()).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_the_ones_worth_retrying() {
        assert!(CalendarError::Timeout.is_transient());
        assert!(CalendarError::RateLimited { retry_after: None }.is_transient());
        assert!(CalendarError::ServerError { status: 502 }.is_transient());
        assert!(!CalendarError::Unauthorized.is_transient());
        assert!(!CalendarError::PreconditionFailed.is_transient());
        assert!(CalendarError::CredentialsRevoked.needs_reconnect());
    }

    #[test]
    fn rate_limits_say_when_to_come_back() {
        let e = CalendarError::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert!(e.to_string().contains("retry after 30s"), "{e}");
    }

    #[test]
    fn remote_codes_are_trimmed_to_safe_characters() {
        assert_eq!(short_code("invalid_grant").as_deref(), Some("invalid_grant"));
        assert_eq!(short_code("<html>\r\nX: y").as_deref(), Some("htmlXy"));
        assert_eq!(short_code("  "), None);
        assert_eq!(short_code(&"a".repeat(500)).map(|s| s.len()), Some(64));
    }
}
