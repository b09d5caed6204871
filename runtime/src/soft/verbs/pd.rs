//! Protection domains and address handles.

use crate::device::Device;
use crate::error::Result;
use crate::object::{Ah, Pd, Ucontext};
use crate::private::Private;
use crate::soft::device::soft_device;
use crate::soft::pd::{SoftAh, SoftPd, pd_id};
use crate::verbs::{AhAttr, Udata};

pub(in crate::soft) fn alloc_pd(
    device: &Device,
    _: Option<&Ucontext>,
    _: &mut Udata,
) -> Result<Private> {
    let soft = soft_device(device)?;
    let id = soft.pd_ids.take(&soft.counts.pd)?;
    Ok(Private::new(SoftPd { id }))
}

pub(in crate::soft) fn dealloc_pd(pd: &Pd) -> Result<()> {
    let soft = soft_device(pd.device())?;
    soft.pd_ids.release(pd_id(pd)?, &soft.counts.pd);
    Ok(())
}

pub(in crate::soft) fn create_ah(pd: &Pd, _: &AhAttr, _: &mut Udata) -> Result<Private> {
    soft_device(pd.device())?.counts.ah.acquire()?;
    Ok(Private::new(SoftAh))
}

pub(in crate::soft) fn query_ah(ah: &Ah) -> Result<AhAttr> {
    Ok(ah.data().attr)
}

pub(in crate::soft) fn destroy_ah(ah: &Ah) -> Result<()> {
    soft_device(ah.device())?.counts.ah.release();
    Ok(())
}
