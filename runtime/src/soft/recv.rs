//! Receive queues: a QP's own, or a shared one (SRQ) that several QPs take
//! from. Senders that found no receive wait here and are woken by the next
//! post.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use super::cq::{Cqe, SoftCq};
use super::deferred::Deferred;
use super::device::SoftDevice;
use super::qp::SoftQp;
use crate::error::{Error, Result, WrError};
use crate::event::AsyncEvent;
use crate::verbs::{RecvWr, Sge, WcOpcode, WcStatus, WorkCompletion};

/// Posted receive work requests and the senders waiting for one.
#[derive(Debug)]
pub(super) struct RecvQueue {
    state: Mutex<Queue>,
    waiters: Mutex<Vec<Weak<SoftQp>>>,
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

/// Posted receives, stored flat (no allocation per receive): each entry
/// is a `wr_id` and how many of the next SGEs are its own.
#[derive(Debug)]
struct Queue {
    wrs: VecDeque<(u64, usize)>,
    sges: VecDeque<Sge>,
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
    /// With the others of the post list, at [`RecvQueue::deliver`].
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
    /// No receive is posted (the next post wakes the waiters).
    Empty,
    /// The queue's QP is in RESET or ERR: it takes no message.
    Closed,
}

impl RecvQueue {
    /// The receive queue of a QP (closed until the QP leaves RESET).
    pub(super) fn for_qp(max_wr: u32, max_sge: u32) -> RecvQueue {
        RecvQueue::new(max_wr, max_sge, Mode::Closed, None)
    }

    /// The shared receive queue numbered `num` (open from the start); its
    /// limit event is raised on `events`.
    pub(super) fn shared(max_wr: u32, max_sge: u32, num: u32, events: Arc<Deferred>) -> RecvQueue {
        RecvQueue::new(max_wr, max_sge, Mode::Open, Some((num, events)))
    }

