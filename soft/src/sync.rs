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

/// `T` on cache lines of its own (128 bytes: a line and the neighbour the
/// prefetcher pairs it with), so that state one core writes does not
/// share a line with state another core writes (false sharing).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(super) struct Padded<T>(pub(super) T);

impl<T> core::ops::Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
