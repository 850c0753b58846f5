//! The stylesheet and script, compiled into the binary and served under names that carry a hash of their
//! content (`/static/convene.3f2a….css`): a browser may keep them for a year, and a new build changes the name.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    /// `/static/{stem}.{hash}.{ext}`.
    href: String,
    body: &'static [u8],
    content_type: &'static str,
}

fn asset(stem: &str, ext: &str, body: &'static [u8], content_type: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(body)[..6]);
    Asset {
        href: format!("/static/{stem}.{hash}.{ext}"),
        body,
        content_type,
    }
}

static CSS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "convene",
        "css",
        include_bytes!("../../static/convene.css"),
        "text/css; charset=utf-8",
    )
});
static JS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "booker",
        "js",
        include_bytes!("../../static/booker.js"),
        "text/javascript; charset=utf-8",
    )
});

static APP_JS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "app",
        "js",
        include_bytes!("../../static/app.js"),
        "text/javascript; charset=utf-8",
    )
});

/// The stylesheet's address, for `<link rel=stylesheet>`.
pub fn css_href() -> &'static str {
    &CSS.href
}

/// The script's address, for `<script type=module>`.
pub fn js_src() -> &'static str {
    &JS.href
}

/// The host app's script's address.
pub fn app_js_src() -> &'static str {
    &APP_JS.href
}

/// `GET /static/{file}`: only the current hashed names exist; an old name is 404 (its page is gone too).
pub async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/static/{file}");
    let Some(asset) = [&*CSS, &*JS, &*APP_JS].into_iter().find(|a| a.href == wanted) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain")],
            "not found",
        )
            .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}
