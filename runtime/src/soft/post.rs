//! Posting: the checks that refuse a work request at post time (with its
//! index), and running the send queue (executing, waiting for receives,
//! flushing in the error state).

use core::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::copy::SgList;
use super::cq::Cqe;
use super::device::{SoftDevice, soft_device};
use super::execute::{Outcome, Requester, wc_opcode};
use super::pending::Pending;
use super::qp::{RnrWait, SendQueue, SoftQp, soft_qp};
use super::timer::rnr_delay;
use crate::error::{Error, Result, WrError};
use crate::object::Qp;
use crate::verbs::{QpState, QpType, RecvWr, SendFlags, SendWr, WcStatus, WrOpcode};

pub(super) fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<()> {
    let device = soft_device(qp.device())?;
    let _deferred = device.deferred.on_return();
    let soft = soft_qp(qp)?;
    let mut sq = soft.lock_sq();
    let state = soft.state();
    if matches!(state, QpState::Reset | QpState::Init | QpState::Rtr) {
        return Err(Error::BadWr {
            index: 0,
            reason: WrError::InvalidState,
        });
    }
    let (accepted, refused) = admit(device, soft, &sq, wrs);
    sq.used.fetch_add(accepted as u32, Ordering::AcqRel);
    let posted = &wrs[..accepted];
    match state {
        QpState::Rts if sq.pending.is_empty() => run(device, soft, &mut sq, posted),
        QpState::Rts | QpState::Sqd => {
            wait(device, soft, &mut sq, posted);
            run_pending(device, soft, &mut sq);
        }
        // ERR or SQE: a responder-side error may have left pending sends.
        _ => {
            soft.flush_pending(&mut sq);
            soft.flush_sends(&mut sq, posted);
        }
    }
    refused.map_or(Ok(()), Err)
}

/// How many of `wrs` can be posted, and the error for the first that cannot.
fn admit(
    device: &SoftDevice,
    qp: &SoftQp,
    sq: &SendQueue,
    wrs: &[SendWr],
) -> (usize, Option<Error>) {
    let used = sq.used.load(Ordering::Acquire) as usize;
    let free = (qp.cap.max_send_wr as usize).saturating_sub(used);
    for (index, wr) in wrs.iter().enumerate() {
        let refused = if index >= free {
            Some(WrError::QueueFull)
        } else {
            check(device, qp, wr).err()
        };
        if let Some(reason) = refused {
            return (index, Some(Error::BadWr { index, reason }));
        }
    }
    (wrs.len(), None)
}

/// What `post_send` refuses outright.
fn check(device: &SoftDevice, qp: &SoftQp, wr: &SendWr) -> Result<(), WrError> {
    if wr.sg_list.len() > qp.cap.max_send_sge as usize {
        return Err(WrError::TooManySge);
    }
    let total: u64 = wr.sg_list.iter().map(|s| u64::from(s.length)).sum();
    match (&wr.opcode, qp.qp_type) {
        (WrOpcode::UdSend { .. }, QpType::Ud) => {}
        (WrOpcode::UdSend { .. }, _) | (_, QpType::Ud) => return Err(WrError::InvalidOpcode),
        (WrOpcode::AtomicCmpAndSwp { .. } | WrOpcode::AtomicFetchAndAdd { .. }, _) => {
            if !device.atomics {
                return Err(WrError::InvalidOpcode);
            }
            if wr.sg_list.len() != 1 || total != 8 {
                return Err(WrError::InvalidField);
            }
        }
        _ => {}
    }
    if wr.send_flags.contains(SendFlags::INLINE) && total > u64::from(qp.cap.max_inline_data) {
        return Err(WrError::InvalidField);
    }
    Ok(())
}

/// Executes `wrs` in order; one that must wait for a receive waits, with
/// every later one behind it.
fn run(device: &SoftDevice, qp: &Arc<SoftQp>, sq: &mut SendQueue, wrs: &[SendWr]) {
    let mut pass = Pass::new(device, qp, sq);
    for (i, wr) in wrs.iter().enumerate() {
        if qp.state() != QpState::Rts {
            // An earlier request failed and the QP is in error.
            pass.finish(sq);
            qp.flush_sends(sq, &wrs[i..]);
            return;
        }
        if !pass.step(sq, wr, None) {
            wait(device, qp, sq, &wrs[i..]);
            break;
        }
    }
    pass.finish(sq);
}

/// Queues `wrs` behind the pending ones, capturing inline data now.
fn wait(device: &SoftDevice, qp: &SoftQp, sq: &mut SendQueue, wrs: &[SendWr]) {
    let captured = wrs.iter().map(|wr| Pending::capture(device, qp.pd, wr));
    sq.pending.extend(captured);
}

/// Executes pending sends while the QP is in RTS and they can proceed
/// (not before the RNR timer of the first one expires).
pub(super) fn run_pending(device: &SoftDevice, qp: &Arc<SoftQp>, sq: &mut SendQueue) {
    let timing = sq.rnr.is_some_and(|rnr| rnr.due.is_some());
    if sq.pending.is_empty() || timing {
        return;
    }
    let mut pass = Pass::new(device, qp, sq);
    while qp.state() == QpState::Rts {
        let Some(pending) = sq.pending.pop_front() else {
            break;
        };
        if !pass.step(sq, &pending.wr, pending.inline()) {
            sq.pending.push_front(pending);
            break;
        }
    }
    pass.finish(sq);
}

