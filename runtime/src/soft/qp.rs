//! Queue pairs: creation, the state machine of `modify_qp`, queries, and
//! the error state with its flushes.

use core::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use super::cq::{Cqe, SoftCq, soft_cq};
use super::deferred::Deferred;
use super::device::{SoftDevice, soft_device};
use super::execute::wc_opcode;
use super::limits::check;
use super::pd::pd_id;
use super::pending::Pending;
use super::recv::RecvQueue;
use super::srq::soft_srq;
use super::transitions;
use crate::error::{Error, Result};
use crate::event::AsyncEvent;
use crate::object::{Pd, Qp};
use crate::private::Created;
use crate::verbs::{
    AccessFlags, QpAttr, QpAttrMask as M, QpCap, QpInfo, QpInitAttr, QpQuery, QpState, QpType,
    SendWr, Udata, WcOpcode, WcStatus, WorkCompletion,
};

/// The provider state of one QP.
#[derive(Debug)]
pub(super) struct SoftQp {
    pub(super) qpn: u32,
    pub(super) qp_type: QpType,
    pub(super) pd: u32,
    pub(super) sq_sig_all: bool,
    pub(super) cap: QpCap,
    pub(super) send_cq: Arc<SoftCq>,
    pub(super) recv_cq: Arc<SoftCq>,
    /// The QP's own receive queue, or its SRQ's.
    pub(super) rq: Arc<RecvQueue>,
    /// Whether `rq` is an SRQ (not flushed with the QP).
    pub(super) shared_rq: bool,
    /// The state; changed with `sq` held, read without a lock.
    state: AtomicU8,
    /// What a responder checks, readable without the send-queue lock.
    responder_access: AtomicU32,
    qkey: AtomicU32,
    /// The RNR NAK timer code it answers a SEND without a receive with.
    min_rnr_timer: AtomicU8,
    /// Where its events and deferred flushes go.
    deferred: Arc<Deferred>,
    pub(super) sq: Mutex<SendQueue>,
}

/// The requester side: attributes, sends waiting for a receive or for SQD
/// to end, and the slots in use.
#[derive(Debug)]
pub(super) struct SendQueue {
    /// The current attributes (`query_qp` reports them).
    pub(super) attr: QpAttr,
    /// The connected peer (RC), set at INIT→RTR.
    pub(super) peer: Weak<SoftQp>,
    /// Posted sends not executed yet, in order.
    pub(super) pending: VecDeque<Pending>,
    /// Send-queue slots in use; polling a send completion frees its slots.
    pub(super) used: Arc<AtomicU32>,
    /// The first pending send's RNR retries, while it gets RNR NAKs.
    pub(super) rnr: Option<RnrWait>,
    /// Unsignaled work requests since the last send completion.
    pub(super) unsignaled: u32,
    /// Room for the completions of one post, reused between posts.
    pub(super) completions: Vec<Cqe>,
}

/// A send that got an RNR NAK and retries (finite `rnr_retry`).
#[derive(Clone, Copy, Debug)]
pub(super) struct RnrWait {
    /// Retries it may still make.
    pub(super) retries_left: u8,
    /// When the timer retries it; `None` while it executes.
    pub(super) due: Option<Instant>,
}

const STATES: [QpState; 7] = [
    QpState::Reset,
    QpState::Init,
    QpState::Rtr,
    QpState::Rts,
    QpState::Sqd,
    QpState::Sqe,
    QpState::Err,
];

impl SoftQp {
    /// The current state.
    #[inline]
    pub(super) fn state(&self) -> QpState {
        STATES[usize::from(self.state.load(Ordering::Acquire)).min(STATES.len() - 1)]
    }

    fn set_state(&self, state: QpState) {
        let index = STATES.iter().position(|s| *s == state).unwrap_or(0);
        self.state.store(index as u8, Ordering::Release);
    }

    /// Whether it accepts incoming messages (RTR and later, not in error).
    pub(super) fn receives(&self) -> bool {
        matches!(
            self.state(),
            QpState::Rtr | QpState::Rts | QpState::Sqd | QpState::Sqe
        )
    }

    pub(super) fn responder_access(&self) -> AccessFlags {
        AccessFlags::from_bits_truncate(self.responder_access.load(Ordering::Acquire))
    }

    pub(super) fn qkey(&self) -> u32 {
        self.qkey.load(Ordering::Acquire)
    }

    /// The RNR NAK timer code a requester waits for when this QP has no
    /// receive.
    pub(super) fn min_rnr_timer(&self) -> u8 {
        self.min_rnr_timer.load(Ordering::Acquire)
    }

