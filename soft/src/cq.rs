//! Completion queues: a bounded ring of completions with notification,
//! resize and overrun.
//!
//! The ring has two ends, each behind a lock of its own: producers (the
//! requesters and responders of the CQ's QPs) write completions in place
//! at the tail and publish a batch with one move of the tail (reading the
//! pollers' head only when the one they saw last shows too little room);
//! pollers read them at the head and free their slots by moving the head. A producer and a poller share only the two positions and the
//! slots, all atomics (the stored words are written and read relaxed, the
//! positions published with release and read with acquire), so on two
//! cores they never wait for each other, as a device writing CQEs and a
//! library polling them do not. Polling an empty CQ takes no lock at all.
//! Resize takes both locks (poller's first).

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError};

use super::cqe::{Cqe, WORDS};
use super::deferred::Deferred;
use super::sync::{AtomicBool, AtomicU32, AtomicU64, Mutex, MutexGuard, Ordering, Padded};
use ibops::error::{Error, Result};
use ibops::event::AsyncEvent;
use ibops::object::Cq;
use ibops::verbs::{CompletionChannel, CqNotifyFlags, WorkCompletion};

/// The provider state of one CQ.
#[derive(Debug)]
pub(super) struct SoftCq {
    /// Each end on cache lines of its own: the producers' core and the
    /// pollers' core each write only their own.
    producer: Padded<Mutex<Producer>>,
    consumer: Padded<Mutex<Consumer>>,
    /// The position of the next completion written: every one before it
    /// is readable. Moved by producers (under their lock) with release.
    tail: Padded<AtomicU64>,
    /// The position of the next completion read: every slot before it is
    /// free. Moved by pollers (under their lock) with release.
    head: Padded<AtomicU64>,
    /// Set when a completion did not fit (and stays set).
    overrun: AtomicBool,
    channel: Option<CompletionChannel>,
    /// The CQ's number, which its events name.
    pub(super) num: u32,
    deferred: Arc<Deferred>,
}

/// The producers' end.
#[derive(Debug)]
struct Producer {
    slots: Arc<Slots>,
    /// How many completions the CQ holds at most (its `cqe`).
    capacity: u64,
    /// The head as a producer last read it: never ahead of the real one,
    /// so the room it shows is there. Producers read the pollers' line
    /// again only when it shows too little room.
    seen_head: u64,
    armed: Option<CqNotifyFlags>,
}

/// The pollers' end.
#[derive(Debug)]
struct Consumer {
    slots: Arc<Slots>,
    /// The slot counters of the send queues whose completions come here,
    /// by id; a detached queue's entry is `None`, so a completion left by
    /// a destroyed or reset queue frees nothing.
    senders: Vec<Option<Arc<AtomicU32>>>,
    /// Detached ids, oldest first, each with the tail when it was
    /// detached: every completion naming it lies before that position
    /// (they are made under the queue's lock, which detaching holds), so
    /// the id is given out again once the head has passed it.
    retired: VecDeque<(u32, u64)>,
}

/// The ring's storage: a power-of-two number of slots, position `p` in
/// slot `p & mask`.
#[derive(Debug)]
struct Slots {
    slots: Box<[Slot]>,
    mask: u64,
}

/// One stored completion, on a cache line of its own as a device's CQE
/// is: a poller reading it pulls one line from the producer's core.
#[derive(Debug)]
struct Slot([AtomicU64; WORDS]);

impl Slots {
    /// Room for at least `capacity` completions.
    fn new(capacity: u64) -> Slots {
        let count = capacity.max(1).next_power_of_two();
        let slots = (0..count)
            .map(|_| Slot(core::array::from_fn(|_| AtomicU64::new(0))))
            .collect();
        Slots {
            slots,
            mask: count - 1,
        }
    }

    /// How many completions it has room for.
    fn count(&self) -> u64 {
        self.mask + 1
    }

    fn slot(&self, pos: u64) -> &Slot {
        &self.slots[(pos & self.mask) as usize]
    }

    /// Writes `cqe` at `pos` (published by the tail that follows).
    #[inline]
    fn write(&self, pos: u64, cqe: &Cqe) {
        for (word, value) in self.slot(pos).0.iter().zip(cqe.encode()) {
            word.store(value, Ordering::Relaxed);
        }
    }

    /// The completion at `pos` (published by the tail read before).
    #[inline]
    fn read(&self, pos: u64) -> Cqe {
        let Slot(words) = self.slot(pos);
        Cqe::decode(core::array::from_fn(|i| words[i].load(Ordering::Relaxed)))
    }
}

