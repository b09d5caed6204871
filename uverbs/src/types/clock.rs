//! The device's real-time values (`struct ibv_values_ex`).

use std::time::Duration;

/// What `query_rt_values` reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClockValues {
    /// The device's free-running clock, as a time since its epoch.
    pub raw_clock: Duration,
}
