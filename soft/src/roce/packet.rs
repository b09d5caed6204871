//! A whole packet: BTH, the extension headers its opcode calls for, the
//! payload, the pad and the ICRC.

use std::fmt;

use super::headers::{Aeth, AtomicAckEth, AtomicEth, Bth, Deth, Reth, be};
use super::icrc::{IpPseudo, icrc};

/// One transport packet, its payload borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The base header.
    pub bth: Bth,
    /// The DETH, for UD.
    pub deth: Option<Deth>,
    /// The RETH.
    pub reth: Option<Reth>,
    /// The AtomicETH.
    pub atomic_eth: Option<AtomicEth>,
    /// The AETH.
    pub aeth: Option<Aeth>,
    /// The AtomicAckETH.
    pub atomic_ack_eth: Option<AtomicAckEth>,
    /// Immediate data.
    pub imm: Option<u32>,
    /// The rkey to invalidate.
    pub ieth: Option<u32>,
    /// The payload.
    pub payload: &'a [u8],
}

/// Why bytes are not a packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Fewer bytes than the headers and the ICRC need.
    Short {
        /// What was given.
        len: usize,
        /// What the opcode's headers need at least.
        need: usize,
    },
    /// An opcode RC and UD lack, or a transport version other than 0.
    BadBth,
    /// The pad count is more than the payload, or the opcode has no
    /// payload and bytes follow its headers.
    BadLength,
    /// The ICRC does not match.
    BadIcrc {
        /// What the packet carries.
        carried: u32,
        /// What its bytes give.
        computed: u32,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Short { len, need } => {
                write!(f, "a packet of {len} bytes, its headers need {need}")
            }
            ParseError::BadBth => f.write_str("not an RC or UD transport header"),
            ParseError::BadLength => f.write_str("the payload and pad lengths do not fit"),
            ParseError::BadIcrc { carried, computed } => {
                write!(f, "ICRC {carried:#010x}, the bytes give {computed:#010x}")
            }
        }
    }
}

impl std::error::Error for ParseError {}

