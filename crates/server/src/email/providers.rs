//! Provider HTTP APIs: SendGrid's v3 mail send and SparkPost's transmissions. Each send is one JSON request
//! with the same parts as the MIME message (text, HTML, the invite as an attachment, Reply-To, Message-ID).

use super::message::Mailbox;
use super::outcome::{DeliveryFailure, ServerReply, Stage};
use base64::Engine;
use convene_store::outbox::EmailRecord;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::time::Duration;

/// Which provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    SendGrid,
    SparkPost,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::SendGrid => "SENDGRID",
            Provider::SparkPost => "SPARKPOST",
        }
    }
}

/// An account at a provider.
#[derive(Clone)]
pub struct ProviderClient {
    pub provider: Provider,
    /// `https://api.sendgrid.com` or `https://api.sparkpost.com` (instance settings may point elsewhere,
    /// e.g. SparkPost EU).
    pub base_url: String,
    pub api_key: SecretString,
    pub ip_pool: Option<String>,
    pub http: reqwest::Client,
}

impl std::fmt::Debug for ProviderClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderClient")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// One HTTP client for every provider call: bounded in time, no redirects (an API that redirects is not
/// the API we configured).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

impl ProviderClient {
    /// Sends `email` as `from`.
    pub async fn send(
        &self,
        email: &EmailRecord,
        from: &Mailbox,
        reply_to: Option<&Mailbox>,
    ) -> Result<ServerReply, DeliveryFailure> {
        let reply_to = reply_to.cloned().or_else(|| {
            email.reply_to_email.as_ref().map(|e| Mailbox {
                email: e.clone(),
                name: email.reply_to_name.clone().unwrap_or_default(),
            })
        });
        let (path, body) = match self.provider {
            Provider::SendGrid => ("/v3/mail/send", sendgrid_body(email, from, reply_to.as_ref())),
            Provider::SparkPost => (
                "/api/v1/transmissions",
                sparkpost_body(email, from, reply_to.as_ref(), self.ip_pool.as_deref()),
            ),
        };
        let response = self
            .authorized(self.http.post(format!("{}{path}", self.base_url)))
            .json(&body)
            .send()
            .await
            .map_err(|e| request_failure(&e))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            Ok(ServerReply {
                code: 250,
                text: format!("{} accepted ({status})", self.provider.as_str()),
            })
        } else {
            Err(http_failure(status, &text))
        }
    }

    /// A harmless authenticated call: does the key work?
    pub async fn probe(&self) -> Result<(), DeliveryFailure> {
        let path = match self.provider {
            Provider::SendGrid => "/v3/scopes",
            Provider::SparkPost => "/api/v1/account",
        };
        let response = self
            .authorized(self.http.get(format!("{}{path}", self.base_url)))
            .send()
            .await
            .map_err(|e| request_failure(&e))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(http_failure(status, &text))
        }
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let key = self.api_key.expose_secret();
        match self.provider {
            Provider::SendGrid => request.bearer_auth(key),
            // SparkPost takes the bare key in Authorization.
            Provider::SparkPost => request.header(reqwest::header::AUTHORIZATION, key),
        }
    }
}

fn request_failure(e: &reqwest::Error) -> DeliveryFailure {
    let stage = if e.is_connect() || e.is_timeout() {
        Stage::Connect
    } else {
        Stage::Data
    };
    // reqwest's text may include the URL but never the Authorization header.
    DeliveryFailure {
        stage,
        code: None,
        message: e.to_string(),
    }
}

/// Maps the provider's HTTP answer onto the SMTP-shaped failure the worker classifies: 401/403 are
/// authentication, 4xx rejections of the request are permanent, 429 and 5xx are worth another try.
fn http_failure(status: u16, body: &str) -> DeliveryFailure {
    let summary: String = body.chars().filter(|c| !c.is_control()).take(300).collect();
    let (stage, code) = match status {
        401 | 403 => (Stage::Auth, 535),
        429 => (Stage::Data, 421),
        400..=499 => (Stage::Data, 554),
        _ => (Stage::Data, 451),
    };
    DeliveryFailure {
        stage,
        code: Some(code),
        message: format!("HTTP {status}: {summary}"),
    }
}

fn invite_attachment(email: &EmailRecord) -> Option<(String, String)> {
    let ics = email.ics.as_ref()?;
    let method = email.ics_method.as_deref().unwrap_or("REQUEST");
    Some((
        format!("text/calendar; method={method}"),
        base64::engine::general_purpose::STANDARD.encode(ics.as_bytes()),
    ))
}

/// SendGrid v3 `mail/send`.
fn sendgrid_body(email: &EmailRecord, from: &Mailbox, reply_to: Option<&Mailbox>) -> Value {
    let mut body = json!({
        "personalizations": [{ "to": [person(&email.to_email, email.to_name.as_deref())] }],
        "from": person(&from.email, Some(&from.name)),
        "subject": email.subject,
        "content": [
            { "type": "text/plain", "value": email.body_text },
            { "type": "text/html", "value": email.body_html },
        ],
        "headers": { "Message-ID": email.message_id },
    });
    if let Some(r) = reply_to {
        body["reply_to"] = person(&r.email, Some(&r.name));
    }
    if let Some((content_type, data)) = invite_attachment(email) {
        body["attachments"] = json!([{
            "content": data, "type": content_type, "filename": "invite.ics", "disposition": "attachment"
        }]);
    }
    body
}

/// SparkPost `transmissions`.
fn sparkpost_body(email: &EmailRecord, from: &Mailbox, reply_to: Option<&Mailbox>, ip_pool: Option<&str>) -> Value {
    let mut content = json!({
        "from": { "email": from.email, "name": from.name },
        "subject": email.subject,
        "text": email.body_text,
        "html": email.body_html,
        "headers": { "Message-ID": email.message_id },
    });
    if let Some(r) = reply_to {
        content["reply_to"] = json!(if r.name.is_empty() {
            r.email.clone()
        } else {
            format!("{} <{}>", r.name, r.email)
        });
    }
    if let Some((content_type, data)) = invite_attachment(email) {
        content["attachments"] = json!([{ "name": "invite.ics", "type": content_type, "data": data }]);
    }
    let mut body = json!({
        "recipients": [{ "address": person(&email.to_email, email.to_name.as_deref()) }],
        "content": content,
    });
    if let Some(pool) = ip_pool {
        body["options"] = json!({ "ip_pool": pool });
    }
    body
}

fn person(email: &str, name: Option<&str>) -> Value {
    match name.filter(|n| !n.is_empty()) {
        Some(name) => json!({ "email": email, "name": name }),
        None => json!({ "email": email }),
    }
}
