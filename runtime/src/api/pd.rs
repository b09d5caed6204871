//! Protection-domain verbs: the objects created in a PD.

use std::sync::Arc;

use super::no_udata;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::object::{Ah, AhData, Mr, MrData, Object, Pd, Qp, QpData, Srq, SrqData};
use crate::private::Created;
use crate::verbs::{AccessFlags, AhAttr, MrKeys, QpInitAttr, SrqInitAttr, UserMemory};

impl Pd {
    /// Creates a queue pair in the RESET state (`ibv_create_qp`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a CQ or the SRQ belongs to another
    /// device; the provider's error, e.g. [`Error::LimitExceeded`] for
    /// queue sizes past its limits.
    pub fn create_qp(self: &Arc<Self>, init: &QpInitAttr) -> Result<Arc<Qp>> {
        let device = self.device();
        let foreign = |other: &Device| !other.same(device);
        if foreign(init.send_cq.device()) || foreign(init.recv_cq.device()) {
            return Err(Error::InvalidArgument("a CQ of another device"));
        }
        if init.srq.as_ref().is_some_and(|srq| foreign(srq.device())) {
            return Err(Error::InvalidArgument("an SRQ of another device"));
        }
        let created = device.ops().create_qp(self, init, &mut no_udata())?;
        let data = QpData {
            pd: Arc::clone(self),
            init: init.clone(),
            info: created.info,
        };
        Object::new(device.clone(), data, created.private)
    }

    /// Registers `memory` with `access` rights (`ibv_reg_mr`); SGEs and
    /// remote peers address it from [`UserMemory::addr`].
    ///
    /// # Errors
    /// As [`reg_mr_at`](Self::reg_mr_at).
    pub fn reg_mr(self: &Arc<Self>, memory: &UserMemory, access: AccessFlags) -> Result<Arc<Mr>> {
        self.reg_mr_at(memory, memory.addr(), access)
    }

    /// Registers `memory` so that it is addressed from `iova`
    /// (`ibv_reg_mr_iova`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for remote write or atomic access without
    /// local write (as `ib_check_mr_access`) or an empty range; the
    /// provider's error, e.g. [`Error::LimitExceeded`] past its MR size.
    pub fn reg_mr_at(
        self: &Arc<Self>,
        memory: &UserMemory,
        iova: u64,
        access: AccessFlags,
    ) -> Result<Arc<Mr>> {
        access.validate()?;
        if memory.length == 0 {
            return Err(Error::InvalidArgument("an empty memory region"));
        }
        let created =
            self.device()
                .ops()
                .reg_user_mr(self, memory, iova, access, &mut no_udata())?;
        self.mr(created, access, Some(memory.clone()), iova)
    }

    /// A memory region over all memory the PD can reach (`ib_get_dma_mr`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid access combination; the
    /// provider's error.
    pub fn get_dma_mr(self: &Arc<Self>, access: AccessFlags) -> Result<Arc<Mr>> {
        access.validate()?;
        let created = self.device().ops().get_dma_mr(self, access)?;
        self.mr(created, access, None, 0)
    }

    /// The handle of a region the provider created in this PD.
    fn mr(
        self: &Arc<Self>,
        created: Created<MrKeys>,
        access: AccessFlags,
        memory: Option<UserMemory>,
        iova: u64,
    ) -> Result<Arc<Mr>> {
        let data = MrData {
            pd: Arc::clone(self),
            keys: created.info,
            access,
            memory,
            iova,
        };
        Object::new(self.device().clone(), data, created.private)
    }

    /// Creates an address handle for `attr` (`ibv_create_ah`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for a port the device does not have; the
    /// provider's error.
    pub fn create_ah(self: &Arc<Self>, attr: &AhAttr) -> Result<Arc<Ah>> {
        let device = self.device();
        device.check_port(attr.port_num)?;
        let private = device.ops().create_ah(self, attr, &mut no_udata())?;
        let data = AhData {
            pd: Arc::clone(self),
            attr: *attr,
        };
        Object::new(device.clone(), data, private)
    }

    /// Creates a shared receive queue (`ibv_create_srq`).
    ///
    /// # Errors
    /// The provider's error, e.g. [`Error::LimitExceeded`] past its limits.
    pub fn create_srq(self: &Arc<Self>, init: &SrqInitAttr) -> Result<Arc<Srq>> {
        let device = self.device();
        let created = device.ops().create_srq(self, init, &mut no_udata())?;
        let data = SrqData {
            pd: Arc::clone(self),
            attr: created.info,
        };
        Object::numbered(device.clone(), data, created.private, created.num)
    }
}
