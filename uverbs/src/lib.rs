//! rdma-core's userspace ops plane in Rust: the table of
//! `struct verbs_context_ops` (libibverbs/driver.h), generated from
//! `schemas/verbs_context_ops.toml` as `ibops`'s kernel table is from
//! `ops.toml`.
//!
//! A userspace provider builds its table with `#[derive(VerbsContextOps)]`
//! (the same compile-time checks as `#[derive(DeviceOps)]`: an unknown op
//! gets a did-you-mean, a function of the wrong signature fails at its
//! path). A context starts from [`VerbsContextOps::DUMMY`], whose every
//! op answers [`Error::NotSupported`], and merges its provider's tables
//! over it last-wins, as `verbs_set_ops()` does, so a provider may overlay
//! a table for newer hardware on its common one:
//!
//! ```
//! use ibops_uverbs::prelude::*;
//!
//! #[derive(VerbsContextOps)]
//! #[verbs_ops(query_port, poll_cq = common_poll)]
//! struct Common;
//!
//! impl Common {
//!     fn query_port(_: &Ucontext, _: u8) -> Result<PortAttr, Error> {
//!         Ok(PortAttr::default())
//!     }
//! }
//!
//! fn common_poll(_: &Cq, _: &mut [WorkCompletion]) -> Result<usize, Error> {
//!     Ok(0)
//! }
//!
//! let mut ops = VerbsContextOps::DUMMY;
//! ops.merge(&Common::OPS)?;
//! assert!(ops.query_port.is_some() && ops.alloc_pd.is_some());
//! assert_eq!(ops.poll_cq.map(|f| f as usize), Some(common_poll as usize));
//! # Ok::<(), MergeConflict>(())
//! ```
//!
//! The verbs objects and attributes are `ibops`'s where the concept is the
//! same (a process's context on the device is [`ibops::object::Ucontext`]); the
//! concepts only userspace has are in [`types`].

#![forbid(unsafe_code)]

mod error;
mod generated;
pub mod ops;
pub mod types;

pub use error::Error;
pub use generated::op_id::{OPS, VerbsOpId};
pub use generated::ops_struct::VerbsContextOps;
pub use ops::ProvideVerbsOps;

/// Everything a userspace provider names: `ibops`'s verbs types, this
/// crate's own, the table and its derive.
pub mod prelude {
    pub use crate::error::Error;
    pub use crate::ops::{OpInfo, ProvideVerbsOps};
    pub use crate::types::*;
    pub use crate::{VerbsContextOps, VerbsOpId};
    pub use ibops::prelude::*;
    pub use ibops_derive::{VerbsContextOps, verbs_ops};
}
