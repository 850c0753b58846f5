//! The success envelope `{"status":"success","data":…}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A successful answer: `{"status":"success","data":…}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `success` here; errors use the error envelope.
    pub status: &'static str,
    pub data: T,
}

/// `200 OK` with `data`.
pub fn ok<T: Serialize>(data: T) -> Response {
    Json(Envelope {
        status: "success",
        data,
    })
    .into_response()
}

/// `201 Created` with `data`.
pub fn created<T: Serialize>(data: T) -> Response {
    (
        StatusCode::CREATED,
        Json(Envelope {
            status: "success",
            data,
        }),
    )
        .into_response()
}
