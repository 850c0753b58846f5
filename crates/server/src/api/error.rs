//! One error type for the whole API, rendered as Cal.com's error envelope:
//! `{"status":"error","timestamp":…,"path":…,"error":{"code":…,"message":…,"details":…}}`.
//!
//! Handlers return [`ApiError`]; its response carries an [`ErrorInfo`] extension that the
//! [`envelope`] middleware turns into the body, adding the request path and the timestamp. The
//! same middleware wraps errors produced outside handlers (unknown routes, 405, 413) so clients
//! see a single shape.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use convene_core::FieldError;
use convene_store::StoreError;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(FieldError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    #[error("Request body is too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What the envelope middleware needs to render an error body.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn forbidden(why: impl Into<String>) -> Self {
        ApiError::Forbidden(why.into())
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(FieldError::new(field, message))
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Validation(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(capitalize(what)),
            StoreError::NotFound(what) => ApiError::not_found(what),
            other => ApiError::Internal(other.into()),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The Cal.com (NestJS) exception name for a status, used as `error.code`.
fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequestException",
        401 => "UnauthorizedException",
        403 => "ForbiddenException",
        404 => "NotFoundException",
        405 => "MethodNotAllowedException",
        409 => "ConflictException",
        413 => "PayloadTooLargeException",
        415 => "UnsupportedMediaTypeException",
        429 => "ThrottlerException",
        503 => "ServiceUnavailableException",
        _ => "InternalServerErrorException",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (message, details) = match &self {
            ApiError::Validation(e) => (
                format!("{}: {}", e.field, e.message),
                Some(json!({ "field": e.field, "errors": [{ "field": e.field, "message": e.message }] })),
            ),
            ApiError::RateLimited { retry_after_secs } => (
                format!("Too many requests: retry in {retry_after_secs} s"),
                Some(json!({ "retryAfterSeconds": retry_after_secs })),
            ),
            ApiError::Internal(cause) => {
                // The chain goes to the log, never to the client.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                ("Internal server error".to_owned(), None)
            }
            other => (other.to_string(), None),
        };
        let mut response = status.into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response.extensions_mut().insert(ErrorInfo {
            code: code_for(status),
            message,
            details,
        });
        response
    }
}

/// Middleware: renders every error response of the API in the envelope, with the request path.
pub async fn envelope(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let info = response.extensions().get::<ErrorInfo>().cloned();
    if info.is_none() && is_page {
        // Web pages render their own errors for people, not API clients.
        return response;
    }
    let info = info.unwrap_or_else(|| ErrorInfo {
        code: code_for(status),
        message: match status {
            StatusCode::NOT_FOUND => format!("Cannot {method} {path}"),
            StatusCode::METHOD_NOT_ALLOWED => format!("Method {method} is not allowed on {path}"),
            StatusCode::PAYLOAD_TOO_LARGE => "Request body is too large".to_owned(),
            other => other.canonical_reason().unwrap_or("Error").to_owned(),
        },
        details: None,
    });
    let mut error = json!({ "code": info.code, "message": info.message });
    if let Some(details) = info.details {
        error["details"] = details;
    }
    let body = json!({
        "status": "error",
        "timestamp": jiff::Timestamp::now().round(jiff::Unit::Millisecond).unwrap_or_else(|_| jiff::Timestamp::now()).to_string(),
        "path": path,
        "error": error,
    });
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    (parts, Json(body)).into_response()
}
