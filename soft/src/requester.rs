//! The requester: runs a QP's send queue. Each post list is one pass with
//! the key table read once and the peer looked up once; a request gathers
//! its local bytes, hands the message to the [`responder`](super::responder)
//! and is completed by the [`completer`](super::completer). A request that
//! finds no receive (an RNR NAK) waits: for a receive with `rnr_retry` 7,
//! otherwise for the RNR timer, `rnr_retry` times.
//!
//! Completion statuses, as a channel adapter would report them:
//! - a bad local key, address or access: local protection error;
//! - a message above the port limit: local length error;
//! - a bad rkey, an address outside the region, or rights the region or
//!   the responder QP lacks: remote access error;
//! - a misaligned atomic: remote invalid request;
//! - a receive too small for a SEND: remote invalid request (the responder
//!   completes the receive with a local length error);
//! - no receive posted: waits (`rnr_retry` 7) or retries after the
//!   responder's `min_rnr_timer`, then RNR retry exceeded;
//! - no peer QP ready to receive, or the port down: transport retry
//!   exceeded;
//! - a UD send through an address handle of another device or another PD:
//!   local QP operation error (rxe's rule).

use std::sync::Arc;
use std::time::Instant;

use super::completer::wc_opcode;
use super::cqe::Cqe;
use super::device::{SoftDevice, soft_device};
use super::link::Link;
use super::memory::{SgList, Source};
use super::pd::pd_id;
use super::qp::{RnrWait, SendQueue, SoftQp};
use super::responder::{GRH_BYTES, Outcome, Responder, done, success};
use super::timer::rnr_delay;
use super::wire::{
    self,
    ud::{self, Datagram},
};
use ibops::device::Device;
use ibops::object::Ah;
use ibops::verbs::{QpState, SendFlags, SendWr, WcStatus, WrOpcode};

/// One requester QP's view for executing a post list.
struct Requester<'a> {
    device: &'a SoftDevice,
    qp: &'a SoftQp,
    peer: Option<&'a Arc<SoftQp>>,
    responder: Responder<'a>,
}

impl<'a> Requester<'a> {
    /// Sends the bytes of `src` as the RoCEv2 packet `datagram` on the
    /// device's link, to the GID `dgid` of its address handle (which must
    /// have one): it completes when it leaves, as a UD send does.
    fn send_on_link(
        &mut self,
        link: &Link,
        dgid: Option<[u8; 16]>,
        datagram: &Datagram,
        src: &Source<'_, '_>,
    ) -> Outcome {
        let Some(dgid) = dgid else {
            return done(WcStatus::LocQpOpErr);
        };
        // The burst may hold the buffers the message is read from.
        self.responder.release();
        let Ok(payload) = src.gather() else {
            return done(WcStatus::LocProtErr);
        };
        match ud::send(link, dgid, datagram, &payload) {
            Ok(()) => success(payload.len()),
            Err(_) => done(WcStatus::LocQpOpErr),
        }
    }

