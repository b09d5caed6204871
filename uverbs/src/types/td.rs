//! Thread domains (`struct ibv_td`): objects created in one are used by a
//! single thread, so the provider may drop its locks.

/// A thread domain the provider allocated, by its handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Td {
    /// The provider's handle of the domain.
    pub handle: u32,
}

/// How to allocate a thread domain (`struct ibv_td_init_attr`): its only
/// field is the compatibility mask extensions set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TdInitAttr {
    /// Which extension fields are valid (none are defined yet).
    pub comp_mask: u32,
}
