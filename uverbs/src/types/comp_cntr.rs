//! Completion counters (`struct ibv_comp_cntr` and its attributes): counts
//! of completions, and of completions in error, that attached QPs' work
//! requests increment.

/// A completion counter the provider created, by its handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompCntr {
    /// The provider's handle of the counter.
    pub handle: u32,
}

/// What a completion counter counts in (`enum ibv_comp_cntr_type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CompCntrKind {
    /// A counter in host memory.
    #[default]
    Host,
    /// A counter in device memory.
    Device,
}

/// How to create a completion counter (`struct ibv_comp_cntr_init_attr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompCntrInitAttr {
    /// Where it counts.
    pub kind: CompCntrKind,
    /// Provider flags.
    pub flags: u32,
}

/// What the device supports (`struct ibv_comp_cntr_caps`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompCntrCaps {
    /// The largest value a counter holds.
    pub max_value: u64,
    /// How many counters the device has.
    pub max_counters: u32,
    /// Which operations may be attached (a bit per operation).
    pub supported_qp_attach_ops: u32,
}

/// Which completions of a QP count (`struct ibv_qp_attach_comp_cntr_attr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompCntrAttachAttr {
    /// A bit per operation whose completions count.
    pub op_mask: u32,
}
