//! Operational endpoints outside the API: `GET /health` (the process is up and its database answers), `GET
//! /metrics` (Prometheus), and the middleware that counts requests.

use crate::metrics::RouteLabels;
use crate::state::AppState;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Instant;

/// `GET /health`.
pub async fn health(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "error", "database": "unreachable" })),
            )
                .into_response()
        }
    }
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
    match convene_store::outbox::backlog(&state.db, convene_store::now_ms()).await {
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
