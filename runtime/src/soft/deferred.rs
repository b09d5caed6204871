//! Work the soft device defers until the verb that caused it returns:
//! asynchronous events, raised where they happen (often under a queue's
//! lock) and delivered to the device's handlers with no lock of the device
//! held, so a handler may call verbs; and flushes that need a lock the
//! code that found them could not take (a QP that failed as a responder
//! flushes its own send queue, whose lock its peer's poster cannot take).

use std::sync::PoisonError;

use super::sync::{AtomicBool, Mutex, Ordering};

use crate::event::{AsyncEvent, EventSender};

/// One piece of deferred work.
enum Task {
    /// An event for the device's handlers.
    Event(AsyncEvent),
    /// Something to run with no lock held.
    Run(Box<dyn FnOnce() + Send>),
}

/// Work waiting for the current verb to return, and where events go.
pub(super) struct Deferred {
    sender: EventSender,
    tasks: Mutex<Vec<Task>>,
    /// Whether `tasks` may hold something: every verb runs what was
    /// deferred on return, and most find nothing, without taking the lock.
    any: AtomicBool,
}

impl Deferred {
    /// Deferred work of the device whose handlers `sender` reaches.
    pub(super) fn new(sender: EventSender) -> Deferred {
        Deferred {
            sender,
            tasks: Mutex::new(Vec::new()),
            any: AtomicBool::new(false),
        }
    }

    fn push(&self, task: Task) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.push(task);
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

    /// Runs every deferred task, and hands every raised event to the
    /// handlers, in the order they came (including what those raise).
    /// Call it with no lock of the device held.
    pub(super) fn run(&self) {
        // A task pushed by this thread is seen (program order); one pushed
        // by another thread is run by that thread's verb on its return.
        while self.any.load(Ordering::Acquire) {
            let tasks = {
                let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
                self.any.store(false, Ordering::Release);
                core::mem::take(&mut *tasks)
            };
            for task in tasks {
                match task {
                    Task::Event(event) => self.sender.dispatch(&event),
                    Task::Run(run) => run(),
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
    fn drop(&mut self) {
        self.0.run();
    }
}

/// Loom model test: events raised on two threads, each running what was
/// deferred on its return, reach the handlers exactly once.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_raised_event_is_delivered_once() {
        loom::model(|| {
            let sender = EventSender::default();
            let seen = Arc::new(AtomicUsize::new(0));
            let count = Arc::clone(&seen);
            sender.handlers.register(Arc::new(move |_: &AsyncEvent| {
                count.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            }));
            let deferred = Arc::new(Deferred::new(sender));
            let other = {
                let deferred = Arc::clone(&deferred);
                loom::thread::spawn(move || {
                    let _run = deferred.on_return();
                    deferred.raise(AsyncEvent::PortErr { port_num: 1 });
                })
            };
            {
                let _run = deferred.on_return();
                deferred.raise(AsyncEvent::PortActive { port_num: 1 });
            }
            other.join().expect("other thread");
            assert_eq!(seen.load(core::sync::atomic::Ordering::Relaxed), 2);
        });
    }
}
