//! DNS rebinding: a sender's host name that resolves to an allowed address when it is checked and to a refused
//! one a moment later. The connection must go to the address that was checked — while TLS verifies the name — or
//! nowhere; never to the rebound address.
//!
//! The instance allows one private address, 127.0.0.2, where the "checked" server listens; 127.0.0.1 (the
//! "rebound" server, same port, a certificate for the same name) stays refused. The server's resolver is
//! [`Rebinding`], which answers the allowed address to the first lookup after it is armed and the refused one to
//! every later lookup — what a hostile DNS server with a zero TTL can do.

use super::*;
use crate::helpers::email::WAIT;
use convene_server::email::host_guard::{HostPolicy, NOT_PUBLIC, Resolve};
use convene_testkit::{FakeSmtp, FakeSmtpConfig, TlsMode};
use futures::future::BoxFuture;
use serde_json::json;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const NAME: &str = "mail.rebind.test";
const CHECKED: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const REBOUND: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A resolver for [`NAME`] that rebinds: armed, it answers [`CHECKED`] once, then [`REBOUND`].
#[derive(Debug, Default)]
struct Rebinding {
    armed: AtomicBool,
    lookups: AtomicUsize,
}

impl Rebinding {
    /// The next lookup gets the allowed address; the ones after it the refused one.
    fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Resolve for Rebinding {
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move {
            if host != NAME {
                return Err(io::Error::new(io::ErrorKind::NotFound, format!("{host}: no such name")));
            }
            self.lookups.fetch_add(1, Ordering::SeqCst);
            let ip = if self.armed.swap(false, Ordering::SeqCst) {
                CHECKED
            } else {
                REBOUND
            };
            Ok(vec![SocketAddr::new(ip, port)])
        })
    }
}

/// A routing rig whose senders may reach 127.0.0.2 only, through the [`Rebinding`] resolver; its organization's
/// server ("rebound") listens on 127.0.0.1, and the returned "checked" server on 127.0.0.2 on the same port. Both
/// have a certificate for [`NAME`]. One connection at a time, so one lookup serves a whole batch.
async fn rebinding_rig() -> (RoutingRig, FakeSmtp, Arc<Rebinding>) {
    let resolver = Arc::new(Rebinding::default());
    let policy = HostPolicy {
        allowed_private: vec!["127.0.0.2/32".parse().expect("a network")],
        resolver: Some(resolver.clone()),
    };
    let named = |ca: &TestCa| FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&[NAME])),
        credentials: None,
    };
    let rig = RoutingRig::start(named, move |s| {
        s.host_policy = Arc::new(policy);
        s.connections = 1;
    })
    .await;
    let checked = FakeSmtp::start_on(named(rig.ca()), SocketAddr::new(CHECKED, rig.org_smtp.port())).await;
    (rig, checked, resolver)
}

/// Saves a sender for [`NAME`] (the save's lookup is answered with the allowed address).
async fn save_sender(rig: &RoutingRig, resolver: &Rebinding) -> i64 {
    resolver.arm();
    let sender = rig
        .create_sender(json!({ "fromEmail": ORG_FROM, "fromName": ORG_NAME, "smtpHost": NAME,
            "smtpPort": rig.org_smtp.port(), "smtpSecure": false }))
        .await;
    assert_eq!(resolver.lookups(), 1, "the save checked the name once");
    sender
}

#[tokio::test]
async fn the_connection_goes_to_the_address_that_was_checked_not_to_where_the_name_rebinds() {
    let (rig, checked, resolver) = rebinding_rig().await;
    let sender = save_sender(&rig, &resolver).await;

    // At send time the name is looked up again: the allowed address first, the refused one if asked again.
    resolver.arm();
    rig.book(rig.event, "bea@example.test").await;
    let batch = rig.run().await;
    assert_eq!(batch.len(), 2);
    for p in &batch {
        assert_eq!(p.settlement, sent_by(&format!("sender:{sender}")), "{p:?}");
    }
    assert_eq!(
        resolver.lookups(),
        2,
        "one lookup for the send, checked and then connected to"
    );
    let arrived = checked.wait_for_messages(2, WAIT).await;
    // TLS verified the name on a connection made to the address: the certificate is for the name only.
    assert!(arrived.iter().all(|m| m.tls), "sent in clear");
    assert_eq!(
        rig.org_smtp.connections(),
        0,
        "a connection went to the rebound address"
    );
    assert!(rig.platform().messages().is_empty());
}

#[tokio::test]
async fn a_name_that_rebinds_to_a_refused_address_is_refused_at_send_and_test_time_and_never_connected() {
    let (rig, checked, resolver) = rebinding_rig().await;
    let sender = save_sender(&rig, &resolver).await;

    // Unarmed, every lookup now answers 127.0.0.1: the send refuses it and the platform takes the emails.
    book_and_expect_fallback(&rig, sender, NOT_PUBLIC, None).await;
    // The "Test connection" button checks again too.
    let tested = rig
        .app()
        .post(
            &format!("{}/{sender}/test-connection", rig.senders_path()),
            &rig.owner.key,
            json!({}),
        )
        .await;
    let tested = tested.expect_success(StatusCode::OK);
    assert_eq!(
        (&tested["success"], &tested["stage"], &tested["message"]),
        (&json!(false), &json!("DNS"), &json!(NOT_PUBLIC)),
        "{tested}"
    );
    assert_eq!(
        rig.org_smtp.connections(),
        0,
        "a connection went to the rebound address"
    );
    assert_eq!(checked.connections(), 0);
}
