//! `ibops`: the crate RDMA providers depend on.
//!
//! It holds the verbs data types, the ops table [`IbDeviceOps`] generated from
//! `ops.toml` (one `Option<fn>` per op of the kernel's `struct ib_device_ops`),
//! its merge with `SET_DEVICE_OP` semantics, device registration with the
//! mandatory-op check, and the generated dispatch layer.
//!
//! A provider builds its table at compile time with `#[derive(DeviceOps)]`
//! and merges it into a device:
//!
//! ```
//! use ibops::prelude::*;
//!
//! fn query_device(_: &Device, _: &mut Udata) -> Result<DeviceAttr, Error> {
//!     Ok(DeviceAttr { max_qp: 64, ..DeviceAttr::default() })
//! }
//!
//! let mut ops = IbDeviceOps::EMPTY;
//! ops.query_device = Some(query_device);
//! let mut dev = DeviceBuilder::new("demo0");
//! dev.set_ops(&ops)?;
//! // Registration refuses a device without every mandatory op, naming them all.
//! let Err(Error::MissingMandatory(missing)) = dev.register() else { panic!() };
//! assert!(missing.contains(&OpId::PostSend));
//! # Ok::<(), ibops::MergeConflict>(())
//! ```

pub mod device;
pub mod error;
#[allow(missing_docs, unreachable_pub)]
mod generated;
pub mod object;
pub mod ops;
pub mod private;
pub mod verbs;

pub use device::{Device, DeviceBuilder};
pub use error::{Error, Result, WrError};
pub use ibops_derive::DeviceOps;
pub use ops::{IbDeviceOps, MergeConflict, OPS, OpId, OpInfo, ProvideOps};
pub use private::{Created, Private};

/// Everything a provider names: the ops table, devices, objects, verbs
/// types and errors. Generated code and providers `use ibops::prelude::*`.
pub mod prelude {
    pub use crate::device::{Device, DeviceBuilder};
    pub use crate::error::{Error, WrError};
    pub use crate::object::*;
    pub use crate::ops::{IbDeviceOps, MergeConflict, OpId, ProvideOps};
    pub use crate::private::{Created, Private};
    pub use crate::verbs::*;
    pub use ibops_derive::DeviceOps;
}
