//! The IP and UDP headers a RoCEv2 packet travels in, as a sender that
//! writes its own headers puts them on the wire (TOS or traffic class and
//! flow label 0, TTL or hop limit 64, DF, checksums left 0): the one layout
//! the ICRC masks, the link sends, a UD receive's GRH area shows and the
//! pcap example frames.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The IPv4 header (identification `id`) and the UDP header of a
/// `len`-byte UDP payload.
pub fn ipv4_udp(src: Ipv4Addr, dst: Ipv4Addr, id: u16, ports: (u16, u16), len: usize) -> [u8; 28] {
    let udp_len = (8 + len) as u16;
    let mut h = [0u8; 28];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&(20 + udp_len).to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[6] = 0x40;
    h[8] = 64;
    h[9] = 17;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    udp(&mut h[20..], ports, udp_len);
    h
}

/// The IPv6 header and the UDP header of a `len`-byte UDP payload.
pub fn ipv6_udp(src: Ipv6Addr, dst: Ipv6Addr, ports: (u16, u16), len: usize) -> [u8; 48] {
    let udp_len = (8 + len) as u16;
    let mut h = [0u8; 48];
    h[0] = 0x60;
    h[4..6].copy_from_slice(&udp_len.to_be_bytes());
    h[6] = 17;
    h[7] = 64;
    h[8..24].copy_from_slice(&src.octets());
    h[24..40].copy_from_slice(&dst.octets());
    udp(&mut h[40..], ports, udp_len);
    h
}

/// A UDP header without a checksum.
fn udp(h: &mut [u8], (src_port, dst_port): (u16, u16), udp_len: u16) {
    h[0..2].copy_from_slice(&src_port.to_be_bytes());
    h[2..4].copy_from_slice(&dst_port.to_be_bytes());
    h[4..6].copy_from_slice(&udp_len.to_be_bytes());
}
