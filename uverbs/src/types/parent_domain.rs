//! A parent domain (`struct ibv_parent_domain_init_attr`): a protection
//! domain bound to a thread domain.

use ibops::prelude::Pd;

use super::Td;

/// What `alloc_parent_domain` builds on.
#[derive(Debug)]
pub struct ParentDomainInitAttr {
    /// The protection domain the parent domain stands for.
    pub pd: Pd,
    /// The thread domain its objects are used from, if one.
    pub td: Option<Td>,
}
