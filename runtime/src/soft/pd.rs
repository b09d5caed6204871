//! Protection domains and address handles.

use super::device::soft_device;
use crate::device::Device;
use crate::error::Result;
use crate::object::{Ah, Pd, Ucontext};
use crate::private::Private;
use crate::verbs::{AhAttr, Udata};

/// The provider state of a PD: the number memory regions and QPs are
/// matched by.
#[derive(Debug)]
pub(super) struct SoftPd {
    pub(super) id: u32,
}

/// The provider state of an address handle: nothing beyond the core's
/// data (its PD and address vector), which `query_ah` reports.
#[derive(Debug)]
pub(super) struct SoftAh;

/// The PD id of `pd`.
pub(super) fn pd_id(pd: &Pd) -> Result<u32> {
    Ok(pd.private::<SoftPd>()?.id)
}

pub(super) fn alloc_pd(device: &Device, _: Option<&Ucontext>, _: &mut Udata) -> Result<Private> {
    let soft = soft_device(device)?;
    soft.counts.pd.acquire()?;
    match soft.pd_ids.take() {
        Ok(id) => Ok(Private::new(SoftPd { id })),
        Err(err) => {
            soft.counts.pd.release();
            Err(err)
        }
    }
}

pub(super) fn dealloc_pd(pd: &Pd) -> Result<()> {
    let soft = soft_device(pd.device())?;
    soft.pd_ids.release(pd_id(pd)?);
    soft.counts.pd.release();
    Ok(())
}

pub(super) fn create_ah(pd: &Pd, _: &AhAttr, _: &mut Udata) -> Result<Private> {
    soft_device(pd.device())?.counts.ah.acquire()?;
    Ok(Private::new(SoftAh))
}

pub(super) fn query_ah(ah: &Ah) -> Result<AhAttr> {
    Ok(ah.data().attr)
}

pub(super) fn destroy_ah(ah: &Ah) -> Result<()> {
    soft_device(ah.device())?.counts.ah.release();
    Ok(())
}
