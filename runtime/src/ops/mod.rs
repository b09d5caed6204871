//! The ops table: the generated [`IbDeviceOps`] with its identifiers, merge
//! and dispatch, plus the hand-written types they use.

mod info;
mod merge_conflict;
mod obj_size;
mod provide;

pub use crate::generated::op_id::{OPS, OpId};
pub use crate::generated::ops_struct::IbDeviceOps;
pub use info::OpInfo;
pub use merge_conflict::MergeConflict;
pub use obj_size::ObjSize;
pub use provide::ProvideOps;

use core::fmt;

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl OpId {
    /// The op called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<OpId> {
        OPS.iter()
            .find(|info| info.name == name)
            .map(|info| info.id)
    }
}