    pub(super) fn lock_sq(&self) -> MutexGuard<'_, SendQueue> {
        self.sq.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the error state; a QP that takes its receives from an SRQ and
    /// was not in error raises `LAST_WQE_REACHED` (it consumes no more).
    fn set_error_state(&self) {
        let was = self.state();
        self.set_state(QpState::Err);
        if self.shared_rq && was != QpState::Err {
            self.deferred
                .raise(AsyncEvent::QpLastWqeReached { qp_num: self.qpn });
        }
    }

    /// Moves to the error state from the requester side (`sq` held):
    /// flushes the pending sends and the QP's own receives.
    pub(super) fn enter_error(&self, sq: &mut SendQueue) {
        self.set_error_state();
        self.flush_pending(sq);
        self.flush_own_receives();
    }

    /// As [`enter_error`](Self::enter_error), for a QP whose CQ overran:
    /// the completions it could not make raise `QP_FATAL`.
    pub(super) fn enter_fatal_error(&self, sq: &mut SendQueue) {
        self.deferred
            .raise(AsyncEvent::QpFatal { qp_num: self.qpn });
        self.enter_error(sq);
    }

    /// Moves to the error state from the responder side, where another
    /// QP's poster holds its send-queue lock and cannot take this one's:
    /// the receives are flushed now, the pending sends as soon as that
    /// post returns (before it returns to its caller).
    pub(super) fn enter_error_as_responder(self: &Arc<Self>) {
        self.set_error_state();
        self.flush_own_receives();
        let qp = Arc::clone(self);
        self.deferred.run_later(move || {
            let mut sq = qp.lock_sq();
            if qp.state() == QpState::Err {
                qp.flush_pending(&mut sq);
            }
        });
    }

    /// As [`enter_error_as_responder`](Self::enter_error_as_responder),
    /// for a QP whose receive CQ overran (`QP_FATAL`).
    pub(super) fn enter_fatal_error_as_responder(self: &Arc<Self>) {
        self.deferred
            .raise(AsyncEvent::QpFatal { qp_num: self.qpn });
        self.enter_error_as_responder();
    }

    /// Flushes the QP's own receive queue (an SRQ belongs to its other QPs
    /// too and is left alone).
    fn flush_own_receives(&self) {
        if !self.shared_rq {
            self.rq.flush(&self.recv_cq, self.qpn);
        }
    }

    /// Completes every pending send with a flush error.
    pub(super) fn flush_pending(&self, sq: &mut SendQueue) {
        let pending = core::mem::take(&mut sq.pending);
        sq.rnr = None;
        self.flush_sends(sq, pending.iter().map(|p| &p.wr));
    }

    /// Completes `wrs` with a flush error (the QP is in error).
    pub(super) fn flush_sends<'w>(
        &self,
        sq: &mut SendQueue,
        wrs: impl IntoIterator<Item = &'w SendWr>,
    ) {
        let cqes: Vec<Cqe> = wrs
            .into_iter()
            .filter_map(|wr| {
                let opcode = wc_opcode(&wr.opcode);
                sq.complete(self, wr.wr_id, true, WcStatus::WrFlushErr, opcode, 0)
            })
            .collect();
        let _ = self.send_cq.push(cqes, false);
    }
}

impl SendQueue {
    /// The completion of a send work request: made when the request is
    /// signaled (or the QP signals all) or failed, and then freeing the
    /// request's slot and those of the unsignaled ones before it.
    pub(super) fn complete(
        &mut self,
        qp: &SoftQp,
        wr_id: u64,
        signaled: bool,
        status: WcStatus,
        opcode: WcOpcode,
        byte_len: u32,
    ) -> Option<Cqe> {
        if status == WcStatus::Success && !signaled && !qp.sq_sig_all {
            self.unsignaled += 1;
            return None;
        }
        let frees = self.unsignaled + 1;
        self.unsignaled = 0;
        Some(Cqe::new(
            WorkCompletion {
                wr_id,
                status,
                opcode,
                byte_len,
                qp_num: qp.qpn,
                ..WorkCompletion::default()
            },
            Some((Arc::clone(&self.used), frees)),
        ))
    }
}

/// The QP's provider state.
pub(super) fn soft_qp(qp: &Qp) -> Result<&Arc<SoftQp>> {
    qp.private::<Arc<SoftQp>>()
}

