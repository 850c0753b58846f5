//! Where an organization's SMTP server may be: public addresses only, unless the instance lists private
//! networks it allows (a self-hosted relay). Checked when a sender is saved, tested and used; the connection
//! then goes to the address that was checked.

use convene_core::net_guard::{self, PrivatePolicy};
use futures::future::BoxFuture;
use ipnet::IpNet;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The message every refusal carries (the API shows it as is).
pub const NOT_PUBLIC: &str = "SMTP host must be a public address";

/// Which addresses organization senders may reach.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    /// Private networks the instance admin allows (off by default: empty).
    pub allowed_private: Vec<IpNet>,
    /// Where host names are looked up: the operating system's resolver unless set. Tests set their own (a
    /// DNS-rebinding server, say) to prove the connection goes to the address that was checked.
    pub resolver: Option<Arc<dyn Resolve>>,
}

/// Looks up a host name's addresses.
pub trait Resolve: Send + Sync + fmt::Debug {
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>>;
}

/// Why a host is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRefused {
    /// The name did not resolve (or not in time).
    Dns(String),
    /// Some address it resolves to is not public (or not allowed).
    NotPublic,
}

impl HostPolicy {
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allowed_private.iter().any(|net| net.contains(&ip))
            || net_guard::check(ip, PrivatePolicy::PublicOnly).is_ok()
    }

    /// Resolves `host` and checks every address (a name that also points inside would let a rebinding server
    /// choose); returns the addresses to connect to.
    pub async fn resolve(&self, host: &str, port: u16, limit: Duration) -> Result<Vec<SocketAddr>, HostRefused> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::time::timeout(limit, self.lookup(bare, port))
                .await
                .map_err(|_| HostRefused::Dns(format!("{bare} did not resolve within {} s", limit.as_secs())))?
                .map_err(|e| HostRefused::Dns(format!("{bare} did not resolve: {e}")))?,
        };
        if addrs.is_empty() {
            return Err(HostRefused::Dns(format!("{bare} has no address")));
        }
        if addrs.iter().any(|a| !self.allows(a.ip())) {
            return Err(HostRefused::NotPublic);
        }
        Ok(addrs)
    }

    async fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        match &self.resolver {
            Some(resolver) => resolver.lookup(host, port).await,
            None => Ok(tokio::net::lookup_host((host, port)).await?.collect()),
        }
    }
}

/// reqwest's name resolution under a [`HostPolicy`]: every address a name resolves to is checked at every
/// connection (so a rebinding server can't slip in an inner address). A refused address fails the request with
/// `not_public`, the caller's words for it. Used by every outbound HTTP client (calendars, Twilio).
#[derive(Debug)]
pub struct GuardedResolver {
    pub policy: Arc<HostPolicy>,
    pub not_public: &'static str,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, not_public) = (self.policy.clone(), self.not_public);
        Box::pin(async move {
            let addrs = policy
                .resolve(name.as_str(), 0, Duration::from_secs(5))
                .await
                .map_err(|e| {
                    let text = match e {
                        HostRefused::Dns(why) => why,
                        HostRefused::NotPublic => not_public.to_owned(),
                    };
                    Box::new(io::Error::other(text)) as Box<dyn std::error::Error + Send + Sync>
                })?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn special_addresses_are_refused_in_every_spelling() {
        let policy = HostPolicy::default();
        for host in [
            "0.0.0.0",
            "127.0.0.1",
            "[::1]",
            "::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "fd00::1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "2001:db8::1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "localhost",
        ] {
            assert_eq!(
                policy.resolve(host, 25, Duration::from_secs(2)).await,
                Err(HostRefused::NotPublic),
                "{host}"
            );
        }
        assert!(policy.resolve("8.8.8.8", 25, Duration::from_secs(1)).await.is_ok());
        assert!(matches!(
            policy.resolve("no-such-host.invalid", 25, Duration::from_secs(2)).await,
            Err(HostRefused::Dns(_))
        ));
    }

    #[tokio::test]
    async fn listed_private_networks_are_allowed_and_nothing_else() {
        let policy = HostPolicy {
            allowed_private: vec!["127.0.0.0/8".parse().expect("net"), "::1/128".parse().expect("net")],
            ..HostPolicy::default()
        };
        assert!(policy.resolve("127.0.0.1", 25, Duration::from_secs(1)).await.is_ok());
        assert!(
            policy
                .resolve("::ffff:127.0.0.1", 25, Duration::from_secs(1))
                .await
                .is_ok()
        );
        assert!(policy.resolve("::1", 25, Duration::from_secs(1)).await.is_ok());
        assert_eq!(
            policy.resolve("10.0.0.1", 25, Duration::from_secs(1)).await,
            Err(HostRefused::NotPublic)
        );
    }
}
