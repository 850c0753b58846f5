//! Who is asking: the client's address, as the socket sees it or, behind proxies the operator trusts, as the
//! nearest untrusted hop of `X-Forwarded-For` says.

use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The address a limit counts against. IPv6 clients are counted per /64, since one subscriber usually holds a
/// whole /64 and could otherwise take a fresh allowance per address; IPv4-mapped IPv6 counts as its IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(IpAddr);

impl ClientAddress {
    pub fn new(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & (u128::MAX << 64);
                    Self(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }

    pub fn ip(&self) -> IpAddr {
        self.0
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => v4.fmt(f),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed (none by default: anyone can write that header).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy, in which case `X-Forwarded-For`
    /// (every header value, in order) is read from the right, skipping trusted proxies, and the first address
    /// that is not one is the client. An entry that is not an address stops the walk at the hop that wrote it.
    pub fn client<'a>(&self, peer: SocketAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> ClientAddress {
        let mut hop = peer.ip();
        if !self.trusts(hop) {
            return ClientAddress::new(hop);
        }
        let entries: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).collect();
        for entry in entries.iter().rev() {
            let Some(ip) = parse_entry(entry) else {
                break;
            };
            hop = ip;
            if !self.trusts(hop) {
                break;
            }
        }
        ClientAddress::new(hop)
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[2001:db8::1]:5`).
fn parse_entry(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| raw.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("ip"), 40_000)
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().expect("net")).collect())
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(peer("198.51.100.7"), ["203.0.113.1"]).to_string(),
            "198.51.100.7"
        );
    }

    #[test]
    fn a_trusted_proxy_hands_over_to_the_nearest_untrusted_hop() {
        let p = proxies(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The client wrote a fake entry first; our proxies appended the real hops after it.
        let header = ["6.6.6.6, 203.0.113.9", "10.1.2.3"];
        assert_eq!(p.client(peer("127.0.0.1"), header).to_string(), "203.0.113.9");
        // Not from a trusted peer: the header means nothing.
        assert_eq!(p.client(peer("192.0.2.1"), header).to_string(), "192.0.2.1");
        // Every hop trusted: the leftmost one is the client.
        assert_eq!(p.client(peer("127.0.0.1"), ["10.0.0.5"]).to_string(), "10.0.0.5");
        // No header: the proxy itself.
        assert_eq!(p.client(peer("127.0.0.1"), []).to_string(), "127.0.0.1");
        // Garbage stops the walk at the hop that wrote it.
        assert_eq!(
            p.client(peer("127.0.0.1"), ["nonsense, 10.0.0.9"]).to_string(),
            "10.0.0.9"
        );
        // Ports and brackets are understood.
        assert_eq!(
            p.client(peer("127.0.0.1"), ["198.51.100.2:443"]).to_string(),
            "198.51.100.2"
        );
        assert_eq!(
            p.client(peer("127.0.0.1"), ["[2001:db8::1]:443"]).to_string(),
            "2001:db8::/64"
        );
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let a = ClientAddress::new("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = ClientAddress::new("2001:db8:1:2:bbbb::2".parse().expect("ip"));
        let c = ClientAddress::new("2001:db8:1:3::1".parse().expect("ip"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            ClientAddress::new("::ffff:192.0.2.5".parse().expect("ip")).to_string(),
            "192.0.2.5"
        );
        assert!(proxies(&["192.0.2.0/24"]).trusts("::ffff:192.0.2.5".parse().expect("ip")));
    }
}
