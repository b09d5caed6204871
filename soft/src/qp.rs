//! Queue pairs' state: what a QP is, its send queue, its state and the
//! responder's attributes, readable without the send-queue lock.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError, Weak};
use std::time::Instant;

use super::cq::SoftCq;
use super::cqe::Cqe;
use super::deferred::Deferred;
use super::keys::Keys;
use super::pending::Pending;
use super::recv::{RecvGuard, RecvQueue};
use super::sync::{AtomicU8, AtomicU32, Mutex, MutexGuard, Ordering, Padded};
use super::wire::inbound::Inbound;
use super::wire::outstanding::Outstanding;
use ibops::error::Result;
use ibops::object::Qp;
use ibops::verbs::{AccessFlags, QpAttr, QpCap, QpState, QpType, SendWr};

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
    /// What changes while it lives, readable without the send-queue lock.
    pub(super) live: Live,
    /// Where its events and deferred flushes go.
    pub(super) deferred: Arc<Deferred>,
    /// On cache lines of its own: the poster's core writes it on every
    /// post, while the peer's core reads the fields above.
    pub(super) sq: Padded<Mutex<SendQueue>>,
    /// The responder's state when its peer is across the link (taken after
    /// the send queue, never before).
    pub(super) inbound: Mutex<Inbound>,
}

/// The state and the responder's attributes of a QP, each an atomic
/// changed with the send queue held and read without a lock. A new QP's
/// are those of RESET.
#[derive(Debug, Default)]
pub(super) struct Live {
    state: AtomicU8,
    /// What a responder checks.
    responder_access: AtomicU32,
    qkey: AtomicU32,
    /// The RNR NAK timer code it answers a SEND without a receive with.
    min_rnr_timer: AtomicU8,
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
    /// The id of `used` at the send CQ, which the completions name.
    pub(super) sender: u32,
    /// The first pending send's RNR retries, while it gets RNR NAKs.
    pub(super) rnr: Option<RnrWait>,
    /// Unsignaled work requests since the last send completion.
    pub(super) unsignaled: u32,
    /// Room for the completions of one post, reused between posts.
    pub(super) completions: Vec<Cqe>,
    /// The requests in flight across the link, for a QP whose peer is
    /// there.
    pub(super) wire: Outstanding,
}

impl SendQueue {
    /// An empty send queue of a QP in RESET whose completions go to
    /// `send_cq`.
    pub(super) fn new(send_cq: &SoftCq) -> SendQueue {
        let used = Arc::new(AtomicU32::new(0));
        SendQueue {
            attr: QpAttr::default(),
            peer: Weak::new(),
            pending: VecDeque::new(),
            rnr: None,
            sender: send_cq.attach_sender(Arc::clone(&used)),
            used,
            unsignaled: 0,
            completions: Vec::new(),
            wire: Outstanding::default(),
        }
    }

    /// Queues `wrs`, posted on a QP of protection domain `pd`, behind the
    /// pending sends; inline requests capture their bytes now, through
    /// `keys`.
    pub(super) fn wait(&mut self, keys: &Keys<'_>, pd: u32, wrs: &[SendWr]) {
        let captured = wrs.iter().map(|wr| Pending::capture(keys, pd, wr));
        self.pending.extend(captured);
    }

    /// Forgets everything (the QP went to RESET): completions still on
    /// `send_cq` free no slot of the new queue.
    pub(super) fn reset(&mut self, send_cq: &SoftCq) {
        send_cq.detach_sender(self.sender);
        *self = SendQueue::new(send_cq);
    }
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
        STATES[usize::from(self.live.state.load(Ordering::Acquire)).min(STATES.len() - 1)]
    }

    /// Sets the state (`sq` held by the caller).
    pub(super) fn set_state(&self, state: QpState) {
        let index = STATES.iter().position(|s| *s == state).unwrap_or(0);
        self.live.state.store(index as u8, Ordering::Release);
    }

    /// Whether it accepts incoming messages (RTR and later, not in error).
    pub(super) fn receives(&self) -> bool {
        matches!(
            self.state(),
            QpState::Rtr | QpState::Rts | QpState::Sqd | QpState::Sqe
        )
    }

    /// The remote access the QP grants as a responder.
    pub(super) fn responder_access(&self) -> AccessFlags {
        AccessFlags::from_bits_truncate(self.live.responder_access.load(Ordering::Acquire))
    }

    /// Sets the remote access it grants.
    pub(super) fn set_responder_access(&self, access: AccessFlags) {
        self.live
            .responder_access
            .store(access.bits(), Ordering::Release);
    }

    /// The Q_Key (UD).
    pub(super) fn qkey(&self) -> u32 {
        self.live.qkey.load(Ordering::Acquire)
    }

    /// Sets the Q_Key.
    pub(super) fn set_qkey(&self, qkey: u32) {
        self.live.qkey.store(qkey, Ordering::Release);
    }

    /// Sets the RNR NAK timer code.
    pub(super) fn set_min_rnr_timer(&self, code: u8) {
        self.live.min_rnr_timer.store(code, Ordering::Release);
    }

    /// The RNR NAK timer code a requester waits for when this QP has no
    /// receive.
    pub(super) fn min_rnr_timer(&self) -> u8 {
        self.live.min_rnr_timer.load(Ordering::Acquire)
    }

    /// Its receive queue locked, if it still receives. The state is read
    /// under the queue's lock, which [`close`](Self::close) takes after
    /// changing it: a message either lands before the QP is destroyed or
    /// not at all.
    pub(super) fn lock_receiving(&self) -> Option<RecvGuard<'_>> {
        let rq = self.rq.lock();
        self.receives().then_some(rq)
    }

    pub(super) fn lock_sq(&self) -> MutexGuard<'_, SendQueue> {
        self.sq.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The responder's state across the link, locked.
    pub(super) fn lock_inbound(&self) -> MutexGuard<'_, Inbound> {
        self.inbound.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The QP's provider state.
pub(super) fn soft_qp(qp: &Qp) -> Result<&Arc<SoftQp>> {
    qp.private::<Arc<SoftQp>>()
}
