//! Where a delivery may connect: the subscriber's host resolved here, and every address checked against the
//! instance policy, so the request goes to an address that passed (no DNS rebinding between check and use).

use convene_core::net_guard::{self, HttpUrl, PrivatePolicy};
use std::net::{IpAddr, SocketAddr};
use url::Host;

/// Addresses a delivery may connect to, all checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host name to pin to `addrs`; `None` when the URL names an IP address.
    pub domain: Option<String>,
    pub addrs: Vec<SocketAddr>,
}

/// Why a delivery has nowhere to go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Permanent under the current policy: no request is made, and retrying would not help.
    #[error("blocked: {0}")]
    Blocked(String),
    /// Possibly transient (DNS down, name not yet published).
    #[error("could not resolve {host}: {reason}")]
    Unresolved { host: String, reason: String },
}

/// Parses the stored URL again under today's policy (it may have changed since the webhook was saved), then
/// resolves and checks its host.
pub async fn resolve(raw_url: &str, policy: PrivatePolicy) -> Result<(HttpUrl, Target), TargetError> {
    let url = HttpUrl::parse("subscriberUrl", raw_url, policy).map_err(|e| TargetError::Blocked(e.message))?;
    let port = url.port();
    let target = match url.host() {
        Host::Ipv4(ip) => checked(None, vec![SocketAddr::new(IpAddr::V4(ip), port)], policy)?,
        Host::Ipv6(ip) => checked(None, vec![SocketAddr::new(IpAddr::V6(ip), port)], policy)?,
        Host::Domain(name) => {
            let found = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| TargetError::Unresolved {
                    host: name.to_owned(),
                    reason: e.to_string(),
                })?
                .collect();
            checked(Some(name.to_owned()), found, policy)?
        }
    };
    Ok((url, target))
}

/// Accepts the addresses only if every one passes: a name with one public and one private address could be
/// steered to the private one, so it is refused whole.
fn checked(domain: Option<String>, addrs: Vec<SocketAddr>, policy: PrivatePolicy) -> Result<Target, TargetError> {
    let named = || domain.clone().unwrap_or_default();
    if addrs.is_empty() {
        return Err(TargetError::Unresolved {
            host: named(),
            reason: "no addresses".into(),
        });
    }
    for addr in &addrs {
        net_guard::check(addr.ip(), policy).map_err(|blocked| match &domain {
            Some(name) => {
                TargetError::Blocked(format!("{name} resolves to {}, which is {}", blocked.ip, blocked.class))
            }
            None => TargetError::Blocked(blocked.to_string()),
        })?;
    }
    Ok(Target { domain, addrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(ips: &[&str]) -> Vec<SocketAddr> {
        ips.iter()
            .map(|ip| SocketAddr::new(ip.parse().expect("test address"), 443))
            .collect()
    }

    #[test]
    fn a_name_is_refused_when_any_of_its_addresses_is_refused() {
        let err = checked(
            Some("hooks.test".into()),
            addrs(&["93.184.215.14", "10.0.0.7"]),
            PrivatePolicy::PublicOnly,
        )
        .expect_err("one private address taints the name");
        assert_eq!(
            err,
            TargetError::Blocked("hooks.test resolves to 10.0.0.7, which is a private network address".into())
        );
    }

    #[test]
    fn metadata_addresses_are_refused_even_when_private_targets_are_allowed() {
        for ip in ["169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254"] {
            let err = checked(Some("evil.test".into()), addrs(&[ip]), PrivatePolicy::AllowPrivate);
            assert!(matches!(err, Err(TargetError::Blocked(_))), "{ip}: {err:?}");
        }
    }

    #[test]
    fn private_addresses_pass_only_when_allowed() {
        let local = addrs(&["127.0.0.1", "192.168.1.20"]);
        assert!(checked(None, local.clone(), PrivatePolicy::PublicOnly).is_err());
        let target =
            checked(Some("intranet.test".into()), local.clone(), PrivatePolicy::AllowPrivate).expect("allowed");
        assert_eq!(target.addrs, local, "connect to exactly the checked addresses");
    }

    #[test]
    fn no_addresses_is_a_resolution_failure_not_a_block() {
        let err = checked(Some("gone.test".into()), Vec::new(), PrivatePolicy::PublicOnly);
        assert!(matches!(err, Err(TargetError::Unresolved { .. })), "{err:?}");
    }

    #[tokio::test]
    async fn a_host_name_is_resolved_and_its_addresses_checked() {
        // `localhost` is allowed by name under AllowPrivate, so only the resolved addresses are left to decide;
        // under PublicOnly the name itself is refused before any lookup.
        let (_, target) = resolve("http://localhost:9/hook", PrivatePolicy::AllowPrivate)
            .await
            .expect("allowed");
        assert_eq!(target.domain.as_deref(), Some("localhost"));
        assert!(
            target.addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9),
            "{target:?}"
        );
        let refused = resolve("http://localhost:9/hook", PrivatePolicy::PublicOnly).await;
        assert!(matches!(refused, Err(TargetError::Blocked(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn ip_literals_and_non_http_schemes_are_checked_without_dns() {
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "ftp://93.184.215.14/",
            "http://[::1]/",
        ] {
            let refused = resolve(url, PrivatePolicy::PublicOnly).await;
            assert!(matches!(refused, Err(TargetError::Blocked(_))), "{url}: {refused:?}");
        }
    }
}
