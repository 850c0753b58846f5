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
    let a = u32::from(ip);
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
        let url = Url::parse(raw)
            .map_err(|e| FieldError::coded(field, "refusal-http-address", format!("must be an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FieldError::coded(
                field,
                "refusal-http-address",
                "must use http or https",
            ));
        }
        // Credentials in a stored URL leak through logs and listings, and `user@` hides the real host from people.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FieldError::coded(
                field,
                "refusal-url-credentials",
                "must not contain a user name or password",
            ));
        }
        let ip = match url.host() {
            None => return Err(FieldError::coded(field, "refusal-url-host", "must have a host")),
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(Host::Domain(name)) => {
                check_host_name(field, name, policy)?;
                None
            }
        };
        if let Some(ip) = ip {
            check(ip, policy).map_err(|b| {
                FieldError::coded(
                    field,
                    "refusal-url-private",
                    format!("must not point to {}, which is {}", b.ip, b.class),
                )
                .arg("ip", b.ip)
            })?;
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
        return Err(FieldError::coded(
            field,
            "refusal-url-metadata",
            "must not point to a cloud metadata service",
        ));
    }
    // RFC 6761 §6.3: resolvers should answer these with loopback addresses, without asking DNS.
    let is_localhost = name == "localhost" || name.ends_with(".localhost");
    if is_localhost && policy == PrivatePolicy::PublicOnly {
        return Err(FieldError::coded(
            field,
            "refusal-url-localhost",
            "must not point to localhost",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
