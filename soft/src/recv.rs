//! Receive queues: a QP's own, or a shared one (SRQ) that several QPs take
//! from. A receive's scatter list is resolved against the key table once,
//! when it is posted ([`Resolved`]); the responder only checks it again.
//! Senders that found no receive wait here, by QP number, and are named to
//! the poster that brings the next receive.
//!
//! Two locks, so that a poster and a consumer on two cores rarely meet:
//! posts land in an *inbox* under its own short lock, and the consumer,
//! which may hold the queue's lock for a whole post list, takes the inbox
//! in one swap of the two sides' storage when the receives it holds run
//! out. The two sides sit on cache lines of their own. The queue's mode
//! (closed, open, flushing) is kept on both sides and changed under both
//! locks, so a post and a flush or reset are still ordered one way or the
//! other, and no receive outlives a flush.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError};

use super::cq::SoftCq;
use super::cqe::Cqe;
use super::deferred::Deferred;
use super::keys::{Keys, Resolved};
use super::sync::{AtomicU32, AtomicUsize, Mutex, MutexGuard, Ordering, Padded};
use ibops::error::{Error, Result, WrError};
use ibops::event::AsyncEvent;
use ibops::object::Srq;
use ibops::verbs::{RecvWr, Sge, WcOpcode, WcStatus, WorkCompletion};

/// Posted receive work requests and the senders waiting for one.
#[derive(Debug)]
pub(super) struct RecvQueue {
    /// The consumer's side and the posters' on cache lines of their own.
    state: Padded<Mutex<Queue>>,
    inbox: Padded<Mutex<Inbox>>,
    /// How many receives the consumer side holds (written under `state`,
    /// read by posters for the queue's occupancy).
    taken: Padded<AtomicUsize>,
    /// The capacity.
    max_wr: AtomicU32,
    /// QP numbers of the senders waiting for a receive.
    waiters: Mutex<Vec<u32>>,
    max_sge: u32,
    /// An SRQ's number and where its limit event goes; `None` for a QP's
    /// own queue.
    srq: Option<(u32, Arc<Deferred>)>,
}

/// Whether a queue takes and hands out receives. It changes only under
/// both locks, so a receive is consumed either wholly before a flush or
/// reset (its completion then comes first) or not at all, and a post comes
/// wholly before or after one.
#[derive(Clone, Debug)]
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
#[derive(Debug, Default)]
struct Receives {
    posted: VecDeque<Posted>,
    rest: VecDeque<Resolved>,
}

/// The consumer's side: the receives moved over from the inbox, oldest
/// first.
#[derive(Debug)]
struct Queue {
    taken: Receives,
    /// The SRQ limit (0: disarmed); reported by `query_srq`. Consuming a
    /// receive that leaves fewer posted raises `SRQ_LIMIT_REACHED` and
    /// disarms it.
    limit: u32,
    mode: Mode,
    /// Completions of receives consumed and not on the CQ yet (a post
    /// list's are delivered together); delivered before any flush, dropped
    /// by a reset. Kept under the queue's lock with the consume.
    done: Vec<Cqe>,
    /// Whether one of `done` asks for a solicited event.
    done_solicited: bool,
}

/// The posters' side: receives posted and not moved over yet.
#[derive(Debug)]
struct Inbox {
    new: Receives,
    mode: Mode,
    /// Set when a sender found no receive: the next post names the
    /// waiters. Kept under the inbox's lock, which orders it with the
    /// sender's look at the inbox (see [`RecvQueue::add_waiter`]).
    wanted: bool,
}

impl Receives {
    fn len(&self) -> usize {
        self.posted.len()
    }

    /// Appends a receive whose SGEs `resolve` resolves.
    fn push(&mut self, wr_id: u64, sges: &[Sge], resolve: impl Fn(&Sge) -> Resolved) {
        let (first, more) = match sges {
            [] => (None, 0),
            [one] => (Some(resolve(one)), 0),
            [first, rest @ ..] => {
                self.rest.extend(rest.iter().map(&resolve));
                (Some(resolve(first)), rest.len() as u32)
            }
        };
        self.posted.push_back(Posted { wr_id, first, more });
    }

    /// Moves every receive of `other` behind these.
    fn append(&mut self, other: &mut Receives) {
        self.posted.append(&mut other.posted);
        self.rest.append(&mut other.rest);
    }