impl Producer {
    /// Whether position `end` may be written: fewer than `capacity`
    /// completions before it are unpolled. The head seen last answers
    /// when it shows room; otherwise `head` is read again.
    #[inline]
    fn has_room(&mut self, end: u64, head: &AtomicU64) -> bool {
        if end - self.seen_head < self.capacity {
            return true;
        }
        self.seen_head = head.load(Ordering::Acquire);
        end - self.seen_head < self.capacity
    }
}

/// A completion did not fit: the CQ overran.
#[derive(Debug)]
pub(super) struct Overrun;

impl SoftCq {
    /// A CQ of `capacity` entries numbered `num`, notifying `channel`.
    pub(super) fn new(
        capacity: usize,
        channel: Option<CompletionChannel>,
        num: u32,
        deferred: Arc<Deferred>,
    ) -> SoftCq {
        let capacity = capacity as u64;
        let slots = Arc::new(Slots::new(capacity));
        SoftCq {
            producer: Padded(Mutex::new(Producer {
                slots: Arc::clone(&slots),
                capacity,
                seen_head: 0,
                armed: None,
            })),
            consumer: Padded(Mutex::new(Consumer {
                slots,
                senders: Vec::new(),
                retired: VecDeque::new(),
            })),
            tail: Padded(AtomicU64::new(0)),
            head: Padded(AtomicU64::new(0)),
            overrun: AtomicBool::new(false),
            channel,
            num,
            deferred,
        }
    }

    /// A CQ of `capacity` entries on no device: its events reach no
    /// handler (the unit and loom tests' CQ).
    #[cfg(test)]
    pub(super) fn detached(capacity: usize) -> SoftCq {
        let deferred = Arc::new(Deferred::new(
            ibops::event::EventSender::default(),
            |_, _| {},
        ));
        SoftCq::new(capacity, None, 1, deferred)
    }

    fn producer(&self) -> MutexGuard<'_, Producer> {
        self.producer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn consumer(&self) -> MutexGuard<'_, Consumer> {
        self.consumer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers the slot counter `used` of a send queue whose completions
    /// come here; its completions name the id returned. An id detached
    /// earlier is reused once no completion naming it is left to poll, so
    /// the table holds at most the live queues and the detached ones whose
    /// completions wait in the ring.
    pub(super) fn attach_sender(&self, used: Arc<AtomicU32>) -> u32 {
        let mut consumer = self.consumer();
        // Only pollers move the head, under the consumer's lock.
        let head = self.head.load(Ordering::Relaxed);
        if let Some(&(id, detached_at)) = consumer.retired.front()
            && detached_at <= head
        {
            consumer.retired.pop_front();
            consumer.senders[id as usize] = Some(used);
            return id;
        }
        consumer.senders.push(Some(used));
        u32::try_from(consumer.senders.len() - 1).unwrap_or(u32::MAX)
    }

    /// Forgets the send queue `sender`, whose lock the caller holds: its
    /// completions still in the ring free nothing.
    pub(super) fn detach_sender(&self, sender: u32) {
        let mut consumer = self.consumer();
        if let Some(entry) = consumer.senders.get_mut(sender as usize)
            && entry.take().is_some()
        {
            let tail = self.tail.load(Ordering::Acquire);
            consumer.retired.push_back((sender, tail));
        }
    }

    /// How many ids the sender table holds.
    #[cfg(test)]
    fn sender_ids(&self) -> usize {
        self.consumer().senders.len()
    }

    /// How many completions it holds.
    fn held(&self) -> u64 {
        let head = self.head.load(Ordering::Acquire);
        self.tail.load(Ordering::Acquire).saturating_sub(head)
    }

    /// Adds completions, written in place at the tail and published
    /// together; `solicited` when one of them asks for a solicited event.
    /// Those that do not fit are lost and the CQ is marked overrun (the
    /// first overrun raises `CQ_ERR`).
    ///
    /// # Errors
    /// [`Overrun`] when at least one did not fit.
    pub(super) fn push(
        &self,
        cqes: impl IntoIterator<Item = Cqe>,
        solicited: bool,
    ) -> Result<(), Overrun> {
        let mut producer = self.producer();
        // Only producers move the tail, under this lock.
        let tail = self.tail.load(Ordering::Relaxed);
        let mut end = tail;
        // What does not fit is lost.
        let mut lost = false;
        for cqe in cqes {
            if !producer.has_room(end, &self.head) {
                lost = true;
                break;
            }
            producer.slots.write(end, &cqe);
            end += 1;
        }
        if end > tail {
            self.tail.store(end, Ordering::Release);
        }
        if lost && !self.overrun.swap(true, Ordering::AcqRel) {
            self.deferred.raise(AsyncEvent::CqErr { cq_num: self.num });
        }
        let fire = match producer.armed {
            Some(flags) if end > tail => {
                flags.contains(CqNotifyFlags::NEXT_COMP)
                    || (flags.contains(CqNotifyFlags::SOLICITED) && solicited)
            }
            _ => false,
        };
        if fire {
            producer.armed = None;
        }
        drop(producer);
        if fire && let Some(channel) = &self.channel {
            channel.notify();
        }
        if lost { Err(Overrun) } else { Ok(()) }
    }

