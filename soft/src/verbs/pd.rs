//! Protection domains and address handles.

use crate::device::soft_device;
use crate::pd::{SoftAh, SoftPd, pd_id};
use ibops::device::Device;
use ibops::error::Result;
use ibops::object::{Ah, Pd, Ucontext};
use ibops::private::Private;
use ibops::verbs::{AhAttr, Udata};

pub(crate) fn alloc_pd(device: &Device, _: Option<&Ucontext>, _: &mut Udata) -> Result<Private> {
    let soft = soft_device(device)?;
    let id = soft.pd_ids.take(&soft.counts.pd)?;
    Ok(Private::new(SoftPd { id }))
}

pub(crate) fn dealloc_pd(pd: &Pd) -> Result<()> {
    let soft = soft_device(pd.device())?;
    soft.pd_ids.release(pd_id(pd)?, &soft.counts.pd);
    Ok(())
}

pub(crate) fn create_ah(pd: &Pd, _: &AhAttr, _: &mut Udata) -> Result<Private> {
    soft_device(pd.device())?.counts.ah.acquire()?;
    Ok(Private::new(SoftAh))
}

pub(crate) fn query_ah(ah: &Ah) -> Result<AhAttr> {
    Ok(ah.data().attr)
}

pub(crate) fn destroy_ah(ah: &Ah) -> Result<()> {
    soft_device(ah.device())?.counts.ah.release();
    Ok(())
}