impl<'a> Packet<'a> {
    /// A packet of `bth` with no extension header and no payload, for the
    /// caller to fill in.
    pub fn new(bth: Bth) -> Packet<'a> {
        Packet {
            bth,
            deth: None,
            reth: None,
            atomic_eth: None,
            aeth: None,
            atomic_ack_eth: None,
            imm: None,
            ieth: None,
            payload: &[],
        }
    }

    /// Appends the packet to `out` as it goes on the wire between the
    /// endpoints `ip` names: its BTH (the pad count computed), the headers
    /// its opcode calls for (a missing one as zeros), the payload, the pad
    /// and the ICRC.
    pub fn encode(&self, ip: &IpPseudo, out: &mut Vec<u8>) {
        let start = out.len();
        let layout = self.bth.opcode.layout();
        let payload = if layout.payload { self.payload } else { &[] };
        let pad = (4 - payload.len() % 4) % 4;
        Bth {
            pad: pad as u8,
            ..self.bth
        }
        .write(out);
        if layout.deth {
            self.deth.unwrap_or_default().write(out);
        }
        if layout.reth {
            self.reth.unwrap_or_default().write(out);
        }
        if layout.atomic_eth {
            self.atomic_eth.unwrap_or_default().write(out);
        }
        if layout.aeth {
            self.aeth.unwrap_or_default().write(out);
        }
        if layout.atomic_ack_eth {
            self.atomic_ack_eth.unwrap_or_default().write(out);
        }
        if layout.imm {
            out.extend_from_slice(&self.imm.unwrap_or_default().to_be_bytes());
        }
        if layout.ieth {
            out.extend_from_slice(&self.ieth.unwrap_or_default().to_be_bytes());
        }
        out.extend_from_slice(payload);
        out.extend(std::iter::repeat_n(0u8, pad));
        let crc = icrc(ip, &out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }

    /// Reads a packet from a datagram's bytes, checking its ICRC for the
    /// endpoints `ip` names; every length is checked before it is used.
    ///
    /// # Errors
    /// A [`ParseError`] saying what does not fit.
    pub fn parse(bytes: &'a [u8], ip: &IpPseudo) -> Result<Packet<'a>, ParseError> {
        let short = |need: usize| ParseError::Short {
            len: bytes.len(),
            need,
        };
        let bth_bytes: &[u8; Bth::BYTES] = bytes
            .get(..Bth::BYTES)
            .and_then(|b| b.try_into().ok())
            .ok_or(short(Bth::BYTES + 4))?;
        let bth = Bth::read(bth_bytes).ok_or(ParseError::BadBth)?;
        let layout = bth.opcode.layout();
        let headers = Bth::BYTES + layout.header_bytes();
        if bytes.len() < headers + 4 {
            return Err(short(headers + 4));
        }
        let (body, carried) = bytes.split_at(bytes.len() - 4);
        let carried = u32::from_le_bytes([carried[0], carried[1], carried[2], carried[3]]);
        let computed = icrc(ip, body);
        if carried != computed {
            return Err(ParseError::BadIcrc { carried, computed });
        }
        let rest = body.len() - headers;
        let pad = usize::from(bth.pad);
        if pad > rest || (!layout.payload && rest != 0) {
            return Err(ParseError::BadLength);
        }
        let mut packet = Packet::new(bth);
        let mut at = Bth::BYTES;
        let mut take = |n: usize| {
            let field = &body[at..at + n];
            at += n;
            field
        };
        if layout.deth {
            packet.deth = Some(Deth::read(take(8)));
        }
        if layout.reth {
            packet.reth = Some(Reth::read(take(16)));
        }
        if layout.atomic_eth {
            packet.atomic_eth = Some(AtomicEth::read(take(28)));
        }
        if layout.aeth {
            packet.aeth = Some(Aeth::read(take(4)));
        }
        if layout.atomic_ack_eth {
            packet.atomic_ack_eth = Some(AtomicAckEth::read(take(8)));
        }
        let word = |b: &[u8]| be::<4>(b) as u32;
        if layout.imm {
            packet.imm = Some(word(take(4)));
        }
        if layout.ieth {
            packet.ieth = Some(word(take(4)));
        }
        packet.payload = &body[headers..body.len() - pad];
        Ok(packet)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::roce::{Opcode, UDP_PORT};

    fn ip() -> IpPseudo {
        IpPseudo {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            src_port: 49152,
            dst_port: UDP_PORT,
            ipv4_id: 0,
        }
    }

    fn bth(opcode: Opcode) -> Bth {
        Bth {
            opcode,
            solicited: false,
            mig_req: true,
            pad: 0,
            pkey: 0xffff,
            dest_qp: 0x12,
            ack_req: true,
            psn: 0x00ab_cdef,
        }
    }

    #[test]
    fn every_opcode_reads_back_what_was_written() {
        for &op in Opcode::ALL {
            let mut p = Packet::new(bth(op));
            p.payload = b"hello";
            p.reth = Some(Reth {
                va: 0x1000,
                rkey: 7,
                dma_len: 5,
            });
            p.aeth = Some(Aeth {
                syndrome: 0x1f,
                msn: 3,
            });
            p.atomic_eth = Some(AtomicEth {
                va: 8,
                rkey: 9,
                swap_add: 10,
                compare: 11,
            });
            p.atomic_ack_eth = Some(AtomicAckEth { orig: 12 });
            p.deth = Some(Deth {
                qkey: 0x1111_0000,
                src_qp: 0x34,
            });
            p.imm = Some(0xdead_beef);
            p.ieth = Some(0x99);
            let mut wire = Vec::new();
            p.encode(&ip(), &mut wire);
            assert_eq!(wire.len() % 4, 0, "{op:?}");
            let back = Packet::parse(&wire, &ip()).unwrap_or_else(|e| panic!("{op:?}: {e}"));
            let layout = op.layout();
            assert_eq!(
                back.payload,
                if layout.payload { &b"hello"[..] } else { &[] }
            );
            assert_eq!(back.bth.psn, 0x00ab_cdef);
            assert_eq!(back.reth.is_some(), layout.reth);
            assert_eq!(back.imm, layout.imm.then_some(0xdead_beef));
            assert_eq!(back.deth.map(|d| d.src_qp), layout.deth.then_some(0x34));
        }
    }

    #[test]
    fn a_flipped_bit_fails_the_icrc_but_a_masked_one_does_not() {
        let mut p = Packet::new(bth(Opcode::RcSendOnly));
        p.payload = b"payload!";
        let mut wire = Vec::new();
        p.encode(&ip(), &mut wire);
        let mut bad = wire.clone();
        bad[14] ^= 1;
        assert!(matches!(
            Packet::parse(&bad, &ip()),
            Err(ParseError::BadIcrc { .. })
        ));
        // FECN/BECN (BTH byte 4) are masked: a switch may set them.
        let mut marked = wire.clone();
        marked[4] |= 0xc0;
        assert!(Packet::parse(&marked, &ip()).is_ok());
        // Another port is another packet.
        let other = IpPseudo {
            src_port: 1,
            ..ip()
        };
        assert!(Packet::parse(&wire, &other).is_err());
    }

    #[test]
    fn short_and_inconsistent_bytes_are_errors() {
        assert!(matches!(
            Packet::parse(&[], &ip()),
            Err(ParseError::Short { .. })
        ));
        let mut wire = Vec::new();
        Packet::new(bth(Opcode::RcWriteOnly)).encode(&ip(), &mut wire);
        assert!(matches!(
            Packet::parse(&wire[..20], &ip()),
            Err(ParseError::Short { .. })
        ));
        let mut unknown = wire.clone();
        unknown[0] = 0x15;
        assert_eq!(Packet::parse(&unknown, &ip()), Err(ParseError::BadBth));
    }
}
