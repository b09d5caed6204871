//! Segmentation at the path MTU (IBTA 9.4): a message longer than the MTU
//! goes as FIRST, MIDDLE..., LAST packets, one that fits as ONLY; each
//! packet takes the next PSN. What a requester sends for a SEND or an RDMA
//! WRITE, and a responder for an RDMA READ's response.

use super::opcode::Opcode;
use super::psn::psn_add;

/// A message that is cut into packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// SEND.
    Send,
    /// SEND with immediate data (on its LAST or ONLY packet).
    SendImm,
    /// SEND with invalidate (the rkey on its LAST or ONLY packet).
    SendInv,
    /// RDMA WRITE (the RETH on its FIRST or ONLY packet).
    Write,
    /// RDMA WRITE with immediate data.
    WriteImm,
    /// An RDMA READ's response (the AETH on FIRST, LAST and ONLY).
    ReadResponse,
}

impl Message {
    /// The opcodes of its FIRST, MIDDLE, LAST and ONLY packets.
    fn opcodes(self) -> [Opcode; 4] {
        use Opcode::*;
        match self {
            Message::Send => [RcSendFirst, RcSendMiddle, RcSendLast, RcSendOnly],
            Message::SendImm => [RcSendFirst, RcSendMiddle, RcSendLastImm, RcSendOnlyImm],
            Message::SendInv => [RcSendFirst, RcSendMiddle, RcSendLastInv, RcSendOnlyInv],
            Message::Write => [RcWriteFirst, RcWriteMiddle, RcWriteLast, RcWriteOnly],
            Message::WriteImm => [RcWriteFirst, RcWriteMiddle, RcWriteLastImm, RcWriteOnlyImm],
            Message::ReadResponse => [
                RcReadResponseFirst,
                RcReadResponseMiddle,
                RcReadResponseLast,
                RcReadResponseOnly,
            ],
        }
    }
}

/// One packet of a message: its opcode, PSN and the bytes of the message
/// it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// FIRST, MIDDLE, LAST or ONLY of the message's kind.
    pub opcode: Opcode,
    /// Its PSN.
    pub psn: u32,
    /// Where its payload starts in the message.
    pub offset: u32,
    /// How many bytes it carries.
    pub len: u32,
}

/// The path MTUs IBTA defines.
pub const MTUS: [u32; 5] = [256, 512, 1024, 2048, 4096];

/// The packets of a `len`-byte `message` at path MTU `mtu` (one of
/// [`MTUS`]; any other value is taken as 256, the smallest), the first at
/// `psn`. A zero-length message is one ONLY packet.
pub fn segments(message: Message, len: u32, mtu: u32, psn: u32) -> impl Iterator<Item = Segment> {
    let mtu = if MTUS.contains(&mtu) { mtu } else { MTUS[0] };
    let count = len.div_ceil(mtu).max(1);
    let [first, middle, last, only] = message.opcodes();
    (0..count).map(move |i| {
        let opcode = match (i, count) {
            (_, 1) => only,
            (0, _) => first,
            (i, n) if i + 1 == n => last,
            _ => middle,
        };
        let offset = i * mtu;
        Segment {
            opcode,
            psn: psn_add(psn, i),
            offset,
            len: (len - offset).min(mtu),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roce::psn::PSN_MASK;

    #[test]
    fn a_message_that_fits_is_one_only_packet() {
        let s: Vec<Segment> = segments(Message::WriteImm, 100, 1024, 7).collect();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].opcode, s[0].psn, s[0].len),
            (Opcode::RcWriteOnlyImm, 7, 100)
        );
        let empty: Vec<Segment> = segments(Message::Send, 0, 256, 0).collect();
        assert_eq!(
            (empty.len(), empty[0].opcode, empty[0].len),
            (1, Opcode::RcSendOnly, 0)
        );
    }

    #[test]
    fn a_long_message_is_first_middles_last_with_wrapping_psns() {
        let s: Vec<Segment> = segments(Message::Send, 4096 * 2 + 1, 4096, PSN_MASK).collect();
        let ops: Vec<Opcode> = s.iter().map(|x| x.opcode).collect();
        assert_eq!(
            ops,
            [
                Opcode::RcSendFirst,
                Opcode::RcSendMiddle,
                Opcode::RcSendLast
            ]
        );
        let psns: Vec<u32> = s.iter().map(|x| x.psn).collect();
        assert_eq!(psns, [PSN_MASK, 0, 1]);
        assert_eq!(s[2].len, 1);
    }

    // Property tests: thousands of cases, natively only (too slow under
    // Miri, which runs the examples above).
    #[cfg(not(miri))]
    mod properties {
        use super::*;

        proptest::proptest! {
            #[test]
            fn segments_cover_the_message_once_within_the_mtu(
                len in 0u32..200_000,
                mtu_index in 0usize..MTUS.len(),
                psn in 0..=PSN_MASK,
            ) {
                let mtu = MTUS[mtu_index];
                let s: Vec<Segment> = segments(Message::ReadResponse, len, mtu, psn).collect();
                let mut next = 0;
                for (i, seg) in s.iter().enumerate() {
                    proptest::prop_assert_eq!(seg.offset, next);
                    proptest::prop_assert!(seg.len <= mtu);
                    // Every packet but the last is full.
                    proptest::prop_assert!(i + 1 == s.len() || seg.len == mtu);
                    proptest::prop_assert_eq!(seg.psn, crate::roce::psn::psn_add(psn, i as u32));
                    next += seg.len;
                }
                proptest::prop_assert_eq!(next, len);
            }
        }
    }
}
