//! The `cal-api-version` header, read as Cal.com reads it.
//!
//! Cal.com takes the header's value when it is one of its known versions and otherwise (no header,
//! an unknown value) the oldest one, `2024-04-15`. Event types, schedules, slots and bookings then
//! answer with their current shapes when that version is theirs and with their legacy `2024-04-15`
//! shapes for any other version ([`Requested`]): clients in the wild send no header, or one
//! resource's version to every resource (Cal.com's own agent guide sends `2024-08-13` everywhere), and
//! a legacy answer serves them where a refusal would break them.
//!
//! A few newer endpoints exist in one version only; they keep a strict rule ([`VersionRule`]).

use super::ApiError;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const HEADER: &str = "cal-api-version";

/// The versions Cal.com knows, oldest first.
pub const KNOWN: [&str; 5] = ["2024-04-15", "2024-06-11", "2024-06-14", "2024-08-13", "2024-09-04"];
/// What a request without a (known) version gets.
pub const LEGACY: &str = KNOWN[0];

/// The version a request asks for, as Cal.com extracts it: a known version as sent, anything
/// else the oldest. Never a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested(pub &'static str);

impl Requested {
    pub fn of(headers: &HeaderMap) -> Self {
        let sent = headers.get(HEADER).and_then(|v| v.to_str().ok()).map(str::trim);
        Requested(KNOWN.into_iter().find(|k| Some(*k) == sent).unwrap_or(LEGACY))
    }

    /// Whether a resource whose current version is `current` answers with its current shapes;
    /// otherwise it answers with its legacy ones.
    pub fn is_current(self, current: &str) -> bool {
        self.0 == current
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Requested {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Requested::of(&parts.headers))
    }
}

#[derive(Debug, Clone, Copy)]
pub enum VersionRule {
    /// The header must carry this version. `missing` is the status when it is absent (Cal.com
    /// documents 404 for some endpoints, which then fall through to no older handler).
    Required { version: &'static str, missing: StatusCode },
}

impl VersionRule {
    /// Checks one request's header value against the rule.
    pub fn check(self, header: Option<&str>) -> Result<(), ApiError> {
        let (version, header) = match (self, header) {
            (VersionRule::Required { version, missing }, None) => {
                let message = format!("Missing {HEADER} header: this endpoint requires `{HEADER}: {version}`");
                return Err(if missing == StatusCode::NOT_FOUND {
                    ApiError::NotFound(message)
                } else {
                    ApiError::field(HEADER, format!("is required and must be {version}"))
                });
            }
            (VersionRule::Required { version, .. }, Some(h)) => (version, h),
        };
        if header.trim() == version {
            Ok(())
        } else {
            Err(ApiError::field(
                HEADER,
                format!("'{header}' is not supported here; this endpoint serves {version}"),
            ))
        }
    }
}

/// Middleware factory: `route_layer(axum::middleware::from_fn(move |r, n| enforce(rule, r, n)))`.
pub async fn enforce(rule: VersionRule, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("(not text)").to_owned());
    match rule.check(header.as_deref()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    fn app(rule: VersionRule) -> Router {
        Router::new()
            .route("/v", get(|| async { "ok" }))
            .route_layer(axum::middleware::from_fn(move |r, n| enforce(rule, r, n)))
    }

    async fn status(rule: VersionRule, header: Option<&str>) -> StatusCode {
        let mut req = axum::http::Request::builder().uri("/v");
        if let Some(h) = header {
            req = req.header(HEADER, h);
        }
        let req = req.body(Body::empty()).expect("request");
        app(rule)
            .oneshot(req)
            .await
            .map_or(StatusCode::INTERNAL_SERVER_ERROR, |r| r.status())
    }

    #[tokio::test]
    async fn required_version_must_match_exactly() {
        let rule = VersionRule::Required {
            version: "2024-06-14",
            missing: StatusCode::BAD_REQUEST,
        };
        assert_eq!(status(rule, Some("2024-06-14")).await, StatusCode::OK);
        assert_eq!(status(rule, None).await, StatusCode::BAD_REQUEST);
        assert_eq!(status(rule, Some("2024-04-15")).await, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn required_version_can_answer_404_when_missing_as_cal_com_documents() {
        let rule = VersionRule::Required {
            version: "2024-08-13",
            missing: StatusCode::NOT_FOUND,
        };
        assert_eq!(status(rule, None).await, StatusCode::NOT_FOUND);
        assert_eq!(status(rule, Some("2024-08-13")).await, StatusCode::OK);
    }

    #[test]
    fn requested_version_is_a_known_one_or_the_oldest() {
        let of = |v: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = v {
                headers.insert(HEADER, v.parse().expect("header value"));
            }
            Requested::of(&headers).0
        };
        assert_eq!(of(None), "2024-04-15");
        assert_eq!(of(Some("2024-08-13")), "2024-08-13");
        assert_eq!(of(Some(" 2024-06-14 ")), "2024-06-14");
        assert_eq!(of(Some("2031-01-01")), "2024-04-15");
        assert!(Requested("2024-06-14").is_current("2024-06-14"));
        assert!(!Requested("2024-08-13").is_current("2024-06-14"));
    }
}
