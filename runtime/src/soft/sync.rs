//! The synchronisation primitives of the soft device's queues (and the
//! id of the calling thread): std's, or
//! loom's when the crate is built with `--cfg loom`, so that the loom model
//! tests (`scripts/loom.sh`) explore every interleaving of the receive
//! queue's two locks, the CQ and the deferred work.

#[cfg(loom)]
pub(super) use loom::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
#[cfg(loom)]
pub(super) use loom::sync::{Mutex, MutexGuard};
#[cfg(loom)]
pub(super) use loom::thread::ThreadId;

/// The calling thread's id (loom's model thread under loom).
#[cfg(loom)]
pub(super) fn thread_id() -> ThreadId {
    loom::thread::current().id()
}

#[cfg(not(loom))]
pub(super) use core::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
#[cfg(not(loom))]
pub(super) use std::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(super) use std::thread::ThreadId;

/// The calling thread's id.
#[cfg(not(loom))]
pub(super) fn thread_id() -> ThreadId {
    std::thread::current().id()
}
