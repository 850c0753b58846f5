//! convene's HTTP server: the Cal.com API v2 compatible REST API, the web pages, health and
//! metrics. [`Application::build`] binds a listener (port 0 works, for tests) and
//! [`Application::run_until`] serves until a shutdown signal.

pub mod accounts;
pub mod api;
pub mod booking_links;
pub mod calendars;
pub mod credentials;
pub mod demo;
pub mod email;
pub mod i18n;
pub mod limits;
pub mod metrics;
mod ops;
pub mod readiness;
mod retry;
pub mod rotation;
pub mod routing_forms;
pub mod scheduling;
mod state;
pub mod tenancy;
pub mod time_text;
mod web;
pub mod webhooks;
pub mod workflows;

pub use retry::RetryPolicy;
pub use state::{AppState, ServerSettings};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The whole HTTP surface for `state`.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    // The docs viewer's files are built into the binary (no CDN), so `/docs` works offline; it reads the
    // document served below and checks it with no outside validator.
    let docs = SwaggerUi::new("/docs").config(Config::new(["/v2/openapi.json"]).validator_url("none"));
    let openapi_json = serde_json::to_value(&openapi).unwrap_or_default();
    let max_body = state.settings.max_body_bytes;
    // Health and metrics answer monitors in their own shapes (a 503 readiness body lists the checks), so they are
    // added after the layer that renders errors in the API's envelope.
    let ops = Router::new()
        .route("/health", get(ops::health))
        .route("/health/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics));
    Router::new()
        .merge(api)
        .route("/v2/openapi.json", get(move || async move { axum::Json(openapi_json) }))
        .merge(docs)
        .merge(web::router())
        .fallback(api::error::no_route)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(axum::middleware::from_fn(api::error::envelope))
        .merge(ops)
        .layer(axum::middleware::from_fn(api::cors::public_cors))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::track_requests))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds `addr` (port 0 picks a free port) and prepares the routes.
    pub async fn build(state: AppState, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        // Responses go out in more than one write; without TCP_NODELAY each waits on Nagle's
        // algorithm for the client's delayed ACK.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
        // The peer address is what per-client limits count against (or, behind trusted proxies, what tells
        // whose X-Forwarded-For to believe).
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).with_graceful_shutdown(shutdown).await
    }
}
