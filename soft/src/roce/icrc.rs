//! The invariant CRC (IBTA A17.3.3): the standard CRC-32 (Ethernet's and
//! zlib's) of the packet preceded by eight bytes of ones (a masked LRH) and
//! its IP and UDP headers, every field a router may change masked to ones;
//! sent little-endian after the payload's pad.

use std::net::{IpAddr, Ipv6Addr};

use super::ip::{ipv4_udp, ipv6_udp};

/// What the IP and UDP headers the kernel puts around a packet hold, for
/// the parts of the ICRC they cover: addresses, lengths, the UDP ports.
/// The fields a router changes (TTL or hop limit, TOS or traffic class and
/// flow label, checksums) are masked and need not be known. An IPv4
/// header's identification is not masked: `ipv4_id` is the one the header
/// carries (DF set, no options). A UDP socket cannot choose it (Linux
/// does), so the soft link writes its IPv4 headers itself on a raw socket;
/// IPv6 has no identification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPseudo {
    /// The source address.
    pub src: IpAddr,
    /// The destination address.
    pub dst: IpAddr,
    /// The UDP source port.
    pub src_port: u16,
    /// The UDP destination port (4791).
    pub dst_port: u16,
    /// The IPv4 header's identification (unused for IPv6).
    pub ipv4_id: u16,
}

/// The ICRC of `packet` (BTH through pad, without the ICRC itself) sent
/// between the endpoints `ip` names.
pub fn icrc(ip: &IpPseudo, packet: &[u8]) -> u32 {
    let ports = (ip.src_port, ip.dst_port);
    // The UDP payload holds the packet and its ICRC.
    let len = packet.len() + 4;
    let mut h = crc32fast::Hasher::new();
    h.update(&[0xff; 8]);
    match (ip.src, ip.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut v4 = ipv4_udp(src, dst, ip.ipv4_id, ports, len);
            v4[1] = 0xff; // TOS
            v4[8] = 0xff; // TTL
            v4[10..12].fill(0xff); // the IP checksum
            v4[26..28].fill(0xff); // the UDP checksum
            h.update(&v4);
        }
        (src, dst) => {
            let mut v6h = ipv6_udp(v6(src), v6(dst), ports, len);
            // Traffic class and flow label.
            v6h[0..4].copy_from_slice(&[0x6f, 0xff, 0xff, 0xff]);
            v6h[7] = 0xff; // hop limit
            v6h[46..48].fill(0xff); // the UDP checksum
            h.update(&v6h);
        }
    }
    if packet.len() >= 12 {
        // The BTH with its FECN, BECN and reserved bits (byte 4) masked.
        let mut bth = [0u8; 12];
        bth.copy_from_slice(&packet[..12]);
        bth[4] = 0xff;
        h.update(&bth);
        h.update(&packet[12..]);
    } else {
        h.update(packet);
    }
    h.finalize()
}

/// An address as IPv6 (IPv4 mapped).
pub(crate) fn v6(addr: IpAddr) -> Ipv6Addr {
    match addr {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}
