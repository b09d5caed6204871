//! Queue-pair verbs: state changes, queries and posting.

use super::no_udata;
use crate::error::Result;
use crate::object::Qp;
use crate::verbs::{
    AccessFlags, QpAttr, QpAttrMask, QpQuery, QpState, RcEndpoint, RcPath, RecvWr, SendWr,
};

impl Qp {
    /// The queue pair number.
    #[inline]
    pub fn qp_num(&self) -> u32 {
        self.data().info.qp_num
    }

    /// Changes the attributes selected by `mask`, moving to
    /// `attr.qp_state` when `mask` has `STATE` (`ibv_modify_qp`). An invalid
    /// transition or mask fails and changes nothing.
    ///
    /// # Errors
    /// The provider's error, e.g. [`crate::Error::InvalidArgument`] naming
    /// the missing or unexpected attributes.
    pub fn modify(&self, attr: &QpAttr, mask: QpAttrMask) -> Result<()> {
        self.device()
            .ops()
            .modify_qp(self, attr, mask, &mut no_udata())
    }

    /// The current attributes and the creation attributes (`ibv_query_qp`).
    ///
    /// # Errors
    /// The provider's error.
    pub fn query(&self, mask: QpAttrMask) -> Result<QpQuery> {
        self.device().ops().query_qp(self, mask)
    }

    /// The current state.
    ///
    /// # Errors
    /// The provider's error.
    pub fn state(&self) -> Result<QpState> {
        Ok(self.query(QpAttrMask::STATE)?.attr.qp_state)
    }

    /// Posts send work requests (`ibv_post_send`); on failure the error is
    /// [`crate::Error::BadWr`] with the index of the first one not posted.
    ///
    /// # Errors
    /// As above.
    #[inline]
    pub fn post_send(&self, wrs: &[SendWr]) -> Result<()> {
        self.device().ops().post_send(self, wrs)
    }

    /// Posts receive work requests (`ibv_post_recv`).
    ///
    /// # Errors
    /// As [`post_send`](Self::post_send).
    #[inline]
    pub fn post_recv(&self, wrs: &[RecvWr]) -> Result<()> {
        self.device().ops().post_recv(self, wrs)
    }

    /// Moves the QP to the error state and returns once every send work
    /// request posted to it has completed, flushed if it had not run
    /// (`ib_drain_sq`).
    ///
    /// # Errors
    /// [`crate::Error::NotSupported`] when the provider has no `drain_sq`.
    pub fn drain_sq(&self) -> Result<()> {
        self.device().ops().drain_sq(self)
    }

    /// Moves the QP to the error state and returns once every receive
    /// posted to it has completed, flushed if it had not been used
    /// (`ib_drain_rq`).
    ///
    /// # Errors
    /// [`crate::Error::NotSupported`] when the provider has no `drain_rq`.
    pub fn drain_rq(&self) -> Result<()> {
        self.device().ops().drain_rq(self)
    }
}

impl Qp {
    /// Brings an RC QP from RESET to RTS, connected to the QP `dest_qp_num`
    /// of the same fabric, letting the peer use `access` on it: the three
    /// `modify` calls of `ibv_rc_pingpong`.
    ///
    /// # Errors
    /// The first transition that fails; the QP stays where it got to.
    pub fn connect_rc(&self, dest_qp_num: u32, access: AccessFlags, rnr_retry: u8) -> Result<()> {
        let port = 1;
        let mtu = self.device().query_port(port)?.active_mtu;
        for (attr, mask) in [
            QpAttr::rc_init(port, access),
            QpAttr::rc_rtr(dest_qp_num, mtu, port),
            QpAttr::rc_rts(rnr_retry),
        ] {
            self.modify(&attr, mask)?;
        }
        Ok(())
    }

    /// Brings an RC QP from RESET to RTS, connected to `remote` (in another
    /// process or on another host, as its end told this one), sending from
    /// PSN `local_psn`, as `path` says.
    ///
    /// # Errors
    /// The first transition that fails; the QP stays where it got to.
    pub fn connect_to(&self, local_psn: u32, remote: &RcEndpoint, path: &RcPath) -> Result<()> {
        for (attr, mask) in path.transitions(local_psn, remote) {
            self.modify(&attr, mask)?;
        }
        Ok(())
    }

    /// Brings a UD QP from RESET to RTS with Q_Key `qkey`.
    ///
    /// # Errors
    /// The first transition that fails.
    pub fn activate_ud(&self, qkey: u32) -> Result<()> {
        for (attr, mask) in [
            QpAttr::ud_init(1, qkey),
            QpAttr::to_state(QpState::Rtr),
            QpAttr::ud_rts(),
        ] {
            self.modify(&attr, mask)?;
        }
        Ok(())
    }
}
