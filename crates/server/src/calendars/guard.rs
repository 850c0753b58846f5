//! Outbound HTTP for calendars under the instance's address rules: the same [`HostPolicy`] SMTP hosts obey
//! (public addresses only, plus the private networks the admin listed). Names are checked where they are resolved
//! (every address, at every connection, so a rebinding server can't slip in an inner address), IP literals by the
//! URL policy before any request; redirects are followed by the calendar crate, each hop checked again.

use crate::email::host_guard::{GuardedResolver, HostPolicy, HostRefused};
use convene_calendar::Http;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

/// The time a name lookup may take.
const DNS_LIMIT: Duration = Duration::from_secs(5);

/// The message a refused address carries.
pub const NOT_PUBLIC: &str = "calendar address must be a public address";

/// Whether `url`'s host may be reached, for a host written as an address (names are checked on resolution).
pub fn check_literal(policy: &HostPolicy, url: &Url) -> Result<(), String> {
    let ip: Option<IpAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => Some(ip.into()),
        Some(Host::Ipv6(ip)) => Some(ip.into()),
        _ => None,
    };
    match ip {
        Some(ip) if !policy.allows(ip) => Err(NOT_PUBLIC.to_owned()),
        _ => Ok(()),
    }
}

/// Resolves and checks `url`'s host now, to refuse a bad address when it is saved rather than on first use.
pub async fn check_now(policy: &HostPolicy, url: &Url) -> Result<(), String> {
    check_literal(policy, url)?;
    let host = url.host_str().ok_or_else(|| "the address has no host".to_owned())?;
    let port = url.port_or_known_default().unwrap_or(443);
    policy
        .resolve(host, port, DNS_LIMIT)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            HostRefused::Dns(why) => why,
            HostRefused::NotPublic => NOT_PUBLIC.to_owned(),
        })
}

/// The calendar crate's HTTP side: no proxy, no redirects of its own, guarded resolution, `timeout` per request.
pub fn http(policy: &Arc<HostPolicy>, timeout: Duration) -> Http {
    let built = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver {
            policy: policy.clone(),
            not_public: NOT_PUBLIC,
        }))
        .connect_timeout(timeout)
        .user_agent(concat!("convene-calendars/", env!("CARGO_PKG_VERSION")))
        .build();
    match built {
        Ok(client) => {
            let rules = policy.clone();
            Http::new(client, timeout).with_url_policy(move |url| check_literal(&rules, url))
        }
        // Fail closed: without the guarded client nothing may be fetched.
        Err(e) => {
            tracing::error!(error = %e, "could not build the calendar HTTP client");
            Http::new(reqwest::Client::new(), timeout)
                .with_url_policy(|_| Err("the calendar HTTP client is unavailable".to_owned()))
        }
    }
}
