//! The soft device's state: limits, the QP-number and key tables, the id
//! spaces, live counts, the port's state, deferred work and the RNR timer.

use core::sync::atomic::{AtomicBool, Ordering};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::counts::{Counter, LiveObjects};
use super::deferred::{Deferred, Wake};
use super::keys::KeyTable;
use super::limits::Limits;
use super::link::Link;
use super::numbers::NumberSpace;
use super::qp::SoftQp;
use super::timer::{RnrDue, RnrTimer};
use ibops::device::{Device, WeakDevice};
use ibops::error::Result;
use ibops::event::{AsyncEvent, EventSender};

/// The device-wide state of one soft device.
#[derive(Debug)]
pub(super) struct SoftDevice {
    pub(super) limits: Limits,
    pub(super) atomics: bool,
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
    /// The RoCEv2 link, for a device configured with an address.
    pub(super) link: Option<Arc<Link>>,
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

    /// Counts one more live object against `counter` (its kind's limit)
    /// and gives it an id no live object has; the count is given back when
    /// no id is free.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] past the counter's limit or when every id
    /// is in use.
    pub(super) fn take(&self, counter: &Counter) -> Result<u32> {
        counter.acquire()?;
        self.take_id().inspect_err(|_| counter.release())
    }

    fn take_id(&self) -> Result<u32> {
        let mut ids = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Ids { live, numbers } = &mut *ids;
        let id = numbers.take(live.len(), |n| live.contains(&n))?;
        live.insert(id);
        Ok(id)
    }

    /// Frees an object's id and its count.
    pub(super) fn release(&self, id: u32, counter: &Counter) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .live
            .remove(&id);
        counter.release();
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
        guid: u64,
        events: EventSender,
        rnr_due: RnrDue,
        wake: Wake,
        link: Option<Arc<Link>>,
    ) -> SoftDevice {
        SoftDevice {
            limits,
            atomics,
            guid,
            keys: KeyTable::default(),
            qps: RwLock::new(Qps {
                live: HashMap::new(),
                numbers: QPNS,
            }),
            pd_ids: IdSet::new(PD_IDS),
            cq_nums: IdSet::new(CQ_NUMS),
            srq_nums: IdSet::new(SRQ_NUMS),
            deferred: Arc::new(Deferred::new(events, wake)),
            port_active: AtomicBool::new(true),
            rnr_timer: RnrTimer::new(rnr_due),
            link,
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
        self.deferred.attach(device);
    }

    /// The registered device (a handle that does not keep it alive).
    pub(super) fn device(&self) -> WeakDevice {
        self.deferred.device()
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

    /// Every live QP, at this moment.
    pub(super) fn qps(&self) -> Vec<Arc<SoftQp>> {
        self.qps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .live
            .values()
            .cloned()
            .collect()
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
/// [`Error::WrongPrivate`](ibops::Error::WrongPrivate) when `device` is not a soft device.
pub(super) fn soft_device(device: &Device) -> Result<&SoftDevice> {
    device.private::<SoftDevice>()
}

#[cfg(test)]
mod tests {
    use super::soft_device;
    use crate::SoftConfig;
    use ibops::prelude::*;

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
            crate::qp::soft_qp(&old).map(alloc_ptr).expect("soft qp")
        ));
    }

    fn alloc_ptr(qp: &std::sync::Arc<super::SoftQp>) -> *const super::SoftQp {
        std::sync::Arc::as_ptr(qp)
    }
}
