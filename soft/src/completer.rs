//! The completer: the completions of send work requests (with the slots
//! they free), and the error state with its flushes, from the requester's
//! side or the responder's.

use std::sync::Arc;

use super::cqe::{Cqe, Frees};
use super::qp::{SendQueue, SoftQp};
use super::recv::RecvGuard;
use ibops::event::AsyncEvent;
use ibops::verbs::{QpState, SendWr, WcOpcode, WcStatus, WorkCompletion, WrOpcode};

/// The completion opcode of a send work request.
pub(super) fn wc_opcode(op: &WrOpcode) -> WcOpcode {
    match op {
        WrOpcode::Send | WrOpcode::SendWithImm { .. } | WrOpcode::UdSend { .. } => WcOpcode::Send,
        WrOpcode::RdmaWrite { .. } | WrOpcode::RdmaWriteWithImm { .. } => WcOpcode::RdmaWrite,
        WrOpcode::RdmaRead { .. } => WcOpcode::RdmaRead,
        WrOpcode::AtomicCmpAndSwp { .. } => WcOpcode::CompSwap,
        WrOpcode::AtomicFetchAndAdd { .. } => WcOpcode::FetchAdd,
    }
}

impl SoftQp {
    /// Sets the error state; a QP that takes its receives from an SRQ and
    /// was not in error raises `LAST_WQE_REACHED` (it consumes no more).
    fn set_error_state(&self) {
        let was = self.state();
        self.set_state(QpState::Err);
        if self.shared_rq && was != QpState::Err {
            self.deferred
                .raise(AsyncEvent::QpLastWqeReached { qp_num: self.qpn });
        }
        self.wake_waiters();
    }

    /// Wakes the senders waiting for a receive at this QP's queue (it left
    /// the receiving states, set before): they try again when the verb
    /// returns and fail with `RETRY_EXC_ERR`, or find an SRQ's receive.
    /// A sender registering after this looks again and sees the state.
    pub(super) fn wake_waiters(&self) {
        self.deferred.wake(self.rq.take_waiters());
    }

    /// Ends the QP (`destroy_qp`): it posts and takes nothing from now on,
    /// and a peer's post list delivering into its receive queue is waited
    /// for, so once this returns nothing writes its receive buffers or
    /// completes on its CQs on its behalf (the kernel's contract, which
    /// lets the application free that memory). Its pending sends are
    /// dropped without completions, its send-queue id at the CQ is freed,
    /// and the senders waiting for its receives are woken.
    pub(super) fn close(&self) {
        let mut sq = self.lock_sq();
        self.set_state(QpState::Reset);
        sq.pending.clear();
        sq.wire.requests.clear();
        sq.rnr = None;
        self.send_cq.detach_sender(sq.sender);
        self.stop_receiving();
    }

    /// After its state left the receiving ones (RESET, set by the caller):
    /// its own receives are dropped, a message being delivered to it (its
    /// queue's or its SRQ's lock held) is waited for, and the senders
    /// waiting for its receives are woken. Reset and destroy share it.
    pub(super) fn stop_receiving(&self) {
        if self.shared_rq {
            // An SRQ consumer checks the state under the SRQ's lock: taking
            // it once waits for the one that saw this QP receive.
            drop(self.rq.lock());
        } else {
            self.rq.clear();
        }
        self.wake_waiters();
    }

    /// Moves to the error state from the requester side (`sq` held):
    /// flushes the pending sends and the QP's own receives.
    pub(super) fn enter_error(&self, sq: &mut SendQueue) {
        self.set_error_state();
        self.flush_pending(sq);
        self.flush_own_receives(None);
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
    /// the receives are flushed now (through `held` when the caller holds
    /// the QP's receive queue locked), the pending sends as soon as that
    /// post returns (before it returns to its caller).
    pub(super) fn enter_error_as_responder(self: &Arc<Self>, held: Option<&mut RecvGuard<'_>>) {
        self.set_error_state();
        self.flush_own_receives(held);
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
    pub(super) fn enter_fatal_error_as_responder(
        self: &Arc<Self>,
        held: Option<&mut RecvGuard<'_>>,
    ) {
        self.deferred
            .raise(AsyncEvent::QpFatal { qp_num: self.qpn });
        self.enter_error_as_responder(held);
    }

    /// Flushes the QP's own receive queue, through `held` when the caller
    /// holds it locked (an SRQ belongs to its other QPs too and is left
    /// alone).
    fn flush_own_receives(&self, held: Option<&mut RecvGuard<'_>>) {
        match held {
            _ if self.shared_rq => {}
            Some(held) => held.flush(&self.recv_cq, self.qpn),
            None => self.rq.flush(&self.recv_cq, self.qpn),
        }
    }

    /// Completes every request in flight across the link, then every
    /// pending send, with a flush error; the link's timers stop.
    pub(super) fn flush_pending(&self, sq: &mut SendQueue) {
        let in_flight = core::mem::take(&mut sq.wire.requests);
        (sq.wire.deadline, sq.wire.rnr_due) = (None, None);
        let pending = core::mem::take(&mut sq.pending);
        sq.rnr = None;
        let in_flight = in_flight.iter().map(|r| (r.wr_id, r.opcode()));
        let pending = pending
            .iter()
            .map(|p| (p.wr.wr_id, wc_opcode(&p.wr.opcode)));
        self.flush(sq, in_flight.chain(pending));
    }

    /// Completes `wrs` with a flush error (the QP is in error).
    pub(super) fn flush_sends<'w>(
        &self,
        sq: &mut SendQueue,
        wrs: impl IntoIterator<Item = &'w SendWr>,
    ) {
        let wrs = wrs.into_iter().map(|wr| (wr.wr_id, wc_opcode(&wr.opcode)));
        self.flush(sq, wrs);
    }

    /// Completes the requests `(wr_id, opcode)` with a flush error.
    fn flush(&self, sq: &mut SendQueue, wrs: impl Iterator<Item = (u64, WcOpcode)>) {
        let cqes: Vec<Cqe> = wrs
            .filter_map(|(wr_id, opcode)| {
                sq.complete(self, wr_id, true, WcStatus::WrFlushErr, opcode, 0)
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
            Some(Frees {
                sender: self.sender,
                slots: frees,
            }),
        ))
    }
}