    /// Moves up to `out.len()` completions into `out`, oldest first; polling
    /// a send completion frees its send-queue slots.
    ///
    /// # Errors
    /// [`Error::InvalidState`] once an overrun CQ is empty.
    pub(super) fn poll(&self, out: &mut [WorkCompletion]) -> Result<usize> {
        if self.held() == 0 && !self.overrun.load(Ordering::Acquire) {
            return Ok(0);
        }
        let consumer = self.consumer();
        // Only pollers move the head, under this lock.
        let head = self.head.load(Ordering::Relaxed);
        let ready = self.tail.load(Ordering::Acquire) - head;
        let n = out.len().min(usize::try_from(ready).unwrap_or(usize::MAX));
        for (pos, slot) in (head..).zip(&mut out[..n]) {
            let cqe = consumer.slots.read(pos);
            if let Some(frees) = cqe.frees()
                && let Some(Some(used)) = consumer.senders.get(frees.sender as usize)
            {
                used.fetch_sub(frees.slots, Ordering::AcqRel);
            }
            *slot = cqe.expand();
        }
        // The slots read are free from here on.
        self.head.store(head + n as u64, Ordering::Release);
        if n == 0 && self.overrun.load(Ordering::Acquire) {
            return Err(Error::InvalidState("completion queue overrun"));
        }
        Ok(n)
    }

    /// How many completions it holds, at most `max`.
    pub(super) fn peek(&self, max: usize) -> usize {
        usize::try_from(self.held()).unwrap_or(usize::MAX).min(max)
    }

    /// Arms the notification; `true` when `flags` asks to report missed
    /// events and completions are waiting.
    pub(super) fn arm(&self, flags: CqNotifyFlags) -> bool {
        let mut producer = self.producer();
        producer.armed = Some(flags);
        flags.contains(CqNotifyFlags::REPORT_MISSED_EVENTS) && self.held() > 0
    }

    /// Changes the capacity; the ring is reallocated (under both locks)
    /// when it needs another size.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] below the completions it holds, or zero.
    pub(super) fn resize(&self, cqe: u32) -> Result<()> {
        let mut consumer = self.consumer();
        let mut producer = self.producer();
        let (head, tail) = (
            self.head.load(Ordering::Relaxed),
            self.tail.load(Ordering::Relaxed),
        );
        let capacity = u64::from(cqe);
        if capacity < tail - head || cqe == 0 {
            return Err(Error::InvalidArgument(
                "a CQ cannot shrink below the completions it holds",
            ));
        }
        if capacity.next_power_of_two() != producer.slots.count() {
            let slots = Arc::new(Slots::new(capacity));
            for pos in head..tail {
                slots.write(pos, &producer.slots.read(pos));
            }
            producer.slots = Arc::clone(&slots);
            consumer.slots = slots;
        }
        producer.capacity = capacity;
        Ok(())
    }
}

