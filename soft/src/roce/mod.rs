//! RoCEv2's wire format: InfiniBand transport packets carried in UDP
//! (destination port 4791), as IBTA's annex A17 and the kernel's rxe lay
//! them out, and the ICRC that ends each one.
//!
//! This is the format half of the RoCEv2 transport (issue 22): a packet is
//! built from its headers ([`Packet::encode`]) and read back from bytes a
//! peer sent ([`Packet::parse`]), which never trusts a length or an opcode
//! it has not checked. The transport that sends these over a UDP socket
//! is not written yet; the format is checked against someone else's
//! decoder (`scripts/roce_check.py`: Wireshark's dissector through tshark,
//! and scapy's ICRC) on the packets `examples/verbs/roce_pcap.rs` writes.

mod headers;
mod icrc;
mod opcode;
mod packet;

pub use headers::{Aeth, AtomicAckEth, AtomicEth, Bth, Deth, Reth};
pub use icrc::{IpPseudo, icrc};
pub use opcode::{Layout, Opcode};
pub use packet::{Packet, ParseError};

/// RoCEv2's UDP destination port.
pub const UDP_PORT: u16 = 4791;
