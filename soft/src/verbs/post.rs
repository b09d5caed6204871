//! Posting: the checks that refuse a work request at post time (with its
//! index), then the requester for sends and the receive queue for
//! receives.

use core::sync::atomic::Ordering;

use crate::device::{SoftDevice, soft_device};
use crate::qp::{SendQueue, SoftQp, soft_qp};
use crate::recv::{RecvQueue, soft_srq};
use crate::requester;
use ibops::error::{Error, Result, WrError};
use ibops::object::{Qp, Srq};
use ibops::verbs::{QpState, QpType, RecvWr, SendFlags, SendWr, Sge, WrOpcode};

pub(crate) fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<()> {
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
        QpState::Rts if sq.pending.is_empty() => requester::run(device, soft, &mut sq, posted),
        QpState::Rts | QpState::Sqd => {
            sq.wait(&device.keys.read(), soft.pd, posted);
            requester::run_pending(device, soft, &mut sq);
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
    let sges: &[Sge] = &wr.sg_list;
    if sges.len() > qp.cap.max_send_sge as usize {
        return Err(WrError::TooManySge);
    }
    let total = || sges.iter().map(|s| u64::from(s.length)).sum::<u64>();
    match (&wr.opcode, qp.qp_type) {
        (WrOpcode::UdSend { .. }, QpType::Ud) => {}
        (WrOpcode::UdSend { .. }, _) | (_, QpType::Ud) => return Err(WrError::InvalidOpcode),
        (WrOpcode::AtomicCmpAndSwp { .. } | WrOpcode::AtomicFetchAndAdd { .. }, _) => {
            if !device.atomics {
                return Err(WrError::InvalidOpcode);
            }
            if !matches!(sges, [one] if one.length == 8) {
                return Err(WrError::InvalidField);
            }
        }
        _ => {}
    }
    if wr.send_flags.contains(SendFlags::INLINE) && total() > u64::from(qp.cap.max_inline_data) {
        return Err(WrError::InvalidField);
    }
    Ok(())
}

pub(crate) fn post_recv(qp: &Qp, wrs: &[RecvWr]) -> Result<()> {
    let soft = soft_qp(qp)?;
    if soft.shared_rq {
        return Err(Error::InvalidArgument(
            "the queue pair takes its receives from a shared receive queue",
        ));
    }
    // The queue itself knows whether its QP is in RESET or ERR: the state
    // is changed under the queue's lock, not read before taking it.
    post_to(soft_device(qp.device())?, &soft.rq, wrs)
}

pub(crate) fn post_srq_recv(srq: &Srq, wrs: &[RecvWr]) -> Result<()> {
    post_to(soft_device(srq.device())?, soft_srq(srq)?, wrs)
}

/// Posts `wrs` to `rq`, then lets the senders that waited for a receive
/// there try again (with no lock held).
fn post_to(device: &SoftDevice, rq: &RecvQueue, wrs: &[RecvWr]) -> Result<()> {
    let _deferred = device.deferred.on_return();
    let (woken, result) = rq.post(&device.keys.read(), wrs);
    for qp in woken.0.into_iter().filter_map(|qpn| device.qp(qpn)) {
        requester::progress(device, &qp);
    }
    result
}
