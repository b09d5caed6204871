//! The invariant CRC (IBTA A17.3.3): the standard CRC-32 (Ethernet's and
//! zlib's) of the packet preceded by eight bytes of ones (a masked LRH) and
//! its IP and UDP headers, every field a router may change masked to ones;
//! sent little-endian after the payload's pad.

use std::net::IpAddr;

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
    let udp_len = 8 + packet.len() + 4;
    let mut h = crc32fast::Hasher::new();
    h.update(&[0xff; 8]);
    match (ip.src, ip.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let total = (20 + udp_len) as u16;
            let mut v4 = [0u8; 20];
            v4[0] = 0x45;
            v4[1] = 0xff; // TOS, masked
            v4[2..4].copy_from_slice(&total.to_be_bytes());
            v4[4..6].copy_from_slice(&ip.ipv4_id.to_be_bytes());
            // Flags DF, fragment offset 0.
            v4[6] = 0x40;
            v4[8] = 0xff; // TTL, masked
            v4[9] = 17; // UDP
            v4[10] = 0xff; // checksum, masked
            v4[11] = 0xff;
            v4[12..16].copy_from_slice(&src.octets());
            v4[16..20].copy_from_slice(&dst.octets());
            h.update(&v4);
        }
        (src, dst) => {
            let (src, dst) = (v6(src), v6(dst));
            let mut v6h = [0u8; 40];
            // Version 6, traffic class and flow label masked.
            v6h[0..4].copy_from_slice(&[0x6f, 0xff, 0xff, 0xff]);
            v6h[4..6].copy_from_slice(&(udp_len as u16).to_be_bytes());
            v6h[6] = 17;
            v6h[7] = 0xff; // hop limit, masked
            v6h[8..24].copy_from_slice(&src);
            v6h[24..40].copy_from_slice(&dst);
            h.update(&v6h);
        }
    }
    let mut udp = [0xffu8; 8]; // the checksum stays masked
    udp[0..2].copy_from_slice(&ip.src_port.to_be_bytes());
    udp[2..4].copy_from_slice(&ip.dst_port.to_be_bytes());
    udp[4..6].copy_from_slice(&(udp_len as u16).to_be_bytes());
    h.update(&udp);
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

fn v6(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}