pub(super) fn create_qp(pd: &Pd, init: &QpInitAttr, _: &mut Udata) -> Result<Created<QpInfo>> {
    let device = soft_device(pd.device())?;
    // UC and XRC queue pairs are a choice of the soft device not to
    // support: the answer is the kernel's -EOPNOTSUPP, not a bad argument.
    if !matches!(init.qp_type, QpType::Rc | QpType::Ud) {
        return Err(Error::NotSupported(crate::OpId::CreateQp));
    }
    let l = &device.limits;
    let cap = init.cap;
    check(
        "max_send_wr",
        u64::from(cap.max_send_wr),
        u64::from(l.max_qp_wr),
    )?;
    check(
        "max_send_sge",
        u64::from(cap.max_send_sge),
        u64::from(l.max_sge),
    )?;
    check(
        "max_inline_data",
        u64::from(cap.max_inline_data),
        u64::from(l.max_inline_data),
    )?;
    let (rq, shared_rq) = match &init.srq {
        Some(srq) => (Arc::clone(soft_srq(srq)?), true),
        None => {
            check(
                "max_recv_wr",
                u64::from(cap.max_recv_wr),
                u64::from(l.max_qp_wr),
            )?;
            check(
                "max_recv_sge",
                u64::from(cap.max_recv_sge),
                u64::from(l.max_sge),
            )?;
            (
                Arc::new(RecvQueue::for_qp(cap.max_recv_wr, cap.max_recv_sge)),
                false,
            )
        }
    };
    let send_cq = Arc::clone(soft_cq(&init.send_cq)?);
    let recv_cq = Arc::clone(soft_cq(&init.recv_cq)?);
    let pd = pd_id(pd)?;
    device.counts.qp.acquire()?;
    let inserted = device.insert_qp(|qpn| SoftQp {
        qpn,
        qp_type: init.qp_type,
        pd,
        sq_sig_all: init.sq_sig_all,
        cap,
        send_cq,
        recv_cq,
        rq,
        shared_rq,
        state: AtomicU8::new(0),
        responder_access: AtomicU32::new(0),
        qkey: AtomicU32::new(0),
        min_rnr_timer: AtomicU8::new(0),
        deferred: Arc::clone(&device.deferred),
        sq: Mutex::new(SendQueue {
            attr: QpAttr::default(),
            peer: Weak::new(),
            pending: VecDeque::new(),
            rnr: None,
            used: Arc::new(AtomicU32::new(0)),
            unsignaled: 0,
            completions: Vec::new(),
        }),
    });
    let qp = inserted.inspect_err(|_| device.counts.qp.release())?;
    let info = QpInfo {
        qp_num: qp.qpn,
        cap,
    };
    Ok(Created::new(info, qp))
}

/// `drain_sq` and `drain_rq`: the QP enters the error state, which flushes
/// its pending sends and its own receives at once (the soft device has no
/// request in flight beyond those), so both queues are drained on return.
/// An SRQ's receives belong to its other QPs too and stay posted.
pub(super) fn drain(qp: &Qp) {
    if let (Ok(device), Ok(soft)) = (soft_device(qp.device()), soft_qp(qp)) {
        let _deferred = device.deferred.on_return();
        let mut sq = soft.lock_sq();
        soft.enter_error(&mut sq);
    }
}

pub(super) fn destroy_qp(qp: &Qp) -> Result<()> {
    let device = soft_device(qp.device())?;
    device.remove_qp(soft_qp(qp)?);
    device.counts.qp.release();
    Ok(())
}

pub(super) fn query_qp(qp: &Qp, _: M) -> Result<QpQuery> {
    let soft = soft_qp(qp)?;
    let mut attr = soft.lock_sq().attr;
    attr.qp_state = soft.state();
    attr.cur_qp_state = attr.qp_state;
    attr.cap = soft.cap;
    Ok(QpQuery {
        attr,
        init: qp.data().init.clone(),
    })
}

