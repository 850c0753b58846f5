//! One error type for the whole API, rendered as Cal.com's error envelope:
//! `{"status":"error","timestamp":…,"path":…,"error":{"code":…,"message":…,"details":…}}`.
//!
//! Handlers return [`ApiError`]; its response carries an [`ErrorInfo`] extension that the
//! [`envelope`] middleware turns into the body, adding the request path and the timestamp. The
//! same middleware wraps errors produced outside handlers (unknown routes, 405, 413) so clients
//! see a single shape.

use crate::accounts::email_change::EmailChangeError;
use crate::accounts::email_verification::VerificationError;
use crate::accounts::password_reset::ResetError;
use crate::email::sender_admin::SenderError;
use crate::limits::LimitError;
use crate::routing_forms::RoutingFormError;
use crate::scheduling::booking::BookingError;
use crate::scheduling::follow_up::FollowUpError;
use crate::scheduling::private_links::PrivateLinkError;
use crate::scheduling::reassign::ReassignError;
use crate::scheduling::reschedule::RescheduleError;
use crate::scheduling::resolve::ResolveError;
use crate::scheduling::seats::SeatError;
use crate::scheduling::slot_work::SlotWorkError;
use crate::scheduling::slots::FreeStartsError;
use crate::tenancy::access::AccessError;
use crate::tenancy::members::MemberError;
use crate::webhooks::manage::ManageError;
use crate::workflows::WorkflowError;
use crate::{email, webhooks};
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
    /// The server is at capacity for this kind of work (not the caller's fault): 503 with `Retry-After`.
    #[error("{message}")]
    Busy { message: String, retry_after_secs: u64 },
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
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
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

// One conversion per service error: the API's status, message and `details.field` for each of its variants.

impl From<LimitError> for ApiError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::Limited(limited) => ApiError::RateLimited {
                retry_after_secs: limited.retry_after_secs,
            },
            LimitError::Store(store) => store.into(),
        }
    }
}

impl From<SlotWorkError> for ApiError {
    fn from(e: SlotWorkError) -> Self {
        match e {
            // The window is what a caller narrows to ask for fewer starts.
            too_many @ SlotWorkError::TooManyStarts { .. } => ApiError::field("end", too_many.to_string()),
            busy @ SlotWorkError::Busy { retry_after_secs } => ApiError::Busy {
                message: capitalize(&busy.to_string()),
                retry_after_secs,
            },
        }
    }
}

impl From<FreeStartsError> for ApiError {
    fn from(e: FreeStartsError) -> Self {
        match e {
            FreeStartsError::Work(e) => e.into(),
            FreeStartsError::Store(e) => e.into(),
        }
    }
}

impl From<ResetError> for ApiError {
    fn from(e: ResetError) -> Self {
        match e {
            ResetError::Token(problem) => ApiError::field("token", problem),
            ResetError::Password(rule) => ApiError::field("password", rule),
            ResetError::Emails(emails) => emails.into(),
            ResetError::Store(store) => store.into(),
            hashing @ ResetError::Hashing(_) => ApiError::Internal(hashing.into()),
        }
    }
}

impl From<VerificationError> for ApiError {
    fn from(e: VerificationError) -> Self {
        match e {
            VerificationError::CodeMissing => ApiError::field("code", "is required"),
            VerificationError::CodeWrong => ApiError::field("code", "is wrong or has expired; request a new one"),
            VerificationError::PhoneInvalid => ApiError::field(
                "phone",
                "must be a phone number in international format, like +37255556666",
            ),
            VerificationError::TextsUnavailable(missing) => ApiError::BadRequest(format!(
                "Phone verification needs an SMS provider (Twilio) on this server; set {missing}"
            )),
            VerificationError::PhoneRejected(why) => ApiError::field("phone", format!("could not be reached: {why}")),
            VerificationError::TextFailed(why) => ApiError::Busy {
                message: format!("The SMS provider did not take the message, try again later ({why})"),
                retry_after_secs: 60,
            },
            VerificationError::Emails(emails) => emails.into(),
            VerificationError::Store(store) => store.into(),
        }
    }
}

