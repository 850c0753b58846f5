//! Google Calendar and Microsoft 365 over OAuth 2: the consent URL with a sealed `state` bound to the user, the
//! callback that trades the code for tokens (sealed with the keyring like every calendar credential) and lists the
//! account's calendars, and the authorized clients the refresher and the writes use. A token refreshed on the way
//! (before its expiry, or after a 401) is sealed and stored again at once: Microsoft rotates refresh tokens, so the
//! old one stops working.

use super::{Calendars, CalendarsError, ConnectionKind, OAuthProvider, secret};
use convene_calendar::{GoogleCalendar, GraphCalendar, OAuthApp, OAuthSession, RemoteCalendar, TokenSet};
use convene_core::{CalendarConnectionId, FieldError, UserId};
use convene_keyring::Binding;
use convene_store::calendars::{self, ConnectionRecord, ListedCalendar};
use convene_store::now_ms;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

/// How long a consent may take, from the connect URL to the callback.
const STATE_TTL_MS: i64 = 15 * 60 * 1000;

/// What the sealed `state` carries through the provider and back.
#[derive(Serialize, Deserialize)]
struct ConsentState {
    /// The user who asked for the connect URL.
    u: i64,
    /// Where the browser goes after the callback.
    r: Option<String>,
    /// Until when (ms) the callback is accepted.
    x: i64,
}

/// The tokens as stored (sealed): JSON, so a refreshed set replaces the whole value.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access: String,
    refresh: Option<String>,
    expires_at: Option<i64>,
}

fn state_binding(kind: ConnectionKind) -> Binding<'static> {
    Binding {
        scope: "calendar-oauth-state",
        owner: kind.as_str(),
        field: "state",
    }
}

/// An authorized client of one connection.
pub enum OAuthClient {
    Google(GoogleCalendar),
    Graph(GraphCalendar),
}

impl OAuthClient {
    pub fn session(&self) -> &OAuthSession {
        match self {
            OAuthClient::Google(c) => c.session(),
            OAuthClient::Graph(c) => c.session(),
        }
    }

    pub async fn list_calendars(&self) -> Result<Vec<RemoteCalendar>, convene_calendar::CalendarError> {
        match self {
            OAuthClient::Google(c) => c.list_calendars().await,
            OAuthClient::Graph(c) => c.list_calendars().await,
        }
    }
}

/// Whether `kind` connects over OAuth.
pub fn is_oauth(kind: ConnectionKind) -> bool {
    matches!(kind, ConnectionKind::Google | ConnectionKind::Office365)
}

pub(crate) fn tokens_json(tokens: &TokenSet) -> String {
    serde_json::to_string(&StoredTokens {
        access: tokens.access_token.expose_secret().to_owned(),
        refresh: tokens.refresh_token.as_ref().map(|r| r.expose_secret().to_owned()),
        expires_at: tokens.expires_at.map(Timestamp::as_millisecond),
    })
    .unwrap_or_default()
}

fn tokens_from(secret: &SecretString) -> Option<TokenSet> {
    let stored: StoredTokens = serde_json::from_str(secret.expose_secret()).ok()?;
    Some(TokenSet {
        access_token: SecretString::from(stored.access),
        refresh_token: stored.refresh.map(SecretString::from),
        expires_at: stored.expires_at.and_then(|ms| Timestamp::from_millisecond(ms).ok()),
        scope: None,
    })
}

impl Calendars {
    fn provider(&self, kind: ConnectionKind) -> Result<&OAuthProvider, CalendarsError> {
        let configured = match kind {
            ConnectionKind::Google => self.settings.google.as_ref(),
            ConnectionKind::Office365 => self.settings.microsoft.as_ref(),
            _ => return Err(CalendarsError::Unsupported("this calendar does not connect over OAuth")),
        };
        configured.ok_or(CalendarsError::Unsupported(
            "this calendar is not set up on this server (no OAuth client configured)",
        ))
    }

    fn app(&self, kind: ConnectionKind) -> Result<OAuthApp, CalendarsError> {
        let provider = self.provider(kind)?;
        let redirect = Url::parse(&format!(
            "{}/v2/calendars/{}/save",
            self.settings.public_url.trim_end_matches('/'),
            if kind == ConnectionKind::Google {
                "google"
            } else {
                "office365"
            }
        ))
        .map_err(|_| CalendarsError::Unsupported("the server's public URL is not a valid address"))?;
        let (id, secret) = (provider.client_id.clone(), provider.client_secret.clone());
        let app = match kind {
            ConnectionKind::Google => OAuthApp::google(id, secret, redirect),
            _ => OAuthApp::microsoft(id, secret, redirect),
        };
        Ok(app.with_endpoints(provider.authorize_url.clone(), provider.token_url.clone()))
    }