pub(super) fn modify_qp(qp: &Qp, attr: &QpAttr, mask: M, _: &mut Udata) -> Result<()> {
    let device = soft_device(qp.device())?;
    let _deferred = device.deferred.on_return();
    let soft = soft_qp(qp)?;
    let mut sq = soft.lock_sq();
    let cur = soft.state();
    let next = if mask.contains(M::STATE) {
        attr.qp_state
    } else {
        cur
    };
    if mask.contains(M::CUR_STATE) && attr.cur_qp_state != cur {
        return Err(Error::InvalidArgument(
            "cur_qp_state is not the current state",
        ));
    }
    transitions::check(soft.qp_type, cur, next, mask)?;
    let peer = check_values(device, soft, attr, mask)?;
    // Everything is checked: apply.
    apply(&mut sq.attr, attr, mask);
    if let Some(peer) = peer {
        sq.peer = peer;
    }
    if mask.contains(M::ACCESS_FLAGS) {
        soft.responder_access
            .store(attr.qp_access_flags.bits(), Ordering::Release);
    }
    if mask.contains(M::QKEY) {
        soft.qkey.store(attr.qkey, Ordering::Release);
    }
    if mask.contains(M::MIN_RNR_TIMER) {
        soft.min_rnr_timer
            .store(attr.min_rnr_timer, Ordering::Release);
    }
    match next {
        QpState::Reset => {
            soft.set_state(QpState::Reset);
            sq.pending.clear();
            sq.rnr = None;
            sq.used = Arc::new(AtomicU32::new(0));
            sq.unsignaled = 0;
            sq.attr = QpAttr::default();
            sq.peer = Weak::new();
            soft.responder_access.store(0, Ordering::Release);
            soft.qkey.store(0, Ordering::Release);
            soft.min_rnr_timer.store(0, Ordering::Release);
            if !soft.shared_rq {
                soft.rq.clear();
            }
        }
        QpState::Err => soft.enter_error(&mut sq),
        QpState::Rts => {
            soft.set_state(next);
            super::post::run_pending(device, soft, &mut sq);
        }
        QpState::Init if cur == QpState::Reset => {
            if !soft.shared_rq {
                soft.rq.open();
            }
            soft.set_state(next);
        }
        _ => soft.set_state(next),
    }
    Ok(())
}

/// Checks attribute values against the device; returns the new RC peer
/// when `DEST_QPN` is given.
fn check_values(
    device: &SoftDevice,
    soft: &SoftQp,
    attr: &QpAttr,
    mask: M,
) -> Result<Option<Weak<SoftQp>>> {
    if mask.contains(M::PORT) && attr.port_num != 1 {
        return Err(Error::InvalidArgument(
            "the soft device has one port, port 1",
        ));
    }
    if mask.contains(M::PKEY_INDEX) && attr.pkey_index != 0 {
        return Err(Error::InvalidArgument("P_Key index out of the table"));
    }
    if mask.contains(M::AV) && attr.ah_attr.port_num > 1 {
        return Err(Error::InvalidArgument(
            "address vector of a port the device lacks",
        ));
    }
    if mask.contains(M::PATH_MTU) && attr.path_mtu > device.limits.mtu {
        return Err(Error::InvalidArgument("path MTU above the port's MTU"));
    }
    let rd_atom = u64::from(device.limits.max_qp_rd_atom);
    if mask.contains(M::MAX_QP_RD_ATOMIC) {
        check("max_rd_atomic", u64::from(attr.max_rd_atomic), rd_atom)?;
    }
    if mask.contains(M::MAX_DEST_RD_ATOMIC) {
        check(
            "max_dest_rd_atomic",
            u64::from(attr.max_dest_rd_atomic),
            rd_atom,
        )?;
    }
    if mask.contains(M::RNR_RETRY) && attr.rnr_retry > 7 {
        return Err(Error::InvalidArgument("rnr_retry is 0..=7"));
    }
    if mask.contains(M::MIN_RNR_TIMER) && attr.min_rnr_timer > 31 {
        return Err(Error::InvalidArgument("min_rnr_timer is 0..=31"));
    }
    if mask.contains(M::RETRY_CNT) && attr.retry_cnt > 7 {
        return Err(Error::InvalidArgument("retry_cnt is 0..=7"));
    }
    if !mask.contains(M::DEST_QPN) {
        return Ok(None);
    }
    match device.qp(attr.dest_qp_num) {
        Some(peer) if peer.qp_type == soft.qp_type => Ok(Some(Arc::downgrade(&peer))),
        _ => Err(Error::InvalidArgument(
            "dest_qp_num names no queue pair of this type on the device",
        )),
    }
}

/// Copies the fields `mask` selects.
fn apply(cur: &mut QpAttr, new: &QpAttr, mask: M) {
    macro_rules! take {
        ($($bit:ident => $field:ident),* $(,)?) => {$(
            if mask.contains(M::$bit) {
                cur.$field = new.$field;
            }
        )*};
    }
    take! {
        EN_SQD_ASYNC_NOTIFY => en_sqd_async_notify,
        ACCESS_FLAGS => qp_access_flags,
        PKEY_INDEX => pkey_index,
        PORT => port_num,
        QKEY => qkey,
        AV => ah_attr,
        PATH_MTU => path_mtu,
        TIMEOUT => timeout,
        RETRY_CNT => retry_cnt,
        RNR_RETRY => rnr_retry,
        RQ_PSN => rq_psn,
        MAX_QP_RD_ATOMIC => max_rd_atomic,
        MIN_RNR_TIMER => min_rnr_timer,
        SQ_PSN => sq_psn,
        MAX_DEST_RD_ATOMIC => max_dest_rd_atomic,
        DEST_QPN => dest_qp_num,
    }
}
