//! RoCEv2's wire format: InfiniBand transport packets carried in UDP
//! (destination port 4791), as IBTA's annex A17 and the kernel's rxe lay
//! them out, and the ICRC that ends each one.
//!
//! This is the format half of the RoCEv2 transport: a packet is
//! built from its headers ([`Packet::encode`]) and read back from bytes a
//! peer sent ([`Packet::parse`]), which never trusts a length or an opcode
//! it has not checked; a message is cut into packets at the path MTU
//! ([`segments`]); PSNs wrap at 24 bits and a responder classifies each
//! request's ([`check_psn`]); an AETH says ACK, RNR NAK or NAK
//! ([`Syndrome`]). The device's link sends and receives them over UDP, and
//! its requester, responder and completer exchange them (the crate's
//! private `wire` module). The format is checked against someone else's decoders
//! (`scripts/roce_check.py`: Wireshark's dissector through tshark, and
//! scapy's ICRC) on the packets `examples/verbs/roce_pcap.rs` writes.

pub(crate) mod headers;
pub(crate) mod icrc;
mod ip;
mod opcode;
mod packet;
mod psn;
mod segment;
mod syndrome;

pub use headers::{Aeth, AtomicAckEth, AtomicEth, Bth, Deth, Reth};
pub use icrc::{IpPseudo, icrc};
pub use ip::{ipv4_udp, ipv6_udp};
pub use opcode::{Layout, Opcode};
pub use packet::{Packet, ParseError};
pub use psn::{PSN_MASK, PsnCheck, check_psn, psn_add, psn_cmp};
pub use segment::{MTUS, Message, Segment, segments};
pub use syndrome::{NakCode, Syndrome};

/// RoCEv2's UDP destination port.
pub const UDP_PORT: u16 = 4791;
