//! CORS for the public operations a website's own booker needs — slots, slot reservations, creating a booking —
//! so a page on any origin may call them from the browser. Anonymous only: the preflight allows no
//! `Authorization` header and no credentials, so an API key never travels cross-site and the cookie-authenticated
//! pages never answer another origin.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The methods a public path allows cross-origin, or `None` for every other path.
fn public_methods(path: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    match path {
        "/v2/slots" => Some("GET"),
        "/v2/slots/reservations" => Some("POST"),
        "/v2/bookings" => Some("POST"),
        _ if path
            .strip_prefix("/v2/slots/reservations/")
            .is_some_and(|uid| !uid.is_empty() && !uid.contains('/')) =>
        {
            Some("GET, PATCH, DELETE")
        }
        _ => None,
    }
}

fn allows(methods: &str, method: &str) -> bool {
    methods.split(", ").any(|m| m == method)
}

/// Middleware: answers preflights for the public operations and marks their responses readable by any origin.
pub async fn public_cors(request: Request, next: Next) -> Response {
    let Some(methods) = public_methods(request.uri().path()) else {
        return next.run(request).await;
    };
    let from_browser = request.headers().contains_key(header::ORIGIN);
    if request.method() == Method::OPTIONS && from_browser {
        let requested = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !allows(methods, requested) {
            return StatusCode::FORBIDDEN.into_response();
        }
        return (
            StatusCode::NO_CONTENT,
            [
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                (header::ACCESS_CONTROL_ALLOW_METHODS, methods),
                (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type, cal-api-version"),
                (header::ACCESS_CONTROL_MAX_AGE, "600"),
            ],
        )
            .into_response();
    }
    let cross_origin = from_browser && allows(methods, request.method().as_str());
    let mut response = next.run(request).await;
    if cross_origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_public_operations_are_cross_origin() {
        assert_eq!(public_methods("/v2/slots"), Some("GET"));
        assert_eq!(public_methods("/v2/bookings"), Some("POST"));
        assert_eq!(public_methods("/v2/slots/reservations/abc"), Some("GET, PATCH, DELETE"));
        assert_eq!(public_methods("/v2/bookings/abc/cancel"), None);
        assert_eq!(public_methods("/v2/me"), None);
        assert_eq!(public_methods("/auth/login"), None);
        assert!(!allows("POST", "GET"));
    }
}