    /// Executes `wr`; a request that gathers reads `inline` instead of its
    /// SGEs when given (the bytes an inline request captured at post time).
    fn execute(&mut self, wr: &SendWr, inline: Option<&SgList<'_>>) -> Outcome {
        let resolved;
        let src = match inline {
            Some(captured) => Source::Captured(captured),
            None => match SgList::local(self.responder.keys(), &wr.sg_list, self.qp.pd, false) {
                Ok(list) => {
                    resolved = list;
                    Source::Registered(&resolved)
                }
                Err(status) => return done(status),
            },
        };
        let src = &src;
        if let WrOpcode::UdSend {
            ah,
            remote_qpn,
            remote_qkey,
            imm_data,
        } = &wr.opcode
        {
            if !self.may_use(ah) {
                return done(WcStatus::LocQpOpErr);
            }
            if src.len() > self.device.limits.mtu.bytes() as usize {
                return done(WcStatus::LocLenErr);
            }
            let grh = ah.data().attr.grh;
            if let Some(link) = &self.device.link {
                let datagram = Datagram {
                    src_qp: self.qp.qpn,
                    dest_qp: *remote_qpn,
                    qkey: *remote_qkey,
                    imm: *imm_data,
                    solicited: wr.send_flags.contains(SendFlags::SOLICITED),
                };
                return self.send_on_link(link, grh.map(|g| g.dgid.0), &datagram, src);
            }
            let reserved = grh.is_some().then_some(&[0; GRH_BYTES]);
            let responder = &mut self.responder;
            return responder.datagram(src, *remote_qpn, *remote_qkey, *imm_data, reserved);
        }
        if src.len() > self.device.limits.max_msg_sz as usize {
            return done(WcStatus::LocLenErr);
        }
        // A port that is down carries nothing: the transport retries and
        // gives up.
        let Some(peer) = self
            .peer
            .filter(|p| p.receives() && self.device.port_active())
        else {
            return done(WcStatus::RetryExcErr);
        };
        let solicited = wr.send_flags.contains(SendFlags::SOLICITED);
        let responder = &mut self.responder;
        match &wr.opcode {
            WrOpcode::Send => responder.send(peer, src, None, solicited),
            WrOpcode::SendWithImm { imm_data } => {
                responder.send(peer, src, Some(*imm_data), solicited)
            }
            WrOpcode::RdmaWrite { remote_addr, rkey } => {
                responder.write(peer, src, *remote_addr, *rkey, None, solicited)
            }
            WrOpcode::RdmaWriteWithImm {
                remote_addr,
                rkey,
                imm_data,
            } => responder.write(peer, src, *remote_addr, *rkey, Some(*imm_data), solicited),
            WrOpcode::RdmaRead { remote_addr, rkey } => match self.scatter(wr) {
                Ok(dst) => self.responder.read(peer, &dst, *remote_addr, *rkey),
                Err(status) => done(status),
            },
            WrOpcode::AtomicCmpAndSwp {
                remote_addr,
                rkey,
                compare_add,
                swap,
            } => {
                let (compare, swap) = (*compare_add, *swap);
                match self.scatter(wr) {
                    Ok(dst) => self.responder.atomic(peer, &dst, *remote_addr, *rkey, |v| {
                        if v == compare { swap } else { v }
                    }),
                    Err(status) => done(status),
                }
            }
            WrOpcode::AtomicFetchAndAdd {
                remote_addr,
                rkey,
                compare_add,
            } => {
                let add = *compare_add;
                match self.scatter(wr) {
                    Ok(dst) => self
                        .responder
                        .atomic(peer, &dst, *remote_addr, *rkey, |v| v.wrapping_add(add)),
                    Err(status) => done(status),
                }
            }
            WrOpcode::UdSend { .. } => done(WcStatus::LocQpOpErr),
        }
    }

    /// Where a READ or an atomic writes what it fetched.
    fn scatter(&self, wr: &SendWr) -> Result<SgList<'a>, WcStatus> {
        SgList::local(self.responder.keys(), &wr.sg_list, self.qp.pd, true)
    }

    /// Whether the requester may send through `ah`: an address handle of
    /// the same device and the same PD as the QP (as rxe checks).
    fn may_use(&self, ah: &Ah) -> bool {
        let same_device = soft_device(ah.device()).is_ok_and(|d| core::ptr::eq(d, self.device));
        same_device && pd_id(&ah.data().pd).is_ok_and(|pd| pd == self.qp.pd)
    }
}

/// Executes `wrs` in order; one that must wait for a receive waits, with
/// every later one behind it.
pub(super) fn run(device: &SoftDevice, qp: &Arc<SoftQp>, sq: &mut SendQueue, wrs: &[SendWr]) {
    if let (true, Some(link)) = (sq.wire.is_remote(), &device.link) {
        return wire::requester::post(device, link, qp, sq, wrs);
    }
    with_pass(device, qp, sq, |pass, sq| {
        for (i, wr) in wrs.iter().enumerate() {
            if qp.state() != QpState::Rts {
                // An earlier request failed and the QP is in error.
                pass.deliver(sq);
                qp.flush_sends(sq, &wrs[i..]);
                return;
            }
            if !pass.step(sq, wr, None) {
                // Capturing inline bytes locks buffers of its own.
                pass.requester.responder.release();
                sq.wait(pass.requester.responder.keys(), qp.pd, &wrs[i..]);
                return;
            }
        }
    });
}

