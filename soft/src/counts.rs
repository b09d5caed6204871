//! Live-object counts per kind: checked against the limits on create,
//! released on destroy, and reported so tests can see that nothing leaks.

use core::sync::atomic::{AtomicU32, Ordering};

use ibops::error::{Error, Result};

/// How many objects of each kind a soft device holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveObjects {
    /// Protection domains.
    pub pd: u32,
    /// Completion queues.
    pub cq: u32,
    /// Queue pairs.
    pub qp: u32,
    /// Memory regions.
    pub mr: u32,
    /// Shared receive queues.
    pub srq: u32,
    /// Address handles.
    pub ah: u32,
}

/// One live-object counter with its limit.
#[derive(Debug)]
pub(super) struct Counter {
    what: &'static str,
    live: AtomicU32,
    limit: u32,
}

impl Counter {
    pub(super) const fn new(what: &'static str, limit: u32) -> Counter {
        Counter {
            what,
            live: AtomicU32::new(0),
            limit,
        }
    }

    /// Counts one more object.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when the limit is reached.
    pub(super) fn acquire(&self) -> Result<()> {
        self.live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .map(drop)
            .map_err(|n| Error::LimitExceeded {
                what: self.what,
                requested: u64::from(n) + 1,
                limit: u64::from(self.limit),
            })
    }

    /// Counts one object fewer.
    pub(super) fn release(&self) {
        let _ = self
            .live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    pub(super) fn live(&self) -> u32 {
        self.live.load(Ordering::Acquire)
    }
}
