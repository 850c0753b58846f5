//! Operational endpoints outside the API: `GET /health` (liveness: the process answers), `GET /health/ready`
//! (readiness: the database accepts writes and the email worker reaches the outbox), `GET /metrics` (Prometheus),
//! and the middleware that counts requests.

use crate::metrics::{CheckLabels, RouteLabels};
use crate::readiness::Report;
use crate::state::AppState;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Instant;

/// `GET /health`: liveness. 200 whenever the process can answer; whether it can do its work is `/health/ready`'s
/// question (restarting a process does not fix a full disk).
pub async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `GET /health/ready`: 200 when every check passes, 503 otherwise, with each check's status.
pub async fn ready(State(state): State<AppState>) -> Response {
    let report = readiness(&state).await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if report.ready { "ready" } else { "not ready" },
        "checks": report,
    });
    (status, Json(body)).into_response()
}

/// Runs (or reuses) the readiness checks and shows them in the metrics.
async fn readiness(state: &AppState) -> Report {
    let report = state.readiness.check(&state.db, &state.email_health).await;
    state.metrics.ready.set(i64::from(report.ready));
    for (check, result) in [("database", &report.database), ("outbox", &report.outbox)] {
        state
            .metrics
            .readiness_checks
            .get_or_create(&CheckLabels {
                check: check.to_owned(),
            })
            .set(i64::from(result.passed()));
    }
    report
}

/// Middleware counting requests by matched route (not raw path, to bound label cardinality).
pub async fn track_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    let labels = RouteLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state.metrics.http_requests.get_or_create(&labels).inc();
    state.metrics.http_duration.observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics` in the OpenMetrics text format Prometheus scrapes.
pub async fn metrics(State(state): State<AppState>) -> Response {
    readiness(&state).await;
    match convene_store::outbox::backlog(&state.db, jiff::Timestamp::now()).await {
        Ok((depth, oldest_ms)) => {
            state.metrics.email_queue_depth.set(depth);
            #[allow(clippy::cast_precision_loss)] // milliseconds of waiting fit f64 exactly for any real age
            state.metrics.email_oldest_due_seconds.set(oldest_ms as f64 / 1000.0);
        }
        Err(e) => tracing::warn!(error = %e, "could not read the email backlog for metrics"),
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
