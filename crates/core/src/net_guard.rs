//! Guards outgoing connections (webhook deliveries, organisation SMTP relays) against server-side request
//! forgery: a URL or host name that a user typed must not make the server talk to itself, to its private
//! network or to a cloud metadata service.
//!
//! This crate does no I/O, so host names are resolved by the caller, which asks [`check`] about every resolved
//! address and then connects to an address that passed. Connecting to the very address that was checked, rather
//! than resolving the name a second time, is what defeats DNS rebinding.
//!
//! `std::net::IpAddr::is_global` is still unstable, and it takes IPv6 forms that carry an IPv4 address at face
//! value (it calls `64:ff9b::7f00:1`, NAT64 for 127.0.0.1, global). The table here follows the IANA IPv4 and
//! IPv6 Special-Purpose Address Registries (RFC 6890, RFC 8190) and the RFCs cited beside each range, and looks
//! through every IPv6 form that embeds an IPv4 address.

use crate::FieldError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// What kind of address an IP address is, as far as deciding whether to connect to it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Globally reachable unicast.
    Public,
    /// 0.0.0.0/8 ("this network", RFC 1122 §3.2.1.3) and `::` (RFC 4291 §2.5.2); Linux and macOS deliver a
    /// connection to 0.0.0.0 or `::` to the local host.
    Unspecified,
    /// 127.0.0.0/8 (RFC 1122 §3.2.1.3) and `::1` (RFC 4291 §2.5.3).
    Loopback,
    /// RFC 1918 networks and deprecated IPv6 site-local fec0::/10 (RFC 3879), and the NAT64 local-use prefix.
    Private,
    /// 100.64.0.0/10, carrier-grade NAT space (RFC 6598).
    SharedCgnat,
    /// 169.254.0.0/16 (RFC 3927) and fe80::/10 (RFC 4291 §2.5.6).
    LinkLocal,
    /// An instance metadata endpoint of a cloud provider, which hands out credentials to whoever asks.
    CloudMetadata,
    /// fc00::/7 (RFC 4193).
    UniqueLocal,
    /// 224.0.0.0/4 (RFC 5771) and ff00::/8 (RFC 4291 §2.7).
    Multicast,
    /// 255.255.255.255, the limited broadcast address (RFC 919, RFC 8190).
    Broadcast,
    /// Ranges set aside for examples in documentation: RFC 5737, RFC 3849, RFC 9637.
    Documentation,
    /// Ranges set aside for benchmarking labs: RFC 2544, RFC 5180.
    Benchmarking,
    /// Reserved for protocol use, deprecated, or not allocated for unicast at all.
    Reserved,
}

impl AddressClass {
    /// The class in words, to complete "… is": e.g. "a loopback address".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Public => "a public address",
            Self::Unspecified => "an unspecified (\"this network\") address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private network address",
            Self::SharedCgnat => "a carrier-grade NAT shared address",
            Self::LinkLocal => "a link-local address",
            Self::CloudMetadata => "a cloud metadata service address",
            Self::UniqueLocal => "a unique local address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Documentation => "an address reserved for documentation",
            Self::Benchmarking => "an address reserved for benchmarking",
            Self::Reserved => "a reserved address",
        }
    }

    /// Whether no policy lets a connection through: these are never a legitimate webhook or relay target, even
    /// on a self-hosted network.
    fn always_refused(self) -> bool {
        matches!(
            self,
            Self::Unspecified
                | Self::CloudMetadata
                | Self::Multicast
                | Self::Broadcast
                | Self::Reserved
                | Self::Documentation
        )
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Classifies an address, looking through IPv6 forms that embed an IPv4 address: IPv4-mapped `::ffff:0:0/96`
/// (RFC 4291 §2.5.5.2), IPv4-compatible `::/96` (deprecated, RFC 4291 §2.5.5.1), NAT64 `64:ff9b::/96`
/// (RFC 6052) and `64:ff9b:1::/48` (RFC 8215), 6to4 `2002::/16` (RFC 3056) and Teredo `2001::/32` (RFC 4380).
/// An embedded IPv4 address that is not public gives the whole address its class.
///
/// Limits: a NAT64 network-specific prefix (RFC 6052 §2.3) is an ordinary global prefix and cannot be recognised
/// from the address alone; for the local-use prefix only the common /96 layout is looked through.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Whether the address is globally reachable unicast, i.e. [`classify`] says [`AddressClass::Public`].
pub fn is_public(ip: IpAddr) -> bool {
    classify(ip) == AddressClass::Public
}

/// Which non-public addresses an outgoing connection may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivatePolicy {
    /// Only [`AddressClass::Public`] addresses: the default for anything a user configures.
    PublicOnly,
    /// Also loopback, private, shared, link-local, unique local and benchmarking addresses: an instance admin's
    /// opt-in for self-hosted webhook receivers and SMTP relays on the local network.
    AllowPrivate,
}

