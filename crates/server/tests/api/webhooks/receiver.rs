//! A webhook subscriber for tests: an HTTP server on 127.0.0.1 that records every request and answers with
//! the statuses it is told to (200 once those run out).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Whether `x-cal-signature-256` is the HMAC-SHA256 of the body under `secret`, as a subscriber checks it.
    pub fn signed_with(&self, secret: &str) -> bool {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(self.body.as_bytes());
        let Ok(claimed) = hex::decode(self.header("x-cal-signature-256")) else {
            return false;
        };
        mac.verify_slice(&claimed).is_ok()
    }
}

#[derive(Clone)]
struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// How many requests have arrived, for tests that wait on the background worker.
    count: Arc<tokio::sync::watch::Sender<usize>>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    inbox: Inbox,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Listens on `addr` (port 0 picks one).
    pub async fn start_on(addr: SocketAddr) -> Self {
        let inbox = Inbox {
            received: Arc::default(),
            answers: Arc::default(),
            count: Arc::new(tokio::sync::watch::channel(0).0),
        };
        let app = Router::new().route("/hook", post(record)).with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Receiver {
            addr,
            inbox,
            stop,
            server,
        }
    }

    /// Closes the port and waits until it is closed: the subscriber is down.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.expect("receiver stopped");
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next requests get these statuses, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.inbox.answers.lock().expect("lock").extend(statuses);
    }

    /// Waits (up to 10 s) until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) {
        let mut count = self.inbox.count.subscribe();
        let arrived = tokio::time::timeout(std::time::Duration::from_secs(10), count.wait_for(|c| *c >= n)).await;
        assert!(matches!(arrived, Ok(Ok(_))), "{n} requests did not arrive in time");
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.received.lock().expect("lock").clone()
    }
}

async fn record(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    let arrived = {
        let mut received = inbox.received.lock().expect("lock");
        received.push(Received { headers, body });
        received.len()
    };
    inbox.count.send_replace(arrived);
    let status = inbox.answers.lock().expect("lock").pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}
