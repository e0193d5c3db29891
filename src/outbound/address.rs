//! Which addresses an outgoing request may reach on its own: only public unicast ones.
//! Everything else (private networks, loopback, link-local, CGNAT, multicast,
//! documentation and reserved ranges, and IPv6 forms that embed such an IPv4 address)
//! needs the host to be listed in `outbound.allowed_hosts`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is, as far as the destination rule cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressClass {
    /// Globally routable unicast: may be reached.
    Public,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and IPv6 unique local fc00::/7.
    Private,
    /// 127/8 and ::1.
    Loopback,
    /// 169.254/16 (cloud metadata lives here) and fe80::/10.
    LinkLocal,
    /// 0.0.0.0/8 and ::.
    Unspecified,
    /// 224/4 and ff00::/8.
    Multicast,
    /// 100.64/10, carrier-grade NAT (RFC 6598).
    SharedCgnat,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24 and 2001:db8::/32.
    Documentation,
    /// Everything else set aside: 192.0.0/24, 198.18/15 benchmarking, 240/4 and
    /// 255.255.255.255, IPv6 site-local fec0::/10, discard 100::/64, Teredo, ORCHID.
    Reserved,
}

impl AddressClass {
    /// Stable name used in error details.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Private => "private",
            AddressClass::Loopback => "loopback",
            AddressClass::LinkLocal => "link_local",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Multicast => "multicast",
            AddressClass::SharedCgnat => "shared_cgnat",
            AddressClass::Documentation => "documentation",
            AddressClass::Reserved => "reserved",
        }
    }

    /// What the class is called in Chinese (`{host} 是内网地址`).
    pub fn zh(self) -> &'static str {
        match self {
            AddressClass::Public => "公网",
            AddressClass::Private => "内网（私有）",
            AddressClass::Loopback => "本机回环",
            AddressClass::LinkLocal => "链路本地",
            AddressClass::Unspecified => "未指定",
            AddressClass::Multicast => "组播",
            AddressClass::SharedCgnat => "运营商共享（CGNAT）",
            AddressClass::Documentation => "文档示例",
            AddressClass::Reserved => "保留",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressClass::Public => "public",
            AddressClass::Private => "private",
            AddressClass::Loopback => "loopback",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Multicast => "multicast",
            AddressClass::SharedCgnat => "carrier-grade NAT",
            AddressClass::Documentation => "documentation",
            AddressClass::Reserved => "reserved",
        })
    }
}

/// Classifies an address; IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`,
/// compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are classified by
/// that IPv4 address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    let table: &[([u8; 4], u32, AddressClass)] = &[
        ([0, 0, 0, 0], 8, Unspecified),
        ([10, 0, 0, 0], 8, Private),
        ([100, 64, 0, 0], 10, SharedCgnat),
        ([127, 0, 0, 0], 8, Loopback),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([172, 16, 0, 0], 12, Private),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 0, 2, 0], 24, Documentation),
        ([192, 88, 99, 0], 24, Reserved),
        ([192, 168, 0, 0], 16, Private),
        ([198, 18, 0, 0], 15, Reserved),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([224, 0, 0, 0], 4, Multicast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map_or(Public, |(_, _, class)| *class)
}

fn in_v6(ip: Ipv6Addr, net: u128, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let table: &[(u128, u32, AddressClass)] = &[
        (0, 128, Unspecified),
        (1, 128, Loopback),
        (0xff00 << 112, 8, Multicast),
        (0xfc00 << 112, 7, Private),
        (0xfe80 << 112, 10, LinkLocal),
        // Site-local, deprecated but still routed inside some networks.
        (0xfec0 << 112, 10, Reserved),
        (0x2001_0db8 << 96, 32, Documentation),
        // Discard-only 100::/64.
        (0x0100 << 112, 64, Reserved),
        // Teredo (hides an IPv4 peer), ORCHID v1 and v2.
        (0x2001 << 112, 32, Reserved),
        (0x2001_0010 << 96, 28, Reserved),
        (0x2001_0020 << 96, 28, Reserved),
    ];
    if let Some((_, _, class)) = table
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
    {
        return *class;
    }
    // Only 2000::/3 is allocated as global unicast.
    if in_v6(ip, 0x2000 << 112, 3) {
        Public
    } else {
        Reserved
    }
}

