//! The table's companions: its introspection records and the trait a
//! provider's derived table implements.

use crate::{VerbsContextOps, VerbsOpId};

/// What the schema says of one op; `OPS[id as usize]` for each
/// [`VerbsOpId`].
pub type OpInfo = ibops::ops::OpInfo<VerbsOpId>;

pub use ibops::MergeConflict;

/// A provider's `const` table, implemented by `#[derive(VerbsContextOps)]`
/// and `#[verbs_ops]` impl blocks.
pub trait ProvideVerbsOps {
    /// The provider's table: the ops it implements, the others `None`.
    const OPS: VerbsContextOps;
}