impl From<EmailChangeError> for ApiError {
    fn from(e: EmailChangeError) -> Self {
        match e {
            EmailChangeError::Taken => ApiError::Conflict("A user with this email already exists".into()),
            EmailChangeError::CodeMissing => ApiError::field("code", "is required"),
            EmailChangeError::CodeWrong => ApiError::field("code", "is wrong or has expired; ask for a new one"),
            EmailChangeError::LinkWrong => ApiError::field("token", "is invalid or has expired; ask for a new one"),
            EmailChangeError::Emails(emails) => emails.into(),
            EmailChangeError::Store(store) => store.into(),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::OrganizationNotFound | AccessError::TeamNotFound => ApiError::NotFound(e.to_string()),
            AccessError::NotMember
            | AccessError::NotAccepted
            | AccessError::NotAdmin
            | AccessError::CannotGrant(_)
            | AccessError::NotTeamMember
            | AccessError::NotTeamAdmin
            | AccessError::NotTeamOwner => ApiError::Forbidden(e.to_string()),
            AccessError::Store(store) => store.into(),
        }
    }
}

impl From<MemberError> for ApiError {
    fn from(e: MemberError) -> Self {
        match e {
            MemberError::Access(access) => access.into(),
            MemberError::NotFound => ApiError::not_found("Membership"),
            MemberError::LastOwner => ApiError::Conflict(e.to_string()),
            MemberError::NotInOrganization(_) | MemberError::UserNotFound(_) => {
                ApiError::field("userId", e.to_string())
            }
            MemberError::Store(store) => store.into(),
        }
    }
}

impl From<SenderError> for ApiError {
    fn from(e: SenderError) -> Self {
        match e {
            SenderError::FeatureOff => ApiError::Forbidden(e.to_string()),
            SenderError::Access(access) => access.into(),
            SenderError::NotFound => ApiError::NotFound(e.to_string()),
            SenderError::Invalid(field) => ApiError::Validation(field),
            SenderError::Store(store) => store.into(),
            keyring @ SenderError::Keyring(_) => ApiError::Internal(keyring.into()),
        }
    }
}

impl From<PrivateLinkError> for ApiError {
    fn from(e: PrivateLinkError) -> Self {
        match e {
            PrivateLinkError::Invalid(field) => ApiError::Validation(field),
            PrivateLinkError::NotFound => ApiError::not_found("Private link"),
            PrivateLinkError::Store(store) => store.into(),
        }
    }
}

impl From<ResolveError> for ApiError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Invalid(field) => ApiError::Validation(field),
            ResolveError::EventTypeNotFound => ApiError::NotFound(e.to_string()),
            ResolveError::NoHosts => ApiError::Conflict(e.to_string()),
            ResolveError::Store(store) => store.into(),
        }
    }
}

impl From<BookingError> for ApiError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Invalid(field) => ApiError::Validation(field),
            BookingError::SlotUnavailable
            | BookingError::ChangedMeanwhile
            | BookingError::PrivateLinkUsedUp
            | BookingError::AlreadySeated => ApiError::Conflict(e.to_string()),
            BookingError::Store(store) => store.into(),
            BookingError::Emails(emails) => emails.into(),
            BookingError::Webhooks(webhooks) => webhooks.into(),
            BookingError::Workflows(workflows) => workflows.into(),
        }
    }
}

impl From<SeatError> for ApiError {
    fn from(e: SeatError) -> Self {
        match e {
            SeatError::NotFound => ApiError::not_found("Seat"),
            SeatError::Settled(_) => ApiError::Conflict(e.to_string()),
            SeatError::Store(store) => store.into(),
            SeatError::Emails(emails) => emails.into(),
            SeatError::Webhooks(webhooks) => webhooks.into(),
            SeatError::Workflows(workflows) => workflows.into(),
        }
    }
}

impl From<ReassignError> for ApiError {
    fn from(e: ReassignError) -> Self {
        match e {
            ReassignError::NotRoundRobin
            | ReassignError::Settled(_)
            | ReassignError::NotAHost(_)
            | ReassignError::AlreadyHost(_) => ApiError::BadRequest(e.to_string()),
            ReassignError::HostBusy(_) | ReassignError::NoFreeHost | ReassignError::ChangedMeanwhile => {
                ApiError::Conflict(e.to_string())
            }
            ReassignError::Store(store) => store.into(),
            ReassignError::Emails(emails) => emails.into(),
            ReassignError::Workflows(workflows) => workflows.into(),
        }
    }
}

