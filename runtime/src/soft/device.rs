//! The soft device's state (limits, the QP-number and key tables, live
//! counts) and the device, port, GID and P_Key queries.

use core::sync::atomic::{AtomicBool, Ordering};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use super::counts::{Counter, LiveObjects};
use super::deferred::Deferred;
use super::keys::KeyTable;
use super::limits::Limits;
use super::numbers::NumberSpace;
use super::qp::SoftQp;
use super::timer::RnrTimer;
use crate::device::{Device, WeakDevice};
use crate::error::{Error, Result};
use crate::event::{AsyncEvent, EventSender};
use crate::verbs::{
    AtomicCap, DeviceAttr, DeviceCapFlags, Gid, GidType, LinkLayer, PortAttr, PortCapFlags,
    PortImmutable, PortState, Udata,
};

/// The P_Key of the one P_Key table entry: the default full-member key.
pub(super) const DEFAULT_PKEY: u16 = 0xffff;
/// The port's physical states (IBTA `PortPhysicalState`): LinkUp, Disabled.
const PHYS_LINK_UP: u8 = 5;
const PHYS_DISABLED: u8 = 3;
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
    qps: RwLock<Qps>,
    pub(super) pd_ids: IdSet,
    pub(super) cq_nums: IdSet,
    pub(super) srq_nums: IdSet,
    pub(super) counts: Counts,
    /// Events and flushes waiting for the current verb to return.
    pub(super) deferred: Arc<Deferred>,
    /// Whether port 1 is active (a link that is down carries nothing).
    port_active: AtomicBool,
    /// Retries of sends that got an RNR NAK.
    pub(super) rnr_timer: RnrTimer,
    /// The registered device, for the timer's retries (set once, right
    /// after registration).
    device: OnceLock<WeakDevice>,
}

/// The live QPs by number, and the numbers they are given.
#[derive(Debug)]
struct Qps {
    live: HashMap<u32, Arc<SoftQp>>,
    numbers: NumberSpace,
}

/// Ids of one kind of object (PD ids, CQ and SRQ numbers), unique among
/// the live objects of that kind.
#[derive(Debug)]
pub(super) struct IdSet(Mutex<Ids>);

#[derive(Debug)]
struct Ids {
    live: HashSet<u32>,
    numbers: NumberSpace,
}

impl IdSet {
    /// Ids handed out by `numbers`.
    fn new(numbers: NumberSpace) -> IdSet {
        IdSet(Mutex::new(Ids {
            live: HashSet::new(),
            numbers,
        }))
    }

    /// An id no live object has.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when every id is in use.
    pub(super) fn take(&self) -> Result<u32> {
        let mut ids = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Ids { live, numbers } = &mut *ids;
        let id = numbers.take(live.len(), |n| live.contains(&n))?;
        live.insert(id);
        Ok(id)
    }

    /// Frees an id.
    pub(super) fn release(&self, id: u32) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .live
            .remove(&id);
    }
}

