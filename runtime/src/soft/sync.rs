//! The synchronisation primitives of the soft device's queues: std's, or
//! loom's when the crate is built with `--cfg loom`, so that the loom model
//! tests (`scripts/loom.sh`) explore every interleaving of the receive
//! queue's two locks, the CQ and the deferred work.

#[cfg(loom)]
pub(super) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};
#[cfg(loom)]
pub(super) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(super) use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(super) use std::sync::{Mutex, MutexGuard};