/// The CQ's provider state.
pub(super) fn soft_cq(cq: &Cq) -> Result<&Arc<SoftCq>> {
    cq.private::<Arc<SoftCq>>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cqe::Frees;

    fn cq(capacity: usize) -> SoftCq {
        SoftCq::detached(capacity)
    }

    fn cqe(wr_id: u64, frees: Option<Frees>) -> Cqe {
        let wc = WorkCompletion {
            wr_id,
            ..WorkCompletion::default()
        };
        Cqe::new(wc, frees)
    }

    fn poll_ids(cq: &SoftCq, max: usize) -> Vec<u64> {
        let mut out = vec![WorkCompletion::default(); max];
        let n = cq.poll(&mut out).expect("poll");
        out[..n].iter().map(|wc| wc.wr_id).collect()
    }

    #[test]
    fn completions_keep_their_order_as_the_ring_wraps() {
        // Capacity 3 in a ring of 4 slots: positions wrap every 4.
        let cq = cq(3);
        let mut next = 0;
        for round in 0..10u64 {
            let batch: Vec<u64> = (next..next + 1 + round % 3).collect();
            next += batch.len() as u64;
            cq.push(batch.iter().map(|&id| cqe(id, None)), false)
                .expect("fits");
            assert_eq!(cq.peek(8), batch.len());
            assert_eq!(poll_ids(&cq, 8), batch, "round {round}");
        }
        assert_eq!(poll_ids(&cq, 8), Vec::<u64>::new());
    }

    #[test]
    fn an_overrun_keeps_what_fit_then_reports_the_error() {
        let cq = cq(2);
        assert!(cq.push((0..3).map(|id| cqe(id, None)), false).is_err());
        assert_eq!(poll_ids(&cq, 8), [0, 1]);
        let mut out = [WorkCompletion::default(); 1];
        assert!(matches!(cq.poll(&mut out), Err(Error::InvalidState(_))));
    }

    #[test]
    fn a_resize_moves_held_completions_to_the_new_ring_in_order() {
        let cq = cq(4);
        // Move the positions past the first lap so the held ones wrap.
        cq.push((0..3).map(|id| cqe(id, None)), false)
            .expect("fits");
        assert_eq!(poll_ids(&cq, 3), [0, 1, 2]);
        cq.push((3..7).map(|id| cqe(id, None)), false)
            .expect("fits");
        cq.resize(100).expect("grow");
        cq.push((7..100).map(|id| cqe(id, None)), false)
            .expect("room for 100");
        assert_eq!(poll_ids(&cq, 98), (3..100).collect::<Vec<_>>());
        cq.push((100..102).map(|id| cqe(id, None)), false)
            .expect("fits");
        assert!(cq.resize(1).is_err(), "below the completions held");
        cq.resize(2).expect("shrink to what it holds");
        assert!(cq.push([cqe(102, None)], false).is_err(), "full at 2");
        assert_eq!(poll_ids(&cq, 8), [100, 101]);
    }

    #[test]
    fn polling_a_send_completion_frees_its_slots_while_its_queue_is_attached() {
        let cq = cq(8);
        let used = Arc::new(AtomicU32::new(10));
        let sender = cq.attach_sender(Arc::clone(&used));
        let frees = |slots| Some(Frees { sender, slots });
        cq.push([cqe(1, frees(3)), cqe(2, None)], false)
            .expect("fits");
        assert_eq!(used.load(Ordering::Acquire), 10, "not before it is polled");
        assert_eq!(poll_ids(&cq, 8), [1, 2]);
        assert_eq!(used.load(Ordering::Acquire), 7);
        cq.push([cqe(3, frees(4))], false).expect("fits");
        cq.detach_sender(sender);
        assert_eq!(poll_ids(&cq, 8), [3]);
        assert_eq!(
            used.load(Ordering::Acquire),
            7,
            "a detached queue is left alone"
        );
        let again = cq.attach_sender(used);
        assert_eq!(again, sender, "reused once its completions are polled");
    }

    /// Before ids were reused, every QP creation and every reset added one
    /// for good (2,000,000 INIT/RESET cycles: RSS 2.7 MB to 18.4 MB).
    #[test]
    fn a_detached_id_waits_for_its_completions_then_is_reused() {
        let cq = cq(8);
        let used = Arc::new(AtomicU32::new(4));
        let first = cq.attach_sender(Arc::clone(&used));
        cq.push(
            [cqe(
                1,
                Some(Frees {
                    sender: first,
                    slots: 1,
                }),
            )],
            false,
        )
        .expect("fits");
        cq.detach_sender(first);
        let other = Arc::new(AtomicU32::new(0));
        let second = cq.attach_sender(Arc::clone(&other));
        assert_ne!(second, first, "a completion still names the first");
        assert_eq!(poll_ids(&cq, 8), [1]);
        assert_eq!(
            other.load(Ordering::Acquire),
            0,
            "frees nothing of another queue"
        );
        for _ in 0..if cfg!(miri) { 300 } else { 10_000 } {
            let id = cq.attach_sender(Arc::clone(&used));
            cq.detach_sender(id);
        }
        assert_eq!(cq.sender_ids(), 2, "bounded by the queues in use");
    }

    #[test]
    fn a_poller_on_another_thread_sees_every_completion_once_in_order() {
        let total: u64 = if cfg!(miri) { 60 } else { 20_000 };
        let cq = Arc::new(cq(16));
        let producer = {
            let cq = Arc::clone(&cq);
            std::thread::spawn(move || {
                let mut next = 0;
                while next < total {
                    let end = (next + 5).min(total);
                    let room = 16 - cq.peek(16) as u64;
                    let end = end.min(next + room);
                    cq.push((next..end).map(|id| cqe(id, None)), false)
                        .expect("only what fits is pushed");
                    next = end;
                    std::thread::yield_now();
                }
            })
        };
        let mut expected = 0;
        while expected < total {
            for id in poll_ids(&cq, 7) {
                assert_eq!(id, expected);
                expected += 1;
            }
            std::thread::yield_now();
        }
        producer.join().expect("producer");
        assert_eq!(cq.peek(16), 0);
    }
}

