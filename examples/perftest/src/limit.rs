//! `--limit`: the yardsticks the soft device is judged against, measured in
//! the same run on the same two cores.
//!
//! - **SEND limit**: the least work an in-process loopback SEND can do. The
//!   client takes a posted receive from a lock-free ring, copies the message
//!   into the receive's buffer, writes the receive completion into the
//!   server's completion ring, and writes a send completion every `cq_mod`
//!   messages, `post_list` messages per burst with at most `tx_depth`
//!   outstanding; the server thread polls its completions and posts the
//!   receives again. Nothing is checked, nothing is locked.
//! - **WRITE limit**: the client copies each message into the remote
//!   buffer and writes a send completion every `cq_mod`, in bursts of
//!   `post_list` (one thread, as `write_bw`'s server is passive).
//! - **Ping-pong**: two threads bounce a counter through one cache line;
//!   half of each round trip is the least a cross-core message can take.
//!
//! Every ring is single-producer single-consumer, its slots `AtomicU64`s;
//! message bytes are moved as relaxed `u64` words, as the soft device's
//! registered memory is (no `unsafe`).

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::hint::{black_box, spin_loop};
use std::thread;
use std::time::{Duration, Instant};

/// A value on a cache line of its own, so the producer's and the consumer's
/// indexes do not share one.
#[repr(align(128))]
struct Padded<T>(T);

/// A bounded single-producer single-consumer ring of `u64`s.
struct Ring {
    slots: Box<[AtomicU64]>,
    mask: usize,
    /// Next slot the consumer reads.
    head: Padded<AtomicUsize>,
    /// Next slot the producer writes.
    tail: Padded<AtomicUsize>,
}

impl Ring {
    fn new(capacity: usize) -> Ring {
        let capacity = capacity.next_power_of_two();
        Ring {
            slots: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            mask: capacity - 1,
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
        }
    }
}

/// The producer's end, with its cached view of the consumer's index.
struct Producer<'a> {
    ring: &'a Ring,
    tail: usize,
    head_seen: usize,
}

/// The consumer's end, with its cached view of the producer's index.
struct Consumer<'a> {
    ring: &'a Ring,
    head: usize,
    tail_seen: usize,
}

impl<'a> Producer<'a> {
    fn new(ring: &'a Ring) -> Self {
        Producer {
            ring,
            tail: 0,
            head_seen: 0,
        }
    }

    /// Writes `value` unless the ring is full (not yet visible: `publish`).
    #[inline]
    fn push(&mut self, value: u64) -> bool {
        let capacity = self.ring.mask + 1;
        if self.tail - self.head_seen == capacity {
            self.head_seen = self.ring.head.0.load(Ordering::Acquire);
            if self.tail - self.head_seen == capacity {
                return false;
            }
        }
        self.ring.slots[self.tail & self.ring.mask].store(value, Ordering::Relaxed);
        self.tail += 1;
        true
    }

    /// Makes what was pushed visible to the consumer.
    #[inline]
    fn publish(&self) {
        self.ring.tail.0.store(self.tail, Ordering::Release);
    }
}

impl<'a> Consumer<'a> {
    fn new(ring: &'a Ring) -> Self {
        Consumer {
            ring,
            head: 0,
            tail_seen: 0,
        }
    }

    /// The next value, if one was published.
    #[inline]
    fn pop(&mut self) -> Option<u64> {
        if self.head == self.tail_seen {
            self.tail_seen = self.ring.tail.0.load(Ordering::Acquire);
            if self.head == self.tail_seen {
                return None;
            }
        }
        let value = self.ring.slots[self.head & self.ring.mask].load(Ordering::Relaxed);
        self.head += 1;
        Some(value)
    }

    /// Gives the slots read so far back to the producer.
    #[inline]
    fn release(&self) {
        self.ring.head.0.store(self.head, Ordering::Release);
    }
}

/// Registered memory as the soft device keeps it: words.
fn words(bytes: usize) -> Box<[AtomicU64]> {
    (0..bytes.div_ceil(8).max(1))
        .map(|_| AtomicU64::new(0))
        .collect()
}

