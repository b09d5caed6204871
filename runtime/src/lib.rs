//! `ibops`: the crate RDMA providers depend on.
//!
//! It holds the verbs data types ([`verbs`], [`object`]), the ops table
//! [`IbDeviceOps`] generated from `ops.toml` (one `Option<fn>` per op of
//! today's kernel `struct ib_device_ops`, plus its members and object
//! sizes), its merge with `SET_DEVICE_OP` semantics, device registration
//! with the mandatory-op check, the generated dispatch layer (with per-op
//! tracing and counters under the `trace` feature, see [`stats`]), the
//! verbs API over it, and the public doors a provider outside this crate
//! needs: the reference provider, `ibops-soft`, is written on them alone.
//!
//! This page is the workspace's landing page (`cargo doc --workspace
//! --no-deps`, then `target/doc/ibops/index.html`). The other crates:
//! [`ibops_derive`](../ibops_derive/index.html), the
//! `#[derive(DeviceOps)]` and `#[device_ops]` macros re-exported here;
//! [`ibops_codegen`](../ibops_codegen/index.html), the library behind the
//! `ibops-codegen` command that generates this crate's tables from
//! `ops.toml` and audits C against it;
//! [`ibops_soft`](../ibops_soft/index.html), the reference provider, a
//! software RDMA device; [`ibops_uverbs`](../ibops_uverbs/index.html),
//! rdma-core's userspace table. The repository's README.md has the
//! commands, and CHANGELOG.md what changed.
//!
//! # Writing a provider
//!
//! A provider is a set of functions with the signatures of the ops it
//! implements (each op's signature is on its [`IbDeviceOps`] field and in
//! [`OPS`]), gathered into a `const` table by `#[derive(DeviceOps)]` or, as
//! here, `#[device_ops]` on an impl block. `mandatory` makes the compiler
//! check that the table has every op registration requires; `obj_size`
//! declares the state type of the provider's objects, which the core checks
//! on every object the provider creates. This device completes nothing, but
//! registers and serves the verbs API:
//!
//! ```
//! use ibops::prelude::*;
//!
//! /// The provider's state of a PD and of a CQ.
//! struct NullPd;
//! struct NullCq { depth: u32 }
//!
//! struct NullOps;
//!
//! #[device_ops(mandatory, driver_id = DriverId::Soft, obj_size(pd = NullPd, cq = NullCq))]
//! impl NullOps {
//!     fn query_device(device: &Device, _: &mut Udata) -> Result<DeviceAttr, Error> {
//!         Ok(DeviceAttr { max_cqe: 64, phys_port_cnt: device.phys_port_cnt(), ..DeviceAttr::default() })
//!     }
//!     fn query_port(_: &Device, port: u8) -> Result<PortAttr, Error> {
//!         match port {
//!             1 => Ok(PortAttr { state: PortState::Active, ..PortAttr::default() }),
//!             _ => Err(Error::NotFound(format!("port {port}"))),
//!         }
//!     }
//!     fn get_port_immutable(_: &Device, _: u8) -> Result<PortImmutable, Error> {
//!         Ok(PortImmutable::default())
//!     }
//!     fn alloc_pd(_: &Device, _: Option<&Ucontext>, _: &mut Udata) -> Result<Private, Error> {
//!         Ok(Private::new(NullPd))
//!     }
//!     fn dealloc_pd(_: &Pd) -> Result<(), Error> { Ok(()) }
//!     fn create_cq(
//!         _: &Device, attr: &CqInitAttr, _: Option<&Ucontext>, _: &mut Udata,
//!     ) -> Result<Created<CqInfo>, Error> {
//!         Ok(Created::new(CqInfo { cqe: attr.cqe }, NullCq { depth: attr.cqe }))
//!     }
//!     fn destroy_cq(_: &Cq) -> Result<(), Error> { Ok(()) }
//!     fn poll_cq(cq: &Cq, _: &mut [WorkCompletion]) -> Result<usize, Error> {
//!         // The provider reaches its own state with a checked downcast.
//!         let _depth = cq.private::<NullCq>()?.depth;
//!         Ok(0)
//!     }
//!     fn req_notify_cq(_: &Cq, _: CqNotifyFlags) -> Result<bool, Error> { Ok(false) }
//!     fn create_qp(_: &Pd, _: &QpInitAttr, _: &mut Udata) -> Result<Created<QpInfo>, Error> {
//!         Err(Error::NoMemory("the null device has no QPs"))
//!     }
//!     fn modify_qp(_: &Qp, _: &QpAttr, _: QpAttrMask, _: &mut Udata) -> Result<(), Error> { Ok(()) }
//!     fn destroy_qp(_: &Qp) -> Result<(), Error> { Ok(()) }
//!     fn post_send(_: &Qp, _: &[SendWr]) -> Result<(), Error> { Ok(()) }
//!     fn post_recv(_: &Qp, _: &[RecvWr]) -> Result<(), Error> { Ok(()) }
//!     fn get_dma_mr(_: &Pd, _: AccessFlags) -> Result<Created<MrKeys>, Error> {
//!         Err(Error::NoMemory("the null device has no MRs"))
//!     }
//!     fn reg_user_mr(
//!         _: &Pd, _: &UserMemory, _: u64, _: AccessFlags, _: &mut Udata,
//!     ) -> Result<Created<MrKeys>, Error> {
//!         Err(Error::NoMemory("the null device has no MRs"))
//!     }
//!     fn dereg_mr(_: &Mr) -> Result<(), Error> { Ok(()) }
//! }
//!
//! // Probe: merge the table (several tables merge as ib_set_device_ops()
//! // merges them), register, and use the device through the verbs API.
//! let mut builder = DeviceBuilder::new("null0");
//! builder.set_ops(&NullOps::OPS)?;
//! let dev = builder.register()?;
//! let _pd = dev.alloc_pd()?;
//! let cq = dev.create_cq(&CqInitAttr::new(16))?;
//! let mut wc = [WorkCompletion::default(); 4];
//! assert_eq!(cq.poll(&mut wc)?, 0);
//! // An op the table lacks is an error naming it, never a crash.
//! assert_eq!(cq.resize(32), Err(Error::NotSupported(OpId::ResizeCq)));
//! # Ok::<(), Error>(())
//! ```
//!
//! A table built by hand merges and registers the same way; registration
//! refuses a device without every mandatory op, naming them all:
//!
//! ```
//! use ibops::prelude::*;
//!
//! let mut dev = DeviceBuilder::new("demo0");
//! dev.set_ops(&IbDeviceOps::EMPTY)?;
//! let Err(Error::MissingMandatory(missing)) = dev.register() else { panic!() };
//! assert!(missing.contains(&OpId::PostSend));
//! # Ok::<(), ibops::MergeConflict>(())
//! ```
//!
//! # Features
//!
//! - `trace`: the dispatch runs every op call in a `tracing` span and
//!   counts calls, errors and time per device ([`Device::op_stats`]); off,
//!   the dispatch is a plain call through the table.

