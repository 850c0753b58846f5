//! A fake Twilio: the Messages resource as documented (twilio.com/docs/messaging/api/message-resource).
//!
//! `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP basic auth (account SID : auth token) and a
//! form-encoded body (`To`, `From`, `Body`). Accepted: `201` with the message resource (`sid` `SM…`, `status`
//! `queued`, `to`, `from`, `body`, `num_segments`…). Refused as Twilio refuses, with its error JSON (`code`,
//! `message`, `more_info`, `status`): `401` code 20003 for bad credentials, `400` code 21211 for an invalid `To`,
//! 21604 / 21602 for a missing `To` / `Body`, 21910 when `From` and `To` are not on the same channel (one
//! `whatsapp:`, the other not), and for Twilio's documented test numbers: `+15005550001` is invalid (21211),
//! `+15005550009` cannot receive SMS (21614). Scripted faults ([`FakeTwilio::fail_next`]) answer the next requests with a status
//! of the test's choosing (429 code 20429, 500…) before the fake behaves again.

use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioMessage {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
}

#[derive(Default)]
struct Inner {
    messages: Vec<TwilioMessage>,
    /// Answers for the next requests, in order (status, Twilio error code).
    faults: VecDeque<(u16, i64)>,
    /// Every request seen, accepted or not.
    requests: usize,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    inner: Mutex<Inner>,
}

/// A running fake Twilio account.
pub struct FakeTwilio {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeTwilio {
    /// Starts the fake for the account `account_sid` with `auth_token`.
    pub async fn start(account_sid: &str, auth_token: &str) -> FakeTwilio {
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            inner: Mutex::new(Inner::default()),
        });
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", post(create_message))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port for the Twilio fake");
        let addr = listener.local_addr().expect("the fake's address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeTwilio { addr, shared }
    }

    /// The API base to configure instead of `https://api.twilio.com`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Answers the next request with `status` and Twilio error `code` (e.g. 429 / 20429, 500 / 20500).
    pub fn fail_next(&self, status: u16, code: i64) {
        self.inner().faults.push_back((status, code));
    }

    /// The messages accepted so far, in order.
    pub fn messages(&self) -> Vec<TwilioMessage> {
        self.inner().messages.clone()
    }

    /// How many requests reached the fake, refused ones included.
    pub fn requests(&self) -> usize {
        self.inner().requests
    }

    /// Waits until `n` messages were accepted (panics after `within`).
    pub async fn wait_for_messages(&self, n: usize, within: Duration) -> Vec<TwilioMessage> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the Twilio fake got {} of {n} messages",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Twilio's error answer.
fn error(status: u16, code: i64, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, Json(body)).into_response()
}

/// Whether `number` is E.164 (`+` and up to 15 digits, no leading zero).
fn is_e164(number: &str) -> bool {
    number
        .strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()) && !d.starts_with('0'))
}

async fn create_message(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = shared.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    inner.requests += 1;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", shared.account_sid, shared.auth_token))
    );
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if !authorized || sid != shared.account_sid {
        return error(401, 20003, "Authenticate");
    }
    if let Some((status, code)) = inner.faults.pop_front() {
        let message = if status == 429 {
            "Too Many Requests"
        } else {
            "Internal Server Error"
        };
        return error(status, code, message);
    }
    let Some(to) = form.get("To").filter(|t| !t.is_empty()) else {
        return error(400, 21604, "A 'To' phone number is required.");
    };
    let Some(body) = form.get("Body").filter(|b| !b.is_empty()) else {
        return error(400, 21602, "Message body is required.");
    };
    let from = form.get("From").cloned().unwrap_or_default();
    let whatsapp = to.starts_with("whatsapp:");
    if whatsapp != from.starts_with("whatsapp:") {
        return error(
            400,
            21910,
            "Invalid From and To pair. From and To should be of the same channel",
        );
    }
    let bare = to.trim_start_matches("whatsapp:");
    if bare == "+15005550009" {
        return error(400, 21614, &format!("'To' number {bare} is not a valid mobile number"));
    }
    if !is_e164(bare) || bare == "+15005550001" {
        return error(400, 21211, &format!("Invalid 'To' Phone Number: {bare}"));
    }
    let message = TwilioMessage {
        sid: format!("SM{:032x}", inner.messages.len() + 1),
        to: to.clone(),
        from,
        body: body.clone(),
    };
    inner.messages.push(message.clone());
    let resource: Value = json!({
        "account_sid": shared.account_sid,
        "api_version": "2010-04-01",
        "body": message.body,
        "direction": "outbound-api",
        "from": message.from,
        "num_segments": "1",
        "sid": message.sid,
        "status": "queued",
        "to": message.to,
        "uri": format!("/2010-04-01/Accounts/{}/Messages/{}.json", shared.account_sid, message.sid),
    });
    (StatusCode::CREATED, Json(resource)).into_response()
}
