//! Work requests: what `post_send` and `post_recv` take.

use std::sync::Arc;

use bitflags::bitflags;

use crate::object::Ah;

/// One scatter/gather entry: `length` bytes at `addr` of the memory region `lkey`
/// (`struct ib_sge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Sge {
    /// Address in the memory region's address space.
    pub addr: u64,
    /// Length in bytes.
    pub length: u32,
    /// Local key of the memory region.
    pub lkey: u32,
}

/// The operation of a send work request and its operation-specific fields
/// (`enum ib_wr_opcode` with the `rdma`, `atomic` and `ud` parts of `struct ib_send_wr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WrOpcode {
    /// SEND.
    Send,
    /// SEND with immediate data.
    SendWithImm {
        /// Immediate data, delivered in the receiver's completion.
        imm_data: u32,
    },
    /// RDMA WRITE to `remote_addr` of the region `rkey`.
    RdmaWrite {
        /// Remote address.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
    },
    /// RDMA WRITE with immediate data, which consumes a receive at the target.
    RdmaWriteWithImm {
        /// Remote address.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
        /// Immediate data.
        imm_data: u32,
    },
    /// RDMA READ from `remote_addr` of the region `rkey`.
    RdmaRead {
        /// Remote address.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
    },
    /// 8-byte atomic compare-and-swap; the original value is written to the local SGE.
    AtomicCmpAndSwp {
        /// Remote address, 8-byte aligned.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
        /// Value to compare with.
        compare_add: u64,
        /// Value to store when equal.
        swap: u64,
    },
    /// 8-byte atomic fetch-and-add; the original value is written to the local SGE.
    AtomicFetchAndAdd {
        /// Remote address, 8-byte aligned.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
        /// Value to add.
        compare_add: u64,
    },
    /// A SEND on a UD queue pair to the address handle `ah`.
    UdSend {
        /// Address handle of the destination.
        ah: Arc<Ah>,
        /// Remote queue pair number.
        remote_qpn: u32,
        /// Remote Q_Key.
        remote_qkey: u32,
        /// Immediate data, if any.
        imm_data: Option<u32>,
    },
}

bitflags! {
    /// Flags of a send work request (`enum ib_send_flags`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct SendFlags: u32 {
        /// Wait for earlier RDMA READ/atomic operations to complete first.
        const FENCE = 1 << 0;
        /// Generate a completion (when the QP does not signal all).
        const SIGNALED = 1 << 1;
        /// Set the solicited event bit.
        const SOLICITED = 1 << 2;
        /// Copy the data into the work request at post time.
        const INLINE = 1 << 3;
    }
}

/// A send work request (`struct ib_send_wr`, without the `next` link:
/// lists are slices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendWr {
    /// Returned in the completion.
    pub wr_id: u64,
    /// Local data: gathered for sends and writes, scattered for reads and atomics.
    pub sg_list: Vec<Sge>,
    /// The operation.
    pub opcode: WrOpcode,
    /// Flags.
    pub send_flags: SendFlags,
}

/// A receive work request (`struct ib_recv_wr`, without the `next` link).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RecvWr {
    /// Returned in the completion.
    pub wr_id: u64,
    /// Where incoming data is scattered.
    pub sg_list: Vec<Sge>,
}

impl Sge {
    /// `length` bytes at `addr` of the region `lkey`.
    pub const fn new(addr: u64, length: u32, lkey: u32) -> Sge {
        Sge { addr, length, lkey }
    }
}

impl SendWr {
    /// An unsignaled work request; see [`signaled`](Self::signaled).
    pub fn new(wr_id: u64, opcode: WrOpcode, sg_list: Vec<Sge>) -> SendWr {
        SendWr {
            wr_id,
            sg_list,
            opcode,
            send_flags: SendFlags::empty(),
        }
    }

    /// The same request, asking for a completion.
    pub fn signaled(mut self) -> SendWr {
        self.send_flags |= SendFlags::SIGNALED;
        self
    }
}

impl RecvWr {
    /// A receive into `sg_list`.
    pub fn new(wr_id: u64, sg_list: Vec<Sge>) -> RecvWr {
        RecvWr { wr_id, sg_list }
    }
}