/// Ok when the address may be connected to under `policy`.
///
/// Always refused, whatever the policy: unspecified, cloud metadata, multicast, broadcast, reserved and
/// documentation addresses. [`PrivatePolicy::AllowPrivate`] additionally allows loopback, private, shared
/// (CGNAT), link-local, unique local and benchmarking addresses.
pub fn check(ip: IpAddr, policy: PrivatePolicy) -> Result<(), Blocked> {
    let class = classify(ip);
    let allowed = match class {
        AddressClass::Public => true,
        c if c.always_refused() => false,
        _ => policy == PrivatePolicy::AllowPrivate,
    };
    if allowed { Ok(()) } else { Err(Blocked { ip, class }) }
}

/// An address that [`check`] refused, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{ip} is {}", .class.describe())]
pub struct Blocked {
    pub ip: IpAddr,
    pub class: AddressClass,
}

/// Whether `addr` lies in `net/len`.
const fn in_v4(addr: u32, net: [u8; 4], len: u32) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    addr & mask == u32::from_be_bytes(net) & mask
}

/// Whether `addr` lies in `net/len`.
const fn in_v6(addr: u128, net: u128, len: u32) -> bool {
    let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
    addr & mask == net & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    let a = u32::from(ip);
    // Single metadata addresses first: each sits inside a wider range that a policy may allow.
    const METADATA: [[u8; 4]; 5] = [
        // AWS, Azure, GCP, OpenStack and most others (link-local, RFC 3927).
        [169, 254, 169, 254],
        // AWS ECS task metadata and credentials endpoint.
        [169, 254, 170, 2],
        // Alibaba Cloud, inside shared address space 100.64.0.0/10.
        [100, 100, 100, 200],
        // Oracle Cloud, inside IETF protocol assignments 192.0.0.0/24.
        [192, 0, 0, 192],
        // Azure WireServer: a public-looking address that every Azure VM reaches its host platform through.
        [168, 63, 129, 16],
    ];
    if METADATA.iter().any(|m| a == u32::from_be_bytes(*m)) {
        return CloudMetadata;
    }
    if ip.is_broadcast() {
        return Broadcast; // 255.255.255.255, before 240.0.0.0/4 which contains it
    }
    let ranges: [([u8; 4], u32, AddressClass); 17] = [
        ([0, 0, 0, 0], 8, Unspecified),     // RFC 1122 §3.2.1.3, RFC 6890
        ([10, 0, 0, 0], 8, Private),        // RFC 1918
        ([100, 64, 0, 0], 10, SharedCgnat), // RFC 6598
        ([127, 0, 0, 0], 8, Loopback),      // RFC 1122 §3.2.1.3
        ([169, 254, 0, 0], 16, LinkLocal),  // RFC 3927
        ([172, 16, 0, 0], 12, Private),     // RFC 1918
        // 192.0.0.9 (PCP anycast, RFC 7723) and 192.0.0.10 (TURN anycast, RFC 8155) are the registry's
        // globally reachable exceptions in 192.0.0.0/24.
        ([192, 0, 0, 9], 32, Public),
        ([192, 0, 0, 10], 32, Public),
        ([192, 0, 0, 0], 24, Reserved),         // IETF protocol assignments, RFC 6890
        ([192, 0, 2, 0], 24, Documentation),    // TEST-NET-1, RFC 5737
        ([192, 88, 99, 0], 24, Reserved),       // 6to4 relay anycast, deprecated by RFC 7526
        ([192, 168, 0, 0], 16, Private),        // RFC 1918
        ([198, 18, 0, 0], 15, Benchmarking),    // RFC 2544
        ([198, 51, 100, 0], 24, Documentation), // TEST-NET-2, RFC 5737
        ([203, 0, 113, 0], 24, Documentation),  // TEST-NET-3, RFC 5737
        ([224, 0, 0, 0], 4, Multicast),         // RFC 5771
        ([240, 0, 0, 0], 4, Reserved),          // RFC 1112 §4
    ];
    ranges
        .iter()
        .find(|(net, len, _)| in_v4(a, *net, *len))
        .map_or(Public, |(_, _, class)| *class)
}

