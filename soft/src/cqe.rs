//! One completion as a CQ stores it: the fields that vary, packed in five
//! words (a `WorkCompletion` is 48 bytes, most of them constant), since
//! every completion crosses from the producing core to the polling one.
//! The CQ's ring holds these words; `poll` expands them back.
//!
//! A send completion also names the send queue whose slots polling it
//! frees (itself and the unsignaled work requests before it), by the
//! queue's id at the CQ, as a channel adapter frees send WQEs when their
//! CQE is consumed.

use ibops::verbs::{WcFlags, WcOpcode, WcStatus, WorkCompletion};

/// How many words a stored completion takes.
pub(super) const WORDS: usize = 5;

/// A completion on its way to a CQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cqe {
    wr_id: u64,
    byte_len: u32,
    imm_data: u32,
    qp_num: u32,
    src_qp: u32,
    status: WcStatus,
    opcode: WcOpcode,
    /// `WcFlags` bits (they fit a byte).
    flags: u8,
    frees: Option<Frees>,
}

/// The send-queue slots polling a completion frees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Frees {
    /// The send queue's id at the CQ ([`SoftCq::attach_sender`](super::cq::SoftCq::attach_sender)).
    pub(super) sender: u32,
    /// How many slots.
    pub(super) slots: u32,
}

impl Cqe {
    /// The completion `wc`; polling it frees the slots `frees` names.
    pub(super) fn new(wc: WorkCompletion, frees: Option<Frees>) -> Cqe {
        Cqe {
            wr_id: wc.wr_id,
            byte_len: wc.byte_len,
            imm_data: wc.imm_data,
            qp_num: wc.qp_num,
            src_qp: wc.src_qp,
            status: wc.status,
            opcode: wc.opcode,
            flags: wc.wc_flags.bits() as u8,
            frees,
        }
    }

    /// The send-queue slots polling it frees.
    pub(super) fn frees(&self) -> Option<Frees> {
        self.frees
    }

    /// The completion as `poll` reports it: a received message also names
    /// the one port and its LID.
    pub(super) fn expand(&self) -> WorkCompletion {
        let received = self.status == WcStatus::Success
            && matches!(self.opcode, WcOpcode::Recv | WcOpcode::RecvRdmaWithImm);
        WorkCompletion {
            wr_id: self.wr_id,
            status: self.status,
            opcode: self.opcode,
            byte_len: self.byte_len,
            imm_data: self.imm_data,
            qp_num: self.qp_num,
            src_qp: self.src_qp,
            wc_flags: WcFlags::from_bits_truncate(u32::from(self.flags)),
            slid: u16::from(received),
            port_num: u8::from(received),
            ..WorkCompletion::default()
        }
    }

    /// Its words in the ring.
    #[inline]
    pub(super) fn encode(&self) -> [u64; WORDS] {
        let (has_frees, frees) = match self.frees {
            Some(f) => (1, u64::from(f.sender) | u64::from(f.slots) << 32),
            None => (0, 0),
        };
        [
            self.wr_id,
            u64::from(self.byte_len) | u64::from(self.imm_data) << 32,
            u64::from(self.qp_num) | u64::from(self.src_qp) << 32,
            self.status as u64
                | (self.opcode as u64) << 8
                | u64::from(self.flags) << 16
                | has_frees << 24,
            frees,
        ]
    }

    /// The completion `words` hold ([`encode`](Self::encode)'s inverse).
    #[inline]
    pub(super) fn decode(words: [u64; WORDS]) -> Cqe {
        let [wr_id, lens, qps, kind, frees] = words;
        let byte = |shift: u32| (kind >> shift) as u8;
        Cqe {
            wr_id,
            byte_len: lens as u32,
            imm_data: (lens >> 32) as u32,
            qp_num: qps as u32,
            src_qp: (qps >> 32) as u32,
            status: WcStatus::ALL
                .get(usize::from(byte(0)))
                .copied()
                .unwrap_or(WcStatus::GeneralErr),
            opcode: WcOpcode::ALL
                .get(usize::from(byte(8)))
                .copied()
                .unwrap_or_default(),
            flags: byte(16),
            frees: (byte(24) != 0).then_some(Frees {
                sender: frees as u32,
                slots: (frees >> 32) as u32,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_completion_round_trips_through_its_words() {
        let wc = WorkCompletion {
            wr_id: u64::MAX - 3,
            status: WcStatus::GeneralErr,
            opcode: WcOpcode::RecvRdmaWithImm,
            byte_len: 0xdead_beef,
            imm_data: 0xffff_fffe,
            qp_num: 4,
            src_qp: u32::MAX,
            wc_flags: WcFlags::WITH_IMM | WcFlags::GRH,
            ..WorkCompletion::default()
        };
        let frees = Some(Frees {
            sender: u32::MAX,
            slots: 7,
        });
        for cqe in [Cqe::new(wc, frees), Cqe::new(wc, None)] {
            assert_eq!(Cqe::decode(cqe.encode()), cqe);
        }
    }

    #[test]
    fn a_received_message_names_the_port_when_expanded() {
        let wc = WorkCompletion {
            wr_id: 7,
            opcode: WcOpcode::RecvRdmaWithImm,
            byte_len: 9,
            imm_data: 3,
            qp_num: 4,
            src_qp: 5,
            wc_flags: WcFlags::WITH_IMM,
            slid: 1,
            port_num: 1,
            ..WorkCompletion::default()
        };
        assert_eq!(Cqe::new(wc, None).expand(), wc);
        let sent = WorkCompletion {
            opcode: WcOpcode::Send,
            ..wc
        };
        let expanded = Cqe::new(sent, None).expand();
        assert_eq!((expanded.slid, expanded.port_num), (0, 0));
    }
}
