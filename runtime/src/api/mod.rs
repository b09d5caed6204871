//! The verbs API: methods on devices and object handles that go through the
//! generated dispatch, the way libibverbs and the kernel's core wrappers sit
//! over the ops table.
//!
//! The core checks what it can before calling the provider (port numbers,
//! access-flag combinations, objects of another device) and builds the
//! object handles from what the provider's create op returns. An op the
//! provider lacks is [`Error::NotSupported`](crate::Error::NotSupported)
//! naming it.
//!
//! One file per object: [`device`](crate::Device) (query, PD and CQ
//! creation), `pd` (QPs, MRs, AHs, SRQs), `qp`, `cq`, `srq`, `mr`.

mod cq;
mod device;
mod mr;
mod pd;
mod qp;
mod srq;

use crate::verbs::Udata;

/// The driver data of a kernel-style call: none.
fn no_udata() -> Udata {
    Udata::none()
}
