//! `#[derive(DeviceOps)]` and `#[device_ops]`: an RDMA provider's ops table,
//! built as a `const` and checked at compile time against the schema's op
//! table (generated from `ops.toml`).
//!
//! This crate is the thin entry point; the work is plain functions over
//! `proc_macro2`: [`attr`] parses, [`check`] validates (errors accumulated
//! in [`ctxt`]), [`expand`] emits. Use it through `ibops::DeviceOps` and
//! `ibops::device_ops`.

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