#![forbid(unsafe_code)]

// Lets the derive's `::ibops::` paths resolve inside this crate too.
extern crate self as ibops;

mod api;
pub mod buffer;
pub mod device;
pub mod error;
pub mod event;
// Generated by ibops-codegen and formatted by prettyplease, not rustfmt.
#[rustfmt::skip]
mod generated;
pub mod object;
pub mod oob;
pub mod ops;
pub mod private;
pub mod registry;
pub mod stats;
pub mod verbs;

pub use buffer::Buffer;
pub use device::{Device, DeviceBuilder};
pub use error::{Error, Result, WrError};
pub use event::{AsyncEvent, EventHandlerId, EventSender};
#[cfg(feature = "derive")]
pub use ibops_derive::{DeviceOps, device_ops};
pub use ops::{IbDeviceOps, MergeConflict, OPS, ObjSize, OpId, OpInfo, ProvideOps};
pub use private::{Created, Private};
pub use registry::Registry;

/// Everything a provider names: the ops table, devices, objects, verbs
/// types and errors. Generated code and providers `use ibops::prelude::*`.
pub mod prelude {
    pub use crate::buffer::Buffer;
    pub use crate::device::{Device, DeviceBuilder};
    pub use crate::error::{Error, WrError};
    pub use crate::event::{AsyncEvent, EventHandlerId, EventSender};
    pub use crate::object::*;
    pub use crate::ops::{IbDeviceOps, MergeConflict, ObjSize, OpId, ProvideOps};
    pub use crate::private::{Created, Private};
    pub use crate::registry::Registry;
    pub use crate::verbs::*;
    #[cfg(feature = "derive")]
    pub use ibops_derive::{DeviceOps, device_ops};
    pub use std::sync::Arc;
}