    fn clear(&mut self) {
        self.posted.clear();
        self.rest.clear();
    }
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
    /// The first entry of its scatter list (none for an empty list).
    pub(super) first: Option<Resolved>,
    /// The entries after the first.
    pub(super) rest: Vec<Resolved>,
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
        let room = (max_wr as usize).min(4096);
        let receives = || Receives {
            posted: VecDeque::with_capacity(room),
            rest: VecDeque::new(),
        };
        RecvQueue {
            state: Padded(Mutex::new(Queue {
                taken: receives(),
                limit: 0,
                mode: mode.clone(),
                done: Vec::new(),
                done_solicited: false,
            })),
            inbox: Padded(Mutex::new(Inbox {
                new: receives(),
                mode,
                wanted: false,
            })),
            taken: Padded(AtomicUsize::new(0)),
            max_wr: AtomicU32::new(max_wr),
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
        let mut inbox = self.lock_inbox();
        let flushing = match &inbox.mode {
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
        let room = (self.max_wr.load(Ordering::Acquire) as usize)
            .saturating_sub(self.taken.load(Ordering::Acquire));
        let mut refused = None;
        let mut accepted = 0;
        for (index, wr) in wrs.iter().enumerate() {
            let reason = if wr.sg_list.len() > self.max_sge as usize {
                Some(WrError::TooManySge)
            } else if inbox.new.len() >= room && flushing.is_none() {
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
                inbox.new.push(wr.wr_id, &wr.sg_list, |s| {
                    keys.resolve_receive(s.lkey, s.addr, s.length as usize)
                });
            }
        }
        let result = refused.map_or(Ok(()), Err);
        if let Some((cq, qp_num)) = flushing {
            // Under the inbox's lock: a flush cannot overtake it.
            let _ = cq.push(
                wrs[..accepted].iter().map(|wr| flushed(wr.wr_id, qp_num)),
                false,
            );
            return (Woken(Vec::new()), result);
        }
        let wake = accepted > 0 && core::mem::take(&mut inbox.wanted);
        drop(inbox);
        let woken = if wake {
            self.take_waiters()
        } else {
            Vec::new()
        };
        (Woken(woken), result)
    }

    fn lock_inbox(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers QP `qpn` as a sender waiting for a receive here. The
    /// sender then looks at the queue again: a post that came before this
    /// found `wanted` set (under the inbox's lock) by the sender's failed
    /// consume and named the waiters, either after this registration
    /// (naming `qpn`) or before it (and then the sender's second look sees
    /// the receive).
    pub(super) fn add_waiter(&self, qpn: u32) {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if !waiters.contains(&qpn) {
            waiters.push(qpn);
        }
    }

    /// Takes the QP numbers of the senders waiting here: the queue's QP
    /// left the states that receive, so they must learn it rather than
    /// wait for a receive that will not come.
    pub(super) fn take_waiters(&self) -> Vec<u32> {
        core::mem::take(&mut *self.waiters.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Completes every posted receive with a flush error on `cq`, and every
    /// one posted from now on (the queue's QP entered the error state).
    pub(super) fn flush(&self, cq: &Arc<SoftCq>, qp_num: u32) {
        self.lock().flush(cq, qp_num);
    }

    /// Lets the queue take receives again (its QP left RESET).
    pub(super) fn open(&self) {
        let mut guard = self.lock();
        set_mode(&mut guard.queue, &mut self.lock_inbox(), Mode::Open);
    }

    /// Drops every posted receive without completions and refuses posts
    /// until [`open`](Self::open) (the queue's QP was reset or destroyed).
    /// It waits for a post list that is delivering into the queue (which
    /// holds its lock): once it returns, nothing writes the receives'
    /// buffers or completes them.
    pub(super) fn clear(&self) {
        let mut guard = self.lock();
        let mut inbox = self.lock_inbox();
        let queue = &mut *guard.queue;
        queue.taken.clear();
        inbox.new.clear();
        self.taken.store(0, Ordering::Release);
        queue.done.clear();
        queue.done_solicited = false;
        set_mode(queue, &mut inbox, Mode::Closed);
    }

    /// `(max_wr, limit)`.
    pub(super) fn limits(&self) -> (u32, u32) {
        let guard = self.lock();
        (self.max_wr.load(Ordering::Acquire), guard.queue.limit)
    }

    /// Changes the capacity (not below what is posted) and/or the limit.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `max_wr` is below what is posted.
    pub(super) fn set_limits(&self, max_wr: Option<u32>, limit: Option<u32>) -> Result<()> {
        let mut guard = self.lock();
        let inbox = self.lock_inbox();
        let queue = &mut *guard.queue;
        if let Some(max_wr) = max_wr {
            if (max_wr as usize) < queue.taken.len() + inbox.new.len() {
                return Err(Error::InvalidArgument(
                    "max_wr below the receives already posted",
                ));
            }
            self.max_wr.store(max_wr, Ordering::Release);
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
    #[inline(always)]
    pub(super) fn consume<T>(
        &mut self,
        cq: &SoftCq,
        solicited: bool,
        delivery: Delivery,
        respond: impl FnOnce(&Receive) -> (WorkCompletion, T),
    ) -> Consumed<T> {
        if !matches!(self.queue.mode, Mode::Open) {
            return Consumed::Closed;
        }
        if self.queue.taken.posted.is_empty() {
            // Take the inbox; finding it empty too marks it wanted.
            let mut inbox = self.rq.lock_inbox();
            if inbox.new.posted.is_empty() {
                inbox.wanted = true;
                return Consumed::Empty;
            }
            // Both sides' storage trade places: no receive is copied, and
            // the inbox keeps the room the consumer's side had.
            core::mem::swap(&mut self.queue.taken, &mut inbox.new);
        }
        let queue = &mut *self.queue;
        let Some(posted) = queue.taken.posted.pop_front() else {
            return Consumed::Empty;
        };
        let rest = if posted.more > 0 {
            queue.taken.rest.drain(..posted.more as usize).collect()
        } else {
            Vec::new()
        };
        self.rq.taken.store(queue.taken.len(), Ordering::Release);
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
    /// `SRQ_LIMIT_REACHED` is raised and the limit disarmed. Only an armed
    /// limit looks at the inbox.
    #[inline(always)]
    fn check_limit(&mut self) {
        if self.queue.limit != 0 {
            self.check_armed_limit();
        }
    }

    fn check_armed_limit(&mut self) {
        let inbox_len = self.rq.lock_inbox().new.len();
        let queue = &mut *self.queue;
        if queue.taken.len() + inbox_len < queue.limit as usize {
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
        // What was consumed before the error completes first, as it did;
        // then what is left, the receives moved over before the inbox's.
        self.deliver(cq);
        let mut inbox = self.rq.lock_inbox();
        let queue = &mut *self.queue;
        queue.taken.append(&mut inbox.new);
        let posted = core::mem::take(&mut queue.taken.posted);
        queue.taken.rest.clear();
        self.rq.taken.store(0, Ordering::Release);
        let mode = Mode::Flushing(Arc::clone(cq), qp_num);
        set_mode(queue, &mut inbox, mode);
        let _ = cq.push(posted.iter().map(|p| flushed(p.wr_id, qp_num)), false);
    }
}

/// Sets the mode on both sides of a queue, both locked.
fn set_mode(queue: &mut Queue, inbox: &mut Inbox, mode: Mode) {
    queue.mode = mode.clone();
    inbox.mode = mode;
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

/// Loom model tests of the two-lock protocol: every interleaving of a post
/// with a consumer or a flush (`scripts/loom.sh`).
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::keys::KeyTable;
    use loom::thread;

    fn cq() -> Arc<SoftCq> {
        Arc::new(SoftCq::detached(16))
    }

    fn open_queue() -> Arc<RecvQueue> {
        let rq = Arc::new(RecvQueue::for_qp(8, 1));
        rq.open();
        rq
    }

    fn post(rq: &RecvQueue, wr_id: u64) -> Woken {
        let keys = KeyTable::default();
        let (woken, result) = rq.post(&keys.read(), &[RecvWr::new(wr_id, Vec::new())]);
        assert!(result.is_ok());
        woken
    }

    fn take(rq: &RecvQueue, cq: &SoftCq) -> Option<u64> {
        match rq.lock().consume(cq, false, Delivery::Now, |recv| {
            let wc = WorkCompletion {
                wr_id: recv.wr_id,
                ..WorkCompletion::default()
            };
            (wc, recv.wr_id)
        }) {
            Consumed::Used { value, .. } => Some(value),
            Consumed::Empty | Consumed::Closed => None,
        }
    }

    /// A sender that found no receive registers and looks again; the post
    /// racing it either is seen by that second look or names the sender:
    /// no wake-up is lost between the inbox and the queue. (Fails, with
    /// "lost wake-up", when a consume that finds both halves empty does not
    /// mark the inbox wanted.)
    #[test]
    fn a_post_racing_an_empty_consume_is_seen_or_wakes_the_sender() {
        loom::model(|| {
            let (rq, cq) = (open_queue(), cq());
            let poster = {
                let rq = Arc::clone(&rq);
                thread::spawn(move || post(&rq, 1).0)
            };
            let mut got = take(&rq, &cq);
            let mut registered = false;
            if got.is_none() {
                rq.add_waiter(7);
                registered = true;
                got = take(&rq, &cq);
            }
            let woken = poster.join().expect("poster");
            match got {
                Some(wr_id) => assert_eq!(wr_id, 1),
                None => {
                    assert!(registered && woken.contains(&7), "lost wake-up");
                    assert_eq!(take(&rq, &cq), Some(1), "the receive is still there");
                }
            }
        });
    }

    /// A sender that found no receive registers and looks again while the
    /// queue's QP enters the error state: either its second look sees the
    /// queue closed, or the flush's taking of the waiters names it. (Fails,
    /// with "a waiter left behind", when the waiters are taken before the
    /// mode changes.)
    #[test]
    fn a_waiter_racing_a_flush_is_woken_or_sees_it() {
        loom::model(|| {
            let (rq, cq) = (open_queue(), cq());
            let flusher = {
                let (rq, cq) = (Arc::clone(&rq), Arc::clone(&cq));
                thread::spawn(move || {
                    rq.flush(&cq, 9);
                    rq.take_waiters()
                })
            };
            let closed = |rq: &RecvQueue| {
                matches!(
                    rq.lock().consume(&cq, false, Delivery::Now, |recv| {
                        (WorkCompletion::default(), recv.wr_id)
                    }),
                    Consumed::Closed
                )
            };
            let mut saw_closed = closed(&rq);
            if !saw_closed {
                rq.add_waiter(7);
                saw_closed = closed(&rq);
            }
            let woken = flusher.join().expect("flusher");
            assert!(saw_closed || woken.contains(&7), "a waiter left behind");
        });
    }

    /// A post racing a flush completes exactly once, with a flush error:
    /// before the flush it is flushed with the queue, after it at once.
    #[test]
    fn a_post_racing_a_flush_completes_exactly_once() {
        loom::model(|| {
            let (rq, cq) = (open_queue(), cq());
            let poster = {
                let rq = Arc::clone(&rq);
                thread::spawn(move || drop(post(&rq, 1)))
            };
            rq.flush(&cq, 9);
            poster.join().expect("poster");
            let mut wc = [WorkCompletion::default(); 4];
            let n = cq.poll(&mut wc).expect("poll");
            assert_eq!(n, 1, "exactly one completion");
            assert_eq!((wc[0].wr_id, wc[0].status), (1, WcStatus::WrFlushErr));
            assert_eq!(take(&rq, &cq), None, "nothing left to consume");
        });
    }

    /// A receive consumed while the queue is flushed completes once: as a
    /// success before the flush, or as a flush error.
    #[test]
    fn a_consume_racing_a_flush_completes_the_receive_once() {
        loom::model(|| {
            let (rq, cq) = (open_queue(), cq());
            drop(post(&rq, 1));
            let consumer = {
                let (rq, cq) = (Arc::clone(&rq), Arc::clone(&cq));
                thread::spawn(move || take(&rq, &cq))
            };
            rq.flush(&cq, 9);
            let consumed = consumer.join().expect("consumer");
            let mut wc = [WorkCompletion::default(); 4];
            let n = cq.poll(&mut wc).expect("poll");
            assert_eq!(n, 1, "exactly one completion");
            let expected = if consumed.is_some() {
                WcStatus::Success
            } else {
                WcStatus::WrFlushErr
            };
            assert_eq!((wc[0].wr_id, wc[0].status), (1, expected));
        });
    }
}