    /// The provider's consent URL for `user_id`; `redirect` is where the browser lands after the callback.
    pub fn connect_url(
        &self,
        user_id: UserId,
        kind: ConnectionKind,
        redirect: Option<&str>,
    ) -> Result<Url, CalendarsError> {
        if let Some(r) = redirect {
            Url::parse(r)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| FieldError::coded("redir", "refusal-http-address", "must be an http(s) address"))?;
        }
        let app = self.app(kind)?;
        let state = ConsentState {
            u: user_id.0,
            r: redirect.map(str::to_owned),
            x: now_ms() + STATE_TTL_MS,
        };
        let sealed = self
            .keyring
            .seal(state_binding(kind), &serde_json::to_string(&state).unwrap_or_default())?;
        Ok(app.authorization_url(&sealed))
    }

    /// The callback: checks `state` (sealed for this kind, unexpired), trades `code` for tokens, lists the
    /// account's calendars and stores the connection (or renews the user's existing one for the same account).
    /// The primary calendar counts as busy and, when the user has no destination yet, receives bookings.
    /// Returns the connection and where to send the browser.
    #[tracing::instrument(skip_all, fields(kind = kind.as_str()))]
    pub async fn complete_connect(
        &self,
        kind: ConnectionKind,
        code: &str,
        state: &str,
    ) -> Result<(ConnectionRecord, Option<String>), CalendarsError> {
        let bad_state = || {
            CalendarsError::Invalid(FieldError::coded(
                "state",
                "refusal-connect-state",
                "is not a valid or current connect state",
            ))
        };
        let opened = self.keyring.open(state_binding(kind), state).map_err(|_| bad_state())?;
        let consent: ConsentState = serde_json::from_str(opened.expose_secret()).map_err(|_| bad_state())?;
        if consent.x < now_ms() {
            return Err(bad_state());
        }
        if code.trim().is_empty() {
            return Err(FieldError::coded("code", "refusal-required", "is required").into());
        }
        let app = self.app(kind)?;
        let tokens = app.exchange_code(&self.http, code).await.map_err(|e| {
            CalendarsError::Invalid(
                FieldError::coded(
                    "code",
                    "refusal-provider-code",
                    format!("the provider refused the code: {e}"),
                )
                .arg("why", e),
            )
        })?;
        let plain = tokens_json(&tokens);
        let client = self.client_for(kind, tokens)?;
        let mut found = client.list_calendars().await?;
        // The primary calendar first: it becomes the connection's primary.
        found.sort_by_key(|c| !c.primary);
        let label = found
            .first()
            .filter(|c| c.primary)
            .map_or_else(|| kind.title().to_owned(), |c| c.id.clone());
        let user_id = consent.u;
        let existing = calendars::connections_of(&self.db, UserId(user_id))
            .await?
            .into_iter()
            .find(|c| c.kind == kind && c.label == label);
        let connection = match existing {
            Some(connection) => {
                self.renew(&connection, &plain, &found).await?;
                connection
            }
            None => {
                let listed: Vec<(String, String, bool)> = found
                    .iter()
                    .map(|c| (c.id.clone(), c.name.clone(), c.read_only))
                    .collect();
                let connection = self
                    .insert(
                        UserId(user_id),
                        kind,
                        &label,
                        Some(&label),
                        None,
                        &plain,
                        &listed,
                        false,
                    )
                    .await?;
                if let Some(primary) = calendars::calendars_of_connection(&self.db, connection.id)
                    .await?
                    .into_iter()
                    .find(|c| c.is_primary)
                {
                    calendars::set_selected(&self.db, primary.id, true).await?;
                    if !primary.read_only && calendars::destination(&self.db, UserId(user_id), None).await?.is_none() {
                        calendars::set_destination(&self.db, UserId(user_id), None, primary.id).await?;
                    }
                }
                connection
            }
        };
        let connection = calendars::find_connection(&self.db, UserId(user_id), connection.id)
            .await?
            .ok_or(CalendarsError::NotFound("calendar connection"))?;
        self.refresh_connection(&connection).await;
        Ok((connection, consent.r))
    }

    /// A reconnect of an account already connected: new tokens, the calendar list brought up to date.
    async fn renew(
        &self,
        connection: &ConnectionRecord,
        plain: &str,
        found: &[RemoteCalendar],
    ) -> Result<(), CalendarsError> {
        let sealed = secret::seal(&self.keyring, connection.id.0, plain)?;
        let mut tx = self.db.begin().await?;
        calendars::set_connection_secret(&mut tx, connection.id, &sealed).await?;
        for c in found {
            calendars::upsert_calendar(
                &mut tx,
                connection.id,
                connection.user_id,
                &ListedCalendar {
                    external_id: &c.id,
                    name: &c.name,
                    read_only: c.read_only,
                    is_primary: c.primary,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn client_for(&self, kind: ConnectionKind, tokens: TokenSet) -> Result<OAuthClient, CalendarsError> {
        let app = self.app(kind)?;
        let api = self.provider(kind)?.api_base.clone();
        let session = OAuthSession::new(app, self.http.clone(), tokens);
        Ok(match kind {
            ConnectionKind::Google => OAuthClient::Google(GoogleCalendar::new(session).with_api_base(api)),
            _ => OAuthClient::Graph(GraphCalendar::new(session).with_api_base(api)),
        })
    }

    /// The authorized client of an OAuth connection, from its opened secret.
    pub(crate) fn oauth_client(
        &self,
        connection: &ConnectionRecord,
        secret: &SecretString,
    ) -> Result<OAuthClient, CalendarsError> {
        let kind = connection.kind;
        if !is_oauth(kind) {
            return Err(CalendarsError::Unsupported("this calendar does not connect over OAuth"));
        }
        let tokens = tokens_from(secret).ok_or(CalendarsError::Unsupported("the stored tokens are unreadable"))?;
        self.client_for(kind, tokens)
    }

    /// Seals and stores the tokens `client` refreshed since it was made (if it did).
    pub(crate) async fn keep_refreshed(&self, connection_id: CalendarConnectionId, client: &OAuthClient) {
        let Some(tokens) = client.session().take_refreshed().await else {
            return;
        };
        let stored = secret::seal(&self.keyring, connection_id.0, &tokens_json(&tokens))
            .map_err(CalendarsError::from)
            .map(|sealed| async move { calendars::set_connection_secret(&self.db, connection_id, &sealed).await });
        let result = match stored {
            Ok(write) => write.await.map_err(CalendarsError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, connection_id = connection_id.0, "refreshed calendar tokens could not be stored");
        }
    }
}
