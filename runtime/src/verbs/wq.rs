//! Receive work queues and their indirection tables (RSS).

use std::sync::Arc;

use bitflags::bitflags;

use crate::object::{Cq, Wq};

/// Work queue type (`enum ib_wq_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WqType {
    /// Receive queue.
    #[default]
    Rq,
}

/// Work queue state (`enum ib_wq_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WqState {
    /// Reset.
    #[default]
    Reset,
    /// Ready.
    Rdy,
    /// Error.
    Err,
}

/// Creation attributes of a work queue (`struct ib_wq_init_attr`).
#[derive(Clone, Debug)]
pub struct WqInitAttr {
    /// Type.
    pub wq_type: WqType,
    /// Outstanding work requests.
    pub max_wr: u32,
    /// Scatter/gather entries per work request.
    pub max_sge: u32,
    /// Completion queue.
    pub cq: Arc<Cq>,
}

/// Attributes for `modify_wq` (`struct ib_wq_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WqAttr {
    /// Target state.
    pub wq_state: WqState,
    /// Assumed current state.
    pub curr_wq_state: WqState,
    /// Flags.
    pub flags: u32,
}

bitflags! {
    /// Which fields of [`WqAttr`] `modify_wq` applies (`enum ib_wq_attr_mask`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct WqAttrMask: u32 {
        /// `wq_state`.
        const STATE = 1 << 0;
        /// `curr_wq_state`.
        const CUR_STATE = 1 << 1;
        /// `flags`.
        const FLAGS = 1 << 2;
    }
}

/// Creation attributes of an RSS indirection table (`struct ib_rwq_ind_table_init_attr`).
#[derive(Clone, Debug)]
pub struct RwqIndTableInitAttr {
    /// log2 of the table size; `ind_tbl` has `1 << log_ind_tbl_size` entries.
    pub log_ind_tbl_size: u32,
    /// The work queues.
    pub ind_tbl: Vec<Arc<Wq>>,
}
