//! Device-level verbs: queries and the objects a device creates directly.

use std::sync::Arc;

use super::no_udata;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::object::{Cq, CqData, NoData, Object, Pd};
use crate::verbs::{CqInitAttr, DeviceAttr, Gid, PortAttr, PortImmutable};

impl Device {
    /// The device's attributes and limits (`ibv_query_device`).
    ///
    /// # Errors
    /// The provider's error.
    pub fn query_device(&self) -> Result<DeviceAttr> {
        self.ops().query_device(self, &mut no_udata())
    }

    /// The attributes of port `port_num` (`ibv_query_port`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for a port the device does not have.
    pub fn query_port(&self, port_num: u8) -> Result<PortAttr> {
        self.check_port(port_num)?;
        self.ops().query_port(self, port_num)
    }

    /// The immutable data of port `port_num` (table sizes, GID type).
    ///
    /// # Errors
    /// [`Error::NotFound`] for a port the device does not have.
    pub fn port_immutable(&self, port_num: u8) -> Result<PortImmutable> {
        self.check_port(port_num)?;
        self.ops().get_port_immutable(self, port_num)
    }

    /// Entry `index` of port `port_num`'s GID table (`ibv_query_gid`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for a port the device does not have; the
    /// provider's error for an index outside the table.
    pub fn query_gid(&self, port_num: u8, index: u32) -> Result<Gid> {
        self.check_port(port_num)?;
        self.ops().query_gid(self, port_num, index)
    }

    /// Entry `index` of port `port_num`'s P_Key table (`ibv_query_pkey`).
    ///
    /// # Errors
    /// As [`query_gid`](Self::query_gid).
    pub fn query_pkey(&self, port_num: u8, index: u16) -> Result<u16> {
        self.check_port(port_num)?;
        self.ops().query_pkey(self, port_num, index)
    }

    /// The firmware version string.
    ///
    /// # Errors
    /// [`Error::NotSupported`] when the provider does not report one.
    pub fn fw_version(&self) -> Result<String> {
        self.ops().get_dev_fw_str(self)
    }

    /// Allocates a protection domain (`ibv_alloc_pd`).
    ///
    /// # Errors
    /// The provider's error, e.g. [`Error::NoMemory`] past its limit.
    pub fn alloc_pd(&self) -> Result<Arc<Pd>> {
        let private = self.ops().alloc_pd(self, None, &mut no_udata())?;
        Object::new(self.clone(), NoData, private)
    }

    /// Creates a completion queue of at least `attr.cqe` entries
    /// (`ibv_create_cq`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero entries; the provider's error,
    /// e.g. [`Error::LimitExceeded`] past its `max_cqe`.
    pub fn create_cq(&self, attr: &CqInitAttr) -> Result<Arc<Cq>> {
        if attr.cqe == 0 {
            return Err(Error::InvalidArgument("a CQ needs at least one entry"));
        }
        let created = self.ops().create_cq(self, attr, None, &mut no_udata())?;
        let data = CqData {
            attr: attr.clone(),
            info: created.info,
        };
        Object::numbered(self.clone(), data, created.private, created.num)
    }

    /// [`Error::NotFound`] unless the device has port `port_num`.
    pub(super) fn check_port(&self, port_num: u8) -> Result<()> {
        if (1..=self.phys_port_cnt()).contains(&port_num) {
            Ok(())
        } else {
            Err(Error::NotFound(format!(
                "port {port_num} of {} (ports are 1..={})",
                self.name(),
                self.phys_port_cnt()
            )))
        }
    }
}
