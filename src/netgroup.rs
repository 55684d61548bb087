//! Address groups: which remote addresses are presumed to be under one operator's control, for the tracker's peer lists (and, later, the slot rules).
//!
//! An attacker gets many addresses in one network far more cheaply than addresses in
//! many networks, so the slot rules count connections per group rather than per
//! address. On the internet a group is an IPv4 /16 (an IPv6 /32); on loopback
//! (127.0.0.0/8), in private ranges (10/8, 172.16/12, 192.168/16, 100.64/10
//! shared address space, 169.254/16 link-local) and their IPv6 counterparts (::1,
//! fc00::/7, fe80::/10) every distinct address is its own group, so that local
//! experiments with 127.0.0.N and LAN deployments see the same rules.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The group an address belongs to (see the module documentation). Ordered, so maps
/// keyed by it iterate deterministically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetGroup {
    /// An IPv4 group: the whole address for local ranges, else its /16 prefix.
    V4(u32),
    /// An IPv6 group: the whole address for local ranges, else its /32 prefix.
    V6(u128),
}

/// True for IPv4 addresses in loopback or private ranges, where each address is a
/// group of its own.
fn v4_is_local(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        || ip.is_unspecified()
}

/// True for IPv6 loopback, unique-local (fc00::/7) and link-local (fe80::/10).
fn v6_is_local(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
}

/// The group of `ip`. An IPv4-mapped IPv6 address is grouped as its IPv4 address.
pub fn group_of(ip: IpAddr) -> NetGroup {
    match ip {
        IpAddr::V4(v4) => group_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => group_v4(v4),
            None if v6_is_local(v6) => NetGroup::V6(u128::from(v6)),
            None => NetGroup::V6(u128::from(v6) & !((1u128 << 96) - 1)),
        },
    }
}

fn group_v4(ip: Ipv4Addr) -> NetGroup {
    let n = u32::from(ip);
    if v4_is_local(ip) {
        NetGroup::V4(n)
    } else {
        NetGroup::V4(n & 0xffff_0000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> NetGroup {
        group_of(s.parse().unwrap())
    }

    #[test]
    fn local_addresses_are_groups_of_their_own() {
        assert_ne!(g("127.0.0.1"), g("127.0.0.2"));
        assert_eq!(g("127.0.0.2"), g("127.0.0.2"));
        assert_ne!(g("10.0.0.1"), g("10.0.0.2"));
        assert_ne!(g("192.168.1.1"), g("192.168.1.2"));
        assert_ne!(g("172.16.0.1"), g("172.16.0.2"));
        assert_ne!(g("100.64.0.1"), g("100.64.0.2"));
        assert_ne!(g("fd00::1"), g("fd00::2"));
        assert_ne!(g("::1"), g("fe80::1"));
    }

    #[test]
    fn internet_addresses_group_by_prefix() {
        assert_eq!(g("198.51.100.1"), g("198.51.7.200"));
        assert_ne!(g("198.51.100.1"), g("198.52.100.1"));
        // 172.32/16 is outside 172.16/12: public.
        assert_eq!(g("172.32.0.1"), g("172.32.9.9"));
        assert_eq!(g("2001:db8:1::1"), g("2001:db8:ffff::2"));
        assert_ne!(g("2001:db8::1"), g("2001:db9::1"));
        // Mapped IPv4 is IPv4.
        assert_eq!(g("::ffff:198.51.100.1"), g("198.51.3.3"));
        assert_eq!(g("::ffff:127.0.0.3"), g("127.0.0.3"));
    }
}
