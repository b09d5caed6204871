//! Work the soft device defers until the verb that caused it returns:
//! asynchronous events, raised where they happen (often under a queue's
//! lock) and delivered to the device's handlers with no lock of the device
//! held, so a handler may call verbs; and flushes that need a lock the
//! code that found them could not take (a QP that failed as a responder
//! flushes its own send queue, whose lock its peer's poster cannot take).
//! Each thread runs what it deferred itself, so the work is done before
//! the verb that caused it returns to its caller.
//!
//! Senders waiting for a receive at a queue that will never bring one (its
//! QP entered the error state, was reset or destroyed) are woken here too:
//! they try again as a verb of the device and fail as the transport would.

use std::sync::{OnceLock, PoisonError};

use super::sync::{AtomicBool, Mutex, Ordering, ThreadId, thread_id};

use ibops::device::{Device, WeakDevice};
use ibops::event::{AsyncEvent, EventSender};

/// Lets the QP numbered by the second argument try its waiting sends again,
/// as a verb of the device (the requester's, given at construction so that
/// this module does not reach up to it).
pub(super) type Wake = fn(&Device, u32);

/// One piece of deferred work.
enum Task {
    /// An event for the device's handlers.
    Event(AsyncEvent),
    /// Something to run with no lock held.
    Run(Box<dyn FnOnce() + Send>),
    /// QPs whose waiting sends try again.
    Wake(Vec<u32>),
}

/// Work waiting for the current verb to return, and where events go.
pub(super) struct Deferred {
    sender: EventSender,
    /// The registered device (set once, right after registration): the
    /// RNR timer's and the woken senders' way back to it.
    device: OnceLock<WeakDevice>,
    wake: Wake,
    /// Each task with the thread that deferred it.
    tasks: Mutex<Vec<(ThreadId, Task)>>,
    /// Whether `tasks` may hold something: every verb runs what was
    /// deferred on return, and most find nothing, without taking the lock.
    any: AtomicBool,
}

impl Deferred {
    /// Deferred work of the device whose handlers `sender` reaches; woken
    /// senders try again through `wake`.
    pub(super) fn new(sender: EventSender, wake: Wake) -> Deferred {
        Deferred {
            sender,
            device: OnceLock::new(),
            wake,
            tasks: Mutex::new(Vec::new()),
            any: AtomicBool::new(false),
        }
    }

    /// Records the registered device this is the deferred work of.
    pub(super) fn attach(&self, device: WeakDevice) {
        let _ = self.device.set(device);
    }

    /// The registered device (a handle that does not keep it alive).
    pub(super) fn device(&self) -> WeakDevice {
        self.device.get().cloned().unwrap_or_default()
    }

    fn push(&self, task: Task) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.push((thread_id(), task));
        self.any.store(true, Ordering::Release);
    }

    /// Records `event`; it reaches the handlers when the verb returns.
    pub(super) fn raise(&self, event: AsyncEvent) {
        self.push(Task::Event(event));
    }

    /// Runs `task` when the verb returns, with no lock of the device held.
    pub(super) fn run_later(&self, task: impl FnOnce() + Send + 'static) {
        self.push(Task::Run(Box::new(task)));
    }

    /// Lets the senders numbered `qpns` try again when the verb returns.
    pub(super) fn wake(&self, qpns: Vec<u32>) {
        if !qpns.is_empty() {
            self.push(Task::Wake(qpns));
        }
    }

    /// Runs every task this thread deferred, and hands every event it
    /// raised to the handlers, in the order they came (including what
    /// those raise). Another thread's tasks are that thread's to run, on
    /// its verb's return. Call it with no lock of the device held.
    pub(super) fn run(&self) {
        // This thread's own pushes are seen (program order).
        while self.any.load(Ordering::Acquire) {
            let me = thread_id();
            let mine: Vec<Task> = {
                let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
                let (mine, others): (Vec<_>, Vec<_>) =
                    tasks.drain(..).partition(|(thread, _)| *thread == me);
                *tasks = others;
                self.any.store(!tasks.is_empty(), Ordering::Release);
                mine.into_iter().map(|(_, task)| task).collect()
            };
            if mine.is_empty() {
                return;
            }
            for task in mine {
                match task {
                    Task::Event(event) => self.sender.dispatch(&event),
                    Task::Run(run) => run(),
                    Task::Wake(qpns) => {
                        if let Some(device) = self.device.get().and_then(WeakDevice::upgrade) {
                            for qpn in qpns {
                                (self.wake)(&device, qpn);
                            }
                        }
                    }
                }
            }
        }
    }

    /// A guard that runs what was deferred meanwhile when it goes out of
    /// scope: made first in a verb, it is dropped after every lock the verb
    /// took.
    pub(super) fn on_return(&self) -> RunOnReturn<'_> {
        RunOnReturn(self)
    }
}

impl core::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let pending = self
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Deferred")
            .field("sender", &self.sender)
            .field("pending", &pending)
            .finish()
    }
}

/// Runs [`Deferred`] work when dropped.
pub(super) struct RunOnReturn<'a>(&'a Deferred);

impl Drop for RunOnReturn<'_> {
    /// Most verbs deferred nothing: one load, inlined into the verb.
    #[inline]
    fn drop(&mut self) {
        if self.0.any.load(Ordering::Acquire) {
            self.0.run();
        }
    }
}

/// Loom model test: events raised on two threads, each running what it
/// deferred on its return, reach the handlers exactly once, and each
/// thread's own event before its verb returns.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use std::sync::Arc;

    fn has(seen: &Mutex<Vec<AsyncEvent>>, event: AsyncEvent) -> bool {
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&event)
    }

    #[test]
    fn every_raised_event_is_delivered_once_by_the_thread_that_raised_it() {
        loom::model(|| {
            let sender = EventSender::default();
            let seen = Arc::new(Mutex::new(Vec::new()));
            let log = Arc::clone(&seen);
            sender.register_handler(move |event: &AsyncEvent| {
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(*event);
            });
            let deferred = Arc::new(Deferred::new(sender, |_, _| {}));
            let (down, up) = (
                AsyncEvent::PortErr { port_num: 1 },
                AsyncEvent::PortActive { port_num: 1 },
            );
            let other = {
                let (deferred, seen) = (Arc::clone(&deferred), Arc::clone(&seen));
                loom::thread::spawn(move || {
                    {
                        let _run = deferred.on_return();
                        deferred.raise(down);
                    }
                    assert!(has(&seen, down), "delivered before the verb returned");
                })
            };
            {
                let _run = deferred.on_return();
                deferred.raise(up);
            }
            assert!(has(&seen, up), "delivered before the verb returned");
            other.join().expect("other thread");
            assert_eq!(seen.lock().unwrap_or_else(PoisonError::into_inner).len(), 2);
        });
    }
}
