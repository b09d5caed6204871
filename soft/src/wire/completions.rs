//! Send completions of requests across the link, gathered while the send
//! queue is held and pushed together; a failed one puts the QP in error
//! once they are pushed, which flushes the rest.

use std::sync::Arc;

use ibops::verbs::{WcOpcode, WcStatus};

use crate::cqe::Cqe;
use crate::qp::{SendQueue, SoftQp};

/// Send completions gathered while the send queue is held, pushed
/// together.
pub(crate) struct Completions<'q> {
    qp: &'q Arc<SoftQp>,
    cqes: Vec<Cqe>,
    /// A request failed: the QP enters the error state once they are
    /// pushed.
    failed: bool,
}

impl<'q> Completions<'q> {
    /// None yet, for `qp`.
    pub(crate) fn new(qp: &'q Arc<SoftQp>) -> Completions<'q> {
        Completions {
            qp,
            cqes: Vec::new(),
            failed: false,
        }
    }

    /// The QP they are for.
    pub(crate) fn qp(&self) -> &'q Arc<SoftQp> {
        self.qp
    }

    /// The completion of the request `wr_id`, if it makes one.
    pub(crate) fn push(
        &mut self,
        sq: &mut SendQueue,
        wr_id: u64,
        signaled: bool,
        status: WcStatus,
        opcode: WcOpcode,
        byte_len: u32,
    ) {
        if let Some(cqe) = sq.complete(self.qp, wr_id, signaled, status, opcode, byte_len) {
            self.cqes.push(cqe);
        }
    }

    /// Completes the oldest request in flight with `status`.
    pub(crate) fn complete_front(&mut self, sq: &mut SendQueue, status: WcStatus) {
        if let Some(request) = sq.wire.requests.pop_front() {
            let len = if status == WcStatus::Success {
                request.len
            } else {
                0
            };
            let opcode = request.opcode();
            self.push(sq, request.wr_id, request.signaled, status, opcode, len);
        }
    }

    /// Fails the oldest request in flight with `status`: the QP enters
    /// the error state when they are pushed.
    pub(crate) fn fail_front(&mut self, sq: &mut SendQueue, status: WcStatus) {
        self.complete_front(sq, status);
        self.failed = true;
    }

    /// A request not in flight failed with `status`.
    pub(crate) fn fail(
        &mut self,
        sq: &mut SendQueue,
        wr_id: u64,
        status: WcStatus,
        opcode: WcOpcode,
    ) {
        self.push(sq, wr_id, true, status, opcode, 0);
        self.failed = true;
    }

    /// Pushes them to the send CQ (an overrun puts the QP in error), then
    /// enters the error state if a request failed, which flushes the rest.
    pub(crate) fn finish(mut self, sq: &mut SendQueue) {
        if !self.cqes.is_empty() && self.qp.send_cq.push(self.cqes.drain(..), false).is_err() {
            self.qp.enter_fatal_error(sq);
        } else if self.failed {
            self.qp.enter_error(sq);
        }
    }
}