/// QP numbers are 24 bits; 0 and 1 are the special QPs (SMI and GSI).
const QPNS: NumberSpace = NumberSpace::new("qp numbers", 2, 0x00ff_ffff);
/// PD ids: any `u32` but 0.
const PD_IDS: NumberSpace = NumberSpace::new("pd ids", 1, u32::MAX);
/// CQ and SRQ numbers, as hardware's: 24 bits, from 1.
const CQ_NUMS: NumberSpace = NumberSpace::new("cq numbers", 1, 0x00ff_ffff);
const SRQ_NUMS: NumberSpace = NumberSpace::new("srq numbers", 1, 0x00ff_ffff);

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
    pub(super) fn new(
        limits: Limits,
        atomics: bool,
        srq: bool,
        guid: u64,
        events: EventSender,
    ) -> SoftDevice {
        SoftDevice {
            limits,
            atomics,
            srq,
            guid,
            keys: KeyTable::default(),
            qps: RwLock::new(Qps {
                live: HashMap::new(),
                numbers: QPNS,
            }),
            pd_ids: IdSet::new(PD_IDS),
            cq_nums: IdSet::new(CQ_NUMS),
            srq_nums: IdSet::new(SRQ_NUMS),
            deferred: Arc::new(Deferred::new(events)),
            port_active: AtomicBool::new(true),
            rnr_timer: RnrTimer::default(),
            device: OnceLock::new(),
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

    /// Records the registered device this is the state of.
    pub(super) fn attach(&self, device: WeakDevice) {
        let _ = self.device.set(device);
    }

    /// The registered device (a handle that does not keep it alive).
    pub(super) fn device(&self) -> WeakDevice {
        self.device.get().cloned().unwrap_or_default()
    }

    /// Whether port 1 is active.
    pub(super) fn port_active(&self) -> bool {
        self.port_active.load(Ordering::Acquire)
    }

    /// Brings port 1 up or down; a change raises `PORT_ACTIVE` or
    /// `PORT_ERR`.
    pub(super) fn set_port_active(&self, active: bool) {
        if self.port_active.swap(active, Ordering::AcqRel) != active {
            self.deferred.raise(if active {
                AsyncEvent::PortActive { port_num: 1 }
            } else {
                AsyncEvent::PortErr { port_num: 1 }
            });
        }
    }

    /// Adds a QP under a number no live QP has, built by `make`.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when every QP number is in use.
    pub(super) fn insert_qp(&self, make: impl FnOnce(u32) -> SoftQp) -> Result<Arc<SoftQp>> {
        let mut qps = self.qps.write().unwrap_or_else(PoisonError::into_inner);
        let Qps { live, numbers } = &mut *qps;
        let qpn = numbers.take(live.len(), |n| live.contains_key(&n))?;
        let qp = Arc::new(make(qpn));
        live.insert(qpn, Arc::clone(&qp));
        Ok(qp)
    }

    /// Removes the QP numbered `qpn`, if it is `qp` (a number is removed
    /// only by the QP that holds it).
    pub(super) fn remove_qp(&self, qp: &SoftQp) {
        let mut qps = self.qps.write().unwrap_or_else(PoisonError::into_inner);
        if qps
            .live
            .get(&qp.qpn)
            .is_some_and(|live| core::ptr::eq(Arc::as_ptr(live), qp))
        {
            qps.live.remove(&qp.qpn);
        }
    }

    /// The QP numbered `qpn`, if it exists.
    pub(super) fn qp(&self, qpn: u32) -> Option<Arc<SoftQp>> {
        self.qps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .live
            .get(&qpn)
            .cloned()
    }

    /// Moves the QP-number counter (tests reach the wrap without 16 Mi
    /// creations).
    #[cfg(test)]
    pub(super) fn skip_qpns_to(&self, next: u32) {
        let mut qps = self.qps.write().unwrap_or_else(PoisonError::into_inner);
        qps.numbers.skip_to(next);
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
    let mut caps = DeviceCapFlags::RESIZE_MAX_WR
        | DeviceCapFlags::CURR_QP_STATE_MOD
        | DeviceCapFlags::SYS_IMAGE_GUID
        | DeviceCapFlags::RC_RNR_NAK_GEN;
    caps.set(DeviceCapFlags::SRQ_RESIZE, soft.srq);
    Ok(DeviceAttr {
        atomic_cap: if soft.atomics {
            AtomicCap::Hca
        } else {
            AtomicCap::None
        },
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
    let soft = soft_device(device)?;
    let l = &soft.limits;
    let (state, phys_state) = if soft.port_active() {
        (PortState::Active, PHYS_LINK_UP)
    } else {
        (PortState::Down, PHYS_DISABLED)
    };
    Ok(PortAttr {
        state,
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
        phys_state,
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

#[cfg(test)]
mod tests {
    use super::soft_device;
    use crate::prelude::*;
    use crate::soft::SoftConfig;

    /// Before QP numbers were allocated from a [`NumberSpace`], the
    /// 16,777,214th creation got number 0, and later ones the numbers of
    /// live QPs, replacing them in the table.
    #[test]
    fn qp_numbers_wrap_past_reserved_and_live_ones() {
        let dev = SoftConfig::new("soft-qpn-wrap").probe().expect("probe");
        let pd = dev.alloc_pd().expect("pd");
        let cq = dev.create_cq(&CqInitAttr::new(16)).expect("cq");
        let init = QpInitAttr::new(QpType::Rc, &cq, &cq, QpCap::single_sge(4, 4));
        let old = pd.create_qp(&init).expect("first qp");
        assert_eq!(old.qp_num(), 2, "0 and 1 are reserved");
        let soft = soft_device(&dev).expect("soft");
        soft.skip_qpns_to(0x00ff_ffff);
        let last = pd.create_qp(&init).expect("last number");
        assert_eq!(last.qp_num(), 0x00ff_ffff);
        let wrapped = pd.create_qp(&init).expect("after the wrap");
        assert_eq!(wrapped.qp_num(), 3, "skips 0 and 1 (reserved) and 2 (live)");
        // The live QP keeps its entry when a newcomer goes away.
        drop(wrapped);
        let found = soft.qp(old.qp_num()).expect("old QP still reachable");
        assert!(core::ptr::eq(
            alloc_ptr(&found),
            crate::soft::qp::soft_qp(&old)
                .map(alloc_ptr)
                .expect("soft qp")
        ));
    }

    fn alloc_ptr(qp: &std::sync::Arc<super::SoftQp>) -> *const super::SoftQp {
        std::sync::Arc::as_ptr(qp)
    }
}