    fn new(max_wr: u32, max_sge: u32, mode: Mode, srq: Option<(u32, Arc<Deferred>)>) -> RecvQueue {
        RecvQueue {
            state: Mutex::new(Queue {
                wrs: VecDeque::with_capacity((max_wr as usize).min(4096)),
                sges: VecDeque::with_capacity((max_wr as usize).min(4096)),
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

    /// An armed SRQ limit fires once fewer receives than it are posted:
    /// `SRQ_LIMIT_REACHED` is raised and the limit disarmed (lock held).
    fn check_limit(&self, queue: &mut Queue) {
        if queue.limit > 0 && queue.wrs.len() < queue.limit as usize {
            queue.limit = 0;
            if let Some((srq_num, events)) = &self.srq {
                events.raise(AsyncEvent::SrqLimitReached { srq_num: *srq_num });
            }
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Posts `wrs`; those before a refused one stay posted, and senders
    /// waiting for a receive try again. When the queue's QP is in the error
    /// state, every accepted request completes at once with a flush error.
    ///
    /// # Errors
    /// [`Error::BadWr`] for a QP in RESET, too many SGEs or a full queue.
    pub(super) fn post(&self, device: &SoftDevice, wrs: &[RecvWr]) -> Result<()> {
        let mut queue = self.queue();
        let flushing = match &queue.mode {
            Mode::Closed => {
                return Err(Error::BadWr {
                    index: 0,
                    reason: WrError::InvalidState,
                });
            }
            Mode::Open => None,
            Mode::Flushing(cq, qp_num) => Some((Arc::clone(cq), *qp_num)),
        };
        let mut refused = None;
        let mut accepted = 0;
        for (index, wr) in wrs.iter().enumerate() {
            let reason = if wr.sg_list.len() > self.max_sge as usize {
                Some(WrError::TooManySge)
            } else if queue.wrs.len() >= queue.max_wr as usize && flushing.is_none() {
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
                queue.wrs.push_back((wr.wr_id, wr.sg_list.len()));
                match wr.sg_list.as_slice() {
                    [one] => queue.sges.push_back(*one),
                    sges => queue.sges.extend(sges.iter().copied()),
                }
            }
        }
        if let Some((cq, qp_num)) = flushing {
            // Under the queue's lock: a flush of the queue cannot overtake it.
            let _ = cq.push(
                wrs[..accepted].iter().map(|wr| flushed(wr.wr_id, qp_num)),
                false,
            );
            return refused.map_or(Ok(()), Err);
        }
        let wake = accepted > 0 && core::mem::take(&mut queue.wanted);
        drop(queue);
        if wake {
            self.wake_waiters(device);
        }
        refused.map_or(Ok(()), Err)
    }

    /// Consumes the oldest receive: `respond` writes the message into its
    /// scatter list and makes its completion, which goes to `cq` (with
    /// `solicited`) now or with the batch, as `delivery` says, under the
    /// queue's lock: a flush or reset comes wholly before or wholly after
    /// it. Finding no receive marks the queue as wanted.
    pub(super) fn consume<T>(
        &self,
        cq: &SoftCq,
        solicited: bool,
        delivery: Delivery,
        respond: impl FnOnce(&Receive) -> (WorkCompletion, T),
    ) -> Consumed<T> {
        let mut queue = self.queue();
        if !matches!(queue.mode, Mode::Open) {
            return Consumed::Closed;
        }
        let Some((wr_id, count)) = queue.wrs.pop_front() else {
            queue.wanted = true;
            return Consumed::Empty;
        };
        let first = if count > 0 {
            queue.sges.pop_front()
        } else {
            None
        };
        let rest = if count > 1 {
            queue.sges.drain(..count - 1).collect()
        } else {
            Vec::new()
        };
        self.check_limit(&mut queue);
        let (wc, value) = respond(&Receive { wr_id, first, rest });
        let cqe = Cqe::new(wc, None);
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

    /// Puts the batched completions on `cq`; `true` when one did not fit
    /// (the queue's QP must then enter the error state).
    pub(super) fn deliver(&self, cq: &SoftCq) -> bool {
        let mut queue = self.queue();
        Self::deliver_locked(&mut queue, cq)
    }

    fn deliver_locked(queue: &mut Queue, cq: &SoftCq) -> bool {
        if queue.done.is_empty() {
            return false;
        }
        let solicited = core::mem::take(&mut queue.done_solicited);
        cq.push(queue.done.drain(..), solicited).is_err()
    }

    /// Lets the queue take receives again (its QP left RESET).
    pub(super) fn open(&self) {
        self.queue().mode = Mode::Open;
    }

    /// Remembers `qp` as a sender waiting for a receive here. The sender
    /// then looks at the queue again: a post that came before this found
    /// `wanted` set by the sender's failed `take` and woke the waiters,
    /// either after this registration (waking `qp`) or before it (and then
    /// the sender's second look sees the receive).
    pub(super) fn add_waiter(&self, qp: &Arc<SoftQp>) {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if !waiters.iter().any(|w| w.as_ptr() == Arc::as_ptr(qp)) {
            waiters.push(Arc::downgrade(qp));
        }
    }

    /// Lets every waiting sender try again (called with no lock held).
    fn wake_waiters(&self, device: &SoftDevice) {
        let waiters =
            core::mem::take(&mut *self.waiters.lock().unwrap_or_else(PoisonError::into_inner));
        for qp in waiters.iter().filter_map(Weak::upgrade) {
            super::post::progress(device, &qp);
        }
    }

    /// Completes every posted receive with a flush error on `cq`, and every
    /// one posted from now on (the queue's QP entered the error state).
    pub(super) fn flush(&self, cq: &Arc<SoftCq>, qp_num: u32) {
        let mut queue = self.queue();
        // What was consumed before the error completes first, as it did.
        Self::deliver_locked(&mut queue, cq);
        queue.sges.clear();
        let wrs = core::mem::take(&mut queue.wrs);
        queue.mode = Mode::Flushing(Arc::clone(cq), qp_num);
        let _ = cq.push(wrs.iter().map(|(wr_id, _)| flushed(*wr_id, qp_num)), false);
    }

    /// Drops every posted receive without completions and refuses posts
    /// until [`open`](Self::open) (the queue's QP was reset).
    pub(super) fn clear(&self) {
        let mut queue = self.queue();
        queue.sges.clear();
        queue.wrs.clear();
        queue.done.clear();
        queue.done_solicited = false;
        queue.mode = Mode::Closed;
    }

    /// `(max_wr, limit)`.
    pub(super) fn limits(&self) -> (u32, u32) {
        let queue = self.queue();
        (queue.max_wr, queue.limit)
    }

    /// Changes the capacity (not below what is posted) and/or the limit.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `max_wr` is below what is posted.
    pub(super) fn set_limits(&self, max_wr: Option<u32>, limit: Option<u32>) -> Result<()> {
        let mut queue = self.queue();
        if let Some(max_wr) = max_wr {
            if (max_wr as usize) < queue.wrs.len() {
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

/// A receive taken from the queue: its first SGE inline, the others (rare)
/// in a vector.
#[derive(Debug)]
pub(super) struct Receive {
    pub(super) wr_id: u64,
    first: Option<Sge>,
    rest: Vec<Sge>,
}

impl Receive {
    /// Its scatter list.
    pub(super) fn sg_list(&self) -> impl Iterator<Item = &Sge> {
        self.first.iter().chain(&self.rest)
    }
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
