//! Receive queues: a QP's own, or a shared one (SRQ) that several QPs take
//! from. A receive's scatter list is resolved against the key table once,
//! when it is posted ([`Resolved`]); the responder only checks it again.
//! Senders that found no receive wait here, by QP number, and are named to
//! the poster that brings the next receive.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::cq::{Cqe, SoftCq};
use super::deferred::Deferred;
use super::keys::{Keys, Resolved};
use crate::error::{Error, Result, WrError};
use crate::event::AsyncEvent;
use crate::object::Srq;
use crate::verbs::{RecvWr, WcOpcode, WcStatus, WorkCompletion};

/// Posted receive work requests and the senders waiting for one.
#[derive(Debug)]
pub(super) struct RecvQueue {
    state: Mutex<Queue>,
    /// QP numbers of the senders waiting for a receive.
    waiters: Mutex<Vec<u32>>,
    max_sge: u32,
    /// An SRQ's number and where its limit event goes; `None` for a QP's
    /// own queue.
    srq: Option<(u32, Arc<Deferred>)>,
}

/// Whether a queue takes and hands out receives. It changes only under the
/// queue's lock, so a receive is consumed either wholly before a flush or
/// reset (its completion then comes first) or not at all.
#[derive(Debug)]
enum Mode {
    /// The QP is in RESET: posting fails and nothing is consumed.
    Closed,
    /// Receives are posted and consumed.
    Open,
    /// The QP is in ERR: every receive posted completes at once with a
    /// flush error on this CQ, for this QP number.
    Flushing(Arc<SoftCq>, u32),
}

/// One posted receive: its first SGE resolved, and how many more follow it
/// in the queue's `rest` (rare: most receives have one SGE).
#[derive(Clone, Copy, Debug)]
struct Posted {
    wr_id: u64,
    first: Option<Resolved>,
    more: u32,
}

/// Posted receives, stored flat (no allocation per receive).
#[derive(Debug)]
struct Queue {
    posted: VecDeque<Posted>,
    rest: VecDeque<Resolved>,
    max_wr: u32,
    /// The SRQ limit (0: disarmed); reported by `query_srq`. Consuming a
    /// receive that leaves fewer posted raises `SRQ_LIMIT_REACHED` and
    /// disarms it.
    limit: u32,
    /// Set when a sender found the queue empty: the next post wakes the
    /// waiters. Kept under the queue's lock, which orders it with the
    /// sender's look at the queue (see [`RecvQueue::add_waiter`]).
    wanted: bool,
    mode: Mode,
    /// Completions of receives consumed and not on the CQ yet (a post
    /// list's are delivered together); delivered before any flush, dropped
    /// by a reset. Kept under the queue's lock with the consume.
    done: Vec<Cqe>,
    /// Whether one of `done` asks for a solicited event.
    done_solicited: bool,
}

/// When a consumed receive's completion reaches the CQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Delivery {
    /// At once (an SRQ's receives complete on the CQs of several QPs).
    Now,
    /// With the others of the post list, at [`RecvGuard::deliver`].
    Batched,
}

/// What became of an attempt to consume a receive.
pub(super) enum Consumed<T> {
    /// A receive was used; its completion is on the CQ (or was lost to an
    /// overrun, and then the receiving QP must enter the error state).
    Used {
        /// What the responder's closure returned.
        value: T,
        /// Whether the completion did not fit in the CQ.
        overrun: bool,
    },
    /// No receive is posted (the next post names the waiters).
    Empty,
    /// The queue's QP is in RESET or ERR: it takes no message.
    Closed,
}

/// A receive taken from the queue: its scatter list as resolved at post
/// time, the first entry inline.
#[derive(Debug)]
pub(super) struct Receive {
    pub(super) wr_id: u64,
    first: Option<Resolved>,
    rest: Vec<Resolved>,
}

impl Receive {
    /// Its scatter list.
    pub(super) fn sg_list(&self) -> impl Iterator<Item = &Resolved> {
        self.first.iter().chain(&self.rest)
    }
}

/// QP numbers of senders to let try again: a post brought receives to a
/// queue they were waiting on.
#[must_use = "the waiting senders must be given their turn"]
pub(super) struct Woken(pub(super) Vec<u32>);

impl RecvQueue {
    /// The receive queue of a QP (closed until the QP leaves RESET).
    pub(super) fn for_qp(max_wr: u32, max_sge: u32) -> RecvQueue {
        RecvQueue::new(max_wr, max_sge, Mode::Closed, None)
    }

    /// The shared receive queue numbered `num` (open from the start); its
    /// limit event is raised on `deferred`.
    pub(super) fn shared(
        max_wr: u32,
        max_sge: u32,
        num: u32,
        deferred: Arc<Deferred>,
    ) -> RecvQueue {
        RecvQueue::new(max_wr, max_sge, Mode::Open, Some((num, deferred)))
    }

