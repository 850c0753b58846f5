//! OAuth 2 for Google and Microsoft (RFC 6749, authorization code grant with a confidential client): the consent
//! URL, the code exchange, token refresh, and [`OAuthSession`], which refreshes once on a 401 and retries.
//!
//! Tokens live in [`SecretString`]s; a refreshed set is handed back through [`OAuthSession::take_refreshed`] for
//! the caller to seal and store (Microsoft rotates refresh tokens: the old one stops working).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use crate::error::{CalendarError, short_code};
use crate::http::{Http, retry_after, status_error};

/// An OAuth client registered with a provider (the instance settings hold its id and secret).
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
    pub authorize_url: Url,
    pub token_url: Url,
    /// convene's callback, registered with the provider.
    pub redirect_uri: Url,
    pub scopes: Vec<String>,
    /// Provider-specific parameters of the consent URL.
    pub extra_authorize_params: Vec<(String, String)>,
}

/// Google's scopes: read calendars and free/busy, write events.
pub const GOOGLE_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
];
/// Microsoft Graph scopes; `offline_access` is what yields a refresh token.
pub const MICROSOFT_SCOPES: &[&str] = &["offline_access", "User.Read", "Calendars.ReadWrite"];

fn fixed(url: &str) -> Url {
    // Constant, valid URLs.
    Url::parse(url).unwrap_or_else(|_| unreachable!("constant URL {url} is valid"))
}

impl OAuthApp {
    /// Google's documented endpoints. `access_type=offline` and `prompt=consent` make Google return a refresh token
    /// every time (it omits it on a repeated consent otherwise).
    pub fn google(client_id: String, client_secret: SecretString, redirect_uri: Url) -> OAuthApp {
        OAuthApp {
            client_id,
            client_secret,
            authorize_url: fixed("https://accounts.google.com/o/oauth2/v2/auth"),
            token_url: fixed("https://oauth2.googleapis.com/token"),
            redirect_uri,
            scopes: GOOGLE_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            extra_authorize_params: vec![
                ("access_type".into(), "offline".into()),
                ("prompt".into(), "consent".into()),
                ("include_granted_scopes".into(), "true".into()),
            ],
        }
    }

    /// Microsoft identity platform v2 endpoints for work, school and personal accounts (`common` tenant).
    pub fn microsoft(client_id: String, client_secret: SecretString, redirect_uri: Url) -> OAuthApp {
        OAuthApp {
            client_id,
            client_secret,
            authorize_url: fixed("https://login.microsoftonline.com/common/oauth2/v2.0/authorize"),
            token_url: fixed("https://login.microsoftonline.com/common/oauth2/v2.0/token"),
            redirect_uri,
            scopes: MICROSOFT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            extra_authorize_params: vec![("response_mode".into(), "query".into())],
        }
    }

    /// Other endpoints (a sovereign cloud, a single tenant, test fakes).
    pub fn with_endpoints(mut self, authorize_url: Url, token_url: Url) -> OAuthApp {
        self.authorize_url = authorize_url;
        self.token_url = token_url;
        self
    }