impl From<RescheduleError> for ApiError {
    fn from(e: RescheduleError) -> Self {
        match e {
            // Cal.com answers 400 here and points at the booking that replaced a rescheduled one.
            RescheduleError::Settled { moved_to: Some(to), .. } => ApiError::BadRequest(format!(
                "This booking was rescheduled to {to}; reschedule that one instead"
            )),
            RescheduleError::Settled { status, moved_to: None } => ApiError::BadRequest(format!(
                "A {status} booking can't be rescheduled; create a new booking instead"
            )),
            RescheduleError::NoAttendee => ApiError::Conflict(e.to_string()),
            RescheduleError::Seat(e) => e.into(),
            RescheduleError::Resolve(e) => e.into(),
            RescheduleError::Booking(e) => e.into(),
            RescheduleError::Invalid(field) => ApiError::Validation(field),
            RescheduleError::Store(store) => store.into(),
        }
    }
}

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::Invalid(field) => ApiError::Validation(field),
            ManageError::NotFound => ApiError::not_found("Webhook"),
            ManageError::Store(store) => store.into(),
            ManageError::Seal(seal) => ApiError::Internal(anyhow::Error::new(seal).context("sealing a webhook secret")),
        }
    }
}

impl From<FollowUpError> for ApiError {
    fn from(e: FollowUpError) -> Self {
        match e {
            FollowUpError::Invalid(field) => ApiError::Validation(field),
            FollowUpError::NotAllowed(message) => ApiError::BadRequest(message),
            FollowUpError::NotFound => ApiError::not_found("Booking"),
            FollowUpError::Store(store) => store.into(),
            FollowUpError::Emails(emails) => emails.into(),
            FollowUpError::Webhooks(webhooks) => webhooks.into(),
            FollowUpError::Workflows(workflows) => workflows.into(),
        }
    }
}

impl From<email::queue::EnqueueError> for ApiError {
    fn from(e: email::queue::EnqueueError) -> Self {
        match e {
            email::queue::EnqueueError::Store(store) => store.into(),
            render @ email::queue::EnqueueError::Render { .. } => ApiError::Internal(render.into()),
        }
    }
}

impl From<webhooks::EnqueueError> for ApiError {
    fn from(e: webhooks::EnqueueError) -> Self {
        match e {
            webhooks::EnqueueError::Store(store) => store.into(),
            render @ webhooks::EnqueueError::Render(_) => ApiError::Internal(render.into()),
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Invalid(field) => ApiError::Validation(field),
            WorkflowError::NotFound => ApiError::not_found("Workflow"),
            WorkflowError::Store(store) => store.into(),
            render @ WorkflowError::Render(_) => ApiError::Internal(render.into()),
        }
    }
}

impl From<RoutingFormError> for ApiError {
    fn from(e: RoutingFormError) -> Self {
        match e {
            RoutingFormError::Invalid(field) => ApiError::Validation(field),
            RoutingFormError::NotFound => ApiError::not_found("Routing form"),
            RoutingFormError::ResponseNotFound => ApiError::not_found("Routing form response"),
            RoutingFormError::Disabled => ApiError::BadRequest("This routing form is disabled".into()),
            RoutingFormError::Store(store) => store.into(),
            other @ (RoutingFormError::Webhook(_) | RoutingFormError::Email(_) | RoutingFormError::Workflow(_)) => {
                ApiError::Internal(other.into())
            }
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
            ApiError::Busy {
                message,
                retry_after_secs,
            } => (message.clone(), Some(json!({ "retryAfterSeconds": retry_after_secs }))),
            ApiError::Internal(cause) => {
                // The chain goes to the log, never to the client.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                ("Internal server error".to_owned(), None)
            }
            other => (other.to_string(), None),
        };
        let mut response = status.into_response();
        if let ApiError::RateLimited { retry_after_secs } | ApiError::Busy { retry_after_secs, .. } = self {
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

/// The answer for a path no route serves: 404 in the envelope, naming the method and path.
pub async fn no_route(request: Request) -> Response {
    ApiError::NotFound(format!("Cannot {} {}", request.method(), request.uri().path())).into_response()
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