/// Loom model tests of the ring's two ends: a producer and a poller on two
/// threads, and a resize racing a push (`scripts/loom.sh`).
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use ibops::verbs::WcStatus;
    use loom::thread;

    fn cq(capacity: usize) -> Arc<SoftCq> {
        Arc::new(SoftCq::detached(capacity))
    }

    fn cqe(wr_id: u64) -> Cqe {
        let wc = WorkCompletion {
            wr_id,
            byte_len: wr_id as u32 + 100,
            status: WcStatus::RemAccessErr,
            ..WorkCompletion::default()
        };
        Cqe::new(wc, None)
    }

    /// A CQ of one entry holding completion 1, and a thread pushing
    /// completion 2 (which returns whether it fitted).
    fn full_cq_and_a_second_push() -> (Arc<SoftCq>, thread::JoinHandle<bool>) {
        let cq = cq(1);
        cq.push([cqe(1)], false).expect("fits");
        let producer = {
            let cq = Arc::clone(&cq);
            thread::spawn(move || cq.push([cqe(2)], false).is_ok())
        };
        (cq, producer)
    }

    /// A poll racing two pushes sees a prefix of them, each whole (every
    /// word written before the tail published it); the rest is polled
    /// after. (Fails, as does the next test, when the tail is published
    /// before the words are written.)
    #[test]
    fn a_poll_racing_pushes_sees_whole_completions_in_order() {
        loom::model(|| {
            let cq = cq(2);
            let producer = {
                let cq = Arc::clone(&cq);
                thread::spawn(move || {
                    cq.push([cqe(1)], false).expect("fits");
                    cq.push([cqe(2)], false).expect("fits");
                })
            };
            let mut out = [WorkCompletion::default(); 2];
            let first = cq.poll(&mut out).expect("poll");
            producer.join().expect("producer");
            let rest = cq.poll(&mut out[first..]).expect("poll");
            assert_eq!(first + rest, 2);
            for (i, wc) in out.iter().enumerate() {
                let id = i as u64 + 1;
                assert_eq!((wc.wr_id, wc.byte_len), (id, id as u32 + 100));
                assert_eq!(wc.status, WcStatus::RemAccessErr);
            }
        });
    }

    /// A push into a full ring whose only slot a poller frees at the same
    /// time either fits (after the poll) or is lost as an overrun, never
    /// overwrites the unread completion.
    #[test]
    fn a_push_into_a_slot_being_freed_never_overwrites_it() {
        loom::model(|| {
            let (cq, producer) = full_cq_and_a_second_push();
            let mut out = [WorkCompletion::default(); 1];
            assert_eq!(cq.poll(&mut out).expect("poll"), 1);
            assert_eq!(out[0].wr_id, 1, "the first completion intact");
            let fitted = producer.join().expect("producer");
            let second = cq.poll(&mut out);
            if fitted {
                assert_eq!(second.expect("poll"), 1);
                assert_eq!(out[0].wr_id, 2);
            } else {
                assert!(second.is_err(), "overrun reported");
            }
        });
    }

    /// A resize racing a push keeps every completion: the push lands in
    /// the old ring before it is copied, or in the new one.
    #[test]
    fn a_resize_racing_a_push_keeps_every_completion() {
        loom::model(|| {
            let (cq, producer) = full_cq_and_a_second_push();
            cq.resize(4).expect("grow");
            let fitted = producer.join().expect("producer");
            let mut out = [WorkCompletion::default(); 4];
            let n = cq.poll(&mut out).expect("poll");
            let ids: Vec<u64> = out[..n].iter().map(|wc| wc.wr_id).collect();
            if fitted {
                assert_eq!(ids, [1, 2]);
            } else {
                assert_eq!(ids, [1], "pushed before the resize: overrun");
            }
        });
    }
}