    fn new(max_wr: u32, max_sge: u32, mode: Mode, srq: Option<(u32, Arc<Deferred>)>) -> RecvQueue {
        RecvQueue {
            state: Mutex::new(Queue {
                posted: VecDeque::with_capacity((max_wr as usize).min(4096)),
                rest: VecDeque::new(),
                max_wr,
                limit: 0,
                wanted: false,
                mode,
                done: Vec::new(),
                done_solicited: false,
            }),
            waiters: Mutex::new(Vec::new()),
            max_sge,
            srq,
        }
    }

    /// The SRQ's number; `None` for a QP's own queue.
    pub(super) fn srq_num(&self) -> Option<u32> {
        self.srq.as_ref().map(|(num, _)| *num)
    }

    /// The queue, locked: for consuming a post list's receives under one
    /// lock.
    pub(super) fn lock(&self) -> RecvGuard<'_> {
        RecvGuard {
            rq: self,
            queue: self.state.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Posts `wrs`, their SGEs resolved with `keys`; those before a refused
    /// one stay posted. When the queue's QP is in the error state, every
    /// accepted request completes at once with a flush error. Returns the
    /// senders that waited for a receive here.
    ///
    /// # Errors
    /// [`Error::BadWr`] for a QP in RESET, too many SGEs or a full queue.
    pub(super) fn post(&self, keys: &Keys<'_>, wrs: &[RecvWr]) -> (Woken, Result<()>) {
        let mut guard = self.lock();
        let queue = &mut *guard.queue;
        let flushing = match &queue.mode {
            Mode::Closed => {
                let refused = Err(Error::BadWr {
                    index: 0,
                    reason: WrError::InvalidState,
                });
                return (Woken(Vec::new()), refused);
            }
            Mode::Open => None,
            Mode::Flushing(cq, qp_num) => Some((Arc::clone(cq), *qp_num)),
        };
        let mut refused = None;
        let mut accepted = 0;
        for (index, wr) in wrs.iter().enumerate() {
            let reason = if wr.sg_list.len() > self.max_sge as usize {
                Some(WrError::TooManySge)
            } else if queue.posted.len() >= queue.max_wr as usize && flushing.is_none() {
                Some(WrError::QueueFull)
            } else {
                None
            };
            if let Some(reason) = reason {
                refused = Some(Error::BadWr { index, reason });
                break;
            }
            accepted += 1;
            if flushing.is_none() {
                let mut sges = wr
                    .sg_list
                    .iter()
                    .map(|s| keys.resolve_receive(s.lkey, s.addr, s.length as usize));
                let first = sges.next();
                let before = queue.rest.len();
                queue.rest.extend(sges);
                queue.posted.push_back(Posted {
                    wr_id: wr.wr_id,
                    first,
                    more: (queue.rest.len() - before) as u32,
                });
            }
        }
        let result = refused.map_or(Ok(()), Err);
        if let Some((cq, qp_num)) = flushing {
            // Under the queue's lock: a flush of the queue cannot overtake it.
            let _ = cq.push(
                wrs[..accepted].iter().map(|wr| flushed(wr.wr_id, qp_num)),
                false,
            );
            return (Woken(Vec::new()), result);
        }
        let wake = accepted > 0 && core::mem::take(&mut queue.wanted);
        drop(guard);
        let woken = if wake {
            core::mem::take(&mut *self.waiters.lock().unwrap_or_else(PoisonError::into_inner))
        } else {
            Vec::new()
        };
        (Woken(woken), result)
    }

    /// Consumes the oldest receive under a lock of its own; see
    /// [`RecvGuard::consume`].
    pub(super) fn consume<T>(
        &self,
        cq: &SoftCq,
        solicited: bool,
        delivery: Delivery,
        respond: impl FnOnce(&Receive) -> (WorkCompletion, T),
    ) -> Consumed<T> {
        self.lock().consume(cq, solicited, delivery, respond)
    }

    /// Remembers QP `qpn` as a sender waiting for a receive here. The
    /// sender then looks at the queue again: a post that came before this
    /// found `wanted` set by the sender's failed consume and named the
    /// waiters, either after this registration (naming `qpn`) or before it
    /// (and then the sender's second look sees the receive).
    pub(super) fn add_waiter(&self, qpn: u32) {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if !waiters.contains(&qpn) {
            waiters.push(qpn);
        }
    }

    /// Completes every posted receive with a flush error on `cq`, and every
    /// one posted from now on (the queue's QP entered the error state).
    pub(super) fn flush(&self, cq: &Arc<SoftCq>, qp_num: u32) {
        self.lock().flush(cq, qp_num);
    }

    /// Lets the queue take receives again (its QP left RESET).
    pub(super) fn open(&self) {
        self.lock().queue.mode = Mode::Open;
    }

    /// Drops every posted receive without completions and refuses posts
    /// until [`open`](Self::open) (the queue's QP was reset).
    pub(super) fn clear(&self) {
        let mut guard = self.lock();
        let queue = &mut *guard.queue;
        queue.rest.clear();
        queue.posted.clear();
        queue.done.clear();
        queue.done_solicited = false;
        queue.mode = Mode::Closed;
    }

    /// `(max_wr, limit)`.
    pub(super) fn limits(&self) -> (u32, u32) {
        let guard = self.lock();
        (guard.queue.max_wr, guard.queue.limit)
    }

    /// Changes the capacity (not below what is posted) and/or the limit.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `max_wr` is below what is posted.
    pub(super) fn set_limits(&self, max_wr: Option<u32>, limit: Option<u32>) -> Result<()> {
        let mut guard = self.lock();
        let queue = &mut *guard.queue;
        if let Some(max_wr) = max_wr {
            if (max_wr as usize) < queue.posted.len() {
                return Err(Error::InvalidArgument(
                    "max_wr below the receives already posted",
                ));
            }
            queue.max_wr = max_wr;
        }
        if let Some(limit) = limit {
            queue.limit = limit;
        }
        Ok(())
    }
}

/// A locked receive queue.
pub(super) struct RecvGuard<'a> {
    rq: &'a RecvQueue,
    queue: MutexGuard<'a, Queue>,
}

