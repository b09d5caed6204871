//! Shared receive queues: a [`RecvQueue`] that QPs created with it take
//! their receives from.

use std::sync::Arc;

use super::device::soft_device;
use super::limits::check;
use super::recv::RecvQueue;
use crate::error::Result;
use crate::object::{Pd, Srq};
use crate::private::Created;
use crate::verbs::{RecvWr, SrqAttr, SrqAttrMask, SrqInitAttr, Udata};

/// The SRQ's provider state: its receive queue.
pub(super) fn soft_srq(srq: &Srq) -> Result<&Arc<RecvQueue>> {
    srq.private::<Arc<RecvQueue>>()
}

pub(super) fn create_srq(pd: &Pd, init: &SrqInitAttr, _: &mut Udata) -> Result<Created<SrqAttr>> {
    let device = soft_device(pd.device())?;
    let attr = init.attr;
    check(
        "max_srq_wr",
        u64::from(attr.max_wr),
        u64::from(device.limits.max_srq_wr),
    )?;
    check(
        "max_srq_sge",
        u64::from(attr.max_sge),
        u64::from(device.limits.max_sge),
    )?;
    device.counts.srq.acquire()?;
    let num = device
        .srq_nums
        .take()
        .inspect_err(|_| device.counts.srq.release())?;
    let events = Arc::clone(&device.deferred);
    let queue = RecvQueue::shared(attr.max_wr, attr.max_sge, num, events);
    queue.set_limits(None, Some(attr.srq_limit))?;
    Ok(Created::new(attr, Arc::new(queue)).numbered(num))
}

pub(super) fn modify_srq(
    srq: &Srq,
    attr: &SrqAttr,
    mask: SrqAttrMask,
    _: &mut Udata,
) -> Result<()> {
    let device = soft_device(srq.device())?;
    if mask.contains(SrqAttrMask::MAX_WR) {
        check(
            "max_srq_wr",
            u64::from(attr.max_wr),
            u64::from(device.limits.max_srq_wr),
        )?;
    }
    soft_srq(srq)?.set_limits(
        mask.contains(SrqAttrMask::MAX_WR).then_some(attr.max_wr),
        mask.contains(SrqAttrMask::LIMIT).then_some(attr.srq_limit),
    )
}

pub(super) fn query_srq(srq: &Srq) -> Result<SrqAttr> {
    let (max_wr, srq_limit) = soft_srq(srq)?.limits();
    Ok(SrqAttr {
        max_wr,
        max_sge: srq.data().attr.max_sge,
        srq_limit,
    })
}

pub(super) fn destroy_srq(srq: &Srq) -> Result<()> {
    let device = soft_device(srq.device())?;
    if let Some(num) = soft_srq(srq)?.srq_num() {
        device.srq_nums.release(num);
    }
    device.counts.srq.release();
    Ok(())
}

pub(super) fn post_srq_recv(srq: &Srq, wrs: &[RecvWr]) -> Result<()> {
    let device = soft_device(srq.device())?;
    let _events = device.deferred.on_return();
    soft_srq(srq)?.post(device, wrs)
}
