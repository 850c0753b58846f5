//! One HTTP POST to a subscriber, pinned to the addresses [`super::target`] checked.

use super::target::Target;
use convene_core::net_guard::HttpUrl;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use std::time::Duration;

/// What the subscriber's side did with one request.
#[derive(Debug)]
pub enum Answer {
    /// It answered with this status.
    Status(u16),
    /// No answer: connection refused, TLS failure, timeout… (the text never contains the URL, which may carry
    /// a token).
    NoAnswer(String),
}

/// A signed delivery ready to send.
pub struct Post<'a> {
    pub url: &'a HttpUrl,
    pub target: &'a Target,
    pub body: &'a str,
    pub signature: &'a str,
    pub version: &'a str,
}

/// Sends `post` within `timeout`. The client connects only to `target.addrs` (the name is pinned to them, and
/// a URL with an IP address connects to that address), follows no redirect (each hop would need checking) and
/// ignores proxy settings (a proxy would pick the address itself).
pub async fn send(post: Post<'_>, timeout: Duration) -> Answer {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .user_agent(concat!("convene-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(domain) = &post.target.domain {
        builder = builder.resolve_to_addrs(domain, &post.target.addrs);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return Answer::NoAnswer(format!("could not build the HTTP client: {}", e.without_url())),
    };
    let request = client
        .post(post.url.as_url().clone())
        .header(CONTENT_TYPE, content_type(post.body))
        .header("x-cal-signature-256", post.signature)
        .header("x-cal-webhook-version", post.version)
        .body(post.body.to_owned());
    match request.send().await {
        Ok(response) => Answer::Status(response.status().as_u16()),
        Err(e) => Answer::NoAnswer(describe(&e)),
    }
}

/// JSON bodies (the standard envelope, JSON templates) as JSON; any other template output as Cal.com labels it.
fn content_type(body: &str) -> HeaderValue {
    if serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok() {
        HeaderValue::from_static("application/json")
    } else {
        HeaderValue::from_static("application/x-www-form-urlencoded")
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The source chain says why (refused, reset, certificate…); `without_url` keeps the URL out of it.
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