impl RecvGuard<'_> {
    /// Consumes the oldest receive: `respond` writes the message into its
    /// scatter list and makes its completion, which goes to `cq` (with
    /// `solicited`) now or with the batch, as `delivery` says, under the
    /// queue's lock: a flush or reset comes wholly before or wholly after
    /// it. Finding no receive marks the queue as wanted.
    pub(super) fn consume<T>(
        &mut self,
        cq: &SoftCq,
        solicited: bool,
        delivery: Delivery,
        respond: impl FnOnce(&Receive) -> (WorkCompletion, T),
    ) -> Consumed<T> {
        let queue = &mut *self.queue;
        if !matches!(queue.mode, Mode::Open) {
            return Consumed::Closed;
        }
        let Some(posted) = queue.posted.pop_front() else {
            queue.wanted = true;
            return Consumed::Empty;
        };
        let rest = if posted.more > 0 {
            queue.rest.drain(..posted.more as usize).collect()
        } else {
            Vec::new()
        };
        self.check_limit();
        let (wc, value) = respond(&Receive {
            wr_id: posted.wr_id,
            first: posted.first,
            rest,
        });
        let cqe = Cqe::new(wc, None);
        let queue = &mut *self.queue;
        let overrun = match delivery {
            Delivery::Now => cq.push([cqe], solicited).is_err(),
            Delivery::Batched => {
                queue.done.push(cqe);
                queue.done_solicited |= solicited;
                false
            }
        };
        Consumed::Used { value, overrun }
    }

    /// An armed SRQ limit fires once fewer receives than it are posted:
    /// `SRQ_LIMIT_REACHED` is raised and the limit disarmed.
    fn check_limit(&mut self) {
        let queue = &mut *self.queue;
        if queue.limit > 0 && queue.posted.len() < queue.limit as usize {
            queue.limit = 0;
            if let Some((srq_num, deferred)) = &self.rq.srq {
                deferred.raise(AsyncEvent::SrqLimitReached { srq_num: *srq_num });
            }
        }
    }

    /// Puts the batched completions on `cq`; `true` when one did not fit
    /// (the queue's QP must then enter the error state).
    pub(super) fn deliver(&mut self, cq: &SoftCq) -> bool {
        let queue = &mut *self.queue;
        if queue.done.is_empty() {
            return false;
        }
        let solicited = core::mem::take(&mut queue.done_solicited);
        cq.push(queue.done.drain(..), solicited).is_err()
    }

    /// Completes every posted receive with a flush error on `cq`, and every
    /// one posted from now on (the queue's QP entered the error state).
    pub(super) fn flush(&mut self, cq: &Arc<SoftCq>, qp_num: u32) {
        // What was consumed before the error completes first, as it did.
        self.deliver(cq);
        let queue = &mut *self.queue;
        queue.rest.clear();
        let posted = core::mem::take(&mut queue.posted);
        queue.mode = Mode::Flushing(Arc::clone(cq), qp_num);
        let _ = cq.push(posted.iter().map(|p| flushed(p.wr_id, qp_num)), false);
    }
}

/// The SRQ's provider state: its receive queue.
pub(super) fn soft_srq(srq: &Srq) -> Result<&Arc<RecvQueue>> {
    srq.private::<Arc<RecvQueue>>()
}

/// The flush completion of a receive.
fn flushed(wr_id: u64, qp_num: u32) -> Cqe {
    let wc = WorkCompletion {
        wr_id,
        status: WcStatus::WrFlushErr,
        opcode: WcOpcode::Recv,
        qp_num,
        ..WorkCompletion::default()
    };
    Cqe::new(wc, None)
}
