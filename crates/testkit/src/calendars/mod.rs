//! Local fakes of Google Calendar and Microsoft Graph, faithful to the parts of their documented REST contracts
//! convene uses, with switches to break them the ways the real ones break (expired and revoked tokens, 429s).
//!
//! * [`FakeGoogle`]: the OAuth 2 endpoints (`/o/oauth2/v2/auth`, `/token`) and Calendar API v3 under
//!   `/calendar/v3/` (`calendarList` with `pageToken` paging, `freeBusy`, events insert / get / patch / delete).
//! * [`FakeGraph`]: the identity platform's v2.0 endpoints under `/common/oauth2/v2.0/` (refresh tokens rotate: the
//!   old one stops working) and Graph under `/v1.0/` (`/me/calendars` and `calendarView` paged with
//!   `@odata.nextLink`, events create with `transactionId`, patch, delete).
//!
//! Both consent at once: their authorize endpoint answers 302 to the `redirect_uri` with a fresh `code` and the
//! `state` it was given, as a provider does after the user clicks "Allow".

mod auth;
pub mod google;
pub mod graph;

pub use auth::{Fault, OAuthFake};
pub use google::FakeGoogle;
pub use graph::FakeGraph;

use std::net::SocketAddr;

/// Serves `app` on 127.0.0.1 (a free port) for the rest of the test.
async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port for the calendar fake");
    let addr = listener.local_addr().expect("the fake's address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}
