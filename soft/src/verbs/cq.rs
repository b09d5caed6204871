//! Completion queues: create, destroy, poll, peek, notify, resize.

use std::sync::Arc;

use crate::cq::{SoftCq, soft_cq};
use crate::device::soft_device;
use crate::limits::check_size;
use ibops::device::Device;
use ibops::error::{Error, Result};
use ibops::object::{Cq, Ucontext};
use ibops::private::Created;
use ibops::verbs::{CqInfo, CqInitAttr, CqNotifyFlags, Udata, WorkCompletion};

/// Why a CQ of no entries is refused.
const NO_ENTRY: &str = "a CQ needs at least one entry";

pub(crate) fn create_cq(
    device: &Device,
    attr: &CqInitAttr,
    _: Option<&Ucontext>,
    _: &mut Udata,
) -> Result<Created<CqInfo>> {
    let soft = soft_device(device)?;
    check_size("max_cqe", attr.cqe, soft.limits.max_cqe, NO_ENTRY)?;
    if attr.comp_vector >= soft.limits.num_comp_vectors {
        return Err(Error::InvalidArgument(
            "comp_vector names a completion vector the device does not have",
        ));
    }
    let num = soft.cq_nums.take(&soft.counts.cq)?;
    let deferred = Arc::clone(&soft.deferred);
    let cq = SoftCq::new(attr.cqe as usize, attr.channel.clone(), num, deferred);
    Ok(Created::new(CqInfo { cqe: attr.cqe }, Arc::new(cq)).numbered(num))
}

pub(crate) fn destroy_cq(cq: &Cq) -> Result<()> {
    let soft = soft_device(cq.device())?;
    soft.cq_nums.release(soft_cq(cq)?.num, &soft.counts.cq);
    Ok(())
}

pub(crate) fn poll_cq(cq: &Cq, wc: &mut [WorkCompletion]) -> Result<usize> {
    soft_cq(cq)?.poll(wc)
}

pub(crate) fn peek_cq(cq: &Cq, max: usize) -> Result<usize> {
    Ok(soft_cq(cq)?.peek(max))
}

pub(crate) fn req_notify_cq(cq: &Cq, flags: CqNotifyFlags) -> Result<bool> {
    if !flags.intersects(CqNotifyFlags::NEXT_COMP | CqNotifyFlags::SOLICITED) {
        return Err(Error::InvalidArgument("arm with NEXT_COMP or SOLICITED"));
    }
    Ok(soft_cq(cq)?.arm(flags))
}

pub(crate) fn resize_cq(cq: &Cq, cqe: u32, _: &mut Udata) -> Result<u32> {
    let limit = soft_device(cq.device())?.limits.max_cqe;
    check_size("max_cqe", cqe, limit, NO_ENTRY)?;
    soft_cq(cq)?.resize(cqe)?;
    Ok(cqe)
}