/// The IPv4 address an IPv6 address stands for, when it is one of the forms that
/// reach an IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let low = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff {
        return Some(low); // ::ffff:a.b.c.d (mapped)
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_unspecified() && !ip.is_loopback() {
        return Some(low); // ::a.b.c.d (compatible, deprecated)
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low); // NAT64 well-known prefix
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        return Some(low); // NAT64 local-use 64:ff9b:1::/48
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5])); // 6to4
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressClass::*;

    fn class(s: &str) -> AddressClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "114.114.114.114",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "2400:3200::1",
            "2001:4860:4860::8888",
        ] {
            assert_eq!(class(ip), Public, "{ip}");
        }
    }

    #[test]
    fn private_ranges_are_refused() {
        for ip in [
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "fc00::1",
            "fd12:3456::1",
        ] {
            assert_eq!(class(ip), Private, "{ip}");
        }
    }

    #[test]
    fn loopback_link_local_unspecified_multicast() {
        assert_eq!(class("127.0.0.1"), Loopback);
        assert_eq!(class("127.255.0.9"), Loopback);
        assert_eq!(class("::1"), Loopback);
        assert_eq!(class("169.254.169.254"), LinkLocal);
        assert_eq!(class("fe80::1"), LinkLocal);
        assert_eq!(class("febf::1"), LinkLocal);
        assert_eq!(class("0.0.0.0"), Unspecified);
        assert_eq!(class("0.1.2.3"), Unspecified);
        assert_eq!(class("::"), Unspecified);
        assert_eq!(class("224.0.0.1"), Multicast);
        assert_eq!(class("239.255.255.250"), Multicast);
        assert_eq!(class("ff02::1"), Multicast);
    }

    #[test]
    fn cgnat_documentation_and_reserved() {
        assert_eq!(class("100.64.0.1"), SharedCgnat);
        assert_eq!(class("100.127.255.255"), SharedCgnat);
        assert_eq!(class("192.0.2.1"), Documentation);
        assert_eq!(class("198.51.100.7"), Documentation);
        assert_eq!(class("203.0.113.9"), Documentation);
        assert_eq!(class("2001:db8::1"), Documentation);
        assert_eq!(class("192.0.0.8"), Reserved);
        assert_eq!(class("198.18.0.1"), Reserved);
        assert_eq!(class("198.19.255.255"), Reserved);
        assert_eq!(class("240.0.0.1"), Reserved);
        assert_eq!(class("255.255.255.255"), Reserved);
        assert_eq!(class("fec0::1"), Reserved);
        assert_eq!(class("100::1"), Reserved);
        assert_eq!(class("2001::1"), Reserved);
        assert_eq!(class("3fff::1"), Public);
        assert_eq!(class("4000::1"), Reserved);
    }

    #[test]
    fn ipv6_forms_of_ipv4_are_classified_by_the_ipv4_address() {
        assert_eq!(class("::ffff:127.0.0.1"), Loopback);
        assert_eq!(class("::ffff:10.0.0.1"), Private);
        assert_eq!(class("::ffff:169.254.169.254"), LinkLocal);
        assert_eq!(class("::ffff:100.64.1.1"), SharedCgnat);
        assert_eq!(class("::ffff:0.0.0.0"), Unspecified);
        assert_eq!(class("::ffff:8.8.8.8"), Public);
        assert_eq!(class("::10.0.0.1"), Private);
        assert_eq!(class("64:ff9b::a9fe:a9fe"), LinkLocal);
        assert_eq!(class("64:ff9b::808:808"), Public);
        assert_eq!(class("64:ff9b:1::c0a8:101"), Private);
        assert_eq!(class("2002:c0a8:0101::1"), Private);
        assert_eq!(class("2002:0808:0808::1"), Public);
    }
}
