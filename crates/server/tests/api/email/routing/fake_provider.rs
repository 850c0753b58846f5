//! SendGrid's v3 API and SparkPost's API as local fakes of their documented HTTP contracts.

use super::*;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::AtomicU16;
use std::sync::{Arc, Mutex};

pub(super) const SENDGRID_KEY: &str = "SG.test-key.abcdefghijklmnop";

pub(super) const SPARKPOST_KEY: &str = "0123456789abcdef0123456789abcdef01234567";

/// A request a fake provider API received.
#[derive(Debug, Clone)]
pub(super) struct ApiCall {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) authorization: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) body: Value,
}

#[derive(Clone, Default)]
pub(super) struct FakeApiState {
    calls: Arc<Mutex<Vec<ApiCall>>>,
    /// The status of accepted sends (202 for SendGrid, 200 for SparkPost unless set, e.g. to 500).
    send_status: Arc<AtomicU16>,
}

/// SendGrid's v3 API and SparkPost's API on one local port: a send or a probe with the right key in the
/// provider's documented Authorization form (`Bearer <key>` for SendGrid, the bare key for SparkPost) succeeds,
/// anything else gets 401.
pub(super) struct FakeProvider {
    pub(super) base: String,
    pub(super) state: FakeApiState,
    pub(super) task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeProvider {
    pub(super) async fn start() -> FakeProvider {
        let state = FakeApiState::default();
        let router = axum::Router::new().fallback(provider_api).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("serve the fake provider API");
        });
        FakeProvider { base, state, task }
    }

    pub(super) fn set_send_status(&self, status: u16) {
        self.state.send_status.store(status, Ordering::SeqCst);
    }

    pub(super) fn calls(&self) -> Vec<ApiCall> {
        self.state
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

async fn provider_api(
    State(state): State<FakeApiState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let call = ApiCall {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    state
        .calls
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(call.clone());
    let auth = call.authorization.as_deref();
    let sendgrid_ok = auth == Some(&format!("Bearer {SENDGRID_KEY}"));
    let sparkpost_ok = auth == Some(SPARKPOST_KEY);
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "errors": [{ "message": "The provided authorization grant is invalid" }] })),
        )
            .into_response()
    };
    let forced = match state.send_status.load(Ordering::SeqCst) {
        0 => None,
        status => StatusCode::from_u16(status).ok(),
    };
    match (call.method.as_str(), call.path.as_str()) {
        ("POST", "/v3/mail/send") if sendgrid_ok => match forced {
            Some(status) if !status.is_success() => (
                status,
                axum::Json(json!({ "errors": [{ "message": "internal error" }] })),
            )
                .into_response(),
            _ => StatusCode::ACCEPTED.into_response(),
        },
        ("GET", "/v3/scopes") if sendgrid_ok => axum::Json(json!({ "scopes": ["mail.send"] })).into_response(),
        ("POST", "/api/v1/transmissions") if sparkpost_ok => match forced {
            Some(status) if !status.is_success() => (
                status,
                axum::Json(json!({ "errors": [{ "message": "internal error" }] })),
            )
                .into_response(),
            _ => axum::Json(json!({ "results": {
                "total_rejected_recipients": 0, "total_accepted_recipients": 1, "id": "11668787484950529"
            } }))
            .into_response(),
        },
        ("GET", "/api/v1/account") if sparkpost_ok => {
            axum::Json(json!({ "results": { "customer_id": 123, "status": "active" } })).into_response()
        }
        ("POST", "/v3/mail/send" | "/api/v1/transmissions") | ("GET", "/v3/scopes" | "/api/v1/account") => {
            unauthorized()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