/// The class of an IPv6 address that carries `embedded` when that IPv4 address is not public, else `otherwise`.
fn through(embedded: u32, otherwise: AddressClass) -> AddressClass {
    match classify_v4(Ipv4Addr::from(embedded)) {
        AddressClass::Public => otherwise,
        class => class,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    let a = u128::from(ip);
    let low32 = a as u32; // truncation intended: the last 32 bits are where most forms put the IPv4 address

    if a == 0 {
        return Unspecified; // RFC 4291 §2.5.2
    }
    if a == 1 {
        return Loopback; // RFC 4291 §2.5.3
    }
    // IPv4-mapped ::ffff:0:0/96 (RFC 4291 §2.5.5.2): a socket connects to the IPv4 address itself.
    if in_v6(a, 0xffff_0000_0000, 96) {
        return classify_v4(Ipv4Addr::from(low32));
    }
    // IPv4-compatible ::/96 (RFC 4291 §2.5.5.1), deprecated and unrouted; `::` and `::1` are handled above.
    if in_v6(a, 0, 96) {
        return through(low32, Reserved);
    }
    // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052 §2.1): the translator forwards to the embedded address.
    if in_v6(a, 0x0064_ff9b << 96, 96) {
        return classify_v4(Ipv4Addr::from(low32));
    }
    // NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215): translation stays inside the operator's network.
    if in_v6(a, 0x0064_ff9b_0001 << 80, 48) {
        return through(low32, Private);
    }
    // 6to4 2002::/16 (RFC 3056 §2): packets are tunnelled to the IPv4 address in bits 16..48 (V4ADDR).
    if in_v6(a, 0x2002 << 112, 16) {
        return through((a >> 80) as u32, Public);
    }
    // Teredo 2001::/32 (RFC 4380 §4): server IPv4 in bits 32..64, client IPv4 in the last 32 bits, inverted.
    if in_v6(a, 0x2001 << 112, 32) {
        return match through(!low32, Public) {
            Public => through((a >> 64) as u32, Public),
            class => class,
        };
    }
    let ranges: [(u128, u32, AddressClass); 16] = [
        // Inside IETF protocol assignments 2001::/23 (RFC 2928): the registry's globally reachable anycast
        // services are public; ORCHIDv2 (RFC 7343) and DET (RFC 9374) prefixes hold identifiers, not locators.
        (0x2001_0001 << 96 | 1, 128, Public),   // PCP anycast, RFC 7723
        (0x2001_0001 << 96 | 2, 128, Public),   // TURN anycast, RFC 8155
        (0x2001_0001 << 96 | 3, 128, Public),   // DNS-SD SRP anycast, RFC 9665
        (0x2001_0002 << 96, 48, Benchmarking),  // RFC 5180
        (0x2001_0003 << 96, 32, Public),        // AMT, RFC 7450
        (0x2001_0004_0112 << 80, 48, Public),   // AS112-v6, RFC 7535
        (0x2001 << 112, 23, Reserved),          // RFC 2928
        (0x2001_0db8 << 96, 32, Documentation), // RFC 3849
        (0x3fff << 112, 20, Documentation),     // RFC 9637
        (0x0100 << 112, 64, Reserved),          // discard-only, RFC 6666
        // AWS instance metadata over IPv6, inside fc00::/7.
        (0xfd00_0ec2 << 96 | 0x254, 128, CloudMetadata),
        (0xfc00 << 112, 7, UniqueLocal), // RFC 4193
        (0xfe80 << 112, 10, LinkLocal),  // RFC 4291 §2.5.6
        (0xfec0 << 112, 10, Private),    // site-local, deprecated by RFC 3879
        (0xff00 << 112, 8, Multicast),   // RFC 4291 §2.7
        // Global unicast is 2000::/3 (RFC 4291 §2.4; IANA IPv6 Address Space); the rest of the space, ::/8
        // included, is reserved by the IETF and not routed.
        (0x2000 << 112, 3, Public),
    ];
    ranges
        .iter()
        .find(|(net, len, _)| in_v6(a, *net, *len))
        .map_or(Reserved, |(_, _, class)| *class)
}

/// An http(s) URL whose host may be resolved and checked later.
///
/// Parsing follows the WHATWG URL standard, as browsers do, so `http://0x7f.1/` and `http://2130706433/` come
/// out with the host 127.0.0.1 and are refused as such. A host name that passes still has to be resolved, and
/// every address it resolves to must pass [`check`] before anything connects to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    url: Url,
}