/// The RNR timer of `qp`'s first pending send expired: it tries again.
pub(super) fn rnr_expired(device: &SoftDevice, qp: &Arc<SoftQp>) {
    let mut sq = qp.lock_sq();
    match &mut sq.rnr {
        Some(RnrWait { due: Some(at), .. }) if *at <= Instant::now() => {}
        // Flushed, reset or retried since.
        _ => return,
    }
    if let Some(rnr) = &mut sq.rnr {
        rnr.due = None;
    }
    run_pending(device, qp, &mut sq);
}

/// Lets `qp`'s waiting sends try again (a receive was posted).
pub(super) fn progress(device: &SoftDevice, qp: &Arc<SoftQp>) {
    let mut sq = qp.lock_sq();
    run_pending(device, qp, &mut sq);
}

/// One run over the send queue: one requester (key table and peer looked
/// up once) and the send completions pushed together.
struct Pass<'a> {
    requester: Requester<'a>,
    qp: &'a Arc<SoftQp>,
    cqes: Vec<Cqe>,
}

impl<'a> Pass<'a> {
    fn new(device: &'a SoftDevice, qp: &'a Arc<SoftQp>, sq: &mut SendQueue) -> Pass<'a> {
        Pass {
            requester: Requester::new(device, qp, sq.peer.upgrade()),
            qp,
            cqes: core::mem::take(&mut sq.completions),
        }
    }

    /// Executes one request, gathering from `inline` when it captured its
    /// bytes at post time, and completes it; `false` when it must wait for
    /// a receive (it is then not completed).
    fn step(&mut self, sq: &mut SendQueue, wr: &SendWr, inline: Option<SgList<'_>>) -> bool {
        let mut outcome = self.requester.execute(wr, inline.as_ref());
        let forever = sq.attr.rnr_retry == 7;
        if let (Outcome::Rnr { rq, .. }, true) = (&outcome, forever) {
            // Register first, then look again: a receive posted in between
            // either is seen now or wakes us.
            rq.add_waiter(self.qp);
            outcome = self.requester.execute(wr, inline.as_ref());
        }
        let (status, byte_len) = match outcome {
            Outcome::Done { status, byte_len } => (status, byte_len),
            Outcome::Rnr { .. } if forever => return false,
            Outcome::Rnr { timer, .. } => match self.rnr_retry(sq, timer) {
                Some(status) => (status, 0),
                None => return false,
            },
        };
        sq.rnr = None;
        let signaled = wr.send_flags.contains(SendFlags::SIGNALED);
        let opcode = wc_opcode(&wr.opcode);
        if let Some(cqe) = sq.complete(self.qp, wr.wr_id, signaled, status, opcode, byte_len) {
            self.cqes.push(cqe);
        }
        if status != WcStatus::Success {
            self.deliver(sq);
            self.qp.enter_error(sq);
        }
        true
    }

    /// Counts an RNR NAK against `rnr_retry`: schedules the retry after the
    /// responder's `timer` delay (`None`: the request waits), or fails the
    /// request when no retry is left (or no timer can run).
    fn rnr_retry(&self, sq: &mut SendQueue, timer: u8) -> Option<WcStatus> {
        let rnr = sq.rnr.get_or_insert(RnrWait {
            retries_left: sq.attr.rnr_retry,
            due: None,
        });
        if rnr.retries_left == 0 {
            return Some(WcStatus::RnrRetryExcErr);
        }
        rnr.retries_left -= 1;
        let at = Instant::now() + rnr_delay(timer);
        rnr.due = Some(at);
        let device = self.requester.device();
        if device.rnr_timer.schedule(&device.device(), self.qp, at) {
            None
        } else {
            Some(WcStatus::RnrRetryExcErr)
        }
    }

    /// Pushes the completions gathered so far, the peer's receives first;
    /// an overrun of the send CQ puts the QP in error.
    fn deliver(&mut self, sq: &mut SendQueue) {
        self.requester.deliver();
        if !self.cqes.is_empty() && self.qp.send_cq.push(self.cqes.drain(..), false).is_err() {
            self.qp.enter_fatal_error(sq);
        }
    }

    fn finish(mut self, sq: &mut SendQueue) {
        self.deliver(sq);
        sq.completions = self.cqes;
    }
}

pub(super) fn post_recv(qp: &Qp, wrs: &[RecvWr]) -> Result<()> {
    let soft = soft_qp(qp)?;
    if soft.shared_rq {
        return Err(Error::InvalidArgument(
            "the queue pair takes its receives from a shared receive queue",
        ));
    }
    // The queue itself knows whether its QP is in RESET or ERR: the state
    // is changed under the queue's lock, not read before taking it.
    let device = soft_device(qp.device())?;
    let _deferred = device.deferred.on_return();
    soft.rq.post(device, wrs)
}
