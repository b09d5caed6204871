//! Posting: the checks that refuse a work request at post time (with its
//! index), and running the send queue (executing, waiting for receives,
//! flushing in the error state).

use core::sync::atomic::Ordering;
use std::sync::Arc;

use super::device::{SoftDevice, soft_device};
use super::execute::{Outcome, Requester, wc_opcode};
use super::qp::{SendQueue, SoftQp, soft_qp};
use crate::error::{Error, Result, WrError};
use crate::object::Qp;
use crate::verbs::{QpState, QpType, RecvWr, SendFlags, SendWr, WcStatus, WrOpcode};

pub(super) fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<()> {
    let device = soft_device(qp.device())?;
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
            sq.pending.extend(posted.iter().cloned());
            run_pending(device, soft, &mut sq);
        }
        // ERR or SQE: a responder-side error may have left pending sends.
        _ => {
            soft.flush_pending(&mut sq);
            flush(soft, &mut sq, posted);
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
    for (i, wr) in wrs.iter().enumerate() {
        if qp.state() != QpState::Rts {
            // An earlier request failed and the QP is in error.
            flush(qp, sq, &wrs[i..]);
            return;
        }
        if !step(device, qp, sq, wr) {
            sq.pending.extend(wrs[i..].iter().cloned());
            return;
        }
    }
}

/// Executes pending sends while the QP is in RTS and they can proceed.
pub(super) fn run_pending(device: &SoftDevice, qp: &Arc<SoftQp>, sq: &mut SendQueue) {
    while qp.state() == QpState::Rts {
        let Some(wr) = sq.pending.pop_front() else {
            return;
        };
        if !step(device, qp, sq, &wr) {
            sq.pending.push_front(wr);
            return;
        }
    }
}

/// Lets `qp`'s waiting sends try again (a receive was posted).
pub(super) fn progress(device: &SoftDevice, qp: &Arc<SoftQp>) {
    let mut sq = qp.lock_sq();
    run_pending(device, qp, &mut sq);
}

/// Executes one request and completes it; `false` when it must wait for a
/// receive (it is then not completed).
fn step(device: &SoftDevice, qp: &Arc<SoftQp>, sq: &mut SendQueue, wr: &SendWr) -> bool {
    let keys = device.keys.read();
    let peer = sq.peer.upgrade();
    let requester = Requester {
        device,
        keys: &keys,
        qp,
        attr: &sq.attr,
        peer: peer.as_ref(),
    };
    let mut outcome = requester.execute(wr);
    if let Outcome::Wait(rq) = &outcome {
        // Register first, then look again: a receive posted in between
        // either is seen now or wakes us.
        rq.add_waiter(qp);
        outcome = requester.execute(wr);
    }
    drop(keys);
    let Outcome::Done { status, byte_len } = outcome else {
        return false;
    };
    let signaled = wr.send_flags.contains(SendFlags::SIGNALED);
    let cqe = sq.complete(
        qp,
        wr.wr_id,
        signaled,
        status,
        wc_opcode(&wr.opcode),
        byte_len,
    );
    let overrun = cqe.is_some_and(|cqe| qp.send_cq.push([cqe], false).is_err());
    if status != WcStatus::Success || overrun {
        qp.enter_error(sq);
    }
    true
}

/// Completes `wrs` with a flush error (the QP is in error).
fn flush(qp: &SoftQp, sq: &mut SendQueue, wrs: &[SendWr]) {
    let cqes: Vec<_> = wrs
        .iter()
        .filter_map(|wr| {
            sq.complete(
                qp,
                wr.wr_id,
                true,
                WcStatus::WrFlushErr,
                wc_opcode(&wr.opcode),
                0,
            )
        })
        .collect();
    let _ = qp.send_cq.push(cqes, false);
}

pub(super) fn post_recv(qp: &Qp, wrs: &[RecvWr]) -> Result<()> {
    let soft = soft_qp(qp)?;
    if soft.shared_rq {
        return Err(Error::InvalidArgument(
            "the queue pair takes its receives from a shared receive queue",
        ));
    }
    let flush_to = match soft.state() {
        QpState::Reset => {
            return Err(Error::BadWr {
                index: 0,
                reason: WrError::InvalidState,
            });
        }
        QpState::Err => Some((&*soft.recv_cq, soft.qpn)),
        _ => None,
    };
    let posted = soft.rq.post(wrs, flush_to);
    soft.rq.wake_waiters(soft_device(qp.device())?);
    posted
}