impl HttpUrl {
    /// Parses a URL to deliver to, rejecting (with a [`FieldError`] naming `field`): anything unparseable or
    /// relative; a scheme other than http or https; a user name or password; a missing host; an IP-literal host
    /// that [`check`] refuses under `policy`; the host names `localhost` and `*.localhost` (RFC 6761 §6.3)
    /// unless `policy` is [`PrivatePolicy::AllowPrivate`]; and the metadata host names `metadata.google.internal`
    /// and `metadata` under any policy.
    pub fn parse(field: &str, raw: &str, policy: PrivatePolicy) -> Result<HttpUrl, FieldError> {
        let url = Url::parse(raw).map_err(|e| FieldError::new(field, format!("must be an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FieldError::new(field, "must use http or https"));
        }
        // Credentials in a stored URL leak through logs and listings, and `user@` hides the real host from people.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FieldError::new(field, "must not contain a user name or password"));
        }
        let ip = match url.host() {
            None => return Err(FieldError::new(field, "must have a host")),
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(Host::Domain(name)) => {
                check_host_name(field, name, policy)?;
                None
            }
        };
        if let Some(ip) = ip {
            check(ip, policy)
                .map_err(|b| FieldError::new(field, format!("must not point to {}, which is {}", b.ip, b.class)))?;
        }
        Ok(HttpUrl { url })
    }

    /// The URL, normalised as WHATWG parsing leaves it.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The parsed URL, for an HTTP client.
    pub fn as_url(&self) -> &Url {
        &self.url
    }

    /// The host: a domain name (lower-cased, IDNA-encoded) or an IP address.
    pub fn host(&self) -> Host<&str> {
        // `parse` refused URLs without a host, so the fallback is never taken.
        self.url.host().unwrap_or(Host::Domain(""))
    }

    /// The port, or the scheme's default (80 for http, 443 for https) when the URL names none.
    pub fn port(&self) -> u16 {
        match self.url.port() {
            Some(port) => port,
            None if self.url.scheme() == "https" => 443,
            None => 80,
        }
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Refuses host names that name this machine or a metadata service without needing DNS to say so.
fn check_host_name(field: &str, name: &str, policy: PrivatePolicy) -> Result<(), FieldError> {
    // The url crate has lower-cased and IDNA-mapped the name; a trailing dot only marks it fully qualified.
    let name = name.trim_end_matches('.');
    // GCP's metadata server; `metadata` alone resolves to it through the instance's search domain.
    if name == "metadata.google.internal" || name == "metadata" {
        return Err(FieldError::new(field, "must not point to a cloud metadata service"));
    }
    // RFC 6761 §6.3: resolvers should answer these with loopback addresses, without asking DNS.
    let is_localhost = name == "localhost" || name.ends_with(".localhost");
    if is_localhost && policy == PrivatePolicy::PublicOnly {
        return Err(FieldError::new(field, "must not point to localhost"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::AddressClass::*;
    use super::*;
    use proptest::prelude::*;

    fn class(s: &str) -> AddressClass {
        classify(s.parse().expect("test addresses are valid"))
    }

    /// Asserts the class of each address, naming the address on failure.
    fn assert_classes(cases: &[(&str, AddressClass)]) {
        for (addr, expected) in cases {
            assert_eq!(class(addr), *expected, "{addr}");
        }
    }

    fn teredo(server: Ipv4Addr, client: Ipv4Addr) -> Ipv6Addr {
        // Flags 0x8000 (cone) and an obfuscated port, as in RFC 4380 §4; they do not affect the class.
        let bits = 0x2001_u128 << 112
            | u128::from(u32::from(server)) << 64
            | 0x8000_u128 << 48
            | 0x63bf_u128 << 32
            | u128::from(!u32::from(client));
        Ipv6Addr::from(bits)
    }

    fn nat64(v4: Ipv4Addr) -> Ipv6Addr {
        Ipv6Addr::from(0x0064_ff9b_u128 << 96 | u128::from(u32::from(v4)))
    }

    fn six_to_four(v4: Ipv4Addr) -> Ipv6Addr {
        Ipv6Addr::from(0x2002_u128 << 112 | u128::from(u32::from(v4)) << 80 | 1)
    }

    #[test]
    fn well_known_public_addresses_are_public() {
        assert_classes(&[
            ("8.8.8.8", Public),
            ("1.1.1.1", Public),
            ("9.9.9.9", Public),
            ("2606:4700:4700::1111", Public),
            ("2001:4860:4860::8888", Public),
            ("2a00:1450:4001:80b::200e", Public),
        ]);
    }

    #[test]
    fn ipv4_this_network_range_is_unspecified() {
        assert_classes(&[
            ("0.0.0.0", Unspecified),
            ("0.255.255.255", Unspecified),
            ("1.0.0.0", Public),
        ]);
    }

    #[test]
    fn ipv4_rfc1918_ranges_are_private_on_both_edges() {
        assert_classes(&[
            ("9.255.255.255", Public),
            ("10.0.0.0", Private),
            ("10.255.255.255", Private),
            ("11.0.0.0", Public),
            ("172.15.255.255", Public),
            ("172.16.0.0", Private),
            ("172.31.255.255", Private),
            ("172.32.0.0", Public),
            ("192.167.255.255", Public),
            ("192.168.0.0", Private),
            ("192.168.255.255", Private),
            ("192.169.0.0", Public),
        ]);
    }

    #[test]
    fn ipv4_shared_cgnat_range_holds_the_alibaba_metadata_address() {
        assert_classes(&[
            ("100.63.255.255", Public),
            ("100.64.0.0", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("100.128.0.0", Public),
            ("100.100.100.199", SharedCgnat),
            ("100.100.100.200", CloudMetadata),
            ("100.100.100.201", SharedCgnat),
        ]);
    }

    #[test]
    fn ipv4_loopback_is_the_whole_of_127_slash_8() {
        assert_classes(&[
            ("126.255.255.255", Public),
            ("127.0.0.0", Loopback),
            ("127.0.0.1", Loopback),
            ("127.255.255.255", Loopback),
            ("128.0.0.0", Public),
        ]);
    }

    #[test]
    fn ipv4_link_local_range_holds_the_aws_metadata_addresses() {
        assert_classes(&[
            ("169.253.255.255", Public),
            ("169.254.0.0", LinkLocal),
            ("169.254.255.255", LinkLocal),
            ("169.255.0.0", Public),
            ("169.254.169.253", LinkLocal),
            ("169.254.169.254", CloudMetadata),
            ("169.254.169.255", LinkLocal),
            ("169.254.170.1", LinkLocal),
            ("169.254.170.2", CloudMetadata),
            ("169.254.170.3", LinkLocal),
        ]);
    }

    #[test]
    fn ipv4_ietf_protocol_assignments_are_reserved_except_the_global_anycast_ones() {
        assert_classes(&[
            ("191.255.255.255", Public),
            ("192.0.0.0", Reserved),
            ("192.0.0.8", Reserved),
            ("192.0.0.9", Public),
            ("192.0.0.10", Public),
            ("192.0.0.11", Reserved),
            ("192.0.0.170", Reserved),
            ("192.0.0.191", Reserved),
            ("192.0.0.192", CloudMetadata),
            ("192.0.0.193", Reserved),
            ("192.0.0.255", Reserved),
            ("192.0.1.0", Public),
        ]);
    }

    #[test]
    fn ipv4_documentation_ranges_are_documentation_on_both_edges() {
        assert_classes(&[
            ("192.0.1.255", Public),
            ("192.0.2.0", Documentation),
            ("192.0.2.255", Documentation),
            ("192.0.3.0", Public),
            ("198.51.99.255", Public),
            ("198.51.100.0", Documentation),
            ("198.51.100.255", Documentation),
            ("198.51.101.0", Public),
            ("203.0.112.255", Public),
            ("203.0.113.0", Documentation),
            ("203.0.113.255", Documentation),
            ("203.0.114.0", Public),
        ]);
    }

    #[test]
    fn ipv4_deprecated_6to4_relay_anycast_is_reserved() {
        assert_classes(&[
            ("192.88.98.255", Public),
            ("192.88.99.0", Reserved),
            ("192.88.99.255", Reserved),
            ("192.88.100.0", Public),
        ]);
    }

    #[test]
    fn ipv4_benchmarking_range_is_198_18_slash_15() {
        assert_classes(&[
            ("198.17.255.255", Public),
            ("198.18.0.0", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("198.20.0.0", Public),
        ]);
    }

    #[test]
    fn ipv4_multicast_reserved_and_broadcast_fill_the_top_of_the_space() {
        assert_classes(&[
            ("223.255.255.255", Public),
            ("224.0.0.0", Multicast),
            ("239.255.255.255", Multicast),
            ("240.0.0.0", Reserved),
            ("255.255.255.254", Reserved),
            ("255.255.255.255", Broadcast),
        ]);
    }

    #[test]
    fn azure_wireserver_is_cloud_metadata_but_its_neighbours_are_public() {
        assert_classes(&[
            ("168.63.129.15", Public),
            ("168.63.129.16", CloudMetadata),
            ("168.63.129.17", Public),
        ]);
    }

    #[test]
    fn ipv6_unspecified_and_loopback_are_single_addresses() {
        assert_classes(&[("::", Unspecified), ("::1", Loopback)]);
    }

    #[test]
    fn ipv4_mapped_addresses_take_the_class_of_the_ipv4_address() {
        assert_classes(&[
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:7f00:1", Loopback),
            ("::ffff:169.254.169.254", CloudMetadata),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:0.0.0.0", Unspecified),
            ("::ffff:255.255.255.255", Broadcast),
            ("::ffff:8.8.8.8", Public),
        ]);
    }

    #[test]
    fn ipv4_compatible_addresses_are_reserved_unless_the_ipv4_address_says_worse() {
        assert_classes(&[
            ("::127.0.0.1", Loopback),
            ("::169.254.169.254", CloudMetadata),
            ("::0.0.0.2", Unspecified),
            ("::8.8.8.8", Reserved),
            // Just outside ::/96 and not IPv4-mapped: the rest of ::/8 is unallocated.
            ("::1:0:0:1", Reserved),
            ("::fffe:808:808", Reserved),
        ]);
    }

    #[test]
    fn nat64_well_known_prefix_takes_the_class_of_the_ipv4_address() {
        assert_classes(&[
            ("64:ff9b::10.0.0.1", Private),
            ("64:ff9b::127.0.0.1", Loopback),
            ("64:ff9b::169.254.169.254", CloudMetadata),
            ("64:ff9b::8.8.8.8", Public),
            // Outside the /96 on either side.
            ("64:ff9a:ffff:ffff:ffff:ffff:808:808", Reserved),
            ("64:ff9b::1:0:808:808", Reserved),
        ]);
    }

    #[test]
    fn nat64_local_use_prefix_is_private_unless_the_ipv4_address_says_worse() {
        assert_classes(&[
            ("64:ff9b:1::8.8.8.8", Private),
            ("64:ff9b:1:ffff:ffff:ffff:808:808", Private),
            ("64:ff9b:1::127.0.0.1", Loopback),
            ("64:ff9b:1::169.254.169.254", CloudMetadata),
            ("64:ff9b:0:ffff::808:808", Reserved),
            ("64:ff9b:2::808:808", Reserved),
        ]);
    }

    #[test]
    fn six_to_four_addresses_take_the_class_of_the_embedded_ipv4_address() {
        assert_classes(&[
            ("2002:7f00:1::", Loopback),
            ("2002:a9fe:a9fe::1", CloudMetadata),
            ("2002:c0a8:101::1", Private),
            ("2002:808:808::1", Public),
            ("2001:ffff:ffff:ffff::1", Public),
            ("2003:7f00:1::", Public),
        ]);
    }

    #[test]
    fn teredo_addresses_take_the_class_of_a_non_public_client_or_server() {
        let public_server = Ipv4Addr::new(65, 54, 227, 120);
        let cases = [
            (teredo(public_server, Ipv4Addr::LOCALHOST), Loopback),
            (teredo(public_server, Ipv4Addr::new(169, 254, 169, 254)), CloudMetadata),
            (teredo(public_server, Ipv4Addr::new(8, 8, 8, 8)), Public),
            (teredo(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(8, 8, 8, 8)), Private),
        ];
        for (addr, expected) in cases {
            assert_eq!(classify(IpAddr::V6(addr)), expected, "{addr}");
        }
        // The same thing written out: server 65.54.227.120, client !0x80fffffe = 127.0.0.1.
        assert_classes(&[("2001:0:4136:e378:8000:63bf:80ff:fffe", Loopback)]);
    }

    #[test]
    fn ipv6_ietf_protocol_assignments_are_reserved_except_global_services() {
        assert_classes(&[
            ("2001:1::", Reserved),
            ("2001:1::1", Public),
            ("2001:1::2", Public),
            ("2001:1::3", Public),
            ("2001:1::4", Reserved),
            ("2001:1:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("2001:3::1", Public),
            ("2001:4:112::1", Public),
            ("2001:4:113::1", Reserved),
            ("2001:10::1", Reserved),
            ("2001:20::1", Reserved),
            ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("2001:200::", Public),
        ]);
    }

    #[test]
    fn ipv6_benchmarking_prefix_is_2001_2_slash_48() {
        assert_classes(&[
            ("2001:1:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("2001:2::", Benchmarking),
            ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Benchmarking),
            ("2001:2:1::", Reserved),
        ]);
    }

    #[test]
    fn ipv6_documentation_prefixes_are_documentation_on_both_edges() {
        assert_classes(&[
            ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", Public),
            ("2001:db8::", Documentation),
            ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", Documentation),
            ("2001:db9::", Public),
            ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Public),
            ("3fff::", Documentation),
            ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", Documentation),
            ("3fff:1000::", Public),
        ]);
    }

    #[test]
    fn ipv6_discard_prefix_is_reserved() {
        assert_classes(&[("100::", Reserved), ("100::ffff:ffff:ffff:ffff", Reserved)]);
    }

    #[test]
    fn ipv6_unique_local_prefix_holds_the_aws_metadata_address() {
        assert_classes(&[
            ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("fc00::", UniqueLocal),
            ("fd12:3456:789a::1", UniqueLocal),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", UniqueLocal),
            ("fe00::", Reserved),
            ("fd00:ec2::253", UniqueLocal),
            ("fd00:ec2::254", CloudMetadata),
            ("fd00:ec2::255", UniqueLocal),
        ]);
    }

    #[test]
    fn ipv6_link_local_site_local_and_multicast_prefixes() {
        assert_classes(&[
            ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("fe80::", LinkLocal),
            ("fe80::1", LinkLocal),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", LinkLocal),
            ("fec0::", Private),
            ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Private),
            ("ff00::", Multicast),
            ("ff02::1", Multicast),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Multicast),
        ]);
    }

    #[test]
    fn ipv6_outside_global_unicast_2000_slash_3_is_reserved() {
        assert_classes(&[
            ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("2000::", Public),
            ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Public),
            ("4000::", Reserved),
            ("5f00::1", Reserved),
            ("e000::", Reserved),
        ]);
    }

    #[test]
    fn public_only_policy_refuses_every_non_public_class() {
        for addr in [
            "127.0.0.1",
            "10.0.0.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd00::1",
            "198.18.0.1",
        ] {
            let ip: IpAddr = addr.parse().expect("valid");
            assert!(check(ip, PrivatePolicy::PublicOnly).is_err(), "{addr}");
            assert!(check(ip, PrivatePolicy::AllowPrivate).is_ok(), "{addr}");
        }
    }

    #[test]
    fn some_classes_are_refused_even_when_private_addresses_are_allowed() {
        for addr in [
            "0.0.0.0",
            "::",
            "169.254.169.254",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "224.0.0.1",
            "ff02::1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "2001:db8::1",
        ] {
            let ip: IpAddr = addr.parse().expect("valid");
            assert!(check(ip, PrivatePolicy::AllowPrivate).is_err(), "{addr}");
        }
    }

    #[test]
    fn public_addresses_pass_under_either_policy() {
        for addr in ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::1.1.1.1"] {
            let ip: IpAddr = addr.parse().expect("valid");
            assert_eq!(check(ip, PrivatePolicy::PublicOnly), Ok(()), "{addr}");
            assert_eq!(check(ip, PrivatePolicy::AllowPrivate), Ok(()), "{addr}");
            assert!(is_public(ip));
        }
    }

    #[test]
    fn blocked_says_which_address_and_why() {
        let ip: IpAddr = "169.254.169.254".parse().expect("valid");
        let blocked = check(ip, PrivatePolicy::AllowPrivate).expect_err("metadata is refused");
        assert_eq!(
            blocked,
            Blocked {
                ip,
                class: CloudMetadata
            }
        );
        assert_eq!(
            blocked.to_string(),
            "169.254.169.254 is a cloud metadata service address"
        );
    }

    fn parse(raw: &str, policy: PrivatePolicy) -> Result<HttpUrl, FieldError> {
        HttpUrl::parse("subscriberUrl", raw, policy)
    }

    #[test]
    fn url_with_a_public_host_is_accepted_with_its_port() {
        let url = parse("https://Example.COM/hooks/cal?x=1", PrivatePolicy::PublicOnly).expect("valid");
        assert_eq!(url.as_str(), "https://example.com/hooks/cal?x=1");
        assert_eq!(url.host(), Host::Domain("example.com"));
        assert_eq!(url.port(), 443);
        assert_eq!(url.to_string(), url.as_str());

        let url = parse("http://example.com:8080/", PrivatePolicy::PublicOnly).expect("valid");
        assert_eq!(url.port(), 8080);
        assert_eq!(
            parse("http://example.com", PrivatePolicy::PublicOnly).map(|u| u.port()),
            Ok(80)
        );

        let url = parse("https://[2606:4700:4700::1111]/", PrivatePolicy::PublicOnly).expect("valid");
        assert_eq!(
            url.host(),
            Host::<&str>::Ipv6("2606:4700:4700::1111".parse().expect("valid"))
        );
    }

    #[test]
    fn url_must_be_absolute_http_or_https() {
        for bad in [
            "",
            "not a url",
            "/relative/path",
            "example.com/hook",
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://example.com/",
            "javascript:alert(1)",
            "data:text/plain,hi",
            "http://",
        ] {
            let err = parse(bad, PrivatePolicy::AllowPrivate).expect_err(bad);
            assert_eq!(err.field, "subscriberUrl", "{bad}");
        }
    }

    #[test]
    fn url_must_not_carry_credentials() {
        for bad in [
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "https://:pw@example.com/",
        ] {
            let err = parse(bad, PrivatePolicy::AllowPrivate).expect_err(bad);
            assert_eq!(err.message, "must not contain a user name or password");
        }
    }

    #[test]
    fn url_with_loopback_written_any_way_is_refused_unless_private_is_allowed() {
        for raw in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://127.0.0.1./",
            "http://%31%32%37.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
        ] {
            let err = parse(raw, PrivatePolicy::PublicOnly).expect_err(raw);
            assert!(err.message.contains("a loopback address"), "{raw}: {}", err.message);
            assert!(parse(raw, PrivatePolicy::AllowPrivate).is_ok(), "{raw}");
        }
        let url = parse("http://0x7f.1:8080/x", PrivatePolicy::AllowPrivate).expect("allowed");
        assert_eq!(url.host(), Host::<&str>::Ipv4(Ipv4Addr::LOCALHOST));
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/x");
    }

    #[test]
    fn url_pointing_at_metadata_or_nowhere_is_refused_under_any_policy() {
        for raw in [
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/",
            "http://0xa9fea9fe/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
            "http://100.100.100.200/",
            "http://0.0.0.0/",
            "http://0/",
            "http://[::]/",
            "http://224.0.0.1/",
            "http://192.0.2.10/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.Google.Internal./",
            "http://metadata/",
        ] {
            assert!(parse(raw, PrivatePolicy::AllowPrivate).is_err(), "{raw}");
        }
    }

    #[test]
    fn localhost_names_are_refused_unless_private_is_allowed() {
        for raw in [
            "http://localhost/",
            "http://LOCALHOST:3000/",
            "http://localhost./",
            "http://api.localhost/",
            "http://ｌｏｃａｌｈｏｓｔ/",
        ] {
            let err = parse(raw, PrivatePolicy::PublicOnly).expect_err(raw);
            assert_eq!(err.message, "must not point to localhost", "{raw}");
            assert!(parse(raw, PrivatePolicy::AllowPrivate).is_ok(), "{raw}");
        }
        for fine in [
            "http://localhost.example.com/",
            "http://notlocalhost.com/",
            "http://metadata.example.com/",
        ] {
            assert!(parse(fine, PrivatePolicy::PublicOnly).is_ok(), "{fine}");
        }
    }

    #[test]
    fn private_hosts_are_refused_with_the_reason() {
        let err = parse("http://10.0.0.5:2525/", PrivatePolicy::PublicOnly).expect_err("private");
        assert_eq!(err.field, "subscriberUrl");
        assert_eq!(
            err.message,
            "must not point to 10.0.0.5, which is a private network address"
        );
    }

    proptest! {
        #[test]
        fn embedded_ipv4_forms_classify_like_the_ipv4_address(bits in any::<u32>()) {
            let v4 = Ipv4Addr::from(bits);
            let expected = classify(IpAddr::V4(v4));
            prop_assert_eq!(classify(IpAddr::V6(v4.to_ipv6_mapped())), expected);
            prop_assert_eq!(classify(IpAddr::V6(nat64(v4))), expected);
            prop_assert_eq!(classify(IpAddr::V6(six_to_four(v4))), expected);
            prop_assert_eq!(classify(IpAddr::V6(teredo(Ipv4Addr::new(65, 54, 227, 120), v4))), expected);
        }

        #[test]
        fn public_only_allows_exactly_the_public_addresses(ip in any::<IpAddr>()) {
            prop_assert_eq!(check(ip, PrivatePolicy::PublicOnly).is_ok(), is_public(ip));
        }

        #[test]
        fn allowing_private_never_refuses_what_public_only_allows(ip in any::<IpAddr>()) {
            if check(ip, PrivatePolicy::PublicOnly).is_ok() {
                prop_assert!(check(ip, PrivatePolicy::AllowPrivate).is_ok());
            }
        }

        #[test]
        fn url_parsing_never_panics_and_never_admits_a_refused_ip_literal(s in any::<String>()) {
            if let Ok(url) = HttpUrl::parse("f", &s, PrivatePolicy::PublicOnly) {
                let ip = match url.host() {
                    Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
                    Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
                    Host::Domain(_) => None,
                };
                prop_assert!(ip.is_none_or(is_public));
            }
        }
    }
}
