//! The provider state of protection domains and address handles.

use ibops::error::Result;
use ibops::object::Pd;

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