/// Copies `n` words, relaxed, as DMA would.
#[inline]
fn copy_words(src: &[AtomicU64], dst: &[AtomicU64], n: usize) {
    for (d, s) in dst[..n].iter().zip(&src[..n]) {
        d.store(s.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// Polls every send completion published so far: the number of the last
/// (`completed` when there is none).
fn poll_sends(cq: &mut Consumer<'_>, mut completed: u64) -> u64 {
    while let Some(number) = cq.pop() {
        completed = number;
    }
    cq.release();
    completed
}

/// The shape of a bandwidth run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Burst {
    pub(crate) size: u64,
    pub(crate) iters: u64,
    pub(crate) tx_depth: u64,
    pub(crate) post_list: u64,
    pub(crate) cq_mod: u64,
}

/// Receives the SEND limit's server keeps posted (as `send_bw`'s).
const RX_DEPTH: usize = 8192;

/// The SEND limit's message rate, in Mpps.
pub(crate) fn send_mpps(b: Burst) -> f64 {
    let n = (b.size as usize).div_ceil(8);
    let rx_ring = Ring::new(RX_DEPTH);
    let rx_cq = Ring::new(RX_DEPTH);
    let tx_cq = Ring::new(b.tx_depth as usize);
    let source = words(b.size as usize);
    let buffers: Vec<Box<[AtomicU64]>> = (0..RX_DEPTH).map(|_| words(b.size as usize)).collect();
    let done = AtomicBool::new(false);
    let elapsed = thread::scope(|s| {
        let server = s.spawn(|| {
            // Post every receive, then re-post each one that completes.
            let mut rx = Producer::new(&rx_ring);
            for id in 0..RX_DEPTH as u64 {
                rx.push(id);
            }
            rx.publish();
            let mut cq = Consumer::new(&rx_cq);
            let mut received = 0u64;
            while received < b.iters && !done.load(Ordering::Relaxed) {
                let mut got = 0;
                while let Some(id) = cq.pop() {
                    rx.push(id);
                    got += 1;
                    if got == 64 {
                        break;
                    }
                }
                if got == 0 {
                    spin_loop();
                    continue;
                }
                cq.release();
                rx.publish();
                received += got;
            }
        });
        let start = Instant::now();
        let mut rx = Consumer::new(&rx_ring);
        let mut cq = Producer::new(&rx_cq);
        let mut tx = Producer::new(&tx_cq);
        let mut tx_poll = Consumer::new(&tx_cq);
        let (mut posted, mut completed) = (0u64, 0u64);
        while completed < b.iters {
            while posted < b.iters
                && posted - completed + b.post_list.min(b.iters - posted) <= b.tx_depth
            {
                let burst = b.post_list.min(b.iters - posted);
                let mut sent = 0;
                while sent < burst {
                    // Take a posted receive (wait for one, as RNR retry 7).
                    let Some(id) = rx.pop() else {
                        spin_loop();
                        continue;
                    };
                    copy_words(&source, &buffers[id as usize], n);
                    while !cq.push(id) {
                        spin_loop();
                    }
                    sent += 1;
                    let number = posted + sent;
                    if number.is_multiple_of(b.cq_mod) || number == b.iters {
                        // tx_cq has tx_depth slots and at most that many
                        // signaled requests are outstanding.
                        tx.push(number);
                    }
                }
                rx.release();
                cq.publish();
                tx.publish();
                posted += burst;
            }
            completed = poll_sends(&mut tx_poll, completed);
        }
        let elapsed = start.elapsed();
        done.store(true, Ordering::Relaxed);
        let _ = server.join();
        elapsed
    });
    black_box(&buffers);
    b.iters as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6
}

/// The WRITE limit's message rate, in Mpps (one thread).
pub(crate) fn write_mpps(b: Burst) -> f64 {
    let n = (b.size as usize).div_ceil(8);
    let source = words(b.size as usize);
    let target = words(b.size as usize);
    let tx_cq = Ring::new(b.tx_depth as usize);
    let mut tx = Producer::new(&tx_cq);
    let mut tx_poll = Consumer::new(&tx_cq);
    let start = Instant::now();
    let (mut posted, mut completed) = (0u64, 0u64);
    while completed < b.iters {
        while posted < b.iters
            && posted - completed + b.post_list.min(b.iters - posted) <= b.tx_depth
        {
            let burst = b.post_list.min(b.iters - posted);
            for k in 1..=burst {
                copy_words(&source, &target, n);
                let number = posted + k;
                if number.is_multiple_of(b.cq_mod) || number == b.iters {
                    tx.push(number);
                }
            }
            tx.publish();
            posted += burst;
        }
        completed = poll_sends(&mut tx_poll, completed);
    }
    let elapsed = start.elapsed();
    black_box(&target);
    b.iters as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6
}

/// Half of each cross-core round trip, in microseconds: `iters` samples.
pub(crate) fn ping_pong_usec(iters: u64) -> Vec<f64> {
    let line = Padded(AtomicU64::new(0));
    let stuck = Duration::from_secs(10);
    thread::scope(|s| {
        s.spawn(|| {
            // The echo: answers each odd value with the next even one.
            let start = Instant::now();
            for k in 0..iters {
                let ping = 2 * k + 1;
                while line.0.load(Ordering::Acquire) != ping {
                    if start.elapsed() > stuck {
                        return;
                    }
                    spin_loop();
                }
                line.0.store(ping + 1, Ordering::Release);
            }
        });
        let mut half = Vec::with_capacity(iters as usize);
        for k in 0..iters {
            let t0 = Instant::now();
            line.0.store(2 * k + 1, Ordering::Release);
            while line.0.load(Ordering::Acquire) != 2 * k + 2 {
                if t0.elapsed() > stuck {
                    return half;
                }
                spin_loop();
            }
            half.push(t0.elapsed().as_secs_f64() * 1e6 / 2.0);
        }
        half
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_delivers_in_order_and_refuses_when_full() {
        let ring = Ring::new(4);
        let (mut p, mut c) = (Producer::new(&ring), Consumer::new(&ring));
        for v in 0..4 {
            assert!(p.push(v));
        }
        assert!(!p.push(4), "full");
        assert_eq!(c.pop(), None, "nothing published yet");
        p.publish();
        assert_eq!((c.pop(), c.pop()), (Some(0), Some(1)));
        c.release();
        assert!(p.push(4) && p.push(5));
        p.publish();
        let rest: Vec<_> = core::iter::from_fn(|| c.pop()).collect();
        assert_eq!(rest, [2, 3, 4, 5]);
    }

    #[test]
    fn the_limits_run_to_completion() {
        let b = Burst {
            size: 8,
            iters: 20_000,
            tx_depth: 128,
            post_list: 32,
            cq_mod: 100,
        };
        assert!(send_mpps(b) > 0.0);
        assert!(write_mpps(b) > 0.0);
        assert_eq!(ping_pong_usec(100).len(), 100);
    }
}
