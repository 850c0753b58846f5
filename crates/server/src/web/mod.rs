//! Server-rendered pages: sign-in, sign-out, password reset and the signed-in landing page.
//!
//! Sessions live in the database (the cookie holds a random token, the table its hash). Every
//! form carries a CSRF token: before sign-in a double-submit cookie, after it the session's own.

mod pages;
mod reset;
mod session;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/auth/login", get(pages::login_page).post(pages::login_submit))
        .route("/auth/logout", post(pages::logout))
        .route("/auth/forgot-password", get(reset::forgot_page).post(reset::forgot_submit))
        .route("/auth/reset-password", get(reset::reset_page).post(reset::reset_submit))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}
