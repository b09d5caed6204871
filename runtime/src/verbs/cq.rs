//! Completion queue attributes.

use bitflags::bitflags;

/// Creation attributes of a completion queue (`struct ib_cq_init_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CqInitAttr {
    /// Requested number of entries.
    pub cqe: u32,
    /// Completion vector that raises its events.
    pub comp_vector: u32,
    /// Creation flags (provider specific).
    pub flags: u32,
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