/// Executes pending sends while the QP is in RTS and they can proceed
/// (not before the RNR timer of the first one expires).
pub(super) fn run_pending(device: &SoftDevice, qp: &Arc<SoftQp>, sq: &mut SendQueue) {
    if let (true, Some(link)) = (sq.wire.is_remote(), &device.link) {
        if qp.state() == QpState::Rts {
            wire::requester::post_pending(device, link, qp, sq);
        }
        return;
    }
    let timing = sq.rnr.is_some_and(|rnr| rnr.due.is_some());
    if sq.pending.is_empty() || timing {
        return;
    }
    with_pass(device, qp, sq, |pass, sq| {
        while qp.state() == QpState::Rts {
            let Some(pending) = sq.pending.pop_front() else {
                break;
            };
            if !pass.step(sq, &pending.wr, pending.inline()) {
                sq.pending.push_front(pending);
                break;
            }
        }
    });
}

/// The RNR timer of `qp`'s first pending send expired: it tries again, as
/// a verb of `device` (the timer's callback).
pub(super) fn rnr_due(device: &Device, qp: &Arc<SoftQp>) {
    let Ok(soft) = soft_device(device) else {
        return;
    };
    let _deferred = soft.deferred.on_return();
    let mut sq = qp.lock_sq();
    match &mut sq.rnr {
        Some(RnrWait { due, .. }) if due.is_some_and(|at| at <= Instant::now()) => *due = None,
        // Flushed, reset or retried since.
        _ => return,
    }
    run_pending(soft, qp, &mut sq);
}

/// Lets the waiting sends of the QP numbered `qpn` try again, as a verb of
/// `device` (the queue they waited on will bring no receive: its QP left
/// RTR and later states).
pub(super) fn wake(device: &Device, qpn: u32) {
    if let Ok(soft) = soft_device(device)
        && let Some(qp) = soft.qp(qpn)
    {
        progress(soft, &qp);
    }
}

/// Lets `qp`'s waiting sends try again (a receive was posted).
pub(super) fn progress(device: &SoftDevice, qp: &Arc<SoftQp>) {
    let mut sq = qp.lock_sq();
    run_pending(device, qp, &mut sq);
}

/// Runs `body` with a pass over `qp`'s send queue: the key table read
/// once, the peer looked up once, the send completions pushed together at
/// the end.
fn with_pass(
    device: &SoftDevice,
    qp: &Arc<SoftQp>,
    sq: &mut SendQueue,
    body: impl FnOnce(&mut Pass<'_>, &mut SendQueue),
) {
    let keys = device.keys.read();
    let peer = sq.peer.upgrade();
    let mut pass = Pass {
        requester: Requester {
            device,
            qp,
            peer: peer.as_ref(),
            responder: Responder::new(device, &keys, qp.qpn),
        },
        qp,
        cqes: core::mem::take(&mut sq.completions),
    };
    body(&mut pass, sq);
    pass.deliver(sq);
    sq.completions = pass.cqes;
}

/// One pass over the send queue.
struct Pass<'a> {
    requester: Requester<'a>,
    qp: &'a Arc<SoftQp>,
    cqes: Vec<Cqe>,
}

impl Pass<'_> {
    /// Executes one request, gathering from `inline` when it captured its
    /// bytes at post time, and completes it; `false` when it must wait for
    /// a receive (it is then not completed).
    fn step(&mut self, sq: &mut SendQueue, wr: &SendWr, inline: Option<SgList<'_>>) -> bool {
        let mut outcome = self.requester.execute(wr, inline.as_ref());
        let forever = sq.attr.rnr_retry == 7;
        if let (Outcome::Rnr { rq, .. }, true) = (&outcome, forever) {
            // Register first, then look again: a receive posted in between
            // either is seen now or names us to its poster.
            rq.add_waiter(self.qp.qpn);
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
        let device = self.requester.device;
        if device.rnr_timer.schedule(&device.device(), self.qp, at) {
            None
        } else {
            Some(WcStatus::RnrRetryExcErr)
        }
    }

    /// Pushes the completions gathered so far, the peer's receives first
    /// (which unlocks the peer's receive queue); an overrun of the send CQ
    /// puts the QP in error.
    fn deliver(&mut self, sq: &mut SendQueue) {
        let peer = self.requester.peer;
        self.requester.responder.deliver(peer);
        if !self.cqes.is_empty() && self.qp.send_cq.push(self.cqes.drain(..), false).is_err() {
            self.qp.enter_fatal_error(sq);
        }
    }
}
