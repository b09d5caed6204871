//! The soft device's state (limits, the QP-number and key tables, live
//! counts) and the device, port, GID and P_Key queries.

use core::sync::atomic::{AtomicU32, Ordering};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::counts::{Counter, LiveObjects};
use super::keys::KeyTable;
use super::limits::Limits;
use super::qp::SoftQp;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::verbs::{
    DeviceAttr, DeviceCapFlags, Gid, GidType, LinkLayer, PortAttr, PortCapFlags, PortImmutable,
    PortState, Udata,
};

/// The P_Key of the one P_Key table entry: the default full-member key.
pub(super) const DEFAULT_PKEY: u16 = 0xffff;
/// The subnet prefix of the one GID: link-local.
const LINK_LOCAL_PREFIX: u64 = 0xfe80_0000_0000_0000;

/// The device-wide state of one soft device.
#[derive(Debug)]
pub(super) struct SoftDevice {
    pub(super) limits: Limits,
    pub(super) atomics: bool,
    pub(super) srq: bool,
    pub(super) guid: u64,
    pub(super) keys: KeyTable,
    qps: RwLock<HashMap<u32, Arc<SoftQp>>>,
    next_qpn: AtomicU32,
    next_pd: AtomicU32,
    pub(super) counts: Counts,
}

/// One live-object counter per kind.
#[derive(Debug)]
pub(super) struct Counts {
    pub(super) pd: Counter,
    pub(super) cq: Counter,
    pub(super) qp: Counter,
    pub(super) mr: Counter,
    pub(super) srq: Counter,
    pub(super) ah: Counter,
}

impl SoftDevice {
    pub(super) fn new(limits: Limits, atomics: bool, srq: bool, guid: u64) -> SoftDevice {
        SoftDevice {
            limits,
            atomics,
            srq,
            guid,
            keys: KeyTable::default(),
            qps: RwLock::new(HashMap::new()),
            // QP numbers 0 and 1 are the special QPs (SMI and GSI).
            next_qpn: AtomicU32::new(2),
            next_pd: AtomicU32::new(1),
            counts: Counts {
                pd: Counter::new("max_pd", limits.max_pd),
                cq: Counter::new("max_cq", limits.max_cq),
                qp: Counter::new("max_qp", limits.max_qp),
                mr: Counter::new("max_mr", limits.max_mr),
                srq: Counter::new("max_srq", limits.max_srq),
                ah: Counter::new("max_ah", limits.max_ah),
            },
        }
    }

    pub(super) fn live(&self) -> LiveObjects {
        let c = &self.counts;
        LiveObjects {
            pd: c.pd.live(),
            cq: c.cq.live(),
            qp: c.qp.live(),
            mr: c.mr.live(),
            srq: c.srq.live(),
            ah: c.ah.live(),
        }
    }

    pub(super) fn next_pd_id(&self) -> u32 {
        self.next_pd.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds a QP under a fresh number built by `make`.
    pub(super) fn insert_qp(&self, make: impl FnOnce(u32) -> SoftQp) -> Arc<SoftQp> {
        let qpn = self.next_qpn.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
        let qp = Arc::new(make(qpn));
        self.qps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(qpn, Arc::clone(&qp));
        qp
    }

    pub(super) fn remove_qp(&self, qpn: u32) {
        self.qps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&qpn);
    }

    /// The QP numbered `qpn`, if it exists.
    pub(super) fn qp(&self, qpn: u32) -> Option<Arc<SoftQp>> {
        self.qps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&qpn)
            .cloned()
    }
}

/// The soft state of `device`.
///
/// # Errors
/// [`Error::WrongPrivate`] when `device` is not a soft device.
pub(super) fn soft_device(device: &Device) -> Result<&SoftDevice> {
    device.private::<SoftDevice>()
}

fn check_port(port_num: u8) -> Result<()> {
    if port_num == 1 {
        Ok(())
    } else {
        Err(Error::NotFound(format!("port {port_num}")))
    }
}

pub(super) fn query_device(device: &Device, _: &mut Udata) -> Result<DeviceAttr> {
    let soft = soft_device(device)?;
    let l = &soft.limits;
    let mut caps = DeviceCapFlags::RESIZE_MAX_WR | DeviceCapFlags::SQ_DRAIN;
    caps.set(DeviceCapFlags::SRQ, soft.srq);
    caps.set(DeviceCapFlags::ATOMIC, soft.atomics);
    Ok(DeviceAttr {
        fw_ver: 0x0001_0000,
        sys_image_guid: soft.guid,
        max_mr_size: l.max_mr_size,
        page_size_cap: 4096,
        vendor_id: 0,
        vendor_part_id: 0,
        hw_ver: 1,
        max_qp: l.max_qp,
        max_qp_wr: l.max_qp_wr,
        device_cap_flags: caps,
        max_send_sge: l.max_sge,
        max_recv_sge: l.max_sge,
        max_cq: l.max_cq,
        max_cqe: l.max_cqe,
        max_mr: l.max_mr,
        max_pd: l.max_pd,
        max_qp_rd_atom: l.max_qp_rd_atom,
        max_qp_init_rd_atom: l.max_qp_rd_atom,
        max_mw: 0,
        max_ah: l.max_ah,
        max_srq: if soft.srq { l.max_srq } else { 0 },
        max_srq_wr: if soft.srq { l.max_srq_wr } else { 0 },
        max_srq_sge: if soft.srq { l.max_sge } else { 0 },
        max_pkeys: 1,
        local_ca_ack_delay: 0,
        phys_port_cnt: device.phys_port_cnt(),
    })
}

pub(super) fn query_port(device: &Device, port_num: u8) -> Result<PortAttr> {
    check_port(port_num)?;
    let l = &soft_device(device)?.limits;
    Ok(PortAttr {
        state: PortState::Active,
        max_mtu: l.mtu,
        active_mtu: l.mtu,
        gid_tbl_len: 1,
        port_cap_flags: PortCapFlags::empty(),
        max_msg_sz: l.max_msg_sz,
        pkey_tbl_len: 1,
        lid: 1,
        sm_lid: 0,
        lmc: 0,
        active_width: 1,
        active_speed: 1,
        phys_state: 5,
        link_layer: LinkLayer::Infiniband,
    })
}

pub(super) fn get_port_immutable(_: &Device, port_num: u8) -> Result<PortImmutable> {
    check_port(port_num)?;
    Ok(PortImmutable {
        pkey_tbl_len: 1,
        gid_tbl_len: 1,
        gid_type: GidType::Ib,
        max_mad_size: 256,
    })
}

pub(super) fn get_link_layer(_: &Device, _: u8) -> LinkLayer {
    LinkLayer::Infiniband
}

pub(super) fn query_gid(device: &Device, port_num: u8, index: u32) -> Result<Gid> {
    check_port(port_num)?;
    match index {
        0 => Ok(Gid::new(LINK_LOCAL_PREFIX, soft_device(device)?.guid)),
        _ => Err(Error::NotFound(format!("GID index {index}"))),
    }
}

pub(super) fn query_pkey(_: &Device, port_num: u8, index: u16) -> Result<u16> {
    check_port(port_num)?;
    match index {
        0 => Ok(DEFAULT_PKEY),
        _ => Err(Error::NotFound(format!("P_Key index {index}"))),
    }
}

pub(super) fn get_dev_fw_str(_: &Device) -> String {
    concat!("ibops-soft ", env!("CARGO_PKG_VERSION")).to_owned()
}
