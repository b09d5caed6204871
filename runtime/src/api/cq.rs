//! Completion-queue verbs.

use super::no_udata;
use crate::error::Result;
use crate::object::Cq;
use crate::verbs::{CqNotifyFlags, WorkCompletion};

impl Cq {
    /// Moves up to `wc.len()` completions into `wc` and returns how many
    /// (`ibv_poll_cq`).
    ///
    /// # Errors
    /// The provider's error, e.g. an overrun CQ.
    #[inline]
    pub fn poll(&self, wc: &mut [WorkCompletion]) -> Result<usize> {
        self.device().ops().poll_cq(self, wc)
    }

    /// Arms the CQ: the next completion (or the next solicited one) is
    /// reported on its completion channel (`ibv_req_notify_cq`). Returns
    /// `true` when `REPORT_MISSED_EVENTS` is set and completions are waiting.
    ///
    /// # Errors
    /// The provider's error.
    pub fn req_notify(&self, flags: CqNotifyFlags) -> Result<bool> {
        self.device().ops().req_notify_cq(self, flags)
    }

    /// How many completions (up to `max`) are ready, without taking them.
    ///
    /// # Errors
    /// The provider's error.
    pub fn peek(&self, max: usize) -> Result<usize> {
        self.device().ops().peek_cq(self, max)
    }

    /// Resizes the CQ to at least `cqe` entries, keeping its completions,
    /// and returns the new size (`ibv_resize_cq`).
    ///
    /// # Errors
    /// The provider's error, e.g. fewer entries than completions waiting.
    pub fn resize(&self, cqe: u32) -> Result<u32> {
        self.device().ops().resize_cq(self, cqe, &mut no_udata())
    }
}
