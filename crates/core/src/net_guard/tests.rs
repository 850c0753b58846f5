//! The rule table's tests: every special range in its spellings (IPv4, IPv6, embedded forms), each policy, and
//! the properties that hold for any address.

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
