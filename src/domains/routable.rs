//! Which addresses a mail server on the internet can be at.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Not loopback, unspecified, private, shared, link-local, documentation, benchmarking,
/// multicast or reserved: an address that a mail server on the internet can be at.
pub fn is_globally_routable(address: &IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_global_v4(*v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_global_v4(v4),
            None => is_global_v6(*v6),
        },
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_internet_addresses_are_globally_routable() {
        for local in [
            "127.0.0.1",
            "0.0.0.0",
            "10.0.0.5",
            "172.16.1.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.10",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            let address: IpAddr = local.parse().unwrap();
            assert!(!is_globally_routable(&address), "{local}");
        }
        for global in [
            "8.8.8.8",
            "142.250.1.27",
            "2a00:1450:4001::1b",
            "::ffff:8.8.4.4",
        ] {
            let address: IpAddr = global.parse().unwrap();
            assert!(is_globally_routable(&address), "{global}");
        }
    }
}
