//! The RoCEv2 packet parser on any bytes a peer could send: a packet or a
//! `ParseError`, never a panic, and a packet it accepts encodes to bytes it
//! reads back as the same packet. The input's ICRC is made right before
//! parsing (every other byte is the fuzzer's), so the parser's checks past
//! the ICRC are reached, not just the CRC.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use ibops_soft::roce::{Bth, IpPseudo, Packet, UDP_PORT, icrc};
use libfuzzer_sys::fuzz_target;

const IP: IpPseudo = IpPseudo {
    src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
    src_port: 49152,
    dst_port: UDP_PORT,
    ipv4_id: 0,
};

fuzz_target!(|body: &[u8]| {
    let mut wire = body.to_vec();
    wire.extend_from_slice(&icrc(&IP, body).to_le_bytes());
    let Ok(packet) = Packet::parse(&wire, &IP) else {
        return;
    };
    assert!(packet.payload.len() <= body.len());
    let mut again = Vec::new();
    packet.encode(&IP, &mut again);
    let reread = Packet::parse(&again, &IP).expect("an encoded packet reads back");
    // The pad count is the encoder's own; everything else is the packet's.
    assert_eq!(
        Packet { bth: Bth { pad: reread.bth.pad, ..packet.bth }, ..packet },
        reread
    );
});
