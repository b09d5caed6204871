//! `#[derive(DeviceOps)]` and `#[device_ops]`: an RDMA provider's ops table,
//! built as a `const` and checked at compile time against the schema's op
//! table (generated from `ops.toml`, so the proc-macro never reads it).
//! Use it through `ibops::DeviceOps` and `ibops::device_ops`; the `ibops`
//! crate's front page walks through a complete provider.
//!
//! ```
//! use ibops::prelude::*;
//!
//! mod cq {
//!     use ibops::prelude::*;
//!     pub fn poll(_: &Cq, _: &mut [WorkCompletion]) -> Result<usize, Error> {
//!         Ok(0)
//!     }
//! }
//!
//! struct MyCq;
//!
//! #[derive(DeviceOps)]
//! #[device_ops(driver_id = DriverId::Soft, uverbs_abi_ver = 1, obj_size(cq = MyCq))]
//! #[device_ops(query_device, poll_cq = cq::poll)]
//! struct MyOps;
//!
//! impl MyOps {
//!     fn query_device(_: &Device, _: &mut Udata) -> Result<DeviceAttr, Error> {
//!         Ok(DeviceAttr::default())
//!     }
//! }
//!
//! let ops: IbDeviceOps = MyOps::OPS;
//! assert!(ops.poll_cq.is_some() && ops.post_send.is_none());
//! assert_eq!(ops.driver_id, DriverId::Soft);
//! assert!(ops.size_ib_cq.is_some_and(|s| s.type_name().ends_with("MyCq")));
//! ```
//!
//! Every mistake is a compile error at its token, all of them at once:
//! an unknown op (`did you mean ...?`), a duplicate, a member given the
//! wrong kind of value, an unknown object size, `mandatory` naming what is
//! missing, a function of the wrong signature (rustc's type error on its
//! path).
//!
//! Inside, the work is plain functions over `proc_macro2` (so it is
//! snapshot-tested): the attribute parser, the checks against the schema's
//! table with errors accumulated, and the expansion.

#![forbid(unsafe_code)]

mod attr;
mod check;
mod ctxt;
mod expand;
mod table;

#[cfg(test)]
mod snapshot_tests;

use proc_macro::TokenStream;

/// Implements `ibops::ProvideOps` with a `const` ops table.
///
/// ```ignore
/// #[derive(DeviceOps)]
/// #[device_ops(driver_id = DriverId::Soft, uverbs_abi_ver = 1)]
/// #[device_ops(query_device, post_send = datapath::post_send, mandatory)]
/// struct SoftOps;
/// ```
///
/// A bare op name means `Self::name`; `op = path` names any function;
/// members take the value kind the schema gives them; `mandatory` requires
/// the table alone to provide every mandatory op. Ops not named are `None`.
#[proc_macro_derive(DeviceOps, attributes(device_ops))]
pub fn derive_device_ops(input: TokenStream) -> TokenStream {
    expand::derive(input.into()).into()
}

/// On an inherent impl block: every function of the block is an op, and the
/// block's type gets the same `ibops::ProvideOps` impl the derive makes.
/// The attribute takes members and `mandatory` like `#[device_ops(...)]`.
///
/// ```ignore
/// #[ibops::device_ops(driver_id = DriverId::Soft)]
/// impl SoftOps {
///     fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<(), Error> { .. }
/// }
/// ```
#[proc_macro_attribute]
pub fn device_ops(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(args.into(), item.into()).into()
}
