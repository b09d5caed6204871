//! Tag-matching operations on an SRQ (`struct ibv_ops_wr`).

use ibops::prelude::Sge;

/// What one operation does to the SRQ's tag list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrqTagOp {
    /// Adds a tag: a receive matched by `tag` under `mask`.
    Add {
        /// The receive's work request id.
        recv_wr_id: u64,
        /// Where a matched message lands.
        sg_list: Vec<Sge>,
        /// The tag.
        tag: u64,
        /// Which bits of the tag match.
        mask: u64,
    },
    /// Removes the tag with this handle.
    Remove {
        /// The handle `Add` gave.
        handle: u32,
    },
    /// Synchronizes with the unexpected messages seen.
    Sync,
}

/// One tag-matching operation posted to an SRQ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrqOpsWr {
    /// The work request's id.
    pub wr_id: u64,
    /// Whether it completes with a completion.
    pub signaled: bool,
    /// How many unexpected messages the caller has seen.
    pub unexpected_cnt: u32,
    /// The operation.
    pub op: SrqTagOp,
}
