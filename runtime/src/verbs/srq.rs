//! Shared receive queue attributes.

use bitflags::bitflags;

/// Limits of a shared receive queue (`struct ib_srq_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SrqAttr {
    /// Outstanding receive work requests.
    pub max_wr: u32,
    /// Scatter/gather entries per work request.
    pub max_sge: u32,
    /// Limit at which the SRQ limit event fires (0: disarmed).
    pub srq_limit: u32,
}

/// Creation attributes of a shared receive queue (`struct ib_srq_init_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SrqInitAttr {
    /// Requested limits.
    pub attr: SrqAttr,
}

impl SrqInitAttr {
    /// Room for `max_wr` receives of `max_sge` entries each, the limit
    /// disarmed.
    pub fn new(max_wr: u32, max_sge: u32) -> SrqInitAttr {
        SrqInitAttr {
            attr: SrqAttr {
                max_wr,
                max_sge,
                srq_limit: 0,
            },
        }
    }
}

bitflags! {
    /// Which fields of [`SrqAttr`] `modify_srq` applies (`enum ib_srq_attr_mask`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct SrqAttrMask: u32 {
        /// Resize to `max_wr`.
        const MAX_WR = 1 << 0;
        /// Arm the limit event at `srq_limit`.
        const LIMIT = 1 << 1;
    }
}
