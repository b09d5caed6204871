//! Completion event moderation (`struct ibv_modify_cq_attr`).

use std::time::Duration;

/// How many completions, or how long, before a CQ raises an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CqModeration {
    /// Completions per event.
    pub count: u16,
    /// The longest wait for an event once a completion is there.
    pub period: Duration,
}
