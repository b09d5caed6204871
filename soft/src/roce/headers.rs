//! The transport headers in their IBTA layouts, in network byte order.

use super::opcode::Opcode;

/// Reads a big-endian integer of `N` bytes.
pub(crate) fn be<const N: usize>(bytes: &[u8]) -> u64 {
    bytes[..N]
        .iter()
        .fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// The Base Transport Header (12 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bth {
    /// The opcode.
    pub opcode: Opcode,
    /// Solicited event.
    pub solicited: bool,
    /// Migration state.
    pub mig_req: bool,
    /// Pad bytes after the payload, to a 4-byte boundary (0 to 3); set by
    /// [`Packet::encode`](super::Packet::encode).
    pub pad: u8,
    /// The partition key.
    pub pkey: u16,
    /// The destination QP (24 bits).
    pub dest_qp: u32,
    /// Whether the responder must acknowledge this packet.
    pub ack_req: bool,
    /// The packet sequence number (24 bits).
    pub psn: u32,
}

impl Bth {
    /// Its size on the wire.
    pub const BYTES: usize = 12;

    /// Appends it to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let flags =
            (u8::from(self.solicited) << 7) | (u8::from(self.mig_req) << 6) | ((self.pad & 3) << 4);
        out.push(self.opcode as u8);
        out.push(flags);
        out.extend_from_slice(&self.pkey.to_be_bytes());
        out.extend_from_slice(&(self.dest_qp & 0x00ff_ffff).to_be_bytes());
        let apsn = (u32::from(self.ack_req) << 31) | (self.psn & 0x00ff_ffff);
        out.extend_from_slice(&apsn.to_be_bytes());
    }

    /// Reads it; `None` for an opcode RC and UD lack or a transport
    /// version other than 0.
    pub fn read(b: &[u8; Self::BYTES]) -> Option<Bth> {
        let opcode = Opcode::from_code(b[0])?;
        if b[1] & 0x0f != 0 {
            return None;
        }
        Some(Bth {
            opcode,
            solicited: b[1] & 0x80 != 0,
            mig_req: b[1] & 0x40 != 0,
            pad: (b[1] >> 4) & 3,
            pkey: be::<2>(&b[2..]) as u16,
            dest_qp: be::<3>(&b[5..]) as u32,
            ack_req: b[8] & 0x80 != 0,
            psn: be::<3>(&b[9..]) as u32,
        })
    }
}

/// The RDMA Extended Transport Header (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reth {
    /// The remote virtual address.
    pub va: u64,
    /// The remote key.
    pub rkey: u32,
    /// The whole transfer's length.
    pub dma_len: u32,
}

/// The ACK Extended Transport Header (4 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Aeth {
    /// ACK, RNR NAK or NAK, with its credit count, timer or code.
    pub syndrome: u8,
    /// The message sequence number (24 bits).
    pub msn: u32,
}

/// The Atomic Extended Transport Header (28 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtomicEth {
    /// The remote virtual address (8-byte aligned).
    pub va: u64,
    /// The remote key.
    pub rkey: u32,
    /// The value to swap in, or to add.
    pub swap_add: u64,
    /// The value to compare with (compare-and-swap).
    pub compare: u64,
}

/// The Atomic ACK Extended Transport Header (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtomicAckEth {
    /// The value before the atomic operation.
    pub orig: u64,
}

/// The Datagram Extended Transport Header (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deth {
    /// The queue key.
    pub qkey: u32,
    /// The source QP (24 bits).
    pub src_qp: u32,
}

impl Reth {
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.va.to_be_bytes());
        out.extend_from_slice(&self.rkey.to_be_bytes());
        out.extend_from_slice(&self.dma_len.to_be_bytes());
    }

    pub(super) fn read(b: &[u8]) -> Reth {
        Reth {
            va: be::<8>(b),
            rkey: be::<4>(&b[8..]) as u32,
            dma_len: be::<4>(&b[12..]) as u32,
        }
    }
}

impl Aeth {
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        out.push(self.syndrome);
        out.extend_from_slice(&(self.msn & 0x00ff_ffff).to_be_bytes()[1..]);
    }

    pub(super) fn read(b: &[u8]) -> Aeth {
        Aeth {
            syndrome: b[0],
            msn: be::<3>(&b[1..]) as u32,
        }
    }
}

impl AtomicEth {
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.va.to_be_bytes());
        out.extend_from_slice(&self.rkey.to_be_bytes());
        out.extend_from_slice(&self.swap_add.to_be_bytes());
        out.extend_from_slice(&self.compare.to_be_bytes());
    }

    pub(super) fn read(b: &[u8]) -> AtomicEth {
        AtomicEth {
            va: be::<8>(b),
            rkey: be::<4>(&b[8..]) as u32,
            swap_add: be::<8>(&b[12..]),
            compare: be::<8>(&b[20..]),
        }
    }
}

impl AtomicAckEth {
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.orig.to_be_bytes());
    }

    pub(super) fn read(b: &[u8]) -> AtomicAckEth {
        AtomicAckEth { orig: be::<8>(b) }
    }
}

impl Deth {
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.qkey.to_be_bytes());
        out.extend_from_slice(&(self.src_qp & 0x00ff_ffff).to_be_bytes());
    }

    pub(super) fn read(b: &[u8]) -> Deth {
        Deth {
            qkey: be::<4>(b) as u32,
            src_qp: be::<3>(&b[5..]) as u32,
        }
    }
}
