//! The OAuth 2 side both fakes share (RFC 6749: authorization code grant, refresh grant, bearer tokens), and the
//! faults a test can queue.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A canned failure for the next request whose path contains `path`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub path: String,
    pub status: u16,
    /// `Retry-After` seconds, when set.
    pub retry_after: Option<u64>,
}

#[derive(Default)]
struct Tokens {
    codes: HashSet<String>,
    access: HashSet<String>,
    refresh: HashSet<String>,
    revoked: bool,
    expires_in: i64,
    serial: u64,
    /// Redirect URIs codes were issued for (the token request must repeat it).
    code_redirects: HashMap<String, String>,
}

/// Client credentials, codes and tokens of one fake provider.
pub struct OAuthFake {
    client_id: String,
    client_secret: String,
    /// Whether a refresh grant hands out a new refresh token and retires the old one (Microsoft does).
    rotates_refresh_tokens: bool,
    tokens: Mutex<Tokens>,
    faults: Mutex<VecDeque<Fault>>,
    refresh_grants: AtomicUsize,
    code_grants: AtomicUsize,
    api_calls: AtomicUsize,
}

impl OAuthFake {
    pub(crate) fn new(client_id: &str, client_secret: &str, rotates_refresh_tokens: bool) -> OAuthFake {
        OAuthFake {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            rotates_refresh_tokens,
            tokens: Mutex::new(Tokens {
                expires_in: 3600,
                ..Tokens::default()
            }),
            faults: Mutex::new(VecDeque::new()),
            refresh_grants: AtomicUsize::new(0),
            code_grants: AtomicUsize::new(0),
            api_calls: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The lifetime (`expires_in`) of access tokens issued from now on.
    pub fn set_expires_in(&self, secs: i64) {
        self.lock().expires_in = secs;
    }

    /// Every access token issued so far stops working (401), as after their expiry; refresh tokens still work.
    pub fn expire_access_tokens(&self) {
        self.lock().access.clear();
    }

    /// The user revoked convene's access: access tokens answer 401, refresh grants `invalid_grant`.
    pub fn revoke(&self) {
        let mut t = self.lock();
        t.revoked = true;
        t.access.clear();
        t.refresh.clear();
    }

    /// Refresh grants answered so far (successful or not).
    pub fn refresh_grants(&self) -> usize {
        self.refresh_grants.load(Ordering::SeqCst)
    }

    /// Authorization codes exchanged so far.
    pub fn code_grants(&self) -> usize {
        self.code_grants.load(Ordering::SeqCst)
    }

    /// API requests that carried a valid token.
    pub fn api_calls(&self) -> usize {
        self.api_calls.load(Ordering::SeqCst)
    }

    /// Answers the next request whose path contains `fault.path` with the fault instead (queued in order).
    pub fn fail_next(&self, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(fault);
    }

    /// The queued fault for `path`, taken off the queue.
    pub(crate) fn take_fault(&self, path: &str) -> Option<Response> {
        let mut faults = self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = faults.iter().position(|f| path.contains(&f.path))?;
        let fault = faults.remove(at)?;
        let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Json(json!({ "error": { "code": fault.status, "message": "fault injected by the test" } }));
        Some(match fault.retry_after {
            Some(secs) => (status, [("retry-after", secs.to_string())], body).into_response(),
            None => (status, body).into_response(),
        })
    }

    /// The authorize endpoint, consenting at once: 302 to `redirect_uri` with a code and the given `state`.
    pub(crate) fn authorize(&self, query: &HashMap<String, String>) -> Response {
        if query.get("client_id") != Some(&self.client_id)
            || query.get("response_type").map(String::as_str) != Some("code")
        {
            return (StatusCode::BAD_REQUEST, "unknown client or response type").into_response();
        }
        let Some(redirect) = query.get("redirect_uri") else {
            return (StatusCode::BAD_REQUEST, "redirect_uri is required").into_response();
        };
        let mut t = self.lock();
        t.serial += 1;
        let code = format!("code-{}", t.serial);
        t.codes.insert(code.clone());
        t.code_redirects.insert(code.clone(), redirect.clone());
        let mut target = redirect.clone();
        target.push(if target.contains('?') { '&' } else { '?' });
        let state = query.get("state").cloned().unwrap_or_default();
        target.push_str(&format!("code={code}&state={}", encode(&state)));
        // 302 Found, as the providers answer.
        (StatusCode::FOUND, [(axum::http::header::LOCATION, target)]).into_response()
    }

    /// The token endpoint (form-encoded body, RFC 6749 §4.1.3 and §6).
    pub(crate) fn token(&self, body: &str) -> Response {
        let form: HashMap<String, String> = url_form(body);
        if form.get("client_id") != Some(&self.client_id) || form.get("client_secret") != Some(&self.client_secret) {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let mut t = self.lock();
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                self.code_grants.fetch_add(1, Ordering::SeqCst);
                let code = form.get("code").cloned().unwrap_or_default();
                let redirect_matches = t.code_redirects.get(&code) == form.get("redirect_uri");
                if !t.codes.remove(&code) || !redirect_matches {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
                }
                let refresh = next_token(&mut t, "refresh");
                t.refresh.insert(refresh.clone());
                issue(&mut t, Some(refresh))
            }
            Some("refresh_token") => {
                self.refresh_grants.fetch_add(1, Ordering::SeqCst);
                let given = form.get("refresh_token").cloned().unwrap_or_default();
                if t.revoked || !t.refresh.contains(&given) {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
                }
                let refresh = if self.rotates_refresh_tokens {
                    t.refresh.remove(&given);
                    let fresh = next_token(&mut t, "refresh");
                    t.refresh.insert(fresh.clone());
                    Some(fresh)
                } else {
                    // Google omits the refresh token on refresh: the old one stays valid.
                    None
                };
                issue(&mut t, refresh)
            }
            _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        }
    }

    /// Checks the bearer token of an API request; `Some` is the 401 to answer.
    pub(crate) fn refuse_bearer(&self, headers: &HeaderMap) -> Option<Response> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if self.lock().access.contains(token) {
            self.api_calls.fetch_add(1, Ordering::SeqCst);
            None
        } else {
            Some(
                (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Bearer error=\"invalid_token\"")],
                    Json(json!({ "error": { "code": 401, "message": "Invalid Credentials" } })),
                )
                    .into_response(),
            )
        }
    }
}

fn next_token(t: &mut Tokens, kind: &str) -> String {
    t.serial += 1;
    format!("{kind}-{}", t.serial)
}

fn issue(t: &mut Tokens, refresh: Option<String>) -> Response {
    let access = next_token(t, "access");
    t.access.insert(access.clone());
    let mut answer = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": t.expires_in,
        "scope": "calendar",
    });
    if let Some(refresh) = refresh {
        answer["refresh_token"] = json!(refresh);
    }
    Json(answer).into_response()
}

fn oauth_error(status: StatusCode, code: &str) -> Response {
    (
        status,
        Json(json!({ "error": code, "error_description": "refused by the fake" })),
    )
        .into_response()
}

/// `application/x-www-form-urlencoded` → pairs (enough for the token endpoint's values).
fn url_form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((decode(k), decode(v)))
        })
        .collect()
}

fn decode(raw: &str) -> String {
    let bytes = raw.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
