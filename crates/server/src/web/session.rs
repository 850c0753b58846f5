//! Session and CSRF cookies.

use crate::credentials::random_token;
use crate::state::AppState;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use convene_store::sessions::SessionRecord;
use convene_store::{StoreError, sessions};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "convene_session";
pub const CSRF_COOKIE: &str = "convene_csrf";

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn tokens_match(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn cookie(state: &AppState, name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(same_site)
        .build()
}

/// The hash naming the request's session in the store (whether or not it is live).
pub fn current_hash(jar: &CookieJar) -> Option<String> {
    jar.get(SESSION_COOKIE).map(|c| token_hash(c.value()))
}

/// The live session named by the request's cookie, if any.
pub async fn current(state: &AppState, jar: &CookieJar) -> Result<Option<SessionRecord>, StoreError> {
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    sessions::find_live(&state.db, &token_hash(&token)).await
}

/// Starts a session for `user` and returns the jar with its cookie set.
pub async fn start(state: &AppState, jar: CookieJar, user: convene_core::UserId) -> Result<CookieJar, StoreError> {
    let token = random_token();
    let expires_at = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(state.settings.session_hours);
    sessions::insert(&state.db, &token_hash(&token), user, &random_token(), expires_at).await?;
    Ok(jar
        .add(cookie(state, SESSION_COOKIE, token, SameSite::Lax))
        .remove(Cookie::build(CSRF_COOKIE).path("/")))
}

/// Ends the request's session and clears its cookie.
pub async fn end(state: &AppState, jar: CookieJar) -> Result<CookieJar, StoreError> {
    if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        sessions::delete(&state.db, &token_hash(&token)).await?;
    }
    Ok(jar.remove(Cookie::build(SESSION_COOKIE).path("/")))
}

/// The pre-sign-in CSRF token: reuses the cookie's value or mints one.
pub fn login_csrf(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    if let Some(existing) = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64)
    {
        return (jar, existing);
    }
    let token = random_token();
    (
        jar.add(cookie(state, CSRF_COOKIE, token.clone(), SameSite::Strict)),
        token,
    )
}
