//! Shared-receive-queue verbs.

use super::no_udata;
use crate::error::Result;
use crate::object::Srq;
use crate::verbs::{RecvWr, SrqAttr, SrqAttrMask};

impl Srq {
    /// Posts receive work requests to the SRQ (`ibv_post_srq_recv`).
    ///
    /// # Errors
    /// [`crate::Error::BadWr`] with the index of the first one not posted.
    pub fn post_recv(&self, wrs: &[RecvWr]) -> Result<()> {
        self.device().ops().post_srq_recv(self, wrs)
    }

    /// Changes the limits selected by `mask` (`ibv_modify_srq`).
    ///
    /// # Errors
    /// The provider's error.
    pub fn modify(&self, attr: &SrqAttr, mask: SrqAttrMask) -> Result<()> {
        self.device()
            .ops()
            .modify_srq(self, attr, mask, &mut no_udata())
    }

    /// The current limits (`ibv_query_srq`).
    ///
    /// # Errors
    /// The provider's error.
    pub fn query(&self) -> Result<SrqAttr> {
        self.device().ops().query_srq(self)
    }
}
