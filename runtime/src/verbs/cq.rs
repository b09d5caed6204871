//! Completion queue attributes and completion event channels.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bitflags::bitflags;

/// Creation attributes of a completion queue (`struct ib_cq_init_attr`,
/// with `ibv_create_cq`'s completion channel).
#[derive(Clone, Debug, Default)]
pub struct CqInitAttr {
    /// Requested number of entries.
    pub cqe: u32,
    /// Completion vector that raises its events.
    pub comp_vector: u32,
    /// Creation flags (provider specific).
    pub flags: u32,
    /// Where the provider reports completion events once the CQ is armed
    /// with `req_notify_cq`; `None` for a polled-only CQ.
    pub channel: Option<CompletionChannel>,
}

impl CqInitAttr {
    /// A polled CQ of at least `cqe` entries.
    pub fn new(cqe: u32) -> CqInitAttr {
        CqInitAttr {
            cqe,
            ..CqInitAttr::default()
        }
    }
}

/// A completion event channel (`struct ibv_comp_channel`): the provider
/// [`notify`](Self::notify)s it when an armed CQ gets a completion, the
/// application waits on it. Cloning shares the channel.
#[derive(Clone, Debug, Default)]
pub struct CompletionChannel {
    inner: Arc<ChannelInner>,
}

#[derive(Debug, Default)]
struct ChannelInner {
    events: Mutex<u64>,
    ready: Condvar,
}

impl CompletionChannel {
    /// A channel with no events.
    pub fn new() -> CompletionChannel {
        CompletionChannel::default()
    }

    /// Delivers one event (the provider's side).
    pub fn notify(&self) {
        *self.events() += 1;
        self.inner.ready.notify_all();
    }

    /// Takes one event if there is one.
    pub fn try_get_event(&self) -> bool {
        let mut events = self.events();
        let got = *events > 0;
        if got {
            *events -= 1;
        }
        got
    }

    /// Waits up to `timeout` for an event and takes it; `false` on timeout.
    pub fn get_event(&self, timeout: Duration) -> bool {
        let events = self.events();
        let (mut events, _) = self
            .inner
            .ready
            .wait_timeout_while(events, timeout, |n| *n == 0)
            .unwrap_or_else(PoisonError::into_inner);
        let got = *events > 0;
        if got {
            *events -= 1;
        }
        got
    }

    /// Events delivered and not yet taken.
    pub fn pending(&self) -> u64 {
        *self.events()
    }

    fn events(&self) -> MutexGuard<'_, u64> {
        self.inner
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the provider reports when it creates a completion queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CqInfo {
    /// Actual number of entries (at least those requested).
    pub cqe: u32,
}

bitflags! {
    /// How `req_notify_cq` arms a completion queue (`enum ib_cq_notify_flags`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct CqNotifyFlags: u32 {
        /// Raise an event only for a solicited completion.
        const SOLICITED = 1 << 0;
        /// Raise an event for the next completion.
        const NEXT_COMP = 1 << 1;
        /// Report whether completions may have been missed since the last poll.
        const REPORT_MISSED_EVENTS = 1 << 2;
    }
}