    /// Where to send the user to consent. `state` comes back on the callback and must be checked by the caller
    /// (it ties the callback to the user's session).
    pub fn authorization_url(&self, state: &str) -> Url {
        let mut url = self.authorize_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", self.redirect_uri.as_str())
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("state", state);
            for (k, v) in &self.extra_authorize_params {
                query.append_pair(k, v);
            }
        }
        url
    }

    /// Exchanges the code from the callback for tokens.
    pub async fn exchange_code(&self, http: &Http, code: &str) -> Result<TokenSet, CalendarError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        self.token_request(http, &form).await
    }

    /// A new access token from a refresh token. When the answer carries no refresh token (Google's habit), the old
    /// one stays valid and is kept in the result.
    pub async fn refresh(&self, http: &Http, refresh_token: &SecretString) -> Result<TokenSet, CalendarError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        let mut tokens = self.token_request(http, &form).await?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.clone());
        }
        Ok(tokens)
    }

    async fn token_request(&self, http: &Http, form: &[(&str, &str)]) -> Result<TokenSet, CalendarError> {
        http.check_url(&self.token_url)?;
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = http
            .client()
            .post(self.token_url.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(body);
        let response = http.send(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = http.text(response).await?;
        if status.is_success() {
            let answer: TokenAnswer = serde_json::from_str(&text)
                .map_err(|_| CalendarError::Protocol("the token endpoint's answer is not a token".into()))?;
            return Ok(answer.into_tokens(Timestamp::now()));
        }
        // RFC 6749 §5.2: 400 (or 401) with an `error` code.
        let code = serde_json::from_str::<TokenError>(&text).ok().map(|e| e.error);
        Err(match (status.as_u16(), code.as_deref()) {
            (_, Some("invalid_grant")) => CalendarError::CredentialsRevoked,
            (400 | 401, Some(code)) => CalendarError::Rejected {
                status: status.as_u16(),
                detail: short_code(code),
            },
            _ => status_error(status, &headers),
        })
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

impl TokenAnswer {
    fn into_tokens(self, now: Timestamp) -> TokenSet {
        TokenSet {
            access_token: SecretString::from(self.access_token),
            refresh_token: self.refresh_token.map(SecretString::from),
            expires_at: self.expires_in.and_then(|secs| {
                now.checked_add(SignedDuration::from_secs(secs.clamp(0, 366 * 86_400)))
                    .ok()
            }),
            scope: self.scope,
        }
    }
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
}

/// The tokens of one connection.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// When the access token stops working, if the provider said.
    pub expires_at: Option<Timestamp>,
    /// The scopes granted (they can be fewer than asked for).
    pub scope: Option<String>,
}

/// Refresh this long before the stated expiry, so a token doesn't die in flight.
const EXPIRY_MARGIN: SignedDuration = SignedDuration::from_secs(60);

struct SessionState {
    tokens: TokenSet,
    /// Bumped on every refresh, so concurrent requests that all saw a 401 refresh only once.
    generation: u64,
    refreshed: bool,
}

/// An authorized connection: sends API requests with the access token, refreshing it when it is about to expire
/// or when the API answers 401 (then retrying once).
pub struct OAuthSession {
    app: OAuthApp,
    http: Http,
    state: Mutex<SessionState>,
}

impl std::fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSession")
            .field("client_id", &self.app.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuthSession {
    pub fn new(app: OAuthApp, http: Http, tokens: TokenSet) -> OAuthSession {
        OAuthSession {
            app,
            http,
            state: Mutex::new(SessionState {
                tokens,
                generation: 0,
                refreshed: false,
            }),
        }
    }

    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// The current tokens.
    pub async fn tokens(&self) -> TokenSet {
        self.state.lock().await.tokens.clone()
    }

    /// The tokens if a refresh happened since the last call: store them (sealed).
    pub async fn take_refreshed(&self) -> Option<TokenSet> {
        let mut state = self.state.lock().await;
        std::mem::take(&mut state.refreshed).then(|| state.tokens.clone())
    }

    async fn current(&self) -> (SecretString, u64, bool) {
        let state = self.state.lock().await;
        let expiring = state
            .tokens
            .expires_at
            .is_some_and(|at| at.checked_sub(EXPIRY_MARGIN).is_ok_and(|soon| soon <= Timestamp::now()));
        (state.tokens.access_token.clone(), state.generation, expiring)
    }

    /// Refreshes unless another request already did since `seen` (then its token is used).
    async fn refresh_after(&self, seen: u64) -> Result<SecretString, CalendarError> {
        let mut state = self.state.lock().await;
        if state.generation != seen {
            return Ok(state.tokens.access_token.clone());
        }
        let refresh_token = state.tokens.refresh_token.clone().ok_or(CalendarError::Unauthorized)?;
        let tokens = self.app.refresh(&self.http, &refresh_token).await?;
        state.tokens = tokens;
        state.generation += 1;
        state.refreshed = true;
        Ok(state.tokens.access_token.clone())
    }

    /// Sends the request `build` makes (called again for the retry), with the bearer token. A 401 after a fresh
    /// token is [`CalendarError::Unauthorized`]; any other answer is returned for the caller to read.
    pub(crate) async fn send(&self, build: impl Fn() -> RequestBuilder) -> Result<Response, CalendarError> {
        let (mut token, generation, expiring) = self.current().await;
        let mut refreshed = false;
        if expiring {
            token = self.refresh_after(generation).await?;
            refreshed = true;
        }
        let response = self.send_patiently(&build, &token).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        if refreshed {
            return Err(CalendarError::Unauthorized);
        }
        let token = self.refresh_after(generation).await?;
        let response = self.send_patiently(&build, &token).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(CalendarError::Unauthorized);
        }
        Ok(response)
    }

    /// Sends with `token`; a 429 whose wait is short (its `Retry-After`, else a doubling pause) is retried up to
    /// [`RATE_LIMIT_RETRIES`] times in place. A longer wait is the caller's: the answer comes back and becomes
    /// [`CalendarError::RateLimited`], whose `retry_after` the write queue honours.
    async fn send_patiently(
        &self,
        build: &impl Fn() -> RequestBuilder,
        token: &SecretString,
    ) -> Result<Response, CalendarError> {
        let mut pause = FIRST_PAUSE;
        for _ in 0..RATE_LIMIT_RETRIES {
            let response = self.http.send(bearer(build(), token)).await?;
            if response.status() != StatusCode::TOO_MANY_REQUESTS {
                return Ok(response);
            }
            let wait = retry_after(response.headers()).unwrap_or(pause);
            if wait > MAX_INLINE_WAIT {
                return Ok(response);
            }
            tracing::debug!(
                wait_ms = wait.as_millis(),
                "rate limited; retrying after the wait asked for"
            );
            tokio::time::sleep(wait).await;
            pause *= 2;
        }
        self.http.send(bearer(build(), token)).await
    }
}

/// Rate-limited requests retried in place before the 429 is handed back.
const RATE_LIMIT_RETRIES: usize = 2;
/// The first pause after a 429 without `Retry-After`; doubled after each.
const FIRST_PAUSE: Duration = Duration::from_millis(250);
/// Longer waits than this are not slept through inside a request (they would outlast its timeout).
const MAX_INLINE_WAIT: Duration = Duration::from_secs(2);

fn bearer(request: RequestBuilder, token: &SecretString) -> RequestBuilder {
    match HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
        Ok(mut value) => {
            value.set_sensitive(true);
            request.header(AUTHORIZATION, value)
        }
        // A token with control characters can't be sent; the API will answer 401.
        Err(_) => request,
    }
}

/// `Retry-After` of a rate-limit answer, for providers that signal it in the body rather than the status.
pub(crate) fn rate_limited(headers: &reqwest::header::HeaderMap) -> CalendarError {
    CalendarError::RateLimited {
        retry_after: retry_after(headers).or(Some(Duration::from_secs(30))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consent_url_carries_what_each_provider_needs() {
        let redirect = Url::parse("https://convene.example/v2/calendars/google/save").expect("url");
        let google = OAuthApp::google("id-1".into(), SecretString::from("s3cret".to_owned()), redirect.clone());
        let url = google.authorization_url("st&ate");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(url.host_str(), Some("accounts.google.com"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("state"), Some("st&ate"));
        assert_eq!(get("access_type"), Some("offline"));
        assert_eq!(get("redirect_uri"), Some(redirect.as_str()));
        assert!(get("scope").is_some_and(|s| s.contains("calendar.events")));
        assert!(!url.as_str().contains("s3cret"));

        let ms = OAuthApp::microsoft("id-2".into(), SecretString::from("x".to_owned()), redirect);
        let url = ms.authorization_url("s");
        assert!(
            url.as_str()
                .starts_with("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?")
        );
        assert!(
            url.query_pairs()
                .any(|(k, v)| k == "scope" && v.contains("offline_access"))
        );
    }

    #[test]
    fn token_answers_give_an_expiry_and_hide_the_token() {
        let answer: TokenAnswer =
            serde_json::from_str(r#"{"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"}"#)
                .expect("json");
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().expect("ts");
        let tokens = answer.into_tokens(now);
        assert_eq!(tokens.expires_at, Some("2030-01-01T00:59:59Z".parse().expect("ts")));
        assert!(tokens.refresh_token.is_none());
        assert!(!format!("{tokens:?}").contains("ya29"));
    }
}
