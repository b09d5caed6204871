//! Memory registration: user regions over a [`ibops::Buffer`] and DMA
//! regions, each under a key of the device's key table.

use crate::device::soft_device;
use crate::keys::SoftMr;
use crate::limits::check;
use crate::pd::pd_id;
use ibops::error::{Error, Result};
use ibops::object::{Mr, Pd};
use ibops::private::Created;
use ibops::verbs::{AccessFlags, MrKeys, Udata, UserMemory};

/// The provider state of an MR: its key in the table.
#[derive(Debug)]
struct SoftMrKey(u32);

fn register(
    pd: &Pd,
    memory: Option<&UserMemory>,
    iova: u64,
    access: AccessFlags,
) -> Result<Created<MrKeys>> {
    access.validate()?;
    let soft = soft_device(pd.device())?;
    if let Some(memory) = memory {
        check("max_mr_size", memory.length as u64, soft.limits.max_mr_size)?;
        // The last byte's address must exist: a region may end at 2^64.
        if iova
            .checked_add((memory.length as u64).saturating_sub(1))
            .is_none()
        {
            return Err(Error::InvalidArgument("the region wraps the address space"));
        }
    }
    let pd = pd_id(pd)?;
    soft.counts.mr.acquire()?;
    let key = soft.keys.insert(SoftMr {
        pd,
        memory: memory.cloned(),
        iova,
        access,
    });
    let key = key.inspect_err(|_| soft.counts.mr.release())?;
    Ok(Created::new(
        MrKeys {
            lkey: key,
            rkey: key,
        },
        SoftMrKey(key),
    ))
}

pub(crate) fn reg_user_mr(
    pd: &Pd,
    memory: &UserMemory,
    iova: u64,
    access: AccessFlags,
    _: &mut Udata,
) -> Result<Created<MrKeys>> {
    register(pd, Some(memory), iova, access)
}

pub(crate) fn get_dma_mr(pd: &Pd, access: AccessFlags) -> Result<Created<MrKeys>> {
    register(pd, None, 0, access)
}

pub(crate) fn dereg_mr(mr: &Mr) -> Result<()> {
    let soft = soft_device(mr.device())?;
    soft.keys.remove(mr.private::<SoftMrKey>()?.0);
    soft.counts.mr.release();
    Ok(())
}
