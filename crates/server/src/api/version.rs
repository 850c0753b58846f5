//! The `cal-api-version` header, enforced per route exactly as Cal.com's spec declares it.
//!
//! Endpoints that declare no version ignore the header. Versioned ones either require their
//! version ([`VersionRule::Required`]) or assume it when the header is absent
//! ([`VersionRule::Defaulted`]); we implement only the current version of each, so a different
//! value is a 400 that names the header and the version we serve.

use super::ApiError;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const HEADER: &str = "cal-api-version";

#[derive(Debug, Clone, Copy)]
pub enum VersionRule {
    /// The header must carry this version. `missing` is the status when it is absent (Cal.com
    /// documents 404 for some endpoints, which then fall through to no older handler).
    Required { version: &'static str, missing: StatusCode },
    /// An absent header means this version.
    Defaulted(&'static str),
}

impl VersionRule {
    /// Checks one request's header value against the rule.
    pub fn check(self, header: Option<&str>) -> Result<(), ApiError> {
        let (version, header) = match (self, header) {
            (VersionRule::Defaulted(_), None) => return Ok(()),
            (VersionRule::Required { version, missing }, None) => {
                let message = format!("Missing {HEADER} header: this endpoint requires `{HEADER}: {version}`");
                return Err(if missing == StatusCode::NOT_FOUND {
                    ApiError::NotFound(message)
                } else {
                    ApiError::field(HEADER, format!("is required and must be {version}"))
                });
            }
            (VersionRule::Required { version, .. } | VersionRule::Defaulted(version), Some(h)) => (version, h),
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

    #[tokio::test]
    async fn defaulted_version_accepts_a_missing_header_but_not_another_version() {
        let rule = VersionRule::Defaulted("2024-08-13");
        assert_eq!(status(rule, None).await, StatusCode::OK);
        assert_eq!(status(rule, Some("2024-08-13")).await, StatusCode::OK);
        assert_eq!(status(rule, Some("2020-01-01")).await, StatusCode::BAD_REQUEST);
    }
}
