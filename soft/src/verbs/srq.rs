//! Shared receive queues: a [`RecvQueue`] that QPs created with it take
//! their receives from.

use std::sync::Arc;

use crate::device::soft_device;
use crate::limits::{check, check_size};
use crate::recv::{RecvQueue, soft_srq};
use ibops::error::{Error, Result};
use ibops::object::{Pd, Srq};
use ibops::private::Created;
use ibops::verbs::{SrqAttr, SrqAttrMask, SrqInitAttr, Udata};

/// Why an SRQ of no receives is refused.
const NO_ROOM: &str = "an SRQ needs room for at least one receive";

pub(crate) fn create_srq(pd: &Pd, init: &SrqInitAttr, _: &mut Udata) -> Result<Created<SrqAttr>> {
    let device = soft_device(pd.device())?;
    let attr = init.attr;
    check_size("max_srq_wr", attr.max_wr, device.limits.max_srq_wr, NO_ROOM)?;
    check("max_srq_sge", attr.max_sge, device.limits.max_sge)?;
    if attr.srq_limit > attr.max_wr {
        return Err(Error::InvalidArgument("srq_limit above max_wr"));
    }
    let num = device.srq_nums.take(&device.counts.srq)?;
    let deferred = Arc::clone(&device.deferred);
    let queue = RecvQueue::shared(attr.max_wr, attr.max_sge, num, deferred);
    queue.set_limits(None, Some(attr.srq_limit))?;
    Ok(Created::new(attr, Arc::new(queue)).numbered(num))
}

pub(crate) fn modify_srq(
    srq: &Srq,
    attr: &SrqAttr,
    mask: SrqAttrMask,
    _: &mut Udata,
) -> Result<()> {
    let device = soft_device(srq.device())?;
    if mask.contains(SrqAttrMask::MAX_WR) {
        check_size("max_srq_wr", attr.max_wr, device.limits.max_srq_wr, NO_ROOM)?;
    }
    soft_srq(srq)?.set_limits(
        mask.contains(SrqAttrMask::MAX_WR).then_some(attr.max_wr),
        mask.contains(SrqAttrMask::LIMIT).then_some(attr.srq_limit),
    )
}

pub(crate) fn query_srq(srq: &Srq) -> Result<SrqAttr> {
    let (max_wr, srq_limit) = soft_srq(srq)?.limits();
    Ok(SrqAttr {
        max_wr,
        max_sge: srq.data().attr.max_sge,
        srq_limit,
    })
}

pub(crate) fn destroy_srq(srq: &Srq) -> Result<()> {
    let device = soft_device(srq.device())?;
    let counted = &device.counts.srq;
    match soft_srq(srq)?.srq_num() {
        Some(num) => device.srq_nums.release(num, counted),
        // Every SRQ is numbered; this is only the count's way back.
        None => counted.release(),
    }
    Ok(())
}
