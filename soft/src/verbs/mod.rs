//! The soft device's ops: the functions its tables name, one file per kind
//! of object. They check what a verb is given against the device's limits
//! and the objects' state, and hand the work to the modules below.

pub(super) mod cq;
pub(super) mod device;
pub(super) mod mr;
pub(super) mod pd;
pub(super) mod post;
pub(super) mod qp;
pub(super) mod srq;
