//! Server-rendered pages: sign-in, sign-out, password reset, confirming a new email address, the signed-in landing
//! page, the host's app (event types; see [`app`]), an organization's settings (email senders and the delivery log), and the public booking pages.
//!
//! Every page links one stylesheet (and the booking pages one small script) from `/static/`, under a name
//! carrying its hash; a strict CSP allows nothing inline. Only the booking pages may be framed (for embedding on
//! other sites); every other page keeps `X-Frame-Options: DENY`.
//!
//! Sessions live in the database (the cookie holds a random token, the table its hash). Every
//! form carries a CSRF token: before sign-in a double-submit cookie, after it the session's own.

mod app;
pub mod assets;
mod booker;
mod confirm_email;
mod forms;
mod limited;
mod pages;
mod reset;
mod respond;
mod senders;
mod session;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

const SENDERS: &str = "/settings/organizations/{org_id}/email-senders";

/// The content security policy: scripts and styles only from our own `/static/`, forms only to ourselves, and
/// framing by `$frame`.
macro_rules! csp {
    ($frame:literal) => {
        concat!(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; ",
            "form-action 'self'; base-uri 'none'; frame-ancestors ",
            $frame
        )
    };
}

pub fn router() -> Router<AppState> {
    let booking_pages = booker::router()
        .merge(forms::router())
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(csp!("*")),
        ));
    Router::new()
        .merge(account_pages())
        .merge(booking_pages)
        .route("/static/{file}", get(assets::serve))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CompressionLayer::new())
}

fn account_pages() -> Router<AppState> {
    Router::new()
        .merge(app::router())
        .route("/", get(pages::home))
        .route("/settings", get(pages::home))
        .route("/auth/login", get(pages::login_page).post(pages::login_submit))
        .route("/auth/logout", post(pages::logout))
        .route(
            "/auth/forgot-password",
            get(reset::forgot_page).post(reset::forgot_submit),
        )
        .route("/auth/reset-password", get(reset::reset_page).post(reset::reset_submit))
        .route(
            "/auth/confirm-email",
            get(confirm_email::confirm_page).post(confirm_email::confirm_submit),
        )
        .route(SENDERS, get(senders::senders_page).post(senders::create))
        .route(&format!("{SENDERS}/test-connection"), post(senders::test_unsaved))
        .route(&format!("{SENDERS}/{{id}}"), post(senders::update))
        .route(&format!("{SENDERS}/{{id}}/test-connection"), post(senders::test_saved))
        .route(&format!("{SENDERS}/{{id}}/test-email"), post(senders::test_email))
        .route(&format!("{SENDERS}/{{id}}/default"), post(senders::make_default))
        .route(
            &format!("{SENDERS}/{{id}}/delete"),
            get(senders::delete_page).post(senders::delete),
        )
        .route(
            "/settings/organizations/{org_id}/email-deliveries/{id}",
            get(senders::delivery_page),
        )
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(csp!("'none'")),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
}

/// A path of this site to send a browser to (after sign-in, "back to the booker"), or `None`. Browsers strip tabs
/// and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or `/\evil.example` would leave the site as
/// surely as `//evil.example`: any of those, and any control character or space, is refused.
pub(crate) fn site_path(raw: Option<&str>) -> Option<&str> {
    raw.filter(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && !p.chars().any(|c| c.is_control() || c.is_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use super::site_path;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(site_path(Some("/availability?tab=1")), Some("/availability?tab=1"));
        for off_site in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil",
            "https://evil.example",
            "/ /x",
        ] {
            assert_eq!(site_path(Some(off_site)), None, "{off_site:?}");
        }
        assert_eq!(site_path(None), None);
    }
}
