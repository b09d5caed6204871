//! The RNR timer. A SEND that finds no receive gets an RNR NAK; with a
//! finite `rnr_retry` the requester waits the responder's `min_rnr_timer`
//! and tries again, up to `rnr_retry` times, before failing with
//! `RNR_RETRY_EXC_ERR` (IBTA 9.7.5.2.8). The wait is a timer: one worker
//! thread per device, started when a wait is scheduled and gone once no
//! wait is left, that retries each QP's waiting send when it is due.

use core::cmp::Ordering;
use core::time::Duration;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use super::qp::SoftQp;
use ibops::device::{Device, WeakDevice};

/// The RNR NAK timer field's delays (IBTA table 45), in units of 10 µs:
/// code 0 is the longest, 655.36 ms; codes 1 to 31 run from 0.01 ms to
/// 491.52 ms.
const RNR_DELAYS_10US: [u32; 32] = [
    65536, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
    2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152,
];

/// The delay the RNR NAK timer code `code` stands for (codes above 31 are
/// refused by `modify_qp`; they read as the longest delay).
pub(super) fn rnr_delay(code: u8) -> Duration {
    let units = RNR_DELAYS_10US
        .get(usize::from(code))
        .copied()
        .unwrap_or(RNR_DELAYS_10US[0]);
    Duration::from_micros(u64::from(units) * 10)
}

/// What the timer does with a QP whose wait is due: retry its first
/// pending send as a verb of the device.
pub(super) type RnrDue = fn(&Device, &Arc<SoftQp>);

/// One device's timer.
#[derive(Debug)]
pub(super) struct RnrTimer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    due: RnrDue,
}

#[derive(Debug, Default)]
struct State {
    due: BinaryHeap<Due>,
    /// Whether a worker thread runs.
    worker: bool,
    /// Orders waits due at the same instant.
    next_seq: u64,
}

/// A QP whose waiting send is due at `at`.
#[derive(Debug)]
struct Due {
    at: Instant,
    seq: u64,
    qp: Weak<SoftQp>,
}

impl RnrTimer {
    /// A timer that calls `due` for each QP whose wait is due.
    pub(super) fn new(due: RnrDue) -> RnrTimer {
        RnrTimer {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
                due,
            }),
        }
    }

    /// Retries `qp`'s waiting send at `at`, on the worker thread, as a verb
    /// of `device`. `false` when no worker thread could be started (the
    /// caller then fails the send rather than wait forever).
    pub(super) fn schedule(&self, device: &WeakDevice, qp: &Arc<SoftQp>, at: Instant) -> bool {
        let mut state = self.shared.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        state.due.push(Due {
            at,
            seq,
            qp: Arc::downgrade(qp),
        });
        if state.worker {
            // The new wait may be due before the one the worker sleeps on.
            self.shared.wake.notify_one();
            return true;
        }
        let shared = Arc::clone(&self.shared);
        let device = device.clone();
        let started = std::thread::Builder::new()
            .name("ibops-soft-rnr".into())
            .spawn(move || shared.work(&device))
            .is_ok();
        if started {
            state.worker = true;
        } else {
            // With no worker the heap held nothing before this push (a
            // worker leaves only once it is empty): this pops the new wait.
            state.due.pop();
        }
        started
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The worker: sleeps until the earliest wait is due, retries it with
    /// no lock held, and ends when none is left.
    fn work(&self, device: &WeakDevice) {
        let mut state = self.lock();
        loop {
            let Some(next) = state.due.peek() else {
                state.worker = false;
                return;
            };
            let now = Instant::now();
            if next.at > now {
                let wait = next.at - now;
                state = self
                    .wake
                    .wait_timeout(state, wait)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            }
            let Some(due) = state.due.pop() else { continue };
            drop(state);
            if let (Some(device), Some(qp)) = (device.upgrade(), due.qp.upgrade()) {
                (self.due)(&device, &qp);
            }
            state = self.lock();
        }
    }
}

/// The earliest wait first (a max-heap of reversed order).
impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Due {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rnr_timer_codes_are_the_ibta_delays() {
        assert_eq!(rnr_delay(0), Duration::from_micros(655_360));
        assert_eq!(rnr_delay(1), Duration::from_micros(10));
        assert_eq!(rnr_delay(12), Duration::from_micros(640));
        assert_eq!(rnr_delay(14), Duration::from_micros(1_280));
        assert_eq!(rnr_delay(31), Duration::from_micros(491_520));
        assert_eq!(rnr_delay(200), rnr_delay(0));
    }
}
